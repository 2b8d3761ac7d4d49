"""Sensors that watch and alert: new signals, failed asset checks, failed runs, stale sources; and
one that delivers what they raised. They write alert rows and send them; they compute nothing else.

A failed asset check does not fail its run, so run-failure sensors never see it: check failures
get their own sensor, reading check evaluations from the event log after a cursor.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import dagster as dg

from edge_assets.notify.alerts import (
    alerts_frame,
    check_failure_alert,
    freshness_alert,
    run_failure_alert,
    signal_alerts,
)
from edge_assets.notify.delivery import recent_signal_alerts
from edge_assets.notify.metrics import collect
from edge_assets.notify.resource import AlertingResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import table_name

INTERVAL_S = 60
CURSOR_OVERLAP_S = 1.0
# Dagster's run tags for a run's partition, or the range of a single-run backfill.
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
NEW_SIGNALS_SQL = """
SELECT s.*, m.question FROM signals AS s LEFT JOIN polymarket_markets AS m ON m.market_id = s.pm_market_id
WHERE s.created_at >= :since
"""


@dg.sensor(minimum_interval_seconds=INTERVAL_S, default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_signals(
    context: dg.SensorEvaluationContext, warehouse: Warehouse, alerting: AlertingResource
) -> dg.SkipReason:
    """Raise one alert per token with a fresh signal, at most once per cooldown."""
    now = datetime.now(UTC)
    signals = warehouse.read_frame(
        NEW_SIGNALS_SQL, {"since": now - timedelta(hours=alerting.signal_max_age_hours)}
    )
    cooldown = timedelta(minutes=alerting.signal_cooldown_minutes)
    questions = dict(zip(signals["pm_market_id"], signals["question"].fillna(""), strict=True))
    alerts = signal_alerts(
        signals.drop(columns="question"), now, cooldown, recent_signal_alerts(warehouse, now - cooldown),
        market_questions=questions,
    )  # fmt: skip
    return dg.SkipReason(f"{alerting.raise_alerts(warehouse, alerts)} new signal alert(s)")


@dg.sensor(minimum_interval_seconds=INTERVAL_S, default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_check_failures(
    context: dg.SensorEvaluationContext, warehouse: Warehouse, alerting: AlertingResource
) -> dg.SensorResult:
    """Raise an alert for every failed asset-check evaluation since the cursor (one per check, partition
    and failure, however many runs evaluated it).

    The cursor is the newest evaluation's timestamp, not its storage id: a local SQLite instance keeps
    one event log per run, where ids are not comparable across runs.
    """
    # Re-read a little before the cursor so an evaluation stored in the same instant is not missed;
    # alert identity makes the overlap harmless.
    after = float(context.cursor) - CURSOR_OVERLAP_S if context.cursor else None
    records = context.instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_timestamp=after),
        ascending=True,
    )
    rows = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        run = context.instance.get_run_by_id(record.run_id)
        rows.append(
            check_failure_alert(
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                what_failed(evaluation),
                evaluated_partition(evaluation, run.tags if run is not None else {}),
                datetime.fromtimestamp(record.timestamp, UTC),
                severity="error" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warning",
            )
        )
    new = alerting.raise_alerts(warehouse, alerts_frame(rows))
    cursor = str(max(record.timestamp for record in records)) if records else context.cursor
    return dg.SensorResult(
        skip_reason=f"{new} check-failure alert(s) from {len(records)} evaluations", cursor=cursor
    )


@dg.run_failure_sensor(
    name="alert_on_run_failures",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=INTERVAL_S,
)
def alert_on_run_failures(
    context: dg.RunFailureSensorContext, warehouse: Warehouse, alerting: AlertingResource
) -> None:
    """Raise an alert for every failed run of any job."""
    run = context.dagster_run
    error = context.failure_event.message or "run failed"
    alerting.raise_alerts(
        warehouse, alerts_frame([run_failure_alert(run.job_name, run.run_id, error, datetime.now(UTC))])
    )


@dg.sensor(minimum_interval_seconds=5 * INTERVAL_S, default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_stale_sources(
    context: dg.SensorEvaluationContext, warehouse: Warehouse, alerting: AlertingResource
) -> dg.SkipReason:
    """Raise an alert for each source table whose newest row is older than its asset's freshness
    policy allows."""
    now = datetime.now(UTC)
    lags = collect(warehouse, now)["freshness_lag_seconds"]
    rows = []
    for asset, max_lag in freshness_windows(context.repository_def).items():
        lag = lags.get(table_name(asset))
        if lag is not None and lag > max_lag.total_seconds():
            rows.append(freshness_alert(asset.to_user_string(), now - timedelta(seconds=lag), max_lag, now))
    return dg.SkipReason(f"{alerting.raise_alerts(warehouse, alerts_frame(rows))} freshness alert(s)")


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def deliver_alerts(
    context: dg.SensorEvaluationContext, warehouse: Warehouse, alerting: AlertingResource
) -> dg.SkipReason:
    """Send pending alerts to the configured sinks; a failed send stays `failed` and is retried."""
    report = alerting.deliver(warehouse, datetime.now(UTC))
    return dg.SkipReason(
        f"{report.messages} message(s): {len(report.sent)} alert(s) sent, {len(report.failed)} failed,"
        f" {len(report.logged)} logged" + (f"; errors: {'; '.join(report.errors)}" if report.errors else "")
    )


def freshness_windows(repository: dg.RepositoryDefinition) -> dict[dg.AssetKey, timedelta]:
    """Each asset with a time-window freshness policy, and the lag its policy allows."""
    graph = repository.asset_graph
    policies = {key: graph.get(key).freshness_policy for key in graph.get_all_asset_keys()}
    return {
        key: policy.fail_window.to_timedelta()
        for key, policy in policies.items()
        if getattr(policy, "fail_window", None) is not None  # time-window policies (not cron ones)
    }


def evaluated_partition(evaluation: dg.AssetCheckEvaluation, run_tags: Mapping[str, str]) -> str | None:
    """The partition a check judged: its own when the check is partitioned, else its run's partition
    or partition range ("first..last"), None for an unpartitioned run."""
    if evaluation.partition is not None:
        return evaluation.partition
    if PARTITION_TAG in run_tags:
        return run_tags[PARTITION_TAG]
    first, last = (run_tags.get(tag) for tag in RANGE_TAGS)
    return f"{first}..{last}" if first and last else None


def what_failed(evaluation: dg.AssetCheckEvaluation) -> dict[str, object]:
    """A check evaluation's metadata as plain JSON-able values: what it found wrong."""
    return {key: _plain(value) for key, value in evaluation.metadata.items()}


def _plain(value) -> object:
    """A metadata value as plain JSON-able data for the alert payload."""
    raw = getattr(value, "value", value)
    return raw if isinstance(raw, str | int | float | bool) or raw is None else str(raw)
