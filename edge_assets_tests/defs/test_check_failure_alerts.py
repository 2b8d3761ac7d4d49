"""A failed check raises one alert per check, partition and failure, however many runs evaluate it:
a rerun after a crash never re-sends what was already alerted."""

import dagster as dg
from sqlalchemy import create_engine

from edge_assets.defs.alerting.sensors import alert_on_check_failures
from edge_assets.notify.resource import AlertingResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.migrations import upgrade

HOURS = dg.HourlyPartitionsDefinition(start_date="2026-03-01-00:00")
# What the check finds wrong, per partition: the same data fails the same way on every run.
BAD_ROWS = {"2026-03-01-10:00": 3, "2026-03-01-11:00": 5}


@dg.asset(partitions_def=HOURS)
def quotes() -> None:
    return None


@dg.asset_check(asset=quotes)
def quotes_schema(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    bad_rows = BAD_ROWS[context.partition_key]
    return dg.AssetCheckResult(passed=False, metadata={"bad_rows": bad_rows})


def _tick(instance: dg.DagsterInstance, warehouse: Warehouse, cursor: str | None) -> str | None:
    """One evaluation of the sensor as the daemon runs it; the cursor it leaves."""
    resources = {"warehouse": warehouse, "alerting": AlertingResource()}
    with dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor) as context:
        return alert_on_check_failures(context).cursor


def _evaluate(instance: dg.DagsterInstance, partition: str) -> None:
    result = dg.materialize([quotes, quotes_schema], instance=instance, partition_key=partition)
    assert [e.passed for e in result.get_asset_check_evaluations()] == [False]


def test_the_same_failure_evaluated_twice_raises_one_alert(postgres_url):
    upgrade(create_engine(postgres_url))
    warehouse = Warehouse(url=postgres_url)
    # The test instance keeps one SQLite event log per run, as the local and demo instances do.
    with dg.instance_for_test() as instance:
        _evaluate(instance, "2026-03-01-10:00")
        cursor = _tick(instance, warehouse, None)
        # The rerun (say, after the first run was killed before its alerts went out) fails it again.
        _evaluate(instance, "2026-03-01-10:00")
        cursor = _tick(instance, warehouse, cursor)
        # A sensor that lost its cursor reads both evaluations again and raises nothing new.
        _tick(instance, warehouse, None)
        alerts = warehouse.read_frame("SELECT subject, payload FROM alerts")
        assert len(alerts) == 1
        assert '"partition": "2026-03-01-10:00"' in alerts["payload"].iloc[0]

        # Another partition failing after the cursor is another alert.
        _evaluate(instance, "2026-03-01-11:00")
        _tick(instance, warehouse, cursor)
        assert len(warehouse.read_frame("SELECT alert_id FROM alerts")) == 2
