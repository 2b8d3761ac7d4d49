"""The risk guard's limits: each stops the order that would break it, and no sequence of signals,
fills and price moves gets an order past any of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_assets.trading import guard
from edge_assets.trading.guard import ProposedOrder, RiskState, check_order
from edge_assets.trading.limits import RiskLimits

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
LIMITS = RiskLimits(
    max_stake_per_order=20.0,
    max_stake_per_market=50.0,
    max_open_exposure=120.0,
    daily_loss_limit=40.0,
    cooldown_seconds=120.0,
    max_orders_per_minute=3,
    blocked_leagues=frozenset({"nhl"}),
    blocked_market_types=frozenset({"totals"}),
)


def order(market="m1", outcome="Yes", price=0.5, size=20.0, league="nba", market_type="moneyline"):
    return ProposedOrder("s1", market, f"{market}-{outcome}", outcome, price, size, league, market_type)


@pytest.mark.parametrize(
    ("proposed", "state", "stopped_by"),
    [
        (order(), RiskState(halted=True), guard.KILL_SWITCH),
        (order(league="nhl"), RiskState(), guard.BLOCKED_LEAGUE),
        (order(market_type="totals"), RiskState(), guard.BLOCKED_MARKET_TYPE),
        (order(size=41.0), RiskState(), guard.MAX_STAKE_PER_ORDER),
        (order(), RiskState(market_stakes={"m1": 41.0}), guard.MAX_STAKE_PER_MARKET),
        (order(), RiskState(open_exposure=111.0), guard.MAX_OPEN_EXPOSURE),
        (order(), RiskState(daily_pnl=-31.0), guard.DAILY_LOSS_LIMIT),
        (order(), RiskState(last_order_at={("m1", "Yes"): NOW - timedelta(seconds=119)}), guard.COOLDOWN),
        (order(), RiskState(order_times=(NOW - timedelta(seconds=50),) * 3), guard.MAX_ORDERS_PER_MINUTE),
    ],
)
def test_each_limit_stops_the_order_that_would_break_it(proposed, state, stopped_by):
    assert check_order(proposed, state, LIMITS, NOW) == stopped_by


def test_an_order_within_every_limit_passes():
    state = RiskState(
        open_exposure=110.0,
        market_stakes={"m1": 40.0},
        daily_pnl=-30.0,
        last_order_at={("m1", "Yes"): NOW - timedelta(seconds=120), ("m1", "No"): NOW},
        order_times=(NOW - timedelta(seconds=61),) * 5 + (NOW,) * 2,
    )
    assert check_order(order(size=20.0), state, LIMITS, NOW) is None


# One step of a trading day: a signal's order, a fill moving the day's P&L, or a price move.
markets = st.sampled_from(["m1", "m2", "m3"])
signal_steps = st.tuples(
    st.just("signal"),
    markets,
    st.sampled_from(["Yes", "No"]),
    st.floats(0.02, 0.98),
    st.floats(1.0, 60.0),
    st.sampled_from(["nba", "nhl", "nfl", None]),
    st.sampled_from(["moneyline", "totals", None]),
)
pnl_steps = st.tuples(st.just("pnl"), st.floats(-30.0, 30.0))
clock_steps = st.tuples(st.just("clock"), st.floats(0.0, 200.0))
steps = st.lists(st.one_of(signal_steps, pnl_steps, clock_steps), max_size=60)


@settings(max_examples=300, deadline=None)
@given(steps=steps, halt_at=st.integers(0, 80))
def test_no_sequence_of_signals_fills_and_price_moves_breaches_a_limit(steps, halt_at):
    now = NOW
    state = RiskState()
    accepted: list[tuple[datetime, ProposedOrder, RiskState]] = []
    for index, step in enumerate(steps):
        state = replace(state, halted=index >= halt_at)
        if step[0] == "clock":
            now += timedelta(seconds=step[1])
        elif step[0] == "pnl":
            state = replace(state, daily_pnl=state.daily_pnl + step[1])
        else:
            _, market, outcome, price, size, league, market_type = step
            proposed = order(market, outcome, price, size, league, market_type)
            if check_order(proposed, state, LIMITS, now) is None:
                accepted.append((now, proposed, state))
                state = replace(
                    state,
                    open_exposure=state.open_exposure + proposed.stake,
                    market_stakes={
                        **state.market_stakes,
                        market: state.market_stakes.get(market, 0.0) + proposed.stake,
                    },
                    last_order_at={**state.last_order_at, (market, outcome): now},
                    order_times=(*state.order_times, now),
                )
    slack = 1e-6
    exposure = 0.0
    by_market: dict[str, float] = {}
    for index, (at, proposed, before) in enumerate(accepted):
        assert not before.halted
        assert proposed.league not in LIMITS.blocked_leagues
        assert proposed.market_type not in LIMITS.blocked_market_types
        assert proposed.stake <= LIMITS.max_stake_per_order + slack
        assert before.daily_pnl - proposed.stake >= -LIMITS.daily_loss_limit - slack
        exposure += proposed.stake
        by_market[proposed.market_id] = by_market.get(proposed.market_id, 0.0) + proposed.stake
        assert exposure <= LIMITS.max_open_exposure + slack
        assert by_market[proposed.market_id] <= LIMITS.max_stake_per_market + slack
        same = [
            other_at
            for other_at, other, _ in accepted[:index]
            if (other.market_id, other.outcome) == (proposed.market_id, proposed.outcome)
        ]
        assert all(at - other_at >= timedelta(seconds=LIMITS.cooldown_seconds) for other_at in same)
        in_window = [
            other_at for other_at, _, _ in accepted[: index + 1] if at - timedelta(minutes=1) < other_at
        ]
        assert len(in_window) <= LIMITS.max_orders_per_minute
