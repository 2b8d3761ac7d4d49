"""Raising alerts through the alerting resource and delivering them with deliver_pending, against
the warehouse (SQLite and PostgreSQL) and the stand-in server."""

import json
import logging
from datetime import timedelta

import pandas as pd
import pytest

from edge_assets.notify import (
    GenericWebhookSink,
    SlackWebhookSink,
    deliver_pending,
    recent_signal_alerts,
)
from edge_assets.notify import resource as alerting_module
from edge_assets.notify.alerts import alerts_frame, check_failure_alert, signal_alerts
from edge_assets.notify.resource import AlertingResource
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
# Alerting with a sink configured; raising never posts, so its URL is never called.
WITH_A_SINK = AlertingResource(slack_webhook_url="http://127.0.0.1:9/services/T0/B0/unused")


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path):
    if request.param == "sqlite":
        return Warehouse(url=f"sqlite:///{tmp_path}/edge.db")
    return Warehouse(url=request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_warehouse(tmp_path):
    return Warehouse(url=f"sqlite:///{tmp_path}/edge.db")


def raise_signal_alerts(warehouse, signals, now, alerting=WITH_A_SINK):
    """What the signals sensor does: alert the tokens out of cooldown, raised through the resource."""
    alerts = signal_alerts(signals, now, COOLDOWN, recent_signal_alerts(warehouse, now - COOLDOWN))
    alerting.raise_alerts(warehouse, alerts)
    return alerts


def resource_log_lines(caplog) -> list[str]:
    """What the alerting resource's logger wrote (caplog must capture it), each a warning."""
    records = [record for record in caplog.records if record.name == alerting_module.logger.name]
    assert all(record.levelno == logging.WARNING for record in records), records
    return [record.getMessage() for record in records]


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
    check = check_failure_alert(
        "oddsapi_live_odds", "fresh_quotes", {"stale_rows": 12}, "2026-03-01-10:00", NOW
    )
    assert WITH_A_SINK.raise_alerts(warehouse, alerts_frame([check])) == 1

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
    check = check_failure_alert("quotes", "schema", {"bad_rows": 1}, "2026-03-01-10:00", NOW)
    WITH_A_SINK.raise_alerts(sqlite_warehouse, alerts_frame([check]))

    reports = [deliver_pending(sqlite_warehouse, sinks, NOW, max_attempts=2) for _ in range(3)]

    assert [len(report.failed) for report in reports] == [1, 1, 0]
    assert "connection error" in reports[0].errors[0] and SECRETS[0] not in reports[0].errors[0]
    row = alerts_table(sqlite_warehouse).iloc[0]
    assert (row["delivery_status"], row["attempts"]) == ("failed", 2)


def test_raising_with_a_sink_stores_pending_alerts_once_and_logs_nothing(sqlite_warehouse, caplog):
    caplog.set_level(logging.WARNING, logger=alerting_module.logger.name)
    signals = signals_frame(("a", "2026-11-20T11:00", 0.05), ("b", "2026-11-20T11:00", 0.04))
    alerts = signal_alerts(signals, NOW, COOLDOWN, alerts_frame([]))

    assert WITH_A_SINK.raise_alerts(sqlite_warehouse, alerts) == 2
    assert WITH_A_SINK.raise_alerts(sqlite_warehouse, alerts) == 0  # the same alerts are stored once
    assert WITH_A_SINK.raise_alerts(sqlite_warehouse, alerts_frame([])) == 0

    table = alerts_table(sqlite_warehouse)
    assert sorted(table["alert_id"]) == sorted(alerts["alert_id"])
    assert set(table["delivery_status"]) == {"pending"} and set(table["attempts"]) == {0}
    assert resource_log_lines(caplog) == []  # a sink will deliver them: nothing to log now


def test_without_sinks_raised_alerts_are_logged_once_and_kept_as_logged(sqlite_warehouse, caplog):
    caplog.set_level(logging.WARNING, logger=alerting_module.logger.name)
    alerting = AlertingResource(dagster_ui_url="http://dagster.example:3000")
    signals = signals_frame(("a", "2026-11-20T11:00", 0.05), ("b", "2026-11-20T11:00", 0.04))

    raise_signal_alerts(sqlite_warehouse, signals, NOW, alerting)
    raise_signal_alerts(sqlite_warehouse, signals, NOW, alerting)  # stored already: not logged again
    report = deliver_pending(sqlite_warehouse, alerting.sinks(), NOW)

    lines = resource_log_lines(caplog)
    assert len(lines) == 2, lines
    line_a = next(line for line in lines if "Team a" in line)
    assert line_a.startswith("[info] market market-a: Team a")
    for part in (
        "EV after costs: +5.0%",
        "Fair probability: 46.0%",
        "0.400 ask, 0.405 VWAP for the stake + 0.010 fee",
        "Stake: 100.00 USDC",
        "As of: 2026-11-20T11:00:00+00:00",
        "http://dagster.example:3000/assets/signals?view=partitions&partition=2026-11-20-11%3A00",
    ):
        assert part in line_a, (part, line_a)
    assert "EV after costs: +4.0%" in next(line for line in lines if "Team b" in line)

    assert report.messages == 0 and not report.logged  # logged alerts are not pending
    table = alerts_table(sqlite_warehouse)
    assert len(table) == 2 and set(table["delivery_status"]) == {"logged"} and set(table["attempts"]) == {0}


def test_pending_alerts_left_when_sinks_are_removed_are_logged(sqlite_warehouse, caplog):
    caplog.set_level(logging.INFO)
    check = check_failure_alert("quotes", "schema", {"bad_rows": 1}, "2026-03-01-10:00", NOW)
    WITH_A_SINK.raise_alerts(sqlite_warehouse, alerts_frame([check]))

    report = deliver_pending(sqlite_warehouse, [], NOW)

    assert report.logged == (check["alert_id"],)
    assert alerts_table(sqlite_warehouse)["delivery_status"].tolist() == ["logged"]
    assert "Check schema failed on quotes" in caplog.text
