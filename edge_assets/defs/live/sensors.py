"""Observing the live service: its heartbeat becomes observations of the stream and the signals."""

from datetime import UTC, datetime

import dagster as dg

from edge_assets.live.service import SERVICE_NAME
from edge_assets.live.status import STATUS_SQL, judge_status, signal_figures, stream_figures
from edge_assets.storage.db import Warehouse


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def observe_live_service(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Report the live service's figures as observations of `odds_stream` and `live_signals`; it
    observes, the service itself does the work."""
    status = warehouse.read_frame(STATUS_SQL, {"service": SERVICE_NAME})
    verdict = judge_status(status, datetime.now(UTC))
    if status.empty:
        return dg.SkipReason(verdict.reason)
    beat = str(status["updated_at"].iloc[0])
    if context.cursor == beat:
        return dg.SkipReason(f"no new heartbeat since {beat}")
    observations = [
        dg.AssetObservation("odds_stream", metadata={**stream_figures(status), "running": verdict.running}),
        dg.AssetObservation("live_signals", metadata={**signal_figures(status), "running": verdict.running}),
    ]
    return dg.SensorResult(asset_events=observations, cursor=beat)
