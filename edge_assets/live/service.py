"""The live detector: from a book change to a signal row and an alert in seconds (pure, asyncio).

It follows the market channel for every mapped open token (and follows mapping changes), keeps
the books in memory and resyncs them over REST after any gap, polls the sportsbooks' live odds on a
quota-aware cadence, and judges each changed token with the batch path's comparator and gate. The
signals it opens, refreshes and closes go to `live_signals`; a new one raises its alert and
delivers it at once through the same sinks and cooldowns as the batch alerts, then goes to the
trader (dry by default), one decision at a time off the event loop. Everything that reaches outside
(the venues' HTTP clients, the alert sinks, the champion, the stream, the trader) is handed in, so
the service knows no Dagster.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from edge_assets.live.books import Book, OrderBooks
from edge_assets.live.channel import MarketChannel, pause
from edge_assets.live.evaluate import MarketContext, judge, live_consensus
from edge_assets.live.quotes import TopOfBook, book_changes, odds_changes, predictit_changes
from edge_assets.notify.logs import get_logger
from edge_assets.pricing.consensus import ConsensusRule
from edge_assets.signals.comparator import SignalRule
from edge_assets.signals.lifecycle import LIFECYCLE_COLUMNS, SignalLifecycle
from edge_assets.sources.oddsapi import parse_odds_events
from edge_assets.sources.predictit import parse_predictit
from edge_assets.storage.sql import SqlWarehouse
from edge_assets.storage.stream import QuoteChange, QuoteStream
from edge_assets.storage.stream_writer import WarehouseWriter
from edge_assets.trading.trader import Trader, TradeSignal

logger = get_logger(__name__)

SERVICE_NAME = "live"
WAREHOUSE_CONSUMER = "warehouse-writer"  # the stream consumer that keeps the warehouse's copy
FILL_PROB_SQL = "SELECT fill_prob FROM cost_models WHERE venue = 'polymarket'"
OPEN_SIGNALS_SQL = "SELECT * FROM live_signals WHERE closed_at IS NULL"


def read_market_context(warehouse: SqlWarehouse) -> MarketContext:
    """Mappings, markets and the venue's fill probability as the batch path last wrote them."""
    fill = warehouse.read_frame(FILL_PROB_SQL)
    fill_prob = float(fill["fill_prob"].iloc[0]) if len(fill) else 0.0
    return MarketContext(
        warehouse.read_table("market_mappings"), warehouse.read_table("polymarket_markets"), fill_prob
    )


@dataclass(frozen=True)
class LiveSettings:
    """How often the service looks, and how patient it is."""

    odds_interval_s: float = 60.0
    odds_quota_floor: int = 100
    mapping_refresh_s: float = 60.0
    judge_every_s: float = 0.1  # changes within this are judged together, as one frame
    publish_every_s: float = 0.1
    status_every_s: float = 5.0
    # An open signal not seen for this long (e.g. the service was down) closes at its last sighting.
    stale_signal_after: timedelta = timedelta(minutes=10)
    signal_cooldown: timedelta = timedelta(minutes=60)


@dataclass
class Venues:
    """The venues' clients, handed in: blocking calls that the service runs off its event loop."""

    channel: MarketChannel
    fetch_books: Callable[[list[str]], list[dict]]  # REST POST /books
    fetch_odds: Callable[[str], Any]  # one sport's live odds: a `Payload`
    odds_format: str = "american"
    fetch_predictit: Callable[[], Any] | None = None  # PredictIt's whole market data: a `Payload`


@dataclass
class Alerts:
    """Raising an alert frame into the `alerts` table, and delivering what is pending."""

    raise_alerts: Callable[[pd.DataFrame], int]
    deliver: Callable[[datetime], object]
    make_alerts: Callable[[pd.DataFrame, datetime, timedelta], pd.DataFrame]


@dataclass
class _State:
    books: OrderBooks = field(default_factory=OrderBooks)
    consensus: pd.DataFrame | None = None
    context: MarketContext | None = None
    lifecycle: SignalLifecycle | None = None
    dirty: dict[str, datetime] = field(default_factory=dict)  # token -> as-of time of its change
    evaluations: int = 0
    opened: int = 0
    odds_polled_at: datetime | None = None
    quota_remaining: int | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    outbox: list[QuoteChange] = field(default_factory=list)  # changes waiting to be published
    published_tops: dict[str, TopOfBook] = field(default_factory=dict)
    published: int = 0
    traded: int = 0  # decisions the trader recorded, placed or not


class LiveService:
    """The detector over one warehouse, with the rule, the consensus rule and the gate's champion."""

    def __init__(
        self,
        warehouse: SqlWarehouse,
        venues: Venues,
        alerts: Alerts,
        rule: SignalRule,
        consensus_rule: ConsensusRule,
        settings: LiveSettings = LiveSettings(),
        load_champion: Callable[[], Any] = lambda: None,
        stream_url: str | None = None,
        sports: list[str] | None = None,
        trader: Trader | None = None,
    ):
        self.warehouse, self.venues, self.alerts = warehouse, venues, alerts
        self.rule, self.consensus_rule, self.settings = rule, consensus_rule, settings
        self.load_champion, self.stream_url, self.sports = load_champion, stream_url, sports
        self.trader = trader
        self.state = _State()
        self._champion = None
        # Decisions run one at a time, so the guard always reads the risk state the last one left.
        self._trading = asyncio.Lock()
        self._trades: set[asyncio.Task] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Detect until `stop` is set."""
        await self._refresh_context()
        rows = await asyncio.to_thread(self.warehouse.read_frame, OPEN_SIGNALS_SQL)
        self.state.lifecycle = SignalLifecycle(rows)
        await self._write(
            self.state.lifecycle.close_stale(datetime.now(UTC), self.settings.stale_signal_after)
        )
        loops = [
            self.venues.channel.run(self._on_message, self._resync, stop),
            self._every(self.settings.mapping_refresh_s, self._refresh_context, stop),
            self._every(self.settings.odds_interval_s, self._poll_odds, stop, first_now=True),
            self._every(self.settings.judge_every_s, self._judge_dirty, stop),
            self._every(self.settings.status_every_s, self._write_status, stop),
        ]
        if self.stream_url is None:
            await asyncio.gather(*loops)
        else:
            await self._run_with_stream(loops, stop)
        await asyncio.gather(*self._trades)  # decisions under way are finished and recorded
        await self._write_status()
        logger.info(
            "live service stopped",
            evaluations=self.state.evaluations,
            opened=self.state.opened,
            traded=self.state.traded,
        )

    async def _run_with_stream(self, loops: list, stop: asyncio.Event) -> None:
        """Publish every quote change to the per-market stream, and keep the warehouse's copy of it
        as the stream's own consumer (resuming from its last acked offset after a restart)."""
        async with await QuoteStream.connect(self.stream_url) as stream:
            self._stream = stream
            await asyncio.gather(
                *loops,
                self._every(self.settings.publish_every_s, self._publish, stop),
                self._every(self.settings.odds_interval_s, self._poll_predictit, stop, first_now=True),
                self._every(1.0, lambda: self._keep_warehouse_copy(stop), stop),
            )
            await self._publish()

    async def _keep_warehouse_copy(self, stop: asyncio.Event) -> None:
        """Consume the stream into the warehouse until `stop` (restarted by `_every` if it fails)."""
        await self._stream.consume(WAREHOUSE_CONSUMER, WarehouseWriter(self.warehouse), stop=stop)

    async def _publish(self) -> None:
        changes, self.state.outbox = self.state.outbox, []
        if changes:
            self.state.published += await self._stream.publish_many(changes)

    async def _poll_predictit(self) -> None:
        if self.venues.fetch_predictit is None:
            return
        payload = await asyncio.to_thread(self.venues.fetch_predictit)
        self.state.outbox += predictit_changes(parse_predictit(payload.data, payload.fetched_at).frame)

    async def _every(self, seconds: float, step, stop: asyncio.Event, first_now: bool = False) -> None:
        if not first_now:
            await pause(stop, seconds)
        while not stop.is_set():
            started = time.monotonic()
            try:
                await step()
            except Exception as error:  # one failed step must not stop the detector
                logger.exception(
                    "live step failed", step=getattr(step, "__name__", "step"), error=type(error).__name__
                )
            await pause(stop, max(0.0, seconds - (time.monotonic() - started)))

    # --- inputs ---------------------------------------------------------------------------

    async def _refresh_context(self) -> None:
        """Mappings, markets and the fill probability as the batch path last wrote them."""
        self.state.context = await asyncio.to_thread(read_market_context, self.warehouse)
        self._champion = await asyncio.to_thread(self.load_champion)
        tokens = self.state.context.watched_tokens(datetime.now(UTC))
        self.state.books.drop(set(self.state.books.tokens()) - set(tokens))
        await self.venues.channel.set_tokens(tokens)

    def _on_message(self, message: dict) -> None:
        kind = message.get("event_type")
        if kind == "book":
            tokens = [self.state.books.apply_book(message)]
        elif kind == "price_change":
            tokens = self.state.books.apply_price_change(message)
        else:
            return
        as_of = _message_instant(message)
        for token in tokens:
            self.state.dirty[token] = max(as_of, self.state.dirty.get(token, as_of))
        if self.stream_url is not None and self.state.context is not None:
            self.state.outbox += book_changes(
                self.state.books, tokens, self.state.context.token_labels, self.state.published_tops
            )

    async def _resync(self) -> None:
        """Fetch every watched book over REST: whatever changed while the socket was away."""
        tokens = self.venues.channel.tokens
        if not tokens:
            return
        books = await asyncio.to_thread(self.venues.fetch_books, tokens)
        for book in books:
            self._on_message({**book, "event_type": "book"})

    async def _poll_odds(self) -> None:
        """Live odds of the sports with watched tokens, unless the quota is down to its floor."""
        remaining = self.state.quota_remaining
        if remaining is not None and remaining < self.settings.odds_quota_floor:
            logger.warning("odds polling paused at the quota floor", remaining=remaining)
            return
        context, watched = self.state.context, set(self.venues.channel.tokens)
        if context is None:
            return
        sports = sorted(
            set(context.mapped.loc[context.mapped["pm_token_id"].isin(watched), "sport_key"].dropna())
        )
        frames = []
        for sport in [s for s in sports if not self.sports or s in self.sports]:
            payload = await asyncio.to_thread(self.venues.fetch_odds, sport)
            self.state.quota_remaining = _int_or_none(payload.headers.get("x-requests-remaining"))
            parsed = parse_odds_events(
                payload.data, payload.fetched_at, payload.fetched_at, self.venues.odds_format
            )
            frames.append(parsed.frame)
        if frames:
            odds = pd.concat(frames, ignore_index=True)
            # The consensus changed as of the books' own newest update, the venue's clock, like a book.
            as_of = pd.to_datetime(odds["book_update_ts"], utc=True).max()
            as_of = as_of.to_pydatetime() if pd.notna(as_of) else datetime.now(UTC)
            self._set_consensus(live_consensus(odds, self.consensus_rule), as_of)
            if self.stream_url is not None:
                self.state.outbox += odds_changes(odds)

    def _set_consensus(self, consensus: pd.DataFrame, as_of: datetime) -> None:
        self.state.consensus = consensus
        self.state.odds_polled_at = as_of
        for event in consensus["event_id"].unique():
            for token in self.state.context.tokens_by_event.get(event, []):
                if token in self.state.books:
                    self.state.dirty[token] = max(as_of, self.state.dirty.get(token, as_of))

    # --- judging --------------------------------------------------------------------------

    async def _judge_dirty(self) -> None:
        if not self.state.dirty or self.state.consensus is None or self.state.context is None:
            return
        dirty, self.state.dirty = self.state.dirty, {}
        as_of = max(dirty.values())
        hits = judge(
            list(dirty), self.state.books, self._fresh_consensus(as_of), self.state.context, self.rule,
            as_of, datetime.now(UTC), self.consensus_rule.method, self._champion,
        )  # fmt: skip
        rows, opened = self.state.lifecycle.observe(dirty, hits, as_of, datetime.now(UTC))
        self.state.evaluations += 1
        await self._write(rows)
        if len(opened):
            self.state.opened += len(opened)
            await self._alert(opened)
            if self.trader is not None:
                # A task of its own: placing an order may take seconds, and detection goes on meanwhile.
                task = asyncio.create_task(self._trade(opened, as_of))
                self._trades.add(task)
                task.add_done_callback(self._trades.discard)

    def _fresh_consensus(self, as_of: datetime) -> pd.DataFrame:
        """The last poll's consensus, or nothing once it is older than the consensus rule allows."""
        age = as_of - (self.state.odds_polled_at or as_of)
        if age > timedelta(minutes=self.consensus_rule.max_age_minutes):
            return self.state.consensus.iloc[:0]
        return self.state.consensus

    async def _write(self, rows: pd.DataFrame) -> None:
        if len(rows):
            # updated_at: when the row changed on this clock, which readers following the table go by.
            written = rows[LIFECYCLE_COLUMNS].assign(updated_at=pd.Timestamp(datetime.now(UTC)))
            await asyncio.to_thread(self.warehouse.upsert, "live_signals", written, ["signal_id"])

    async def _alert(self, opened: pd.DataFrame) -> None:
        now = datetime.now(UTC)
        alerts = self.alerts.make_alerts(opened, now, self.settings.signal_cooldown)
        if await asyncio.to_thread(self.alerts.raise_alerts, alerts):
            await asyncio.to_thread(self.alerts.deliver, now)

    async def _trade(self, opened: pd.DataFrame, as_of: datetime) -> None:
        """Hand each opened signal to the trader with its token's book as it is now; a failed decision
        is logged and never stops detection."""
        async with self._trading:
            for row in opened.to_dict("records"):
                try:
                    signal = TradeSignal.from_row(row, *self.state.context.trade_labels(row))
                    book = _copy(self.state.books.book(signal.token_id))
                    await asyncio.to_thread(self.trader.consider, signal, book, as_of)
                    self.state.traded += 1
                except Exception as error:
                    logger.exception(
                        "trading decision failed", signal_id=row.get("signal_id"), error=type(error).__name__
                    )

    async def _write_status(self) -> None:
        await asyncio.to_thread(self.warehouse.upsert, "live_status", self.status(), ["service"])

    def status(self) -> pd.DataFrame:
        """The service's heartbeat row: what it follows and how busy it is."""
        stats, now = self.venues.channel.stats, datetime.now(UTC)
        uptime = max((now - self.state.started_at).total_seconds(), 1e-9)
        last = stats.last_message_at
        last_at = now - timedelta(seconds=time.monotonic() - last) if last is not None else None
        row = {
            "service": SERVICE_NAME,
            "updated_at": now,
            "started_at": self.state.started_at,
            "tokens": len(self.venues.channel.tokens),
            "messages": stats.messages,
            "messages_per_second": stats.messages / uptime,
            "last_message_at": last_at,
            "consumer_lag": len(self.state.dirty) + len(self.state.outbox),
            "evaluations": self.state.evaluations,
            "open_signals": len(self.state.lifecycle.open_tokens) if self.state.lifecycle else 0,
            "signals_opened": self.state.opened,
            "odds_polled_at": self.state.odds_polled_at,
            "quota_remaining": self.state.quota_remaining,
        }
        return pd.DataFrame([row])


def _copy(book: Book | None) -> Book | None:
    """A copy for the trader's thread, which the event loop's book updates cannot change under it."""
    if book is None:
        return None
    return dataclasses.replace(book, bids=dict(book.bids), asks=dict(book.asks))


def _message_instant(message: dict) -> datetime:
    """The venue's instant of a message (milliseconds as text), else now."""
    try:
        return datetime.fromtimestamp(int(message["timestamp"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def run_service(service: LiveService, minutes: float | None = None) -> None:
    """Run `service` until SIGINT or SIGTERM, or for `minutes` if given; then stop it cleanly."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):  # not the main thread: no handlers
                loop.add_signal_handler(signum, stop.set)
        if minutes is not None:
            loop.call_later(minutes * 60, stop.set)
        await service.run(stop)

    asyncio.run(main())
