"""The risk guard's limits: each stops the order that would break it. That no sequence of signals,
fills and price moves gets an order past any of them is the property over the tables
(test_guard_over_store.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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
