"""`/api/stream` over a real server on loopback: rows written to the warehouse arrive as events, and a
client that reconnects with Last-Event-ID gets what it missed and nothing twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest

from edge_assets.api.app import ApiConfig
from edge_assets.signals.comparator import SIGNAL_COLUMNS
from edge_assets.storage.sql import SqlWarehouse
from edge_assets_tests.api.conftest import LiveServer
from edge_assets_tests.api.seed import signal_row

POLL_SECONDS = 0.2
# An event must arrive well within this, or the read fails the test.
READ_TIMEOUT = httpx.Timeout(10.0, read=5.0)


@pytest.fixture
def served(fresh_world) -> Iterator[tuple[LiveServer, SqlWarehouse]]:
    url, writer_url, _ = fresh_world
    with LiveServer(ApiConfig(database_url=url, poll_interval=POLL_SECONDS)) as server:
        yield server, SqlWarehouse(writer_url)


def events(response: httpx.Response) -> Iterator[dict]:
    """The server-sent events of a streaming response, as {event, id, data}; comments skipped."""
    event: dict = {}
    for line in response.iter_lines():
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = json.loads(value.strip()) if name == "data" else value.strip()


def _stream(server: LiveServer, last_event_id: str | None = None):
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    return httpx.stream("GET", f"{server.url}/api/stream", headers=headers, timeout=READ_TIMEOUT)


def _write_signal(writer: SqlWarehouse, signal_id: str) -> None:
    now = datetime.now(UTC)
    row = signal_row(signal_id, now, now, now.replace(minute=0, second=0, microsecond=0), 0.08)
    writer.upsert("signals", pd.DataFrame([row])[SIGNAL_COLUMNS], ["signal_id"])


def test_a_new_signal_and_new_quotes_arrive_as_events(served):
    server, writer = served
    with _stream(server) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        ready = next(stream)
        assert (ready["event"], ready["data"]) == ("ready", {})
        _write_signal(writer, "sig-streamed")
        signal = next(stream)
        assert (signal["event"], signal["data"]["signal_id"], signal["data"]["status"]) == (
            "signal",
            "sig-streamed",
            "open",
        )
        _write_next_hour_of_quotes(writer)
        quote = next(stream)
        assert (quote["event"], quote["data"]["venue"], quote["data"]["rows"]) == ("quote", "polymarket", 1)


def _write_next_hour_of_quotes(writer: SqlWarehouse) -> None:
    hour = writer.read_frame("SELECT MAX(quote_ts) AS quote_ts FROM quotes")["quote_ts"].iloc[0]
    row = {
        "quote_ts": hour + timedelta(hours=1),
        "venue": "polymarket",
        "bookmaker": "polymarket",
        "market_key": "tok-lal",
        "outcome": "Lakers",
        "side": "ask",
        "decimal_odds": 2.0,
        "implied_prob": 0.5,
        "size": 10.0,
    }
    writer.upsert(
        "quotes", pd.DataFrame([row]), ["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"]
    )


def test_a_predictit_change_arrives_with_its_contract(served):
    server, writer = served
    newest = writer.read_frame("SELECT * FROM predictit_market_data ORDER BY timestamp DESC LIMIT 1")
    changed = newest.assign(timestamp=datetime.now(UTC), fetched_at=datetime.now(UTC), best_buy_yes_cost=0.61)
    with _stream(server) as response:
        stream = events(response)
        next(stream)
        writer.upsert("predictit_market_data", changed, ["data_id", "timestamp"])
        quote = next(stream)
    assert quote["event"] == "quote"
    assert (quote["data"]["venue"], quote["data"]["market_key"]) == ("predictit", newest["data_id"].iloc[0])


def test_a_reconnecting_client_gets_what_it_missed_and_nothing_twice(served):
    server, writer = served
    with _stream(server) as response:
        stream = events(response)
        next(stream)
        _write_signal(writer, "sig-first")
        first = next(stream)
    assert first["data"]["signal_id"] == "sig-first"
    _write_signal(writer, "sig-while-away")
    with _stream(server, last_event_id=first["id"]) as response:
        stream = events(response)
        ready = next(stream)
        assert ready["id"] == first["id"]
        missed = next(stream)
    assert missed["data"]["signal_id"] == "sig-while-away"


def test_a_live_signal_closing_arrives_as_a_closed_signal(served):
    server, writer = served
    live = writer.read_frame("SELECT * FROM live_signals WHERE closed_at IS NULL")
    if live.empty:
        pytest.skip("no live_signals table in this schema yet")
    with _stream(server) as response:
        stream = events(response)
        next(stream)
        # Closed as of its last sighting, an instant older than rows the feed has read already: the
        # row's write time (updated_at) is what makes it a change.
        closed = live.assign(closed_at=live["last_seen_at"], updated_at=datetime.now(UTC))
        writer.upsert("live_signals", closed, ["signal_id"])
        change = next(stream)
    assert (change["data"]["signal_id"], change["data"]["status"]) == (live["signal_id"].iloc[0], "closed")


def test_a_last_event_id_the_stream_never_gave_is_a_422(served):
    server, _ = served
    for bad in ["nonsense", "eyJiYXRjaCI6MX0"]:
        response = httpx.get(f"{server.url}/api/stream", headers={"Last-Event-ID": bad}, timeout=READ_TIMEOUT)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]
