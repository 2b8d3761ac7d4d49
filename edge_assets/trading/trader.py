"""The trader: one decision per signal, `Trader.consider(signal, book, now)`.

The live service calls it on each opened signal with the token's in-memory book, a batch backfill
with each `signals` row and the REST book of its hour; both get back the `executions` row written.
A decision re-checks the price against the book, takes the market's lock (one order in flight per
market, across processes), reads the risk state and passes the order to the risk guard, which alone
can send it. Every decision, placed or not, is written to `executions` and logged. Before its first
decision and then at most every `sweep_interval_seconds`, a paper or live trader settles the orders
a dead process left `sending` with what the venue knows of them (`sweep_sending`).
"""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from edge_assets.live.books import Book
from edge_assets.notify.logs import get_logger, redact_from_logs
from edge_assets.storage.sql import WarehouseTables
from edge_assets.trading.guard import (
    GuardDecision,
    ProposedOrder,
    RiskGuard,
    VenueError,
    VenueFill,
    VenueOutcome,
)
from edge_assets.trading.limits import TradingConfig, TradingMode
from edge_assets.trading.store import UNSETTLED, TradingStore

log = get_logger(__name__)

# Checks of the trader itself, named in `executions.stopped_by` beside the guard's limits.
NO_BOOK = "no_book"
PRICE_MOVED = "price_moved"
MARKET_LOCKED = "market_locked"
TOO_SMALL = "below_minimum_size"
# Polymarket's smallest order, in shares.
MIN_ORDER_SHARES = 5.0
# The venue's answer -> the execution's status.
_STATUS_BY_VENUE = {"matched": "filled", "live": "open", "delayed": "open", "unmatched": "unfilled"}
# An order left `sending` that the venue never saw: its process died before it was posted.
NEVER_REACHED = "never reached the venue: its process died mid-placement"
# What an `executions` row repeats of its order.
_ORDER_KEYS_OF_EXECUTION = (
    "signal_id",
    "mode",
    "pm_market_id",
    "pm_token_id",
    "outcome",
    "price",
    "stake",
    "order_id",
)


@dataclass(frozen=True)
class TradeSignal:
    """What the trader needs of a `signals` or `live_signals` row, plus the league and market type the
    blacklists judge (from market_mappings and pm_markets; None when unknown)."""

    signal_id: str
    market_id: str
    token_id: str
    outcome: str
    price: float
    stake: float | None = None
    league: str | None = None
    market_type: str | None = None

    @classmethod
    def from_row(
        cls, row: Mapping[str, Any], league: str | None = None, market_type: str | None = None
    ) -> TradeSignal:
        stake = row.get("stake")
        return cls(
            signal_id=str(row["signal_id"]),
            market_id=str(row["pm_market_id"]),
            token_id=str(row["pm_token_id"]),
            outcome=str(row["outcome"]),
            price=float(row["pm_price"]),
            stake=None if stake is None or (isinstance(stake, float) and math.isnan(stake)) else float(stake),
            league=league,
            market_type=market_type,
        )


class Trader:
    def __init__(
        self,
        config: TradingConfig,
        warehouse: WarehouseTables,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.store = TradingStore(warehouse)
        self.guard = RiskGuard(config, sleep=sleep)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._next_sweep = 0.0  # monotonic seconds: the first decision sweeps
        if config.credentials is not None:
            redact_from_logs(config.credentials.secrets(), "httpx", "py_clob_client")

    def consider(self, signal: TradeSignal, book: Book | None, now: datetime) -> dict[str, Any]:
        """Decide on `signal` against `book` at `now`; return the `executions` row written."""
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self.config.execution.sweep_interval_seconds
            self.sweep_sending(now)
        mode = self.config.mode
        execution = {
            "execution_id": uuid.uuid4().hex,
            "decided_at": now,
            "signal_id": signal.signal_id,
            "mode": str(mode),
            "pm_market_id": signal.market_id,
            "pm_token_id": signal.token_id,
            "outcome": signal.outcome,
            "price": signal.price,
            "stake": 0.0,
            "status": "skipped",
            "stopped_by": None,
            "detail": None,
            "order_id": None,
        }
        best_bid = book.best("bid") if book is not None else None
        if best_bid is not None:
            self.store.mark(str(mode), signal.token_id, best_bid, now)
        order, stopped_by = self._order_for(signal, book)
        if order is None:
            return self._finish(execution, stopped_by)
        execution.update(price=order.price, stake=order.stake)
        # The lock's lease runs on the wall clock: `now` is the signal's as-of time, which a backfill
        # sets in the past.
        now_epoch = time.time()
        if not self.store.take_lock(
            signal.market_id, self.holder, now_epoch, self.config.execution.lock_ttl_seconds
        ):
            return self._finish(execution, MARKET_LOCKED)
        try:
            halted = self.store.kill_switch().halted
            state = self.store.risk_state(str(mode), now, halted, self.config.limits.order_lookback)
            decision = self.guard.submit(
                order,
                state,
                now,
                # Recorded as sending before its first post: its stake counts, and a crash leaves a row.
                on_signed=lambda order_id: self.store.record_order(
                    self._order_row(order, order_id, now, "sending")
                ),
            )
            if decision.stopped_by is not None:
                return self._finish(execution, decision.stopped_by)
            self._record(order, decision, execution, now)
            return self._finish(execution, None)
        finally:
            self.store.release_lock(signal.market_id, self.holder)

    def sweep_sending(self, now: datetime) -> list[dict[str, Any]]:
        """Settle this mode's orders left `sending` (a process died between recording one and the
        venue's answer) by what the venue knows: its status and fills, or `failed` when it never saw
        the order; each gets the `executions` row its lost decision never wrote. Only orders older than
        a lock lease are swept, each under its market's lock, so no placement still in flight is
        touched; one the venue cannot be asked about now stays `sending` for a later sweep. Returns
        the executions rows written (none in dry mode, which sends nothing)."""
        if self.config.mode is TradingMode.DRY:
            return []
        ttl = self.config.execution.lock_ttl_seconds
        written = []
        for row in self.store.unsettled_orders(str(self.config.mode), now - timedelta(seconds=ttl)):
            market = row["pm_market_id"]
            if not self.store.take_lock(market, self.holder, time.time(), ttl):
                continue
            try:
                if self.store.order_status(row["order_id"]) not in UNSETTLED:  # settled since
                    continue
                try:
                    outcome = self.guard.reconcile(row["order_id"], row["pm_token_id"])
                except VenueError as error:
                    log.warning(
                        "order left sending not reconciled yet", order_id=row["order_id"], error=str(error)
                    )
                    continue
                written.append(self._settle_swept(row, outcome, now))
            finally:
                self.store.release_lock(market, self.holder)
        return written

    def _settle_swept(
        self, row: dict[str, Any], outcome: VenueOutcome | None, now: datetime
    ) -> dict[str, Any]:
        placed_at = row["created_at"].to_pydatetime()
        fills = [] if outcome is None else outcome.fills
        if fills:
            self.store.record_fills(_fill_rows(row, fills, placed_at), row["mode"], row["pm_token_id"], now)
        status = "failed" if outcome is None else outcome.status
        error = NEVER_REACHED if outcome is None else None
        self.store.record_order(
            {
                **row,
                "status": status,
                "size_matched": sum(fill.size for fill in fills),
                "error": error,
                "updated_at": now,
            }
        )
        execution = {
            "execution_id": uuid.uuid4().hex,
            "decided_at": placed_at,
            **{key: row[key] for key in _ORDER_KEYS_OF_EXECUTION},
            "status": _STATUS_BY_VENUE.get(status, status),
            "detail": error or "reconciled after its process died mid-placement",
        }
        return self._finish(execution, None)

    def _order_for(self, signal: TradeSignal, book: Book | None) -> tuple[ProposedOrder | None, str | None]:
        """The order to propose at the book's best ask, or the check that found none worth sending."""
        ask = book.best("ask") if book is not None else None
        if ask is None:
            return None, NO_BOOK
        if ask > signal.price + self.config.execution.price_tolerance:
            return None, PRICE_MOVED
        budget = min(signal.stake or math.inf, self.config.limits.max_stake_per_order)
        shares = math.floor(min(budget / ask, book.asks[ask]) * 100) / 100
        if shares < MIN_ORDER_SHARES:
            return None, TOO_SMALL
        order = ProposedOrder(
            signal_id=signal.signal_id,
            market_id=signal.market_id,
            token_id=signal.token_id,
            outcome=signal.outcome,
            price=ask,
            size=shares,
            league=signal.league,
            market_type=signal.market_type,
        )
        return order, None

    def _order_row(
        self, order: ProposedOrder, order_id: str, now: datetime, status: str, **outcome: Any
    ) -> dict[str, Any]:
        sent = self.config.mode is not TradingMode.DRY
        return {
            "order_id": order_id,
            "created_at": now,
            "updated_at": now,
            "signal_id": order.signal_id,
            "mode": str(self.config.mode),
            "pm_market_id": order.market_id,
            "pm_token_id": order.token_id,
            "outcome": order.outcome,
            "side": "BUY",
            "order_type": self.config.execution.order_type if sent else "DRY",
            "price": order.price,
            "size": order.size,
            "stake": order.stake,
            "status": status,
            "attempts": outcome.get("attempts", 0),
            "size_matched": outcome.get("size_matched", 0.0),
            "error": outcome.get("error"),
        }

    def _record(
        self, order: ProposedOrder, decision: GuardDecision, execution: dict[str, Any], now: datetime
    ) -> None:
        mode = str(self.config.mode)
        outcome = decision.outcome
        if outcome is None:  # dry: decided, nothing sent
            order_id, status, error = execution["execution_id"], "decided", None
            self.store.record_order(self._order_row(order, order_id, now, status))
        else:
            order_id, status, error = (
                outcome.order_id or execution["execution_id"],
                outcome.status,
                outcome.error,
            )
            row = self._order_row(
                order,
                order_id,
                now,
                status,
                attempts=outcome.attempts,
                size_matched=outcome.size_matched,
                error=error,
            )
            self.store.record_order(row)
        if outcome is not None and outcome.fills:
            placed = {"order_id": order_id, "mode": mode, "pm_market_id": order.market_id,
                      "pm_token_id": order.token_id, "outcome": order.outcome}  # fmt: skip
            self.store.record_fills(_fill_rows(placed, outcome.fills, now), mode, order.token_id, now)
        execution["order_id"] = order_id
        execution["status"] = "decided" if outcome is None else _STATUS_BY_VENUE.get(status, status)
        execution["detail"] = error

    def _finish(self, execution: dict[str, Any], stopped_by: str | None) -> dict[str, Any]:
        execution["stopped_by"] = stopped_by
        self.store.record_execution(execution)
        fields = {key: value for key, value in execution.items() if key != "decided_at"}
        report = log.warning if execution["status"] in ("failed", "rejected") else log.info
        report("trading decision", decided_at=execution["decided_at"].isoformat(), **fields)
        return execution


def _fill_rows(order: Mapping[str, Any], fills: list[VenueFill], filled_at: datetime) -> list[dict[str, Any]]:
    """The `fills` rows of an order's venue trades (`order`: order_id, mode, market, token, outcome)."""
    keys = ("order_id", "mode", "pm_market_id", "pm_token_id", "outcome")
    return [
        {
            "fill_id": fill.trade_id,
            "filled_at": filled_at,
            **{key: order[key] for key in keys},
            "price": fill.price,
            "size": fill.size,
        }  # fmt: skip
        for fill in fills
    ]
