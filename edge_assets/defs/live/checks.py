"""The check that fails when the live detector stalls, run on a schedule (the assets are external)."""

from datetime import UTC, datetime

import dagster as dg

from edge_assets.live.service import SERVICE_NAME
from edge_assets.live.status import MAX_HEARTBEAT_AGE, STATUS_SQL, judge_status
from edge_assets.storage.db import Warehouse

LIVE_RUNNING_CHECK = "detector_running"


@dg.asset_check(
    asset="live_signals",
    name=LIVE_RUNNING_CHECK,
    description=f"The live service's heartbeat is under {MAX_HEARTBEAT_AGE} old and its market channel "
    "still speaks.",
)
def live_detector_running(warehouse: Warehouse) -> dg.AssetCheckResult:
    """A stalled detector finds no edge: say so, so the alert sensor can tell someone."""
    verdict = judge_status(warehouse.read_frame(STATUS_SQL, {"service": SERVICE_NAME}), datetime.now(UTC))
    return dg.AssetCheckResult(
        passed=verdict.running, severity=dg.AssetCheckSeverity.ERROR, metadata={"reason": verdict.reason}
    )


live_check_job = dg.define_asset_job(
    "check_live_detector",
    selection=dg.AssetSelection.checks(live_detector_running),
    description="Judge whether the live detector is running.",
)
check_live_detector_every_5_minutes = dg.ScheduleDefinition(
    name="check_live_detector_every_5_minutes",
    job=live_check_job,
    cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
