"""`/api/stream` over the odds stream: a real NATS JetStream broker and a real server on loopback.

Quote changes published to the stream arrive as `quote` events, signals written to the warehouse as
`signal` events in the same stream, and a client that reconnects with Last-Event-ID gets exactly the
changes of each it missed. A broker that cannot be reached shows in /api/health and leaves the
stream serving signals.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from edge_assets.api.app import ApiConfig
from edge_assets.api.feed import Position
from edge_assets.storage.broker import start_local_broker, stop_local_broker
from edge_assets.storage.sql import SqlWarehouse
from edge_assets.storage.stream import QuoteChange, QuoteStream
from edge_assets_tests.api.conftest import LiveServer, free_port
from edge_assets_tests.api.test_stream import READ_TIMEOUT, _stream, _write_signal, events

POLL_SECONDS = 0.2
T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
PATIENCE_SECONDS = 20


def ask_change(step: int, token: str = "tok-lal") -> QuoteChange:
    return QuoteChange(
        venue="polymarket",
        market_id="pm-nba-1",
        token_id=token,
        outcome="Lakers",
        side="ask",
        price=round(0.40 + step * 0.01, 4),
        size=100.0 + step,
        source_ts=T0 + timedelta(seconds=step),
    )


def publish(broker_url: str, changes: list[QuoteChange]) -> None:
    async def send() -> None:
        async with await QuoteStream.connect(broker_url) as stream:
            assert await stream.publish_many(changes) == len(changes)

    # In a thread of its own: Playwright's sync API keeps an event loop running in the test's.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, send()).result()


def wait_for_stream(server: LiveServer) -> dict:
    """/api/health once the feed follows the broker (it connects in the background at start-up)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        health = httpx.get(f"{server.url}/api/health", timeout=READ_TIMEOUT).json()
        if health["stream"]["ok"]:
            return health
        time.sleep(0.1)
    pytest.fail(f"the feed did not reach the broker: {health['stream']}")


@pytest.fixture
def served(fresh_world, broker_url) -> Iterator[tuple[LiveServer, SqlWarehouse, str]]:
    url, writer_url, _ = fresh_world
    config = ApiConfig(database_url=url, stream_url=broker_url, poll_interval=POLL_SECONDS)
    with LiveServer(config) as server:
        wait_for_stream(server)
        yield server, SqlWarehouse(writer_url), broker_url


def test_a_published_quote_change_arrives_with_its_price(served):
    server, _, broker_url = served
    with _stream(server) as response:
        stream = events(response)
        assert next(stream)["event"] == "ready"
        publish(broker_url, [ask_change(1)])
        quote = next(stream)
    assert quote["event"] == "quote"
    assert quote["data"] == {
        "venue": "polymarket",
        "quote_ts": "2026-11-20T13:00:01Z",
        "market_id": "pm-nba-1",
        "market_key": "tok-lal",
        "rows": 1,
        "outcome": "Lakers",
        "side": "ask",
        "price": 0.41,
        "size": 101.0,
        "bookmaker": "polymarket",
    }


def test_resuming_replays_exactly_the_missed_quote_changes(served):
    server, _, broker_url = served
    publish(broker_url, [ask_change(0)])  # before the client: not for it
    with _stream(server) as response:
        stream = events(response)
        next(stream)
        publish(broker_url, [ask_change(1)])
        seen = next(stream)
    assert seen["data"]["price"] == 0.41
    missed = [ask_change(step) for step in range(2, 5)]
    publish(broker_url, missed)
    with _stream(server, last_event_id=seen["id"]) as response:
        stream = events(response)
        assert next(stream)["id"] == seen["id"]
        replayed = [next(stream) for _ in missed]
        publish(broker_url, [ask_change(5)])
        after = next(stream)
    assert [event["data"]["price"] for event in replayed] == [change.price for change in missed]
    assert after["data"]["price"] == ask_change(5).price
    # Each id resumes after its own change.
    with _stream(server, last_event_id=replayed[0]["id"]) as response:
        stream = events(response)
        next(stream)
        assert [next(stream)["data"]["price"] for _ in range(3)] == [0.43, 0.44, ask_change(5).price]


def test_signals_and_quotes_share_one_stream_and_both_resume(served):
    server, writer, broker_url = served
    with _stream(server) as response:
        stream = events(response)
        next(stream)
        _write_signal(writer, "sig-before")
        first = next(stream)
    assert (first["event"], first["data"]["signal_id"]) == ("signal", "sig-before")
    _write_signal(writer, "sig-while-away")
    publish(broker_url, [ask_change(7)])
    with _stream(server, last_event_id=first["id"]) as response:
        stream = events(response)
        next(stream)
        missed = [next(stream), next(stream)]
        publish(broker_url, [ask_change(8)])
        _write_signal(writer, "sig-after")
        later = [next(stream), next(stream)]
    assert sorted(_what(event) for event in missed) == [("quote", "0.47"), ("signal", "sig-while-away")]
    assert sorted(_what(event) for event in later) == [("quote", "0.48"), ("signal", "sig-after")]


def _what(event: dict) -> tuple[str, str]:
    data = event["data"]
    return event["event"], str(data["price"]) if event["event"] == "quote" else data["signal_id"]


def test_an_id_of_the_polling_feed_is_a_422(served):
    server, _, _ = served
    for bad in ["nonsense", Position().encode()]:  # the polling feed's ids hold other entries
        response = httpx.get(f"{server.url}/api/stream", headers={"Last-Event-ID": bad}, timeout=READ_TIMEOUT)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]


def test_an_unreachable_broker_shows_in_health_and_signals_still_stream(fresh_world):
    url, writer_url, _ = fresh_world
    nowhere = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    config = ApiConfig(database_url=url, stream_url=nowhere, poll_interval=POLL_SECONDS)
    with LiveServer(config) as server:
        response = httpx.get(f"{server.url}/api/health", timeout=READ_TIMEOUT)
        assert response.status_code == 200  # the database is fine
        health = response.json()
        assert (health["status"], health["stream"]["ok"]) == ("degraded", False)
        assert health["stream"]["detail"].startswith("down:")
        with _stream(server) as response:
            stream = events(response)
            assert next(stream)["event"] == "ready"
            _write_signal(SqlWarehouse(writer_url), "sig-without-broker")
            signal = next(stream)
        assert signal["data"]["signal_id"] == "sig-without-broker"


def wait_for_health(server: LiveServer, stream_ok: bool) -> dict:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        response = httpx.get(f"{server.url}/api/health", timeout=READ_TIMEOUT)
        if response.json()["stream"]["ok"] is stream_ok:
            return response
        time.sleep(0.1)
    pytest.fail(f"the stream never became {'up' if stream_ok else 'down'}: {response.json()['stream']}")


def test_a_broker_restart_shows_in_health_and_an_open_stream_goes_on(fresh_world, tmp_path):
    url, _, _ = fresh_world
    port = free_port()
    broker_url, broker = start_local_broker(tmp_path / "broker", port=port)
    try:
        publish(broker_url, [ask_change(0)])  # creates the stream
        config = ApiConfig(database_url=url, stream_url=broker_url, poll_interval=POLL_SECONDS)
        # A reader notices its consumer is lost after a quiet spell (FOLLOW_CHECK_SECONDS), then
        # follows again: the stream must outwait that.
        patient = httpx.Timeout(10.0, read=PATIENCE_SECONDS)
        with (
            LiveServer(config) as server,
            httpx.stream("GET", f"{server.url}/api/stream", timeout=patient) as response,
        ):
            wait_for_stream(server)
            stream = events(response)
            next(stream)
            stop_local_broker(broker)
            down = wait_for_health(server, stream_ok=False)
            assert down.status_code == 200 and down.json()["status"] == "degraded"
            broker_url, broker = start_local_broker(tmp_path / "broker", port=port)
            wait_for_health(server, stream_ok=True)
            publish(broker_url, [ask_change(1)])
            quote = next(stream)
        assert (quote["event"], quote["data"]["price"]) == ("quote", 0.41)
    finally:
        stop_local_broker(broker)
