"""The stale-source sensor judges each source table by its asset's own freshness policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.definitions import build_definitions
from edge_assets.defs.alerting.sensors import alert_on_stale_sources, freshness_windows
from edge_assets.environment import Environment


def _market(fetched_at: datetime) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "market_id": ["m1"],
            "question": ["A vs B"],
            "active": [True],
            "closed": [False],
            "neg_risk": [False],
            "outcomes": ['["A","B"]'],
            "clob_token_ids": ['["t1","t2"]'],
            "fetched_at": [fetched_at],
        }
    )


def _tick(defs: dg.Definitions) -> str:
    """One evaluation of the sensor, as the daemon runs it; its skip message."""
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(
            instance=instance, resources=defs.resources, repository_def=defs.get_repository_def()
        ) as context,
    ):
        return alert_on_stale_sources(context).skip_message


def test_windows_come_from_the_freshness_policies(tmp_path):
    defs = build_definitions(Environment.from_env({"EDGE_HOME": str(tmp_path)}))
    windows = freshness_windows(defs.get_repository_def())
    assert windows[dg.AssetKey("polymarket_markets")] == timedelta(minutes=15)
    assert windows[dg.AssetKey("order_book_snapshots")] == timedelta(hours=2)
    assert dg.AssetKey("quotes") not in windows  # derived, no policy of its own


def test_a_source_older_than_its_policy_raises_one_freshness_alert(tmp_path):
    defs = build_definitions(Environment.from_env({"EDGE_HOME": str(tmp_path)}))
    warehouse = defs.resources["warehouse"]
    now = datetime.now(UTC)
    warehouse.upsert("polymarket_markets", _market(now - timedelta(minutes=40)), ["market_id"])
    for _ in range(2):  # a second tick finds the alert already raised
        _tick(defs)
    alerts = warehouse.read_frame("SELECT kind, subject FROM alerts")
    assert len(alerts) == 1
    assert "polymarket_markets" in alerts["subject"].iloc[0]

    warehouse.upsert("polymarket_markets", _market(now), ["market_id"])
    assert _tick(defs).startswith("0 freshness alert")
