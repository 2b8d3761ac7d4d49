"""Sinks against the stand-in server: message shapes, retries, Retry-After, and no secret in sight."""

import json
import logging
from datetime import timedelta

import pytest
from dagster_slack import SlackResource

from edge_assets.notify import GenericWebhookSink, RetryPolicy, SinkError, SlackBotSink, SlackWebhookSink
from edge_assets.notify.alerts import alerts_frame, check_failure_alert, signal_alerts
from edge_assets_tests.fixtures.postgres import free_port
from edge_assets_tests.notify.conftest import (
    FAST_RETRY,
    GENERIC_WEBHOOK_PATH,
    NOW,
    SECRETS,
    SLACK_WEBHOOK_PATH,
    signals_frame,
)

UI = "http://dagster.local:3000"
SLACK_TOKEN = "xoxb-0000-s3cr3tB0tT0ken"


def signal_records():
    signals = signals_frame(("a", "2026-11-20T11:00", 0.05), ("b", "2026-11-20T11:00", 0.04))
    return signal_alerts(signals, NOW, timedelta(hours=1), alerts_frame([])).to_dict("records")


def check_record():
    row = check_failure_alert(
        "oddsapi_live_odds", "fresh_quotes", {"stale_rows": 12}, "2026-03-01-10:00", NOW
    )
    return alerts_frame([row]).to_dict("records")


def test_slack_webhook_posts_one_readable_message_for_a_batch_of_signals(stand_in):
    SlackWebhookSink(stand_in.url(SLACK_WEBHOOK_PATH), dagster_ui_url=UI, retry=FAST_RETRY).send(
        signal_records()
    )
    [body] = stand_in.bodies("/services/")
    assert body["text"].startswith("2 new +EV signal(s)")
    rendered = json.dumps(body["blocks"])
    for expected in (
        "Team a",
        "Team b",
        "EV +5.0%",
        "fair 46.0%",
        "0.400 ask, 0.405 VWAP for the stake + 0.010 fee",
        "stake 100.00 USDC",
        "model rule only (multiplicative de-vig)",
    ):
        assert expected in rendered
    assert f"{UI}/assets/signals?view=partitions&partition=2026-11-20-11%3A00" in rendered


def test_generic_webhook_posts_alerts_as_json_with_their_link(stand_in):
    GenericWebhookSink(stand_in.url(GENERIC_WEBHOOK_PATH), dagster_ui_url=UI, retry=FAST_RETRY).send(
        check_record()
    )
    [body] = stand_in.bodies("/hooks/")
    [alert] = body["alerts"]
    assert alert["kind"] == "check_failure"
    assert alert["fields"]["Check"] == "fresh_quotes" and alert["fields"]["What failed"] == "stale_rows: 12"
    assert alert["link"] == f"{UI}/assets/oddsapi_live_odds?view=checks"
    assert alert["payload"]["asset_key"] == "oddsapi_live_odds"


def test_slack_bot_posts_to_its_channel_through_slack_resource(stand_in):
    sink = SlackBotSink(
        SlackResource(token=SLACK_TOKEN), "#edge-alerts", api_url=stand_in.url("/api/"), retry=FAST_RETRY
    )
    sink.send(check_record())
    [request] = [r for r in stand_in.received if r.path == "/api/chat.postMessage"]
    assert request.headers["Authorization"] == f"Bearer {SLACK_TOKEN}"
    assert request.body["channel"] == "#edge-alerts"
    assert "Check fresh_quotes failed on oddsapi_live_odds" in json.dumps(request.body["blocks"])


def test_server_errors_are_retried_with_backoff(stand_in):
    stand_in.script = [500]
    waits = []
    sink = SlackWebhookSink(stand_in.url(SLACK_WEBHOOK_PATH), retry=FAST_RETRY, sleep=waits.append)
    sink.send(check_record())
    assert len(stand_in.received) == 2 and len(waits) == 1 and 0 <= waits[0] <= FAST_RETRY.backoff_base_s


def test_429_waits_as_long_as_retry_after_says(stand_in):
    stand_in.script, stand_in.retry_after = [429], "2"
    waits = []
    SlackWebhookSink(stand_in.url(SLACK_WEBHOOK_PATH), retry=FAST_RETRY, sleep=waits.append).send(
        check_record()
    )
    assert waits == [2.0]


def test_a_rejection_is_not_retried(stand_in):
    stand_in.status = 404
    sink = SlackWebhookSink(
        stand_in.url(SLACK_WEBHOOK_PATH), retry=RetryPolicy(max_attempts=3, backoff_base_s=0.01)
    )
    with pytest.raises(SinkError, match="HTTP 404") as raised:
        sink.send(check_record())
    assert len(stand_in.received) == 1 and raised.value.status == 404


def test_slack_api_errors_fail_without_showing_the_token(stand_in, caplog):
    caplog.set_level(logging.DEBUG)
    stand_in.status = 500
    sink = SlackBotSink(
        SlackResource(token=SLACK_TOKEN), "alerts", api_url=stand_in.url("/api/"), retry=FAST_RETRY
    )
    with pytest.raises(SinkError, match="Slack API 500") as raised:
        sink.send(check_record())
    assert len(stand_in.received) == 2
    assert "s3cr3tB0tT0ken" not in str(raised.value) + caplog.text


@pytest.mark.parametrize(
    "sink_class, path", [(SlackWebhookSink, SLACK_WEBHOOK_PATH), (GenericWebhookSink, GENERIC_WEBHOOK_PATH)]
)
def test_webhook_urls_never_reach_logs_or_exceptions(stand_in, caplog, sink_class, path):
    caplog.set_level(logging.DEBUG)
    stand_in.status = 500
    failing = sink_class(stand_in.url(path), retry=FAST_RETRY)
    down = sink_class(f"http://127.0.0.1:{free_port()}{path}", retry=FAST_RETRY)
    errors = []
    for sink in (failing, down):
        with pytest.raises(SinkError) as raised:
            sink.send(check_record())
        assert raised.value.__cause__ is None and raised.value.__context__ is None
        errors.append(str(raised.value))
    assert "HTTP 500" in errors[0] and "connection error" in errors[1]
    shown = "\n".join(errors) + caplog.text + repr(failing) + repr(down)
    assert "POST" in caplog.text  # urllib3 logged its request lines, redacted
    for secret in SECRETS:
        assert secret not in shown
