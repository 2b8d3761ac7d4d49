"""The trading schedule: the trader writes fills outside Dagster (the live service, a backfill), so
the settled fills and positions are polled like a source; pnl_daily follows through its
AutomationCondition."""

import dagster as dg

trading_job = dg.define_asset_job(
    "trading",
    selection=dg.AssetSelection.assets("settled_fills", "positions"),
    description="Fills settled, positions rebuilt from them and marked at the newest books "
    "(pnl_daily follows).",
)

# Found by the definitions loader like every other module-level definition.
SCHEDULES = [
    dg.ScheduleDefinition(
        name="trading_every_15_minutes",
        job=trading_job,
        cron_schedule="*/15 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    ),
]
