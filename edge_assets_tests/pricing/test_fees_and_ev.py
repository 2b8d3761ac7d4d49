from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import ev_after_costs, fee_per_share, polymarket_taker_fee

# The sports schedule found on Gamma markets (see shared/fixtures/polymarket_gamma_markets_active.json).
SPORTS = {"exponent": 1, "rate": 0.05, "takerOnly": True, "rebateRate": 0.15}

prices = st.floats(min_value=0, max_value=1)
rates = st.floats(min_value=0, max_value=0.5)
exponents = st.sampled_from([0.5, 1, 2])


def test_documented_example():
    # 100 shares at 50c with rate 5%: 100 * 0.05 * 0.25 = 1.25 USDC.
    assert polymarket_taker_fee(0.5, 100, SPORTS) == pytest.approx(1.25)


def test_fee_is_floored_to_five_decimals():
    # 3 * 0.05 * 0.33 * 0.67 = 0.033165 exactly; 7 shares at 0.333 -> 0.07775... floors, never rounds up.
    assert polymarket_taker_fee(0.33, 3, SPORTS) == pytest.approx(0.03316)
    raw = 7 * 0.05 * 0.333 * 0.667
    assert polymarket_taker_fee(0.333, 7, SPORTS) == pytest.approx(np.floor(raw * 1e5) / 1e5)
    assert polymarket_taker_fee(0.5, 1, SPORTS) == pytest.approx(0.0125)  # not 0.01249


# Prices on a 0.0001 grid: for an arbitrary float p, 1 - p is rounded, and near 0 or 1 that rounding
# alone moves p (1 - p) ** 0.5 by more than any sensible tolerance.
grid_prices = st.integers(min_value=0, max_value=10_000)


@given(grid_prices, rates, exponents)
def test_fee_per_share_symmetric_and_zero_at_the_bounds(ticks, rate, exponent):
    price, mirror = ticks / 10_000, (10_000 - ticks) / 10_000
    assert fee_per_share(price, rate, exponent) == pytest.approx(
        fee_per_share(mirror, rate, exponent), rel=1e-9
    )
    assert fee_per_share(0.0, rate, exponent) == 0.0
    assert fee_per_share(1.0, rate, exponent) == 0.0


@given(prices, st.floats(min_value=0, max_value=1e5))
def test_taker_fee_symmetric_and_never_exceeds_the_unrounded_fee(price, shares):
    fee = polymarket_taker_fee(price, shares, SPORTS)
    assert fee == pytest.approx(polymarket_taker_fee(1 - price, shares, SPORTS), abs=1e-5)
    assert 0 <= fee <= shares * fee_per_share(price, 0.05, 1) + 1e-9


@pytest.mark.parametrize("schedule", [None, {}, {"rate": 0, "exponent": 1}, {"rate": float("nan")}])
def test_no_schedule_means_no_fee(schedule):
    assert polymarket_taker_fee(0.4, 100, schedule) == 0.0


def test_schedule_as_object_and_vectorised():
    schedule = SimpleNamespace(rate=0.05, exponent=2, takerOnly=True, rebateRate=0.25)
    fees = polymarket_taker_fee(np.array([0.1, 0.5, 0.9]), np.array([100, 100, 100]), schedule)
    np.testing.assert_allclose(fees, [100 * 0.05 * 0.09**2, 100 * 0.05 * 0.25**2, 100 * 0.05 * 0.09**2])
    series = polymarket_taker_fee(pd.Series([0.2, 0.4], index=[3, 4]), 10, SPORTS)
    assert list(series.index) == [3, 4]


@pytest.mark.parametrize(("price", "shares"), [(1.2, 10), (-0.1, 10), (float("nan"), 10), (0.5, -1)])
def test_fee_rejects_impossible_input(price, shares):
    with pytest.raises(ValueError):
        polymarket_taker_fee(price, shares, SPORTS)


def test_ev_after_costs():
    # Fair 55%, buying at 50c with a 1.25c fee: 0.55 / 0.5125 - 1.
    assert ev_after_costs(0.55, 0.5, 0.0125) == pytest.approx(0.55 / 0.5125 - 1)
    assert ev_after_costs(0.5, 0.5, 0.0) == pytest.approx(0.0)
    evs = ev_after_costs(pd.Series([0.6, 0.3]), np.array([0.5, 0.4]), 0.01)
    assert isinstance(evs, pd.Series)
    np.testing.assert_allclose(evs, [0.6 / 0.51 - 1, 0.3 / 0.41 - 1])


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0.01, max_value=0.99))
def test_fees_only_lower_ev(fair_prob, price):
    fee = fee_per_share(price, 0.05, 1)
    assert ev_after_costs(fair_prob, price, fee) <= ev_after_costs(fair_prob, price, 0.0)


@pytest.mark.parametrize(("fair_prob", "price"), [(1.2, 0.5), (-0.1, 0.5), (0.5, 0.0), (float("nan"), 0.5)])
def test_ev_rejects_impossible_input(fair_prob, price):
    with pytest.raises(ValueError):
        ev_after_costs(fair_prob, price, 0.0)


def test_ev_scaled_by_fill_probability():
    assert ev_after_costs(0.55, 0.5, 0.0125, fill_prob=0.8) == pytest.approx(0.8 * (0.55 / 0.5125 - 1))
    assert ev_after_costs(0.55, 0.5, 0.0125, 0.0) == 0.0
    evs = ev_after_costs(np.array([0.6, 0.6]), 0.5, 0.0, fill_prob=np.array([1.0, 0.5]))
    np.testing.assert_allclose(evs, [0.2, 0.1])
    with pytest.raises(ValueError, match="fill_prob"):
        ev_after_costs(0.5, 0.5, 0.0, fill_prob=1.5)


@given(st.floats(0, 1), st.floats(0.01, 0.99), st.floats(0, 1))
def test_fill_probability_shrinks_ev_towards_zero(fair_prob, price, fill_prob):
    full = ev_after_costs(fair_prob, price, 0.0)
    assert abs(ev_after_costs(fair_prob, price, 0.0, fill_prob)) <= abs(full) + 1e-12
