"""Dagster sees the live path: the heartbeat becomes observations, and a stalled detector fails its check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.definitions import build_definitions
from edge_assets.defs.live.checks import live_detector_running
from edge_assets.defs.live.sensors import observe_live_service
from edge_assets.environment import Environment


def _heartbeat(now: datetime, beat_age: timedelta) -> pd.DataFrame:
    beat = now - beat_age
    return pd.DataFrame(
        [{"service": "live", "updated_at": beat, "started_at": beat - timedelta(minutes=3), "tokens": 40,
          "messages": 900, "messages_per_second": 5.0, "last_message_at": beat, "consumer_lag": 0,
          "evaluations": 120, "open_signals": 2, "signals_opened": 3, "odds_polled_at": beat,
          "quota_remaining": 400}]
    )  # fmt: skip


def _defs(tmp_path) -> dg.Definitions:
    return build_definitions(Environment.from_env({"EDGE_HOME": str(tmp_path)}))


def _observe(defs: dg.Definitions, cursor: str | None = None):
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, resources=defs.resources, cursor=cursor) as context,
    ):
        return observe_live_service(context)


def _check(defs: dg.Definitions) -> dg.AssetCheckResult:
    return live_detector_running(warehouse=defs.resources["warehouse"])


def test_a_heartbeat_is_observed_once_on_both_live_assets(tmp_path):
    defs = _defs(tmp_path)
    defs.resources["warehouse"].upsert(
        "live_status", _heartbeat(datetime.now(UTC), timedelta(0)), ["service"]
    )
    result = _observe(defs)
    by_asset = {event.asset_key.to_user_string(): event.metadata for event in result.asset_events}
    assert by_asset["odds_stream"]["messages"].value == 900
    assert by_asset["live_signals"]["open_signals"].value == 2
    assert isinstance(_observe(defs, cursor=result.cursor), dg.SkipReason)  # the same heartbeat


def test_the_check_passes_while_the_detector_beats_and_fails_once_it_stalls(tmp_path):
    defs = _defs(tmp_path)
    warehouse = defs.resources["warehouse"]
    assert not _check(defs).passed  # never ran
    warehouse.upsert("live_status", _heartbeat(datetime.now(UTC), timedelta(seconds=5)), ["service"])
    assert _check(defs).passed
    warehouse.upsert("live_status", _heartbeat(datetime.now(UTC), timedelta(minutes=7)), ["service"])
    result = _check(defs)
    assert not result.passed and "no heartbeat" in result.metadata["reason"].value
