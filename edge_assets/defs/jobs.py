"""Jobs, schedules and the automation sensor: schedules poll the sources, hourly partitions run
hourly, and everything downstream follows through its `AutomationCondition`."""

import dagster as dg

from edge_assets.defs.partitions import DAILY_PARTITIONS, HOURLY_PARTITIONS
from edge_assets.defs.quality import checks_upstream_of, failed_blocking_checks

POLLED_SOURCES = ["polymarket_markets", "oddsapi_live_odds", "predictit_market_data"]
HOURLY_SOURCES = ["order_book_snapshots", "order_book_rechecks", "oddsapi_historical_odds"]
MAPPING = ["team_aliases", "market_mappings", "polymarket_resolutions", "fee_tables", "cost_models"]
HOURLY_PRICING = ["quotes", "consensus", "signals"]
MODELING = ["training_set", "edge_classifier", "ev_regressor"]

poll_sources_job = dg.define_asset_job(
    "poll_sources",
    selection=dg.AssetSelection.assets(*POLLED_SOURCES),
    description="Poll markets, live odds and PredictIt.",
)
scores_job = dg.define_asset_job("poll_scores", selection=dg.AssetSelection.assets("oddsapi_scores"))
hourly_sources_job = dg.define_asset_job(
    "hourly_sources",
    selection=dg.AssetSelection.assets(*HOURLY_SOURCES),
    partitions_def=HOURLY_PARTITIONS,
    description="Order-book snapshots, their rechecks and historical odds for an hour (or a backfilled "
    "range, in one run).",
)
mapping_job = dg.define_asset_job(
    "mapping",
    selection=dg.AssetSelection.assets(*MAPPING),
    description="Team aliases, market mappings, resolutions, fee tables and execution cost models.",
)
hourly_pricing_job = dg.define_asset_job(
    "hourly_pricing",
    selection=dg.AssetSelection.assets(*HOURLY_PRICING),
    partitions_def=HOURLY_PARTITIONS,
    description="Quotes, consensus and signals for an hour (or a backfilled range, in one run).",
)
hourly_features_job = dg.define_asset_job(
    "hourly_features",
    selection=dg.AssetSelection.assets("features"),
    partitions_def=HOURLY_PARTITIONS,
    description="Features for an hour or a range (the feature store the models train on).",
)
hourly_signals_job = dg.define_asset_job(
    "hourly_signals",
    selection=dg.AssetSelection.assets("signals"),
    partitions_def=HOURLY_PARTITIONS,
    description="Signals alone for an hour or a range, e.g. to gate them with a newly promoted champion.",
)
latest_features_job = dg.define_asset_job(
    "latest_features", selection=dg.AssetSelection.assets("features_latest")
)
modeling_job = dg.define_asset_job(
    "modeling",
    selection=dg.AssetSelection.assets(*MODELING),
    partitions_def=DAILY_PARTITIONS,
    description="Training set, XGBoost models in MLflow and the champion gate, for a day.",
)


@dg.schedule(
    name="modeling_nightly",
    job=modeling_job,
    cron_schedule="30 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def modeling_nightly(context: dg.ScheduleEvaluationContext):
    """Train and register the models on the day just ended, unless a blocking check upstream of
    them failed on its newest evaluation: then the night is skipped, naming the checks, rather than
    training on the data they refused."""
    with dg.partition_loading_context(effective_dt=context.scheduled_execution_time):
        day = DAILY_PARTITIONS.get_last_partition_key()
    graph = context.repository_def.asset_graph
    targets = set(dg.AssetSelection.assets(*MODELING).resolve(graph))
    holding = checks_upstream_of(graph, failed_blocking_checks(context.instance, graph), targets)
    if holding:
        return dg.SkipReason(f"modeling {day} waits: blocking check(s) failed upstream: {', '.join(holding)}")
    return dg.RunRequest(partition_key=day)


# Found by the definitions loader like every other module-level definition.
SCHEDULES = [
    dg.ScheduleDefinition(
        name="poll_sources_every_minute",
        job=poll_sources_job,
        cron_schedule="* * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    ),
    dg.ScheduleDefinition(
        name="poll_scores_every_15_minutes",
        job=scores_job,
        cron_schedule="*/15 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    ),
    dg.build_schedule_from_partitioned_job(
        hourly_sources_job,
        name="hourly_sources_every_hour",
        minute_of_hour=0,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    ),
    modeling_nightly,
]

AUTOMATION_SENSOR = dg.AutomationConditionSensorDefinition(
    "follow_upstream",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
