"""A client of Polymarket's market WebSocket channel that does not give up (pure, asyncio).

It subscribes the tokens it is given, sends PING heartbeats, and hands every message to a
callback. A socket silent for longer than a few heartbeats is replaced (a stream can stall with the
connection still open), and every (re)connect is reported so the caller can resync its books over
REST for the gap. Reconnects back off exponentially with full jitter.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from edge_assets.notify.logs import get_logger

logger = get_logger(__name__)

OnMessage = Callable[[dict[str, Any]], None]
OnConnect = Callable[[], Awaitable[None]]


@dataclass
class ChannelStats:
    """What the channel has seen, for the service's status and the bench."""

    messages: int = 0
    connects: int = 0
    silent_replacements: int = 0
    last_message_at: float | None = None  # time.monotonic() of the last message, heartbeats included


@dataclass
class MarketChannel:
    """The market channel at `url` for a changing set of tokens."""

    url: str
    heartbeat_s: float = 10.0
    silent_heartbeats: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    stats: ChannelStats = field(default_factory=ChannelStats)
    _tokens: set[str] = field(default_factory=set)
    _socket: ClientConnection | None = None

    @property
    def tokens(self) -> list[str]:
        """The tokens followed, sorted."""
        return sorted(self._tokens)

    async def set_tokens(self, tokens: Iterable[str]) -> None:
        """Follow exactly `tokens` from now on, subscribing and unsubscribing the difference."""
        wanted = set(tokens)
        added, removed = sorted(wanted - self._tokens), sorted(self._tokens - wanted)
        self._tokens = wanted
        if self._socket is None:
            return
        for operation, assets in (("subscribe", added), ("unsubscribe", removed)):
            if assets:
                await self._send({"assets_ids": assets, "operation": operation})

    async def run(self, on_message: OnMessage, on_connect: OnConnect, stop: asyncio.Event) -> None:
        """Follow the channel until `stop` is set, reconnecting for ever."""
        failures = 0
        while not stop.is_set():
            try:
                # No message-size cap: the channel answers a subscription with every book in one list.
                async with websockets.connect(
                    self.url, open_timeout=10, ping_interval=None, max_size=None
                ) as socket:
                    failures = 0
                    await self._follow(socket, on_message, on_connect, stop)
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                logger.warning("market channel lost", error=type(error).__name__, url=self.url)
            finally:
                self._socket = None
            if not stop.is_set():
                failures += 1
                delay = random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**failures))
                await pause(stop, delay)

    async def _follow(
        self, socket: ClientConnection, on_message: OnMessage, on_connect: OnConnect, stop: asyncio.Event
    ) -> None:
        self._socket = socket
        self.stats.connects += 1
        self.stats.last_message_at = time.monotonic()
        await socket.send(json.dumps({"assets_ids": self.tokens, "type": "market"}))
        await on_connect()
        tasks = [
            asyncio.create_task(self._read(socket, on_message)),
            asyncio.create_task(self._heartbeat(socket)),
            asyncio.create_task(stop.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()
        finally:
            for task in tasks:
                task.cancel()

    async def _read(self, socket: ClientConnection, on_message: OnMessage) -> None:
        async for raw in socket:
            self.stats.last_message_at = time.monotonic()
            self.stats.messages += 1
            if raw == "PONG":
                continue
            decoded = json.loads(raw)
            for message in decoded if isinstance(decoded, list) else [decoded]:
                on_message(message)

    async def _heartbeat(self, socket: ClientConnection) -> None:
        """PING every heartbeat; give the socket up once it has said nothing for several of them."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            silence = time.monotonic() - (self.stats.last_message_at or 0.0)
            if silence > self.heartbeat_s * self.silent_heartbeats:
                self.stats.silent_replacements += 1
                logger.warning("market channel silent, replacing it", silent_s=round(silence, 1))
                await socket.close()
                return
            await socket.send("PING")

    async def _send(self, message: dict) -> None:
        try:
            await self._socket.send(json.dumps(message))
        except websockets.WebSocketException:
            pass  # the socket is going; the next connect subscribes every token anyway


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
