"""Polymarket's market WebSocket channel, `/ws/market`, over the world's order books.

Protocol (docs.polymarket.com, Market Channel and WSS overview):
- the first message subscribes: {"assets_ids": [...], "type": "market"}; later ones add or remove
  assets: {"assets_ids": [...], "operation": "subscribe" | "unsubscribe"}. Anything else, a second
  first message included, is answered with the text INVALID OPERATION, as the CLOB answers it;
- each subscribe is answered with one JSON list holding a `book` per known, open asset;
- the text PING is answered PONG;
- the world's books change only on minute boundaries, so at each world minute the channel builds
  every subscribed book once (for all connections) and pushes, for each book whose levels changed:
  the tick_size_change and last_trade_price events it calls for, one price_change per market, then
  the new `book` (see market_feed). Books equal REST `/book` at the same instant, hash included.

Faults: a silent connection still answers PONG but is sent nothing from its first subscription on,
as the real channel does when it freezes (Polymarket/py-clob-client#292), so a client has to watch
for data, not only for heartbeats; a dropped one is closed by the server at a world minute with
1011, the nearest a server can come to a network drop (1006, which is never sent on the wire).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from .faults import FaultInjector
from .market_feed import (
    book_message,
    price_change_message,
    price_changes,
    same_levels,
    tick_size_change,
    trades,
)
from .polymarket import clob_book
from .world import World, minute_of

logger = logging.getLogger(__name__)

INVALID = "INVALID OPERATION"
DROP_CLOSE_CODE = 1011
CLOCK_SLACK_S = 0.005  # wake just past the minute boundary, so the world is already in the new minute


def _dumps(message: object) -> str:
    return json.dumps(message, separators=(",", ":"))


@dataclass(eq=False)
class _Connection:
    number: int  # order of arrival: the fault draws are keyed by it
    websocket: WebSocket
    assets: dict[str, None] = field(default_factory=dict)  # insertion-ordered, so pushes are too
    subscribed: bool = False
    silent: bool = False
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)  # None closes the connection

    def reply(self, text: str) -> None:
        self.outbox.put_nowait(text)

    def push(self, text: str) -> None:
        """Send market data, which a silent connection never gets."""
        if not self.silent:
            self.outbox.put_nowait(text)


@dataclass
class _Update:
    """What changed in one asset's book at a minute, ready to send."""

    market: str
    events: list[str]  # tick_size_change and last_trade_price, serialized
    changes: list[dict]  # its entries of the market's price_change
    book: str


def _request(text: str | None) -> tuple[str, list[str]] | None:
    """('initial' | 'subscribe' | 'unsubscribe', asset ids) of a client message, None if invalid."""
    try:
        message = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    assets = message.get("assets_ids", [])
    if not isinstance(assets, list) or not all(isinstance(asset, str) for asset in assets):
        return None
    operation = message.get("operation")
    if operation is None and str(message.get("type", "")).lower() == "market":
        return "initial", assets
    if operation in ("subscribe", "unsubscribe"):
        return operation, assets
    return None


def _update(old: dict | None, new: dict | None, fee_rate_bps: str) -> _Update | None:
    """The messages from `old` to `new` (None: the asset has no book at that time)."""
    if new is None or (old is not None and same_levels(old, new)):
        return None
    book = _dumps(book_message(new))
    if old is None:
        return _Update(new["market"], [], [], book)
    events = [event for event in (tick_size_change(old, new),) if event] + trades(old, new, fee_rate_bps)
    return _Update(new["market"], [_dumps(event) for event in events], price_changes(old, new), book)


class MarketChannel:
    """The channel's subscriptions and pushes; `serve` handles one WebSocket connection."""

    def __init__(self, world: World, faults: FaultInjector):
        self.world = world
        self.faults = faults
        self._connections: set[_Connection] = set()
        self._subscribers: dict[str, set[_Connection]] = {}
        self._books: dict[str, dict] = {}  # the last book pushed for each subscribed asset
        self._numbers = itertools.count()
        self._lock = asyncio.Lock()  # one subscription change or minute push at a time
        self._minute: int | None = None  # the world minute last pushed, from `start` on
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: asyncio.Task | None = None

    async def start(self) -> None:
        """Start following the wall clock's minutes (a pinned world moves only on `tick`)."""
        self._loop = asyncio.get_running_loop()
        self._minute = minute_of(self.world.now_ts())
        self._clock = asyncio.create_task(self._follow_the_clock())

    async def stop(self) -> None:
        self._clock.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._clock

    async def _follow_the_clock(self) -> None:
        while True:
            await asyncio.sleep(60 - time.time() % 60 + CLOCK_SLACK_S)
            try:
                await self.tick()
            except Exception:  # a bug in one minute's push must not stop the clock for good
                logger.exception("market channel: the push for a new minute failed")

    def tick_from_thread(self, timeout_s: float = 60.0) -> None:
        """Push what the world's current minute changed, from outside the server's loop; returns
        once every message is queued for its connection."""
        asyncio.run_coroutine_threadsafe(self.tick(), self._loop).result(timeout_s)

    async def serve(self, websocket: WebSocket) -> None:
        """One client connection, from accept to disconnect."""
        await websocket.accept()
        connection = _Connection(next(self._numbers), websocket)
        self._connections.add(connection)
        writer = asyncio.create_task(self._write(connection))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self._receive(connection, message.get("text"))
        finally:
            writer.cancel()
            self._forget(connection)

    async def _write(self, connection: _Connection) -> None:
        """Send the connection's outbox in order, so a slow client holds up nobody else."""
        try:
            while (text := await connection.outbox.get()) is not None:
                await connection.websocket.send_text(text)
            await connection.websocket.close(DROP_CLOSE_CODE)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away first; `serve` sees the disconnect and cleans up

    async def _receive(self, connection: _Connection, text: str | None) -> None:
        if text == "PING":
            connection.reply("PONG")
            return
        request = _request(text)
        # The first message must be the initial subscription, and only the first may be.
        if request is None or (request[0] == "initial") == connection.subscribed:
            connection.reply(INVALID)
            return
        kind, assets = request
        if kind == "initial":
            connection.subscribed = True
            connection.silent = self.faults.silent(connection.number)
        async with self._lock:
            if kind == "unsubscribe":
                self._unsubscribe(connection, assets)
            else:
                await self._subscribe(connection, assets)

    async def _subscribe(self, connection: _Connection, assets: list[str]) -> None:
        added = [asset for asset in dict.fromkeys(assets) if asset not in connection.assets]
        for asset in added:
            connection.assets[asset] = None
            self._subscribers.setdefault(asset, set()).add(connection)
        books = await asyncio.to_thread(self._books_now, added)
        for book in books:
            if book["asset_id"] in self._subscribers:  # unless the client left meanwhile
                self._books.setdefault(book["asset_id"], book)
        if books:
            connection.push(_dumps([book_message(book) for book in books]))

    def _books_now(self, assets: list[str]) -> list[dict]:
        now_ts = self.world.now_ts()
        history_start = self.world.history_start_ts(now_ts)
        books = (clob_book(self.world, asset, now_ts, history_start) for asset in assets)
        return [book for book in books if book is not None]  # unknown or closed: no book, as on the CLOB

    def _unsubscribe(self, connection: _Connection, assets: list[str]) -> None:
        for asset in assets:
            if asset not in connection.assets:
                continue
            del connection.assets[asset]
            subscribers = self._subscribers[asset]
            subscribers.discard(connection)
            if not subscribers:
                del self._subscribers[asset]
                self._books.pop(asset, None)

    def _forget(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        self._unsubscribe(connection, list(connection.assets))

    async def tick(self) -> None:
        """At a new world minute: drop the connections the fault knob picks, then push every
        subscribed book that changed."""
        async with self._lock:
            minute = minute_of(self.world.now_ts())
            if minute == self._minute:
                return
            self._minute = minute
            for connection in list(self._connections):
                if self.faults.dropped(connection.number, minute):
                    self._forget(connection)
                    connection.outbox.put_nowait(None)
            baseline = {asset: self._books.get(asset) for asset in self._subscribers}
            results = await asyncio.to_thread(self._changes, baseline, minute)
            updates = {}
            for asset, (book, update) in results.items():
                if book is None:
                    self._books.pop(asset, None)
                elif asset in self._subscribers:  # unless its last client left meanwhile
                    self._books[asset] = book
                if update is not None:
                    updates[asset] = update
            self._fan_out(updates, str(minute * 60_000))

    def _changes(
        self, baseline: dict[str, dict | None], minute: int
    ) -> dict[str, tuple[dict | None, _Update | None]]:
        """Each asset's book at the start of `minute` and what changed since its last one."""
        ts = minute * 60
        history_start = self.world.history_start_ts(ts)
        results = {}
        for asset, old in baseline.items():
            new = clob_book(self.world, asset, ts, history_start)
            fee_rate_bps = str(round(self.world.token(asset)[0].fee_rate * 10_000)) if new else "0"
            results[asset] = (new, _update(old, new, fee_rate_bps))
        return results

    def _fan_out(self, updates: dict[str, _Update], timestamp: str) -> None:
        for connection in self._connections:
            by_market: dict[str, list[_Update]] = {}
            for asset in connection.assets:
                if asset in updates:
                    by_market.setdefault(updates[asset].market, []).append(updates[asset])
            for market, group in by_market.items():
                for event in (event for update in group for event in update.events):
                    connection.push(event)
                entries = [entry for update in group for entry in update.changes]
                if entries:
                    connection.push(_dumps(price_change_message(market, entries, timestamp)))
                for update in group:
                    connection.push(update.book)
