import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import capped_kelly_stake, kelly_fraction

probs = st.floats(0, 1)
odds = st.floats(1.01, 100)


def test_kelly_examples():
    # 60% at evens: f = (0.6 * 2 - 1) / 1 = 0.2.
    assert kelly_fraction(0.6, 2.0) == pytest.approx(0.2)
    # A Polymarket buy: fair 55%, effective price 0.5125 a share, so decimal odds 1 / 0.5125.
    assert kelly_fraction(0.55, 1 / 0.5125) == pytest.approx((0.55 / 0.5125 - 1) / (1 / 0.5125 - 1))
    assert kelly_fraction(0.4, 2.0) == 0.0  # no edge, no bet
    np.testing.assert_allclose(kelly_fraction(np.array([0.6, 0.5]), np.array([2.0, 3.0])), [0.2, 0.25])


@given(probs, odds)
def test_kelly_fraction_is_a_share_of_the_bankroll(prob, decimal_odds):
    fraction = kelly_fraction(prob, decimal_odds)
    assert 0 <= fraction <= prob + 1e-12
    if fraction > 0:
        assert prob * decimal_odds > 1  # only a bet with an edge gets money


@given(probs, odds, st.floats(0, 1e6))
def test_capped_stake_never_exceeds_the_cap_or_the_fractional_kelly(prob, decimal_odds, bankroll):
    stake = capped_kelly_stake(prob, decimal_odds, bankroll, fraction=0.25, cap=0.05)
    assert 0 <= stake <= 0.05 * bankroll + 1e-9
    assert stake <= 0.25 * kelly_fraction(prob, decimal_odds) * bankroll + 1e-9


def test_capped_stake_examples_and_series():
    assert capped_kelly_stake(0.6, 2.0, 1000) == pytest.approx(50.0)  # quarter Kelly 5% = the cap
    assert capped_kelly_stake(0.55, 2.0, 1000, cap=1.0) == pytest.approx(25.0)
    stakes = capped_kelly_stake(pd.Series([0.6, 0.3], index=["a", "b"]), 2.0, 1000)
    assert list(stakes.index) == ["a", "b"]
    np.testing.assert_allclose(stakes, [50.0, 0.0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prob": 1.1},
        {"decimal_odds": 1.0},
        {"bankroll": -1},
        {"fraction": 0},
        {"fraction": 1.5},
        {"cap": -0.1},
    ],
)
def test_sizing_rejects_impossible_input(kwargs):
    arguments = {"prob": 0.6, "decimal_odds": 2.0, "bankroll": 100.0, **kwargs}
    with pytest.raises(ValueError):
        capped_kelly_stake(**arguments)
