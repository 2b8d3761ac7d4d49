"""deliver_pending against the warehouse (SQLite and PostgreSQL) and the stand-in server."""

import json
import logging
from datetime import timedelta

import pandas as pd
import pytest

from edge_assets.notify import (
    GenericWebhookSink,
    SlackWebhookSink,
    alert_log_lines,
    deliver_pending,
    recent_signal_alerts,
)
from edge_assets.notify.alerts import (
    alerts_frame,
    check_failure_alert,
    signal_alerts,
    with_initial_delivery_status,
)
from edge_assets.storage.db import Warehouse
from edge_assets_tests.fixtures.postgres import free_port
from edge_assets_tests.notify.conftest import (
    FAST_RETRY,
    GENERIC_WEBHOOK_PATH,
    NOW,
    SECRETS,
    SLACK_WEBHOOK_PATH,
    signals_frame,
)

COOLDOWN = timedelta(hours=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path):
    if request.param == "sqlite":
        return Warehouse(url=f"sqlite:///{tmp_path}/edge.db")
    return Warehouse(url=request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_warehouse(tmp_path):
    return Warehouse(url=f"sqlite:///{tmp_path}/edge.db")


def raise_signal_alerts(warehouse, signals, now, sinks_configured=True):
    """What the signals sensor does: alert tokens out of cooldown, store them for delivery."""
    recent = recent_signal_alerts(warehouse, now - COOLDOWN)
    alerts = with_initial_delivery_status(signal_alerts(signals, now, COOLDOWN, recent), sinks_configured)
    warehouse.insert_missing("alerts", alerts, ["alert_id"])
    return alerts


def alerts_table(warehouse):
    return warehouse.read_frame("SELECT * FROM alerts ORDER BY created_at, alert_id")


def tokens_in(messages):
    return sorted(
        token for message in messages for token in ("a", "b", "c") if f"Team {token}" in message["text"]
    )


def test_signals_post_one_message_per_token_per_cooldown(warehouse, stand_in):
    sinks = [SlackWebhookSink(stand_in.url(SLACK_WEBHOOK_PATH), retry=FAST_RETRY)]
    signals = signals_frame(("a", "2026-11-20T11:00", 0.05), ("b", "2026-11-20T11:00", 0.04))
    raise_signal_alerts(warehouse, signals, NOW)
    report = deliver_pending(warehouse, sinks, NOW)
    assert len(report.sent) == 2 and report.messages == 1 and not report.failed
    assert tokens_in(stand_in.bodies("/services/")) == ["a", "b"]

    # The next hour's signals, 30 minutes on: a and b are cooling down, c is new.
    later = NOW + timedelta(minutes=30)
    next_hour = signals_frame(
        ("a", "2026-11-20T12:00", 0.06), ("b", "2026-11-20T12:00", 0.05), ("c", "2026-11-20T12:00", 0.05)
    )
    raise_signal_alerts(warehouse, next_hour, later)
    deliver_pending(warehouse, sinks, later)
    # After the cooldown a and b may alert again; c was alerted 40 minutes ago.
    after = NOW + timedelta(minutes=70)
    raise_signal_alerts(warehouse, next_hour, after)
    deliver_pending(warehouse, sinks, after)

    assert [tokens_in([message]) for message in stand_in.bodies("/services/")] == [
        ["a", "b"],
        ["c"],
        ["a", "b"],
    ]
    table = alerts_table(warehouse)
    assert len(table) == 5 and set(table["delivery_status"]) == {"sent"} and set(table["attempts"]) == {1}
    assert pd.Timestamp(table["delivered_at"].iloc[-1]) == after


def test_a_failed_send_is_recorded_and_delivered_once_the_sink_recovers(warehouse, stand_in, caplog):
    caplog.set_level(logging.DEBUG)
    sinks = [
        SlackWebhookSink(stand_in.url(SLACK_WEBHOOK_PATH), retry=FAST_RETRY),
        GenericWebhookSink(stand_in.url(GENERIC_WEBHOOK_PATH), retry=FAST_RETRY),
    ]
    check = check_failure_alert("oddsapi_live_odds", "fresh_quotes", {"stale_rows": 12}, "run-7", NOW)
    warehouse.insert_missing(
        "alerts", with_initial_delivery_status(alerts_frame([check]), True), ["alert_id"]
    )

    stand_in.status = 500
    first = deliver_pending(warehouse, sinks, NOW)
    assert first.failed == (check["alert_id"],) and not first.sent
    row = alerts_table(warehouse).iloc[0]
    assert (row["delivery_status"], row["attempts"]) == ("failed", 1) and pd.isna(row["delivered_at"])

    stand_in.status = 200
    later = NOW + timedelta(minutes=1)
    second = deliver_pending(warehouse, sinks, later)
    assert second.sent == (check["alert_id"],)
    row = alerts_table(warehouse).iloc[0]
    assert (row["delivery_status"], row["attempts"]) == ("sent", 2) and pd.Timestamp(
        row["delivered_at"]
    ) == later
    assert deliver_pending(warehouse, sinks, later).messages == 0  # nothing left to send

    delivered = [request.body for request in stand_in.received][-2:]
    assert "fresh_quotes" in json.dumps(delivered[0]["blocks"])
    assert delivered[1]["alerts"][0]["subject"] == "oddsapi_live_odds / fresh_quotes"
    shown = caplog.text + "\n".join(first.errors)
    assert "HTTP 500" in shown
    assert not any(secret in shown for secret in SECRETS)


def test_a_sink_that_is_down_leaves_alerts_undelivered_until_attempts_run_out(sqlite_warehouse):
    sinks = [SlackWebhookSink(f"http://127.0.0.1:{free_port()}{SLACK_WEBHOOK_PATH}", retry=FAST_RETRY)]
    check = check_failure_alert("quotes", "schema", {"bad_rows": 1}, "run-1", NOW)
    sqlite_warehouse.insert_missing(
        "alerts", with_initial_delivery_status(alerts_frame([check]), True), ["alert_id"]
    )

    reports = [deliver_pending(sqlite_warehouse, sinks, NOW, max_attempts=2) for _ in range(3)]

    assert [len(report.failed) for report in reports] == [1, 1, 0]
    assert "connection error" in reports[0].errors[0] and SECRETS[0] not in reports[0].errors[0]
    row = alerts_table(sqlite_warehouse).iloc[0]
    assert (row["delivery_status"], row["attempts"]) == ("failed", 2)


def test_without_sinks_nothing_is_posted_and_the_table_holds_the_alerts_as_logged(
    sqlite_warehouse, stand_in, caplog
):
    caplog.set_level(logging.INFO)
    signals = signals_frame(("a", "2026-11-20T11:00", 0.05), ("b", "2026-11-20T11:00", 0.04))
    alerts = raise_signal_alerts(sqlite_warehouse, signals, NOW, sinks_configured=False)
    lines = alert_log_lines(alerts)

    report = deliver_pending(sqlite_warehouse, [], NOW)

    assert report.messages == 0 and not report.logged  # logged alerts are not pending
    assert stand_in.received == []
    table = alerts_table(sqlite_warehouse)
    assert len(table) == 2 and set(table["delivery_status"]) == {"logged"} and set(table["attempts"]) == {0}
    assert any("Team a" in line and "EV after costs: +5.0%" in line for line in lines)


def test_pending_alerts_left_when_sinks_are_removed_are_logged(sqlite_warehouse, caplog):
    caplog.set_level(logging.INFO)
    check = check_failure_alert("quotes", "schema", {"bad_rows": 1}, "run-1", NOW)
    sqlite_warehouse.insert_missing(
        "alerts", with_initial_delivery_status(alerts_frame([check]), True), ["alert_id"]
    )

    report = deliver_pending(sqlite_warehouse, [], NOW)

    assert report.logged == (check["alert_id"],)
    assert alerts_table(sqlite_warehouse)["delivery_status"].tolist() == ["logged"]
    assert "Check schema failed on quotes" in caplog.text
