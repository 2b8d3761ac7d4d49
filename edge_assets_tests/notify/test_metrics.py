"""Monitoring figures from the warehouse, and the same figures scraped from serve_metrics over HTTP."""

import argparse
from datetime import timedelta

import pandas as pd
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from edge_assets.notify import add_metrics_arguments, collect, serve_metrics
from edge_assets.notify.alerts import alerts_frame, run_failure_alert, with_initial_delivery_status
from edge_assets.storage.db import Warehouse
from edge_assets_tests.notify.conftest import NOW, signals_frame


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path):
    """A warehouse with a few rows in the tables the figures read."""
    if request.param == "sqlite":
        warehouse = Warehouse(url=f"sqlite:///{tmp_path}/edge.db")
    else:
        warehouse = Warehouse(url=request.getfixturevalue("postgres_url"))
    warehouse.upsert(
        "polymarket_markets",
        pd.DataFrame(
            {
                "market_id": ["m1", "m2"],
                "question": ["A vs B", "C vs D"],
                "active": [True, True],
                "closed": [False, False],
                "neg_risk": [False, False],
                "outcomes": ['["A","B"]', '["C","D"]'],
                "clob_token_ids": ['["t1","t2"]', '["t3","t4"]'],
                "fetched_at": [NOW - timedelta(minutes=5), NOW - timedelta(minutes=2)],
            }
        ),
        ["market_id"],
    )
    warehouse.upsert(
        "oddsapi_live_odds",
        pd.DataFrame(
            {
                "snapshot_ts": [NOW - timedelta(minutes=30)],
                "event_id": ["e1"],
                "sport_key": ["basketball_nba"],
                "commence_ts": [NOW + timedelta(hours=3)],
                "home_team": ["A"],
                "away_team": ["B"],
                "bookmaker": ["book"],
                "outcome": ["A"],
                "decimal_odds": [1.9],
                "fetched_at": [NOW - timedelta(minutes=29)],
            }
        ),
        ["snapshot_ts", "event_id", "bookmaker", "outcome"],
    )
    warehouse.upsert(
        "market_mappings",
        pd.DataFrame(
            {
                "pm_token_id": ["t1", "t2", "t3", "t4", "t5"],
                "pm_market_id": ["m1", "m1", "m2", "m2", "m3"],
                "pm_outcome": ["A", "B", "C", "D", "Yes"],
                "sport_key": ["basketball_nba"] * 4 + [None],
                "confidence": [1.0, 1.0, 1.0, 0.0, 0.0],
                "status": ["mapped", "mapped", "mapped", "unmapped", "unmapped"],
                "mapped_at": [NOW] * 5,
            }
        ),
        ["pm_token_id"],
    )
    signals = signals_frame(
        ("t1", "2026-11-20T11:00", 0.05),
        ("t3", "2026-11-20T09:00", 0.04),
        ("t1", "2026-11-18T11:00", 0.06),
        priced=False,
    )
    warehouse.upsert("signals", signals, ["signal_id"])
    failures = [run_failure_alert("job", f"run-{n}", "boom", NOW) for n in range(3)]
    alerts = with_initial_delivery_status(alerts_frame(failures), sinks_configured=True)
    alerts.loc[0, ["delivery_status", "attempts", "delivered_at"]] = ["sent", 1, NOW]
    warehouse.upsert("alerts", alerts, ["alert_id"])
    return warehouse


def test_collect_reads_the_figures(warehouse):
    figures = collect(warehouse, NOW, quota_remaining=420)
    assert figures["table_rows"]["polymarket_markets"] == 2 and figures["table_rows"]["quotes"] == 0
    assert "schema_migrations" not in figures["table_rows"]
    assert figures["freshness_lag_seconds"]["polymarket_markets"] == 120.0
    assert figures["freshness_lag_seconds"]["oddsapi_live_odds"] == 1800.0
    assert figures["freshness_lag_seconds"]["predictit_market_data"] is None
    assert figures["oddsapi_quota_remaining"] == 420
    assert figures["signals_last_24h"] == 2
    assert figures["mapping_coverage"] == 0.75  # the non-sports token does not count
    assert figures["alerts_by_status"] == {"logged": 0, "pending": 2, "sent": 1, "failed": 0}


def test_an_empty_warehouse_has_no_lag_and_no_coverage(tmp_path):
    figures = collect(Warehouse(url=f"sqlite:///{tmp_path}/empty.db"), NOW)
    assert set(figures["table_rows"].values()) == {0}
    assert set(figures["freshness_lag_seconds"].values()) == {None}
    assert figures["mapping_coverage"] is None and figures["signals_last_24h"] == 0


def test_serve_metrics_exposes_the_figures_in_prometheus_format(warehouse):
    server = serve_metrics(warehouse, 0, quota_remaining=lambda: 420)
    try:
        response = requests.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5)
    finally:
        server.shutdown()
    assert response.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert samples[("edge_warehouse_up", ())] == 1
    assert samples[("edge_table_rows", (("table", "signals"),))] == 3
    assert samples[("edge_oddsapi_quota_remaining", ())] == 420
    assert samples[("edge_mapping_coverage_ratio", ())] == 0.75
    assert samples[("edge_alerts", (("status", "pending"),))] == 2
    assert samples[("edge_alerts", (("status", "failed"),))] == 0
    assert ("edge_source_freshness_lag_seconds", (("table", "predictit_market_data"),)) not in samples
    # The lag is measured from the wall clock at scrape time, long after NOW.
    assert samples[("edge_source_freshness_lag_seconds", (("table", "polymarket_markets"),))] > 120
    assert ("edge_signals_last_24h", ()) in samples


def test_metrics_command_options():
    parser = argparse.ArgumentParser()
    add_metrics_arguments(parser)
    args = parser.parse_args(["--port", "9200", "--database-url", "sqlite:///x.db"])
    assert (args.port, args.host, args.database_url) == (9200, "127.0.0.1", "sqlite:///x.db")
