"""The odds stream on a real NATS JetStream server: per-market subjects, bounded retention, durable
consumers that resume after their last ack (also after a SIGKILL), dedup by change id, and the
warehouse writer on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

import nats
import pandas as pd
import pytest

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.storage.stream import (
    ALL_SUBJECTS,
    MSG_ID_HEADER,
    QuoteChange,
    QuoteStream,
    StreamError,
    StreamSettings,
    market_subject,
    predictit_quote_changes,
    subject_token,
    venue_subjects,
)
from edge_assets.storage.stream_writer import WarehouseWriter, rows_that_change
from edge_assets_tests.fixtures.paths import REPO_ROOT
from edge_assets_tests.fixtures.postgres import free_port

T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
# A consumer that is to show nothing more is due stops once no message came for this long.
IDLE_SECONDS = 0.8
PATIENCE_SECONDS = 20
STREAM = StreamSettings().name


def polymarket_change(market: str = "512345", step: int = 0) -> QuoteChange:
    return QuoteChange(
        venue="polymarket",
        market_id=market,
        token_id=f"token-{market}",
        outcome="Yes",
        side="ask",
        price=round(0.40 + step * 0.001, 4),
        size=100.0 + step,
        source_ts=T0 + timedelta(seconds=step),
    )


def sportsbook_change(event: str = "ev1", step: int = 0) -> QuoteChange:
    return QuoteChange(
        venue="sportsbook",
        market_id=event,
        event_id=event,
        bookmaker="pinnacle",
        outcome="Kansas City Chiefs",
        side="back",
        price=round(1.80 + step * 0.01, 3),
        source_ts=T0 + timedelta(seconds=step),
    )


def predictit_row(data_id: str, minutes: int, buy_yes: float | None, status: str = "Open") -> dict:
    return {
        "data_id": data_id,
        "timestamp": pd.Timestamp(T0 + timedelta(minutes=minutes)),
        "market_id": "7001",
        "market_name": "Who will win?",
        "contract_name": f"Contract {data_id}",
        "status": status,
        "date_end_ts": pd.NaT,
        "last_trade_price": 0.5,
        "best_buy_yes_cost": buy_yes,
        "best_buy_no_cost": 0.52,
        "best_sell_yes_cost": None if buy_yes is None else buy_yes - 0.02,
        "best_sell_no_cost": float("nan"),
        "last_close_price": 0.49,
        "fetched_at": pd.Timestamp(T0 + timedelta(minutes=minutes, seconds=5)),
    }


async def publish(url: str, changes: list[QuoteChange], settings: StreamSettings | None = None) -> int:
    async with await QuoteStream.connect(url, settings) as stream:
        return await stream.publish_many(changes)


async def collect(
    url: str,
    durable: str,
    *,
    until: int | Callable[[list[QuoteChange]], bool] | None = None,
    subjects: tuple[str, ...] = (ALL_SUBJECTS,),
    batch: int = 100,
    also: Callable[[list[QuoteChange]], Awaitable[None]] | None = None,
) -> list[QuoteChange]:
    """What one run of a durable consumer is handed: until it has `until` changes (or `until` holds
    of them), else until it was idle for IDLE_SECONDS, which only shows that nothing more is due.

    With `until`, idleness ends the run only after PATIENCE_SECONDS, so a busy machine's slow
    fetch cannot cut a run short and fail a test.
    """
    seen: list[QuoteChange] = []
    stop = asyncio.Event()
    done = (lambda changes: len(changes) >= until) if isinstance(until, int) else until

    async def handler(changes: list[QuoteChange]) -> None:
        if also is not None:
            await also(changes)
        seen.extend(changes)
        if done is not None and done(seen):
            stop.set()

    idle = IDLE_SECONDS if until is None else PATIENCE_SECONDS
    async with await QuoteStream.connect(url) as stream:
        await stream.consume(durable, handler, subjects=subjects, batch=batch, idle_timeout=idle, stop=stop)
    return seen


async def subject_counts(url: str) -> dict[str, int]:
    client = await nats.connect(url)
    try:
        info = await client.jetstream().stream_info(STREAM, subjects_filter=ALL_SUBJECTS)
        return dict(info.state.subjects or {})
    finally:
        await client.close()


def ids(changes: list[QuoteChange]) -> list[str]:
    return [change.change_id for change in changes]


def test_subject_tokens_are_safe_and_one_to_one():
    assert subject_token("512345") == "512345"
    assert subject_token("a.b") == "a~2Eb"
    assert subject_token("a~2Eb") == "a~7E2Eb"
    assert subject_token("x*y >z") == "x~2Ay~20~3Ez"
    assert subject_token("é") == "~C3~A9"
    with pytest.raises(ValueError):
        subject_token("")


def test_each_market_has_its_own_subject(broker_url):
    odd_id = "0xab.cd*>"
    changes = [
        polymarket_change("512345", 0),
        polymarket_change("512345", 1),
        polymarket_change(odd_id, 0),
        sportsbook_change("ev1"),
        *predictit_quote_changes(predictit_row("31", 0, 0.51)),
    ]
    assert asyncio.run(publish(broker_url, changes)) == len(changes)

    assert asyncio.run(subject_counts(broker_url)) == {
        "odds.polymarket.512345": 2,
        "odds.polymarket.0xab~2Ecd~2A~3E": 1,
        "odds.sportsbook.ev1": 1,
        "odds.predictit.7001": 4,
    }
    one_market = asyncio.run(
        collect(broker_url, "one_market", until=2, subjects=(market_subject("polymarket", "512345"),))
    )
    assert ids(one_market) == ids(changes[:2])
    two_venues = asyncio.run(
        collect(
            broker_url, "books", until=5, subjects=(venue_subjects("sportsbook"), venue_subjects("predictit"))
        )
    )
    assert ids(two_venues) == ids(changes[3:])


def test_messages_are_json_with_a_stable_schema_and_the_change_id_as_message_id(broker_url):
    change = sportsbook_change("ev1", 3)
    before = datetime.now(UTC)
    asyncio.run(publish(broker_url, [change]))

    async def last_message():
        client = await nats.connect(broker_url)
        try:
            return await client.jetstream().get_last_msg(STREAM, change.subject)
        finally:
            await client.close()

    stored = asyncio.run(last_message())
    body = json.loads(stored.data)
    assert body == {
        "schema": 1,
        "change_id": change.change_id,
        "venue": "sportsbook",
        "market_id": "ev1",
        "token_id": None,
        "outcome": "Kansas City Chiefs",
        "side": "back",
        "price": 1.83,
        "size": None,
        "bookmaker": "pinnacle",
        "event_id": "ev1",
        "source_ts": "2026-11-20T13:00:03.000000+00:00",
        "published_at": body["published_at"],
        "details": {},
    }
    assert before <= datetime.fromisoformat(body["published_at"]) <= datetime.now(UTC)
    assert stored.headers[MSG_ID_HEADER] == change.change_id
    decoded = QuoteChange.decode(stored.data)
    assert decoded.change_id == change.change_id
    assert decoded.source_ts == change.source_ts and decoded.price == change.price


def test_retention_keeps_each_subjects_newest_messages(broker_url):
    settings = StreamSettings(max_msgs_per_subject=3)
    busy = [polymarket_change("busy", step) for step in range(5)]
    quiet = [polymarket_change("quiet", step) for step in range(2)]
    asyncio.run(publish(broker_url, busy + quiet, settings))

    assert asyncio.run(subject_counts(broker_url)) == {"odds.polymarket.busy": 3, "odds.polymarket.quiet": 2}
    assert ids(asyncio.run(collect(broker_url, "late_reader", until=5))) == ids(busy[2:] + quiet)


def test_retention_drops_messages_older_than_max_age(broker_url):
    settings = StreamSettings(max_age=timedelta(seconds=1), duplicate_window=timedelta(seconds=1))
    asyncio.run(publish(broker_url, [polymarket_change(step=step) for step in range(3)], settings))
    assert sum(asyncio.run(subject_counts(broker_url)).values()) == 3
    deadline = time.monotonic() + 15
    while asyncio.run(subject_counts(broker_url)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert asyncio.run(subject_counts(broker_url)) == {}


def test_connecting_again_keeps_the_stream_and_applies_new_bounds(broker_url):
    asyncio.run(publish(broker_url, [polymarket_change(step=step) for step in range(4)]))
    asyncio.run(publish(broker_url, [], StreamSettings(max_msgs_per_subject=2)))

    async def stream_config():
        client = await nats.connect(broker_url)
        try:
            return (await client.jetstream().stream_info(STREAM)).config
        finally:
            await client.close()

    assert asyncio.run(stream_config()).max_msgs_per_subject == 2
    assert asyncio.run(subject_counts(broker_url)) == {"odds.polymarket.512345": 2}


def test_two_durable_consumers_each_see_every_message(broker_url):
    changes = [polymarket_change(str(step % 4), step) for step in range(20)]
    asyncio.run(publish(broker_url, changes))

    assert ids(asyncio.run(collect(broker_url, "comparator", until=20, batch=7))) == ids(changes)
    assert ids(asyncio.run(collect(broker_url, "web_page", until=20, batch=3))) == ids(changes)
    # Each has its own position: both are at the end now, and a new change reaches both.
    later = polymarket_change("0", 99)
    asyncio.run(publish(broker_url, [later]))
    assert ids(asyncio.run(collect(broker_url, "comparator", until=1))) == [later.change_id]
    assert ids(asyncio.run(collect(broker_url, "web_page", until=1))) == [later.change_id]


def test_a_restarted_consumer_resumes_after_its_last_ack(broker_url):
    changes = [polymarket_change(str(step % 5), step) for step in range(100)]
    asyncio.run(publish(broker_url, changes))

    first = asyncio.run(collect(broker_url, "writer", until=30, batch=10))
    second = asyncio.run(collect(broker_url, "writer", until=70, batch=10))

    assert len(first) == 30
    assert ids(first) + ids(second) == ids(changes)
    assert asyncio.run(collect(broker_url, "writer")) == []


def test_a_handler_failure_leaves_the_batch_for_redelivery(broker_url):
    changes = [sportsbook_change("ev1", step) for step in range(10)]
    asyncio.run(publish(broker_url, changes))
    attempts: list[list[str]] = []

    async def failing(changes: list[QuoteChange]) -> None:
        attempts.append(ids(changes))
        raise RuntimeError("database down")

    async def consume_once() -> None:
        async with await QuoteStream.connect(broker_url) as stream:
            await stream.consume("writer", failing, batch=4)

    with pytest.raises(RuntimeError, match="database down"):
        asyncio.run(consume_once())
    assert attempts == [ids(changes[:4])]
    assert ids(asyncio.run(collect(broker_url, "writer", until=10, batch=4))) == ids(changes)


def test_a_killed_consumer_resumes_without_loss_or_repeating_what_it_acked(broker_url, tmp_path):
    changes = [polymarket_change(str(step % 7), step) for step in range(200)]
    asyncio.run(publish(broker_url, changes))
    database_url = f"sqlite:///{tmp_path / 'edge.db'}"
    batches_log = tmp_path / "batches.jsonl"
    consumer = subprocess.Popen(
        [sys.executable, "-m", "edge_assets_tests.storage.stream_consumer_process"]
        + [broker_url, "writer", database_url, str(batches_log)],
        cwd=REPO_ROOT,
    )
    try:
        wait_for_lines(batches_log, 5, consumer)
    finally:
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(timeout=30)
    handled = [json.loads(line) for line in batches_log.read_text().splitlines()]
    # The consumer acks a batch before it fetches the next, so every batch before the last one it
    # handled was acked; the last may or may not have been when it died.
    acked = set(chain(*handled[:-1]))
    assert 0 < len(acked) < len(changes)

    writer = WarehouseWriter(SqlWarehouse(url=database_url))
    missing = set(ids(changes)) - set(chain(*handled))
    resumed = ids(
        asyncio.run(
            collect(broker_url, "writer", until=lambda seen: missing <= set(ids(seen)), batch=10, also=writer)
        )
    )
    assert asyncio.run(collect(broker_url, "writer")) == []

    assert not acked & set(resumed)
    assert resumed == ids(changes)[len(ids(changes)) - len(resumed) :]
    assert set(chain(*handled)) | set(resumed) == set(ids(changes))
    stored = SqlWarehouse(url=database_url).read_table("quote_changes")
    assert sorted(stored["change_id"]) == sorted(ids(changes))


def wait_for_lines(path: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the consumer exited early with {process.returncode}"
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.02)
    pytest.fail(f"the consumer did not handle {count} batches within {timeout}s")


def test_republishing_a_change_stores_it_once(broker_url):
    change = polymarket_change(step=1)
    rebuilt = polymarket_change(step=1)
    moved = polymarket_change(step=2)

    async def publish_each() -> list[bool]:
        async with await QuoteStream.connect(broker_url) as stream:
            return [await stream.publish(item) for item in (change, change, rebuilt, moved)]

    assert rebuilt.change_id == change.change_id != moved.change_id
    assert asyncio.run(publish_each()) == [True, False, False, True]
    assert asyncio.run(subject_counts(broker_url)) == {"odds.polymarket.512345": 2}
    assert ids(asyncio.run(collect(broker_url, "reader", until=2))) == [change.change_id, moved.change_id]


def test_an_unreadable_message_is_set_aside_and_the_consumer_goes_on(broker_url, caplog):
    good = polymarket_change(step=1)
    asyncio.run(publish(broker_url, []))

    async def publish_garbage() -> None:
        client = await nats.connect(broker_url)
        try:
            await client.jetstream().publish("odds.polymarket.512345", b"not json")
            await client.jetstream().publish("odds.polymarket.512345", b'{"schema": 99}')
        finally:
            await client.close()

    asyncio.run(publish_garbage())
    asyncio.run(publish(broker_url, [good]))
    with caplog.at_level(logging.ERROR, logger="edge_assets.storage.stream"):
        assert ids(asyncio.run(collect(broker_url, "reader", until=1))) == [good.change_id]
    assert [record.getMessage() for record in caplog.records].count("stream_message_unreadable") == 2
    assert asyncio.run(collect(broker_url, "reader")) == []


def test_the_broker_urls_credentials_stay_out_of_errors_and_logs(caplog):
    # A port that was free a moment ago: the connection is refused until the deadline.
    url = f"nats://edge:hunter2secret@127.0.0.1:{free_port()}"
    with caplog.at_level(logging.DEBUG), pytest.raises(StreamError) as raised:
        asyncio.run(QuoteStream.connect(url, connect_timeout=2))
    shown = "".join(traceback.format_exception(raised.value))
    assert "nats://***:***@127.0.0.1" in shown
    assert "hunter2secret" not in shown and "edge:" not in shown
    assert "hunter2secret" not in caplog.text


@pytest.mark.parametrize(
    "field, value",
    [("venue", "kalshi"), ("side", "lay"), ("price", float("nan")), ("price", -0.1), ("market_id", "")],
)
def test_a_quote_change_outside_the_schema_is_refused(field, value):
    values = {"venue": "polymarket", "market_id": "m", "outcome": "Yes", "side": "ask", "price": 0.4}
    with pytest.raises(ValueError):
        QuoteChange(**{**values, field: value}, source_ts=T0)


def test_a_quote_change_needs_an_aware_timestamp_and_a_sportsbook_its_bookmaker():
    with pytest.raises(ValueError, match="timezone-aware"):
        QuoteChange(
            venue="polymarket",
            market_id="m",
            outcome="Yes",
            side="ask",
            price=0.4,
            source_ts=T0.replace(tzinfo=None),
        )
    with pytest.raises(ValueError, match="bookmaker"):
        QuoteChange(venue="sportsbook", market_id="e", outcome="Team", side="back", price=1.9, source_ts=T0)


def test_the_writer_keeps_predictits_key_and_stores_an_unchanged_quote_once(broker_url, database_url):
    warehouse = SqlWarehouse(url=database_url)
    # The poller stored contract 33 before; the stream then brings the same quote again.
    stored_before = pd.DataFrame([predictit_row("33", -10, 0.30)])
    warehouse.insert_missing("predictit_market_data", stored_before, ["data_id", "timestamp"])
    rows = [
        predictit_row("31", 0, 0.51),
        predictit_row("31", 1, 0.51),  # unchanged: not stored again
        predictit_row("31", 2, 0.55),
        predictit_row("31", 3, None),  # the Yes offer went away: a change
        predictit_row("31", 4, None),  # still no offer: unchanged
        predictit_row("32", 0, 0.20),
        predictit_row("32", 1, 0.20, status="Closed"),  # status is part of the quote
        predictit_row("33", 0, 0.30),  # unchanged against the stored row
    ]
    changes = list(chain(*(predictit_quote_changes(row) for row in rows)))
    asyncio.run(publish(broker_url, changes))
    writer = WarehouseWriter(warehouse)

    delivered = asyncio.run(collect(broker_url, "db_writer", until=len(changes), batch=9, also=writer))
    assert len(delivered) == len(changes)

    table = warehouse.read_table("predictit_market_data").sort_values(["data_id", "timestamp"])
    minutes = ((table["timestamp"] - pd.Timestamp(T0)) / pd.Timedelta(minutes=1)).astype(int)
    assert list(zip(table["data_id"], minutes, strict=True)) == [
        ("31", 0), ("31", 2), ("31", 3), ("32", 0), ("32", 1), ("33", -10),
    ]  # fmt: skip
    row = table.iloc[0]
    assert (row["market_name"], row["contract_name"], row["best_buy_yes_cost"]) == (
        "Who will win?",
        "Contract 31",
        0.51,
    )
    assert pd.isna(row["best_sell_no_cost"]) and pd.isna(row["date_end_ts"])
    assert row["fetched_at"] == pd.Timestamp(T0 + timedelta(seconds=5))
    # A redelivery of everything adds nothing.
    assert writer.write(delivered) == 0


def test_the_writer_stores_polymarket_and_sportsbook_changes_once(broker_url, database_url):
    changes = [polymarket_change("512345", step) for step in range(3)] + [sportsbook_change("ev1", 0)]
    asyncio.run(publish(broker_url, changes))
    warehouse = SqlWarehouse(url=database_url)
    writer = WarehouseWriter(warehouse)

    delivered = asyncio.run(collect(broker_url, "db_writer", until=len(changes), also=writer))

    table = warehouse.read_table("quote_changes").sort_values(["venue", "source_ts"])
    assert list(table["change_id"]) == ids(changes)
    book = table[table["venue"] == "sportsbook"].iloc[0]
    assert (book["bookmaker"], book["event_id"], book["price"], book["outcome"]) == (
        "pinnacle", "ev1", 1.80, "Kansas City Chiefs",
    )  # fmt: skip
    assert pd.isna(book["size"]) and pd.isna(book["token_id"])
    assert table["published_at"].notna().all()
    # A redelivery adds nothing.
    assert writer.write(delivered) == 0


def test_rows_that_change_compare_with_the_row_just_before_stored_or_new():
    def frame(rows):
        return pd.DataFrame(rows, columns=["data_id", "timestamp", "price"])

    stored = frame([("1", 0, 0.5), ("1", 2, 0.6)])
    # A redelivered quote at 1 equal to the one at 0, a new one at 1 for another contract, a
    # change at 3, and a repeat of the stored row itself.
    new = frame([("1", 1, 0.5), ("1", 3, 0.7), ("1", 2, 0.6), ("2", 1, None), ("2", 4, None), ("1", 4, 0.7)])

    changed = rows_that_change(new, stored, "data_id", "timestamp", ["price"])

    assert list(zip(changed["data_id"], changed["timestamp"], strict=True)) == [("1", 3), ("2", 1)]


def test_the_stream_and_its_writer_load_no_dagster():
    modules = "edge_assets.storage.stream, edge_assets.storage.stream_writer, edge_assets.storage.broker"
    code = f"import sys, {modules}\nprint('dagster' in sys.modules)\n"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"
