"""The guard's view built from the tables: held stake, the day's marked-to-market P&L, and the loss
limit it feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading import guard
from edge_assets.trading.guard import ProposedOrder, check_order
from edge_assets.trading.limits import RiskLimits
from edge_assets.trading.store import TradingStore

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def order_row(order_id: str, market: str, status: str, stake: float, matched: float, price: float = 0.5):
    return {
        "order_id": order_id, "created_at": NOW, "updated_at": NOW, "signal_id": f"sig-{order_id}",
        "mode": "paper", "pm_market_id": market, "pm_token_id": f"{market}-Yes", "outcome": "Yes",
        "side": "BUY", "order_type": "FOK", "price": price, "size": stake / price, "stake": stake,
        "status": status, "attempts": 1, "size_matched": matched, "error": None,
    }  # fmt: skip


def fill_row(fill_id: str, order_id: str, market: str, price: float, size: float, at: datetime):
    return {
        "fill_id": fill_id, "order_id": order_id, "filled_at": at, "mode": "paper",
        "pm_market_id": market, "pm_token_id": f"{market}-Yes", "outcome": "Yes",
        "price": price, "size": size,
    }  # fmt: skip


def test_risk_state_counts_held_stake_and_marks_todays_fills(database_url):
    store = TradingStore(SqlWarehouse(database_url))
    store.record_order(order_row("a", "m1", "matched", stake=20.0, matched=40.0))
    store.record_order(order_row("b", "m1", "live", stake=10.0, matched=0.0))  # resting: its stake is held
    store.record_order(order_row("c", "m2", "failed", stake=10.0, matched=0.0))  # never filled: nothing held
    store.record_fills([fill_row("t1", "a", "m1", 0.5, 40.0, NOW)], "paper", "m1-Yes", NOW)
    # A replayed trade is not a second fill.
    store.record_fills([fill_row("t1", "a", "m1", 0.5, 40.0, NOW)], "paper", "m1-Yes", NOW)
    store.record_fills(
        [fill_row("t0", "z", "m3", 0.5, 100.0, NOW - timedelta(days=1))], "paper", "m3-Yes", NOW
    )
    store.mark("paper", "m1-Yes", 0.2, NOW)
    store.mark("paper", "m3-Yes", 0.1, NOW)  # yesterday's fill: not today's P&L
    state = store.risk_state("paper", NOW, halted=False)
    assert state.market_stakes == {"m1": pytest.approx(30.0), "m2": 0.0}
    assert state.open_exposure == pytest.approx(30.0)
    assert state.daily_pnl == pytest.approx(40.0 * (0.2 - 0.5))
    assert state.last_order_at == {("m1", "Yes"): NOW, ("m2", "Yes"): NOW}
    # Down 12 today, so an order risking more than 88 breaks the 100 loss limit.
    limits = RiskLimits(max_stake_per_order=1000, max_stake_per_market=1000, max_open_exposure=1000)
    later = NOW + timedelta(hours=1)
    assert check_order(ProposedOrder("s", "m9", "t", "Yes", 0.5, 175.0), state, limits, later) is None
    big = ProposedOrder("s", "m9", "t", "Yes", 0.5, 177.0)
    assert check_order(big, state, limits, later) == guard.DAILY_LOSS_LIMIT
