"""The guard over the trader's own tables: with the risk state read from a real warehouse (SQLite) as
each decision reads it, no sequence of signals, fills, price moves, resolutions and halts gets an
order past any limit, the daily loss counting realised and marked-to-market P&L."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.guard import ProposedOrder, check_order
from edge_assets.trading.limits import ORDER_RATE_WINDOW, RiskLimits
from edge_assets.trading.store import TradingStore

NOW = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)  # the steps run past midnight: a new loss day
# Tight enough that a few orders press every limit (a mutation check disabling one must fail).
LIMITS = RiskLimits(
    max_stake_per_order=20.0,
    max_stake_per_market=30.0,
    max_open_exposure=45.0,
    daily_loss_limit=15.0,
    cooldown_seconds=60.0,
    max_orders_per_minute=3,
    blocked_leagues=frozenset({"nhl"}),
    blocked_market_types=frozenset({"totals"}),
)
SLACK = 1e-6
markets = st.sampled_from(["m1", "m2", "m3", "m4"])
signals = st.tuples(
    st.just("signal"), markets, st.floats(0.2, 0.8), st.floats(5.0, 30.0),
    st.sampled_from(["nba", "nba", "nhl"]), st.sampled_from(["moneyline", "moneyline", "totals"]),
)  # fmt: skip
steps = st.lists(
    st.one_of(
        signals,
        signals,
        signals,
        st.tuples(st.just("move"), markets, st.floats(0.0, 1.0)),
        st.tuples(st.just("resolve"), markets, st.sampled_from([0.0, 1.0])),
        # Mostly within the cooldown and the per-minute window, sometimes past midnight.
        st.tuples(st.just("clock"), st.one_of(st.integers(0, 90), st.just(4 * 3600))),
        st.tuples(st.just("halt"), st.booleans()),
    ),
    min_size=5,
    max_size=30,
)


def order_row(index: int, order: ProposedOrder, at: datetime) -> dict:
    return {
        "order_id": f"o{index}", "created_at": at, "updated_at": at, "signal_id": order.signal_id,
        "mode": "paper", "pm_market_id": order.market_id, "pm_token_id": order.token_id,
        "outcome": order.outcome, "side": "BUY", "order_type": "FOK", "price": order.price,
        "size": order.size, "stake": order.stake, "status": "matched", "attempts": 1,
        "size_matched": order.size, "error": None,
    }  # fmt: skip


def fill_row(index: int, order: ProposedOrder, at: datetime) -> dict:
    return {
        "fill_id": f"t{index}", "order_id": f"o{index}", "filled_at": at, "mode": "paper",
        "pm_market_id": order.market_id, "pm_token_id": order.token_id, "outcome": order.outcome,
        "price": order.price, "size": order.size,
    }  # fmt: skip


def signal(market: str, price: float, size: float) -> tuple:
    return ("signal", market, price, size, "nba", "moneyline")


# Sequences that press one limit each, searched or not: the day's realised loss (a lost resolution
# leaves no room for the next order) and the open exposure (the fourth 15 USDC order of 45).
@example(steps=[signal("m1", 0.5, 30.0), ("resolve", "m1", 0.0), signal("m2", 0.5, 10.0)])
@example(
    steps=[step for market in ("m1", "m2", "m3", "m4") for step in (signal(market, 0.5, 30.0), ("clock", 61))]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_no_sequence_gets_an_order_past_a_limit_judged_from_the_tables(tmp_path_factory, steps):
    store = TradingStore(SqlWarehouse(f"sqlite:///{tmp_path_factory.mktemp('guard') / 'edge.db'}"))
    now = NOW
    # The oracle: what was filled, marked and resolved, kept apart from the tables.
    filled: list[tuple[datetime, ProposedOrder]] = []
    marks: dict[str, float] = {}
    payouts: dict[str, float] = {}
    for index, step in enumerate(steps):
        kind = step[0]
        if kind == "clock":
            now += timedelta(seconds=step[1])
        elif kind == "halt":
            store.set_kill_switch(step[1], "test", "property", now)
        elif kind == "move" and any(order.market_id == step[1] for _, order in filled):
            store.mark("paper", f"{step[1]}-Yes", step[2], now)
            marks[f"{step[1]}-Yes"] = step[2]
        elif kind == "resolve" and f"{step[1]}-Yes" not in payouts:
            row = {"token_id": f"{step[1]}-Yes", "market_id": step[1], "outcome": "Yes",
                   "payout": step[2], "resolved_at": now, "fetched_at": now}  # fmt: skip
            store.warehouse.upsert("polymarket_resolutions", pd.DataFrame([row]), ["token_id"])
            payouts[f"{step[1]}-Yes"] = step[2]
        elif kind == "signal":
            _, market, price, size, league, market_type = step
            token = f"{market}-Yes"
            order = ProposedOrder(f"s{index}", market, token, "Yes", price, size, league, market_type)
            halted = store.kill_switch().halted
            state = store.risk_state("paper", now, halted, LIMITS.order_lookback)
            if check_order(order, state, LIMITS, now) is not None:
                continue
            assert not halted
            assert league not in LIMITS.blocked_leagues and market_type not in LIMITS.blocked_market_types
            assert order.stake <= LIMITS.max_stake_per_order + SLACK
            open_fills = [(at, held) for at, held in filled if held.token_id not in payouts]
            assert sum(held.stake for _, held in open_fills) + order.stake <= LIMITS.max_open_exposure + SLACK
            in_market = sum(held.stake for _, held in open_fills if held.market_id == market)
            assert in_market + order.stake <= LIMITS.max_stake_per_market + SLACK
            day = now.date()
            pnl = sum(
                held.size * (payouts.get(held.token_id, marks.get(held.token_id, held.price)) - held.price)
                for at, held in filled
                if at.date() == day
            )
            assert pnl - order.stake >= -LIMITS.daily_loss_limit - SLACK
            same = [at for at, held in filled if held.market_id == market]
            assert all(now - at >= timedelta(seconds=LIMITS.cooldown_seconds) for at in same)
            assert sum(now - ORDER_RATE_WINDOW < at for at, _ in filled) < LIMITS.max_orders_per_minute
            store.record_order(order_row(index, order, now))
            store.record_fills([fill_row(index, order, now)], "paper", order.token_id, now)
            filled.append((now, order))
    # Steer the search towards sequences where many orders pass, so the limits are pressed.
    target(float(len(filled)))
