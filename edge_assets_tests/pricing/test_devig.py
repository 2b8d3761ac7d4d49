import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import DEVIG_METHODS, devig, devig_frame

market_odds = st.lists(st.floats(min_value=1.01, max_value=50), min_size=2, max_size=6).map(np.array)
methods = st.sampled_from(sorted(DEVIG_METHODS))
# Two-way (sports) and three-way (soccer) markets as a book prices them: fair probabilities plus a
# margin of up to 15%, spread over the outcomes unevenly.
fair_markets = (
    st.integers(min_value=2, max_value=3)
    .flatmap(lambda n: st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=n, max_size=n))
    .map(lambda w: np.array(w) / sum(w))
)

wide_fair_markets = st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6).map(lambda w: np.array(w) / sum(w))


@st.composite
def booked_markets(draw):
    fair = draw(fair_markets)
    margins = np.array(draw(st.lists(st.floats(0, 0.15), min_size=fair.size, max_size=fair.size)))
    implied = np.minimum(fair * (1 + margins), 0.99)
    return 1 / implied


@given(st.one_of(market_odds, booked_markets()), methods)
def test_devig_gives_probabilities_summing_to_one(odds, method):
    # market_odds includes under-round markets (implied sum < 1), which every method also handles.
    fair = devig(odds, method)
    assert fair.shape == odds.shape
    assert ((fair >= 0) & (fair <= 1)).all()
    assert fair.sum() == pytest.approx(1.0, abs=1e-12)


@given(st.one_of(market_odds, booked_markets()), methods)
def test_devig_keeps_the_order_of_implied_probabilities(odds, method):
    fair = devig(odds, method)
    implied = 1 / odds
    for i in range(len(odds)):
        for j in range(len(odds)):
            if implied[i] > implied[j]:
                assert fair[i] >= fair[j]


@given(st.one_of(fair_markets, wide_fair_markets), methods)
def test_devig_leaves_a_fair_market_unchanged(fair_probs, method):
    np.testing.assert_allclose(devig(1 / fair_probs, method), fair_probs, rtol=1e-9)


@given(st.lists(booked_markets(), min_size=1, max_size=8), methods)
def test_devig_frame_solves_many_markets_as_if_one_by_one(markets, method):
    frame = pd.DataFrame(
        {
            "market": np.repeat(np.arange(len(markets)), [m.size for m in markets]),
            "decimal_odds": np.concatenate(markets),
        }
    )
    together = devig_frame(frame, ["market"], method=method).to_numpy()
    np.testing.assert_allclose(together, np.concatenate([devig(m, method) for m in markets]), atol=1e-12)


def test_shin_and_additive_agree_on_two_way_markets():
    # A known property of Shin's model: with two outcomes it removes the same amount from each.
    np.testing.assert_allclose(devig([2.5, 1.6], "shin"), devig([2.5, 1.6], "additive"))
    np.testing.assert_allclose(devig([2.5, 1.6], "additive"), [0.4 - 0.0125, 0.625 - 0.0125])


def test_shin_three_way_matches_a_scalar_bisection():
    implied = 1 / np.array([1.5, 4.0, 7.0])
    booksum = implied.sum()
    low, high = 0.0, 1.0
    for _ in range(200):
        z = (low + high) / 2
        probs = (np.sqrt(z**2 + 4 * (1 - z) * implied**2 / booksum) - z) / (2 * (1 - z))
        low, high = (z, high) if probs.sum() > 1 else (low, z)
    np.testing.assert_allclose(devig([1.5, 4.0, 7.0], "shin"), probs, rtol=1e-9)


def test_power_and_odds_ratio_definitions_hold():
    implied = 1 / np.array([1.5, 4.0, 7.0])
    power = devig([1.5, 4.0, 7.0], "power")
    exponents = np.log(power) / np.log(implied)
    np.testing.assert_allclose(exponents, exponents[0])
    ratio = devig([1.5, 4.0, 7.0], "odds_ratio")
    ratios = (implied / (1 - implied)) / (ratio / (1 - ratio))
    np.testing.assert_allclose(ratios, ratios[0])
    assert exponents[0] > 1 and ratios[0] > 1


def test_additive_never_goes_negative_on_a_longshot():
    # Implied 0.909 + 0.333 + 0.010: the textbook shift of 0.084 would make the longshot -0.074.
    fair = devig([1.1, 3.0, 100.0], "additive")
    np.testing.assert_allclose(fair, [0.909090909 - 0.121212121, 0.333333333 - 0.121212121, 0.0], atol=1e-9)


def test_devig_multiplicative_example():
    # 1/1.9 + 1/1.9 = 1.0526 overround; both sides are equal so each is one half.
    np.testing.assert_allclose(devig([1.9, 1.9]), [0.5, 0.5])
    np.testing.assert_allclose(devig([2.5, 1.6]), [0.4 / 1.025, 0.625 / 1.025])


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(ValueError, match="known methods: additive, multiplicative, odds_ratio, power, shin"):
        devig([1.9, 1.9], method="voodoo")
    assert "multiplicative" in DEVIG_METHODS


@pytest.mark.parametrize("odds", [[1.9], [[1.9, 1.9]], [1.9, 1.0], [1.9, float("nan")]])
def test_devig_rejects_impossible_markets(odds):
    with pytest.raises(ValueError):
        devig(odds)


def test_devig_frame_matches_devig_per_market():
    frame = pd.DataFrame(
        {
            "event_id": ["e1", "e1", "e1", "e1", "e2", "e2", "e2"],
            "bookmaker": ["a", "a", "b", "b", "a", "a", "a"],
            "decimal_odds": [1.9, 1.9, 2.5, 1.6, 2.2, 3.4, 3.1],
        },
        index=[10, 11, 12, 13, 14, 15, 16],
    )
    fair = devig_frame(frame, ["event_id", "bookmaker"])
    assert list(fair.index) == list(frame.index)
    np.testing.assert_allclose(fair.loc[[10, 11]], devig([1.9, 1.9]))
    np.testing.assert_allclose(fair.loc[[12, 13]], devig([2.5, 1.6]))
    np.testing.assert_allclose(fair.loc[[14, 15, 16]], devig([2.2, 3.4, 3.1]))


def test_devig_frame_custom_odds_column_and_empty_frame():
    frame = pd.DataFrame({"m": [1, 1], "price": [1.9, 1.9]})
    np.testing.assert_allclose(devig_frame(frame, ["m"], odds_col="price"), [0.5, 0.5])
    assert devig_frame(frame.iloc[:0], ["m"], odds_col="price").empty
    with pytest.raises(ValueError, match="known methods"):
        devig_frame(frame, ["m"], odds_col="price", method="shin-ish")
