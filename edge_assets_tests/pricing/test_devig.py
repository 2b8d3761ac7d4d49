import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import DEVIG_METHODS, devig, devig_frame

market_odds = st.lists(st.floats(min_value=1.01, max_value=50), min_size=2, max_size=6).map(np.array)


@given(market_odds)
def test_devig_gives_probabilities_summing_to_one(odds):
    fair = devig(odds)
    assert fair.shape == odds.shape
    assert ((fair >= 0) & (fair <= 1)).all()
    assert fair.sum() == pytest.approx(1.0)


@given(market_odds)
def test_devig_keeps_the_order_of_implied_probabilities(odds):
    fair = devig(odds)
    implied = 1 / odds
    for i in range(len(odds)):
        for j in range(len(odds)):
            if implied[i] > implied[j]:
                assert fair[i] >= fair[j]


@given(st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=2, max_size=6))
def test_devig_leaves_a_fair_market_unchanged(weights):
    fair_probs = np.array(weights) / sum(weights)
    np.testing.assert_allclose(devig(1 / fair_probs), fair_probs, rtol=1e-9)


def test_devig_multiplicative_example():
    # 1/1.9 + 1/1.9 = 1.0526 overround; both sides are equal so each is one half.
    np.testing.assert_allclose(devig([1.9, 1.9]), [0.5, 0.5])
    np.testing.assert_allclose(devig([2.5, 1.6]), [0.4 / 1.025, 0.625 / 1.025])


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(ValueError, match="known methods: multiplicative"):
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
