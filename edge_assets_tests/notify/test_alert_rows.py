"""The alert constructors of edge_assets.notify.alerts that the delivery work added (pure)."""

import json
from datetime import timedelta

import pandas as pd

from edge_assets.notify.alerts import (
    ALERT_COLUMNS,
    LOGGED,
    PENDING,
    alerts_frame,
    check_failure_alert,
    freshness_alert,
    quota_low_alert,
    run_failure_alert,
    signal_alerts,
    with_initial_delivery_status,
)
from edge_assets_tests.notify.conftest import NOW, signals_frame

COOLDOWN = timedelta(hours=1)
NO_RECENT = alerts_frame([])


def test_one_alert_per_token_for_its_latest_signal():
    signals = signals_frame(
        ("a", "2026-11-20T10:00", 0.04), ("a", "2026-11-20T11:00", 0.06), ("b", "2026-11-20T11:00", 0.05)
    )
    alerts = signal_alerts(signals, NOW, COOLDOWN, NO_RECENT)
    assert list(alerts.columns) == ALERT_COLUMNS
    payloads = [json.loads(text) for text in alerts["payload"]]
    assert [(p["pm_token_id"], p["as_of"]) for p in payloads] == [
        ("a", "2026-11-20T11:00:00+00:00"),
        ("b", "2026-11-20T11:00:00+00:00"),
    ]
    first = payloads[0]
    assert first["partition"] == "2026-11-20-11:00" and first["asset_key"] == "signals"
    assert first["market"] == "market market-a" and first["outcome"] == "Team a"
    assert (first["pm_price"], first["fair_prob"], first["ev_after_costs"]) == (0.4, 0.47, 0.06)
    assert (first["stake"], first["vwap"], first["model_version"]) == (100.0, 0.405, None)


def test_a_token_alerted_within_the_cooldown_is_not_alerted_again():
    first = signal_alerts(signals_frame(("a", "2026-11-20T11:00", 0.05)), NOW, COOLDOWN, NO_RECENT)
    later_signals = signals_frame(("a", "2026-11-20T12:00", 0.07), ("b", "2026-11-20T12:00", 0.05))

    within = signal_alerts(later_signals, NOW + timedelta(minutes=59), COOLDOWN, first)
    after = signal_alerts(later_signals, NOW + timedelta(minutes=61), COOLDOWN, first)

    assert [json.loads(p)["pm_token_id"] for p in within["payload"]] == ["b"]
    assert sorted(json.loads(p)["pm_token_id"] for p in after["payload"]) == ["a", "b"]


def test_signals_without_execution_costs_alert_without_a_stake():
    signals = signals_frame(("a", "2026-11-20T11:00", 0.05), priced=False)
    questions = {"market-a": "Will A beat B?"}
    alert = signal_alerts(signals, NOW, COOLDOWN, NO_RECENT, market_questions=questions).iloc[0]
    payload = json.loads(alert["payload"])
    assert payload["stake"] is None and payload["vwap"] is None
    assert alert["subject"] == "Will A beat B?: Team a"


def test_initial_status_is_pending_with_sinks_and_logged_without():
    alerts = alerts_frame([run_failure_alert("hourly_sources", "run-1", "boom", NOW)])
    assert with_initial_delivery_status(alerts, sinks_configured=True)["delivery_status"].tolist() == [
        PENDING
    ]
    assert with_initial_delivery_status(alerts, sinks_configured=False)["delivery_status"].tolist() == [
        LOGGED
    ]


def test_check_failure_names_asset_check_and_what_failed():
    row = check_failure_alert(
        "oddsapi_live_odds", "fresh_quotes", {"stale_rows": 12, "max_lag": "3h"}, "2026-03-01-10:00", NOW
    )
    assert list(row) == ALERT_COLUMNS
    assert row["subject"] == "oddsapi_live_odds / fresh_quotes"
    assert row["message"] == "stale_rows: 12; max_lag: 3h"
    assert json.loads(row["payload"])["partition"] == "2026-03-01-10:00"


def test_a_stale_state_and_a_low_quota_day_each_raise_one_alert():
    last = NOW - timedelta(hours=2)
    early, late = (
        freshness_alert("quotes", last, timedelta(hours=1), NOW),
        freshness_alert("quotes", last, timedelta(hours=1), NOW + timedelta(minutes=30)),
    )
    assert early["alert_id"] == late["alert_id"]
    assert "last updated 2h 00m ago (allowed 1h 00m)" == early["message"]

    morning, evening = quota_low_alert(480, 500, NOW), quota_low_alert(300, 500, NOW + timedelta(hours=6))
    assert morning["alert_id"] == evening["alert_id"]
    assert json.loads(evening["payload"])["remaining"] == 300
    assert quota_low_alert(300, 500, NOW + timedelta(days=1))["alert_id"] != morning["alert_id"]


def test_constructors_make_frames_the_alerts_table_takes():
    frame = alerts_frame([freshness_alert("markets", None, timedelta(minutes=5), NOW)])
    assert list(frame.columns) == ALERT_COLUMNS and isinstance(frame, pd.DataFrame)
    assert frame["message"][0] == "never updated (allowed 5m 00s)"
