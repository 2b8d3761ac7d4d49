"""A failed blocking check holds back what is downstream of its asset: under the daemon (the
automation conditions and the nightly modeling schedule) and in the demo (which runs the jobs
itself)."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from edge_assets.definitions import build_definitions
from edge_assets.defs.quality import STALE_CHECK
from edge_assets.demo import checks_holding_back, exit_status
from edge_assets.environment import Environment

HOUR = "2026-12-01-11:00"  # the latest hourly partition at EVALUATED_AT (the partitions end an hour on)
PREVIOUS_HOUR = "2026-12-01-10:00"
EVALUATED_AT = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
HOURLY_INPUTS = ("quotes", "consensus", "order_book_snapshots")
OTHER_INPUTS = ("cost_models", "fee_tables", "market_mappings", "polymarket_markets")


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    return build_definitions(Environment.from_env({"EDGE_HOME": str(tmp_path_factory.mktemp("home"))}))


@pytest.mark.parametrize("stale_check_passed", [True, False])
def test_the_daemon_runs_features_and_signals_of_an_hour_only_once_its_books_pass_the_stale_check(
    defs, stale_check_passed
):
    selection = dg.AssetSelection.assets("features", "signals")
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs, instance, selection, evaluation_time=EVALUATED_AT)
        for key in (*HOURLY_INPUTS, *OTHER_INPUTS):
            partition = HOUR if key in HOURLY_INPUTS else None
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("order_book_snapshots"),
                check_name=STALE_CHECK,
                passed=stale_check_passed,
                severity=dg.AssetCheckSeverity.ERROR,
                blocking=True,
                partition=HOUR,
            )
        )
        second = dg.evaluate_automation_conditions(
            defs, instance, selection, evaluation_time=EVALUATED_AT, cursor=first.cursor
        )
    requested = {key: second.get_requested_partitions(dg.AssetKey(key)) for key in ("features", "signals")}
    expected = {HOUR} if stale_check_passed else set()
    assert requested == {"features": expected, "signals": expected}


def test_the_demo_holds_back_the_jobs_downstream_of_a_failed_blocking_check(defs):
    failures = {f"order_book_snapshots:{STALE_CHECK}": {"asset": dg.AssetKey("order_book_snapshots")}}
    jobs = ["poll_sources", "hourly_sources", "mapping", "hourly_pricing", "hourly_features", "modeling"]
    held = {job: checks_holding_back(defs, job, failures) for job in [*jobs, "hourly_signals"]}
    assert held == {
        "poll_sources": [],
        "hourly_sources": [],  # the checked asset itself is refetched: that is how it recovers
        "mapping": [f"order_book_snapshots:{STALE_CHECK}"],  # cost models are measured on the books
        "hourly_pricing": [f"order_book_snapshots:{STALE_CHECK}"],
        "hourly_features": [f"order_book_snapshots:{STALE_CHECK}"],
        "modeling": [f"order_book_snapshots:{STALE_CHECK}"],
        "hourly_signals": [f"order_book_snapshots:{STALE_CHECK}"],
    }
    assert checks_holding_back(defs, "hourly_pricing", {}) == []


@pytest.mark.parametrize(
    ("failed", "stopped", "waited", "status"),
    [
        ([], [], [], 0),
        (["mapping"], [], [], 1),
        ([], ["hourly_sources"], [], 1),
        ([], [], [{"job": "hourly_pricing", "partitions": HOUR, "checks": ["x:y"]}], 1),
    ],
)
def test_the_demo_exits_non_zero_when_a_run_failed_or_a_blocking_check_held_data_back(
    failed, stopped, waited, status
):
    summary = {"failed_runs": failed, "runs_stopped_by_checks": stopped, "runs_waiting_on_checks": waited}
    assert exit_status(summary) == status


@pytest.mark.parametrize(
    ("newest_passed", "severity", "held"),
    [
        (True, dg.AssetCheckSeverity.ERROR, False),
        (False, dg.AssetCheckSeverity.ERROR, True),
        (False, dg.AssetCheckSeverity.WARN, False),  # a warning holds nothing back, as in a run
    ],
)
def test_the_nightly_modeling_schedule_waits_while_a_blocking_check_upstream_fails(
    defs, newest_passed, severity, held
):
    schedule = defs.resolve_schedule_def("modeling_nightly")
    with dg.instance_for_test() as instance:
        # a failure of the hour before, then the newest evaluation: only the newest decides
        evaluations = [(PREVIOUS_HOUR, False, dg.AssetCheckSeverity.ERROR), (HOUR, newest_passed, severity)]
        for partition, passed, severity_of in evaluations:
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(
                    asset_key=dg.AssetKey("order_book_snapshots"),
                    check_name=STALE_CHECK,
                    passed=passed,
                    severity=severity_of,
                    blocking=True,
                    partition=partition,
                )
            )
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 12, 2, 2, 30, tzinfo=UTC),
            repository_def=defs.get_repository_def(),
        ) as context:
            result = schedule.evaluate_tick(context)
    if held:
        assert result.run_requests == []
        assert f"order_book_snapshots:{STALE_CHECK}" in result.skip_message
    else:
        assert [request.partition_key for request in result.run_requests] == ["2026-12-01"]
