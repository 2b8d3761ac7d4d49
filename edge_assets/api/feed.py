"""Changes of quotes and signals for `GET /api/stream`, behind a small protocol so the source can change.

`ChangeFeed` is what the stream endpoint needs. `WarehousePollFeed` implements it by polling the
warehouse; the per-market stream (storage/stream.py) can implement it too and take its place
through `ApiConfig.feed`, with nothing else to change.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
from sqlalchemy.exc import SQLAlchemyError

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.signals import SignalReader

logger = logging.getLogger(__name__)

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


EPOCH = "1970-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class Position:
    """How far the poll feed has read each source: (time, key) of its last row, or the last hour."""

    batch: tuple[str, str] = (EPOCH, "")
    live: tuple[str, str] = (EPOCH, "")
    quotes: str = EPOCH
    predictit: tuple[str, str] = (EPOCH, "")

    def encode(self) -> str:
        text = json.dumps(asdict(self), separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, event_id: str) -> Position:
        try:
            fields = json.loads(base64.urlsafe_b64decode(event_id + "=" * (-len(event_id) % 4)))
            position = cls(
                **{name: value if isinstance(value, str) else tuple(value) for name, value in fields.items()}
            )
            for stamp in (position.batch[0], position.live[0], position.quotes, position.predictit[0]):
                datetime.fromisoformat(stamp)
            return position
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError, IndexError):
            raise InvalidEventId(f"Last-Event-ID {event_id[:80]!r} was not issued by this stream") from None


LATEST_BATCH_SQL = (
    "SELECT detected_at, signal_id FROM signals ORDER BY detected_at DESC, signal_id DESC LIMIT 1"
)
LATEST_LIVE_SQL = """
SELECT COALESCE(closed_at, last_seen_at) AS changed_at, signal_id FROM live_signals
ORDER BY changed_at DESC, signal_id DESC LIMIT 1
"""
LATEST_HOUR_SQL = "SELECT MAX(quote_ts) AS quote_ts FROM quotes"
LATEST_PREDICTIT_SQL = """
SELECT fetched_at, data_id FROM predictit_market_data ORDER BY fetched_at DESC, data_id DESC LIMIT 1
"""
# Rows at the position's own instant are read again and dropped in Python by key, so rows sharing
# an instant are never split between two polls.
BATCH_CHANGED = "x.detected_at >= :batch_after"
LIVE_CHANGED = "(x.closed_at >= :live_after OR (x.closed_at IS NULL AND x.last_seen_at >= :live_after))"
# When a signal last changed: batch rows are written once (detected_at), live rows are seen again
# and closed (a batch row has neither time in the union).
CHANGE_ORDER = "COALESCE(u.closed_at, u.last_seen_at, u.detected_at), u.signal_id"
NEW_HOURS_SQL = """
SELECT quote_ts, venue, COUNT(*) AS n FROM quotes WHERE quote_ts > :quotes_after
GROUP BY quote_ts, venue ORDER BY quote_ts, venue
"""
NEW_PREDICTIT_SQL = """
SELECT fetched_at, data_id, market_id, timestamp FROM predictit_market_data WHERE fetched_at >= :after
ORDER BY fetched_at, data_id LIMIT :limit
"""
ROWS_PER_POLL = 1000


class WarehousePollFeed:
    """A `ChangeFeed` that polls the warehouse every `interval` seconds: signals written (batch) or
    seen and closed (live), new hours of `quotes`, new PredictIt rows."""

    def __init__(
        self,
        warehouse: ReadOnlyWarehouse,
        signals: SignalReader,
        interval: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._warehouse, self._signals, self._interval, self._clock = warehouse, signals, interval, clock

    def status(self) -> tuple[bool, str]:
        return True, f"polling the warehouse every {self._interval:g} s"

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
                # The error's first line only: connection errors can quote the URL's details.
                logger.warning("Change feed poll failed: %s", type(error).__name__)
                changes = []
            for change in changes:
                yield change
            if not changes:
                await anyio.sleep(self._interval)

    def _now(self) -> Position:
        """The position of the newest row of each source: a feed from now skips what is there."""
        batch = self._last(LATEST_BATCH_SQL, "detected_at", "signal_id")
        live = self._last(LATEST_LIVE_SQL, "changed_at", "signal_id") if self._signals.live else None
        hour = self._warehouse.rows(LATEST_HOUR_SQL)[0]["quote_ts"]
        predictit = self._last(LATEST_PREDICTIT_SQL, "fetched_at", "data_id")
        found = {"batch": batch, "live": live, "quotes": hour and hour.isoformat(), "predictit": predictit}
        return Position(**{source: value for source, value in found.items() if value})

    def _last(self, sql: str, time_column: str, key_column: str) -> tuple[str, str] | None:
        rows = self._warehouse.rows(sql)
        return (rows[0][time_column].isoformat(), rows[0][key_column]) if rows else None

    def _poll(self, position: Position) -> tuple[list[Change], Position]:
        changes: list[Change] = []
        for read in (self._signal_changes, self._hour_changes, self._predictit_changes):
            position = read(position, changes)
        return changes, position

    def _signal_changes(self, position: Position, changes: list[Change]) -> Position:
        params = {"batch_after": _instant(position.batch[0]), "live_after": _instant(position.live[0])}
        now = self._clock()
        rows = self._signals.select(
            now, [], params, ROWS_PER_POLL, 0, where=((BATCH_CHANGED, LIVE_CHANGED),), order=CHANGE_ORDER
        )
        for item in self._signals.items(rows, now):
            source = "batch" if item["source"] == "batch" else "live"
            changed_at = (
                item["detected_at"] if source == "batch" else (item["closed_at"] or item["last_seen_at"])
            )
            key = (changed_at.isoformat(), item["signal_id"])
            if _after(key, getattr(position, source)):
                position = replace(position, **{source: key})
                changes.append(Change(position.encode(), SIGNAL, item))
        return position

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
