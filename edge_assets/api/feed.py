"""Changes of quotes and signals for `GET /api/stream`, behind a small protocol so the source can change.

`ChangeFeed` is what the stream endpoint needs. Two implement it:

- `JetStreamFeed` (when the environment names a stream broker): quote changes are the per-market
  odds stream's messages (storage/stream.py), read by an ordered consumer of the feed's own;
  signal changes are read from the warehouse (`signals` written, `live_signals` opened, refreshed
  or closed, by `updated_at`). Both are merged into one event stream.
- `WarehousePollFeed` (no broker): everything is polled from the warehouse, quotes as new hours of
  `quotes` and new PredictIt rows.

An event's id is the feed's position after it: base64url of a JSON object with one entry per
source. Signals: `batch` and `live`, each the (time, signal_id) of the last signal read from that
table. The stream feed adds `seq`, the stream sequence of the last quote change sent (null until
the first one when the client started from "now" while the broker was down); the poll feed adds
`quotes` (the last hour) and `predictit` (the last row's (fetched_at, data_id)). Resuming from an
id reads each source after its own entry, so a client that reconnects with Last-Event-ID gets
exactly what it missed of each, and nothing twice; the quote changes start at `seq + 1`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import anyio
import nats.errors
from sqlalchemy.exc import SQLAlchemyError

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.signals import SignalReader
from edge_assets.notify.logs import get_logger, redact
from edge_assets.storage.stream import QuoteChange, QuoteStream, StreamError, StreamSettings, url_secrets

_LOG = get_logger(__name__)

READY = "ready"
SIGNAL = "signal"
QUOTE = "quote"


@dataclass(frozen=True)
class Change:
    """One change. `id` is the feed's position after it: `changes(id)` goes on from the next one."""

    id: str
    event: str
    data: dict[str, Any]


class InvalidEventId(ValueError):
    """A Last-Event-ID the feed did not give out."""


class ChangeFeed(Protocol):
    def changes(self, last_event_id: str | None) -> AsyncIterator[Change]:
        """Changes after `last_event_id` (after now when None), without end; the first is a `ready`
        change carrying the starting position. Raises `InvalidEventId` at once for a foreign id."""
        ...

    def status(self) -> tuple[bool, str]:
        """Whether the feed is following its source, and how, for /api/health."""
        ...

    async def start(self) -> None:
        """Begin following the source (in the app's event loop, at its start-up); never blocks on it."""
        ...

    async def stop(self) -> None: ...


EPOCH = "1970-01-01T00:00:00+00:00"
SEQUENCE_FIELD = "seq"
AnyPosition = TypeVar("AnyPosition", bound="SignalPosition")


@dataclass(frozen=True)
class SignalPosition:
    """How far a feed has read the signal tables: the (time, signal_id) of the last row of each."""

    batch: tuple[str, str] = (EPOCH, "")
    live: tuple[str, str] = (EPOCH, "")

    def encode(self) -> str:
        text = json.dumps(asdict(self), separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls: type[AnyPosition], event_id: str) -> AnyPosition:
        try:
            entries = json.loads(base64.urlsafe_b64decode(event_id + "=" * (-len(event_id) % 4)))
            position = cls(
                **{
                    name: tuple(value) if isinstance(value, list) else value
                    for name, value in entries.items()
                }
            )
            position._check()
            return position
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError, IndexError):
            raise InvalidEventId(f"Last-Event-ID {event_id[:80]!r} was not issued by this stream") from None

    def _check(self) -> None:
        """Raise ValueError or TypeError unless every entry is an instant, (instant, key) or `seq`."""
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == SEQUENCE_FIELD:
                if value is not None and (type(value) is not int or value < 0):
                    raise ValueError("seq must be a stream sequence")
                continue
            stamp, key = (value, "") if isinstance(value, str) else value
            datetime.fromisoformat(stamp)
            if not isinstance(key, str):
                raise TypeError("a key must be text")


@dataclass(frozen=True)
class Position(SignalPosition):
    """The poll feed's position: the signals', the last hour of `quotes`, the last PredictIt row."""

    quotes: str = EPOCH
    predictit: tuple[str, str] = (EPOCH, "")


@dataclass(frozen=True)
class StreamPosition(SignalPosition):
    """The stream feed's position: the signals', and the stream sequence of the last quote change."""

    seq: int | None = None


LATEST_BATCH_SQL = (
    "SELECT detected_at, signal_id FROM signals ORDER BY detected_at DESC, signal_id DESC LIMIT 1"
)
LATEST_LIVE_SQL = """
SELECT updated_at, signal_id FROM live_signals WHERE updated_at IS NOT NULL
ORDER BY updated_at DESC, signal_id DESC LIMIT 1
"""
LATEST_HOUR_SQL = "SELECT MAX(quote_ts) AS quote_ts FROM quotes"
LATEST_PREDICTIT_SQL = """
SELECT fetched_at, data_id FROM predictit_market_data ORDER BY fetched_at DESC, data_id DESC LIMIT 1
"""
# Rows at the position's own instant are read again and dropped in Python by key, so rows sharing
# an instant are never split between two polls.
BATCH_CHANGED = "x.detected_at >= :batch_after"
# A live row's updated_at is when it was last written (opened, refreshed, closed) on its writer's
# clock; its as-of times (last_seen_at, closed_at) can lie before rows already read.
LIVE_CHANGED = "x.updated_at >= :live_after"
# When a signal last changed: batch rows are written once (detected_at), live rows again and again.
CHANGE_ORDER = "COALESCE(u.updated_at, u.detected_at), u.signal_id"
NEW_HOURS_SQL = """
SELECT quote_ts, venue, COUNT(*) AS n FROM quotes WHERE quote_ts > :quotes_after
GROUP BY quote_ts, venue ORDER BY quote_ts, venue
"""
NEW_PREDICTIT_SQL = """
SELECT fetched_at, data_id, market_id, timestamp FROM predictit_market_data WHERE fetched_at >= :after
ORDER BY fetched_at, data_id LIMIT :limit
"""
ROWS_PER_POLL = 1000


class WarehouseSignals:
    """Signal changes read from the warehouse after a position: batch signals written, live signals
    opened, refreshed or closed."""

    def __init__(self, signals: SignalReader, clock: Callable[[], datetime]):
        self._signals, self._clock = signals, clock

    def newest(self) -> dict[str, tuple[str, str]]:
        """The position entries of the newest row of each signal table (none for an empty one)."""
        found = {"batch": self._last(LATEST_BATCH_SQL, "detected_at")}
        if self._signals.live:
            found["live"] = self._last(LATEST_LIVE_SQL, "updated_at")
        return {source: key for source, key in found.items() if key}

    def _last(self, sql: str, time_column: str) -> tuple[str, str] | None:
        rows = self._signals.warehouse.rows(sql)
        return (rows[0][time_column].isoformat(), rows[0]["signal_id"]) if rows else None

    def after(self, position: AnyPosition) -> list[tuple[dict[str, Any], AnyPosition]]:
        """The signals changed after `position`, in order, each with the position after it."""
        params = {"batch_after": _instant(position.batch[0]), "live_after": _instant(position.live[0])}
        now = self._clock()
        rows = self._signals.select(
            now, [], params, ROWS_PER_POLL, 0, where=((BATCH_CHANGED, LIVE_CHANGED),), order=CHANGE_ORDER
        )
        changed = []
        for item in self._signals.items(rows, now):
            source = "batch" if item["source"] == "batch" else "live"
            key = (item["detected_at" if source == "batch" else "updated_at"].isoformat(), item["signal_id"])
            if _after(key, getattr(position, source)):
                position = replace(position, **{source: key})
                changed.append((item, position))
        return changed


class WarehousePollFeed:
    """A `ChangeFeed` that polls the warehouse every `interval` seconds: signals written (batch) or
    opened, refreshed and closed (live), new hours of `quotes`, new PredictIt rows."""

    def __init__(self, warehouse: ReadOnlyWarehouse, signals: WarehouseSignals, interval: float = 1.0):
        self._warehouse, self._signals, self._interval = warehouse, signals, interval

    def status(self) -> tuple[bool, str]:
        return True, f"polling the warehouse every {self._interval:g} s"

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def changes(self, last_event_id: str | None) -> AsyncIterator[Change]:
        start = Position.decode(last_event_id) if last_event_id else None
        return self._follow(start)

    async def _follow(self, position: Position | None) -> AsyncIterator[Change]:
        if position is None:
            position = await anyio.to_thread.run_sync(self._now)
        yield Change(position.encode(), READY, {})
        while True:
            try:
                changes, position = await anyio.to_thread.run_sync(self._poll, position)
            except SQLAlchemyError as error:
                _log_poll_failure(error)
                changes = []
            for change in changes:
                yield change
            if not changes:
                await anyio.sleep(self._interval)

    def _now(self) -> Position:
        """The position of the newest row of each source: a feed from now skips what is there."""
        hour = self._warehouse.rows(LATEST_HOUR_SQL)[0]["quote_ts"]
        rows = self._warehouse.rows(LATEST_PREDICTIT_SQL)
        found = {
            "quotes": hour and hour.isoformat(),
            "predictit": rows and (rows[0]["fetched_at"].isoformat(), rows[0]["data_id"]),
        }
        return Position(
            **self._signals.newest(), **{source: value for source, value in found.items() if value}
        )

    def _poll(self, position: Position) -> tuple[list[Change], Position]:
        changes: list[Change] = []
        for item, after in self._signals.after(position):
            changes.append(Change(after.encode(), SIGNAL, item))
            position = after
        for read in (self._hour_changes, self._predictit_changes):
            position = read(position, changes)
        return changes, position

    def _hour_changes(self, position: Position, changes: list[Change]) -> Position:
        hours = self._warehouse.rows(NEW_HOURS_SQL, {"quotes_after": _instant(position.quotes)})
        for row in hours:
            position = replace(position, quotes=row["quote_ts"].isoformat())
            data = {"venue": row["venue"], "quote_ts": row["quote_ts"], "market_id": None, "market_key": None}
            changes.append(Change(position.encode(), QUOTE, data | {"rows": int(row["n"])}))
        return position

    def _predictit_changes(self, position: Position, changes: list[Change]) -> Position:
        params = {"after": _instant(position.predictit[0]), "limit": ROWS_PER_POLL}
        for row in self._warehouse.rows(NEW_PREDICTIT_SQL, params):
            key = (row["fetched_at"].isoformat(), row["data_id"])
            if not _after(key, position.predictit):
                continue
            position = replace(position, predictit=key)
            data = {"venue": "predictit", "quote_ts": row["timestamp"], "market_id": row["market_id"]}
            changes.append(Change(position.encode(), QUOTE, data | {"market_key": row["data_id"], "rows": 1}))
        return position


def _after(key: tuple[str, str], position: tuple[str, str]) -> bool:
    """Whether (instant, id) `key` comes after `position`, comparing instants as instants."""
    return (_instant(key[0]), key[1]) > (_instant(position[0]), position[1])


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _log_poll_failure(error: SQLAlchemyError) -> None:
    # The class name only: connection errors can quote the URL's details.
    _LOG.warning("change_feed_poll_failed", error=type(error).__name__)


# The API names the sportsbooks' venue after their source, as /api/latest does.
API_VENUES = {"sportsbook": "oddsapi"}
RECONNECT_SECONDS = 2.0
# Changes read ahead of a slow client; past it, reading waits (the broker keeps the rest).
READ_AHEAD = 1000


def quote_event(change: QuoteChange) -> dict[str, Any]:
    """A stream quote change as the API's QuoteChange: one price of one outcome's side."""
    return {
        "venue": API_VENUES.get(change.venue, change.venue),
        "quote_ts": change.source_ts,
        "market_id": change.market_id,
        "market_key": change.token_id or change.market_id,
        "rows": 1,
        "outcome": change.outcome,
        "side": change.side,
        "price": change.price,
        "size": change.size,
        "bookmaker": change.bookmaker,
    }


class JetStreamFeed:
    """A `ChangeFeed` of the odds stream's quote changes and the warehouse's signal changes.

    One connection to the broker serves every client, each with an ordered consumer of its own. The
    connection is made in the background from `start` and retried until it succeeds (the client
    then reconnects by itself), so a broker that is down delays quotes, shows in `status`, and
    leaves signals flowing.
    """

    def __init__(
        self,
        url: str,
        signals: WarehouseSignals,
        interval: float = 1.0,
        settings: StreamSettings | None = None,
        reconnect_seconds: float = RECONNECT_SECONDS,
    ):
        self._url, self._signals, self._interval = url, signals, interval
        self._settings = settings or StreamSettings()
        self._reconnect_seconds = reconnect_seconds
        self._shown_url = redact(url, url_secrets(url))
        self._stream: QuoteStream | None = None
        self._connecting: asyncio.Task[QuoteStream] | None = None

    def status(self) -> tuple[bool, str]:
        if self._stream is not None and self._stream.is_connected:
            return True, f"following the odds stream {self._settings.name} at {self._shown_url}"
        return (
            False,
            f"down: the stream broker at {self._shown_url} cannot be reached; quotes resume once it can",
        )

    async def start(self) -> None:
        if self._connecting is None:
            self._connecting = asyncio.create_task(self._connect())

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
            self._connecting = None
        if self._stream is not None:
            await self._stream.close()
            self._stream = None

    async def _connect(self) -> QuoteStream:
        while True:
            try:
                # A reader: the stream's bounds are the live service's to set.
                self._stream = await QuoteStream.connect(self._url, self._settings, ensure=False)
                return self._stream
            except StreamError as error:
                _LOG.warning("stream_feed_unconnected", error=str(error))
                await asyncio.sleep(self._reconnect_seconds)

    async def _connected(self) -> QuoteStream:
        await self.start()
        assert self._connecting is not None
        # Shielded: one client giving up must not cancel the connection the others wait for.
        return await asyncio.shield(self._connecting)

    def changes(self, last_event_id: str | None) -> AsyncIterator[Change]:
        start = StreamPosition.decode(last_event_id) if last_event_id else None
        return self._follow(start)

    async def _follow(self, position: StreamPosition | None) -> AsyncIterator[Change]:
        if position is None:
            newest = await anyio.to_thread.run_sync(self._signals.newest)
            position = StreamPosition(**newest, seq=await self._last_sequence())
        yield Change(position.encode(), READY, {})
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=READ_AHEAD)
        readers = [
            asyncio.create_task(_failing_into(queue, self._read_signals(position, queue))),
            asyncio.create_task(_failing_into(queue, self._read_quotes(position.seq, queue))),
        ]
        try:
            while True:
                kind, value = await queue.get()
                if kind == SIGNAL:
                    item, read = value
                    position = replace(position, batch=read.batch, live=read.live)
                    yield Change(position.encode(), SIGNAL, item)
                elif kind == QUOTE:
                    sequence, change = value
                    position = replace(position, seq=sequence)
                    yield Change(position.encode(), QUOTE, quote_event(change))
                else:
                    raise value
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    async def _last_sequence(self) -> int | None:
        """The stream's newest sequence, or None when the broker cannot say now."""
        if self._stream is None or not self._stream.is_connected:
            return None
        try:
            return await self._stream.last_sequence()
        except nats.errors.Error as error:
            _LOG.warning("stream_feed_sequence_unknown", error=type(error).__name__)
            return None

    async def _read_signals(self, position: SignalPosition, queue: asyncio.Queue) -> None:
        read = SignalPosition(batch=position.batch, live=position.live)
        while True:
            try:
                changed = await anyio.to_thread.run_sync(self._signals.after, read)
            except SQLAlchemyError as error:
                _log_poll_failure(error)
                changed = []
            for item, read in changed:
                await queue.put((SIGNAL, (item, read)))
            if not changed:
                await anyio.sleep(self._interval)

    async def _read_quotes(self, after: int | None, queue: asyncio.Queue) -> None:
        while True:
            stream = await self._connected()
            try:
                if after is None:
                    after = await stream.last_sequence()
                async for sequence, change in stream.follow(after):
                    await queue.put((QUOTE, (sequence, change)))
                    after = sequence
            except (StreamError, nats.errors.Error) as error:
                # The class name only for the client's errors: their text can quote the URL.
                reason = str(error) if isinstance(error, StreamError) else type(error).__name__
                _LOG.warning("stream_feed_interrupted", error=reason)
                await asyncio.sleep(self._reconnect_seconds)


FAILED = "failed"


async def _failing_into(queue: asyncio.Queue, reader: Any) -> None:
    """Run a reader; an error it did not expect goes to the queue, for the client's stream to raise."""
    try:
        await reader
    except Exception as error:
        await queue.put((FAILED, error))
