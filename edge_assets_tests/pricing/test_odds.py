import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import (
    american_to_decimal,
    decimal_to_american,
    fractional_to_decimal,
    implied_probability,
)
from edge_assets.pricing.odds import american_to_decimal_where_possible

american_odds = st.one_of(
    st.floats(min_value=100, max_value=100_000), st.floats(min_value=-100_000, max_value=-100)
)
decimal_odds = st.floats(min_value=1.001, max_value=1_000)


@pytest.mark.parametrize(
    ("american", "decimal"), [(150, 2.5), (-200, 1.5), (100, 2.0), (-100, 2.0), (-110, 1 + 100 / 110)]
)
def test_known_conversions(american, decimal):
    assert american_to_decimal(american) == pytest.approx(decimal)


def test_evens_is_plus_100():
    assert decimal_to_american(2.0) == 100.0


@given(american_odds)
def test_american_round_trip(odds):
    back = decimal_to_american(american_to_decimal(odds))
    # -100 and +100 are the same price; the conversion reports evens as +100.
    expected = 100.0 if math.isclose(odds, -100) else odds
    assert back == pytest.approx(expected, rel=1e-9)


@given(decimal_odds)
def test_decimal_round_trip(odds):
    assert american_to_decimal(decimal_to_american(odds)) == pytest.approx(odds, rel=1e-9)


@given(decimal_odds)
def test_implied_probability_is_a_probability(odds):
    assert 0 < implied_probability(odds) < 1


def test_arrays_and_series_keep_their_shape():
    series = pd.Series([150, -200], index=["a", "b"], name="price")
    converted = american_to_decimal(series)
    assert isinstance(converted, pd.Series)
    assert list(converted.index) == ["a", "b"]
    np.testing.assert_allclose(converted, [2.5, 1.5])
    np.testing.assert_allclose(implied_probability(np.array([2.0, 4.0])), [0.5, 0.25])
    assert isinstance(american_to_decimal(-110), float)


@pytest.mark.parametrize("odds", [0, 50, -99.9, 99.99, math.nan, math.inf])
def test_impossible_american_odds(odds):
    with pytest.raises(ValueError, match="American odds"):
        american_to_decimal(odds)


def test_one_impossible_value_in_an_array_is_reported():
    with pytest.raises(ValueError, match="-50"):
        american_to_decimal(np.array([150, -50, 200]))


@pytest.mark.parametrize("odds", [1.0, 0.5, 0, -2, math.nan, math.inf])
def test_impossible_decimal_odds(odds):
    with pytest.raises(ValueError, match="decimal odds"):
        decimal_to_american(odds)
    with pytest.raises(ValueError, match="decimal odds"):
        implied_probability(odds)


def test_non_numeric_input():
    with pytest.raises(ValueError, match="numeric"):
        american_to_decimal("even")


@pytest.mark.parametrize(
    ("fractional", "decimal"), [("5/2", 3.5), ("1/4", 1.25), ("evens", 2.0), ("11/10", 2.1)]
)
def test_fractional_to_decimal(fractional, decimal):
    assert fractional_to_decimal(fractional) == pytest.approx(decimal)


@given(st.integers(1, 1000), st.integers(1, 1000))
def test_fractional_round_trips_through_decimal(numerator, denominator):
    decimal = fractional_to_decimal(f"{numerator}/{denominator}")
    assert decimal - 1 == pytest.approx(numerator / denominator)
    assert implied_probability(decimal) == pytest.approx(denominator / (numerator + denominator))


def test_fractional_arrays_and_bad_input():
    np.testing.assert_allclose(fractional_to_decimal(["5/2", "1/1"]), [3.5, 2.0])
    series = fractional_to_decimal(pd.Series(["2/1"], index=["x"]))
    assert list(series.index) == ["x"]
    for bad in ["0/1", "1/0", "five/two", -1.0]:
        with pytest.raises(ValueError, match="fractional odds"):
            fractional_to_decimal(bad)


@given(st.lists(st.one_of(american_odds, st.floats(), st.integers(-1_000, 1_000)), max_size=30))
def test_array_form_agrees_with_the_scalar_value_by_value(values):
    converted = american_to_decimal_where_possible(np.array(values, dtype=float))
    assert converted.shape == (len(values),)
    for value, decimal in zip(values, converted, strict=True):
        try:
            expected = american_to_decimal(value)
        except ValueError:
            assert math.isnan(decimal)
        else:
            assert decimal == expected  # exactly: one formula, elementwise
