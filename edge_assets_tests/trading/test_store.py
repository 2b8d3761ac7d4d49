"""The guard's view built from the tables: held stake, the day's realised and marked-to-market P&L,
and the loss limit it feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading import guard, settlement
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


def resolve(store: TradingStore, token: str, payout: float, at: datetime) -> None:
    row = {"token_id": token, "market_id": token.split("-")[0], "outcome": "Yes", "payout": payout,
           "resolved_at": at, "fetched_at": at}  # fmt: skip
    store.warehouse.upsert("polymarket_resolutions", pd.DataFrame([row]), ["token_id"])


def test_risk_state_counts_held_stake_and_the_days_realised_and_marked_pnl(database_url):
    store = TradingStore(SqlWarehouse(database_url))
    store.record_order(order_row("a", "m1", "matched", stake=20.0, matched=40.0))
    store.record_order(order_row("b", "m1", "live", stake=10.0, matched=0.0))  # resting: its stake is held
    store.record_order(order_row("c", "m2", "failed", stake=10.0, matched=0.0))  # never filled: nothing held
    store.record_order(order_row("d", "m4", "matched", stake=15.0, matched=30.0))  # resolved: nothing held
    old = {**order_row("e", "m5", "matched", stake=6.0, matched=12.0), "created_at": NOW - timedelta(days=2)}
    store.record_order(old)  # held, but too old for the cooldown and the per-minute cap
    store.record_fills([fill_row("t5", "e", "m5", 0.5, 12.0, old["created_at"])], "paper", "m5-Yes", NOW)
    store.record_fills([fill_row("t1", "a", "m1", 0.5, 40.0, NOW)], "paper", "m1-Yes", NOW)
    # A replayed trade is not a second fill.
    store.record_fills([fill_row("t1", "a", "m1", 0.5, 40.0, NOW)], "paper", "m1-Yes", NOW)
    store.record_fills(
        [fill_row("t0", "z", "m3", 0.5, 100.0, NOW - timedelta(days=1))], "paper", "m3-Yes", NOW
    )
    store.record_fills([fill_row("t4", "d", "m4", 0.5, 30.0, NOW)], "paper", "m4-Yes", NOW)
    store.mark("paper", "m1-Yes", 0.2, NOW)
    store.mark("paper", "m3-Yes", 0.1, NOW)  # yesterday's fill: not today's P&L
    store.mark("paper", "m4-Yes", 0.9, NOW)  # its payout, not this mark, values it
    resolve(store, "m4-Yes", 0.0, NOW)  # lost: 30 * (0 - 0.5) realised
    resolve(store, "m3-Yes", 1.0, NOW)  # resolved today, but filled yesterday: yesterday's P&L
    state = store.risk_state("paper", NOW, halted=False, lookback=timedelta(minutes=5))
    # m1: its position's cost 20 plus the live order's 10; the failed m2 and resolved m4 hold nothing.
    assert state.market_stakes == {"m1": pytest.approx(30.0), "m5": pytest.approx(6.0)}
    assert state.open_exposure == pytest.approx(36.0)
    assert state.daily_pnl == pytest.approx(40.0 * (0.2 - 0.5) + 30.0 * (0.0 - 0.5))
    assert state.last_order_at == {("m1", "Yes"): NOW, ("m2", "Yes"): NOW, ("m4", "Yes"): NOW}
    # A resolution, an order or a fill not yet known at an earlier instant does not count then: m3,
    # filled yesterday, is not resolved yet; m1 and m4 were bought at NOW, m2 was tried at NOW.
    before = store.risk_state("paper", NOW - timedelta(seconds=1), halted=False, lookback=timedelta(days=3))
    assert before.market_stakes == {"m3": pytest.approx(50.0), "m5": pytest.approx(6.0)}
    assert before.daily_pnl == 0.0 and set(before.last_order_at) == {("m5", "Yes")}
    # Down 27 today, so an order risking more than 73 breaks the 100 loss limit.
    limits = RiskLimits(max_stake_per_order=1000, max_stake_per_market=1000, max_open_exposure=1000)
    later = NOW + timedelta(hours=1)
    assert check_order(ProposedOrder("s", "m9", "t", "Yes", 0.5, 145.0), state, limits, later) is None
    big = ProposedOrder("s", "m9", "t", "Yes", 0.5, 147.0)
    assert check_order(big, state, limits, later) == guard.DAILY_LOSS_LIMIT


def test_a_rerun_of_an_earlier_hour_holds_only_the_stake_filled_by_then(database_url):
    """A backfill rerun of an old hour decides at that hour: the position the token has grown to since
    (the table's row sums every fill) and the markets bought later hold nothing yet."""
    store = TradingStore(SqlWarehouse(database_url))
    later = NOW + timedelta(hours=5)
    first = order_row("a", "m1", "matched", stake=10.0, matched=20.0)
    second = {**order_row("b", "m1", "matched", stake=15.0, matched=30.0), "created_at": later}
    other = {**order_row("c", "m2", "matched", stake=8.0, matched=16.0), "created_at": later}
    for row in (first, second, other):
        store.record_order(row)
    store.record_fills([fill_row("t1", "a", "m1", 0.5, 20.0, NOW)], "paper", "m1-Yes", NOW)
    store.record_fills([fill_row("t2", "b", "m1", 0.5, 30.0, later)], "paper", "m1-Yes", later)
    store.record_fills([fill_row("t3", "c", "m2", 0.5, 16.0, later)], "paper", "m2-Yes", later)
    rerun = store.risk_state("paper", NOW + timedelta(hours=1), halted=False, lookback=timedelta(minutes=5))
    assert rerun.market_stakes == {"m1": pytest.approx(10.0)}
    assert rerun.open_exposure == pytest.approx(10.0)
    today = store.risk_state("paper", later, halted=False, lookback=timedelta(minutes=5))
    assert today.market_stakes == {"m1": pytest.approx(25.0), "m2": pytest.approx(8.0)}


def test_the_days_pnl_is_the_settlements_with_the_taker_fee(database_url):
    store = TradingStore(SqlWarehouse(database_url))
    market = {
        "market_id": "m1", "question": "q", "active": True, "closed": False, "neg_risk": False,
        "outcomes": "[]", "clob_token_ids": "[]", "fee_rate": 0.25, "fee_exponent": 2.0, "fetched_at": NOW,
    }  # fmt: skip
    store.warehouse.upsert("polymarket_markets", pd.DataFrame([market]), ["market_id"])
    fills = [fill_row("t1", "a", "m1", 0.4, 50.0, NOW), fill_row("t2", "a", "m1", 0.45, 10.0, NOW)]
    store.record_fills(fills, "paper", "m1-Yes", NOW)
    store.mark("paper", "m1-Yes", 0.42, NOW)
    settled = settlement.settle_fills(
        store.warehouse.read_table("fills"),
        pd.DataFrame([market]),
        pd.DataFrame(columns=["pm_token_id", "closing_fair_prob", "game_start_ts"]),
        pd.DataFrame({"token_id": pd.Series(dtype=str), "payout": pd.Series(dtype=float)}),
        pd.DataFrame([{"token_id": "m1-Yes", "bid": 0.42, "bid_at": NOW}]),
    )
    state = store.risk_state("paper", NOW, halted=False, lookback=timedelta(minutes=5))
    assert (settled["fee"] > 0).all()
    assert state.daily_pnl == pytest.approx(settled["mtm_pnl"].sum())
    assert state.daily_pnl < 50.0 * (0.42 - 0.4) + 10.0 * (0.42 - 0.45)


def test_a_new_fill_rebuilds_the_position_by_the_settlement_rule_and_keeps_its_mark(database_url):
    store = TradingStore(SqlWarehouse(database_url))
    store.record_fills([fill_row("t1", "a", "m1", 0.4, 50.0, NOW)], "paper", "m1-Yes", NOW)
    store.mark("paper", "m1-Yes", 0.42, NOW + timedelta(minutes=1))
    store.record_fills([fill_row("t2", "b", "m1", 0.45, 10.0, NOW)], "paper", "m1-Yes", NOW)
    [position] = store.warehouse.read_table("positions").to_dict("records")
    assert position["size"] == pytest.approx(60.0)
    assert position["cost"] == pytest.approx(50.0 * 0.4 + 10.0 * 0.45)
    assert position["mark_price"] == pytest.approx(0.42)
    assert position["marked_at"] == NOW + timedelta(minutes=1)
