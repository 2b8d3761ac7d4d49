import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import (
    CONSENSUS_COLUMNS,
    SHARP_BOOK_WEIGHTS,
    consensus_fair_prob,
    devig,
    weighted_median,
)

T0 = pd.Timestamp("2024-03-26T23:00:00Z")


def quotes(rows):
    return pd.DataFrame(rows, columns=["quote_ts", "event_id", "bookmaker", "outcome", "decimal_odds"])


def test_median_across_books_renormalised():
    books = {"a": (1.8, 2.1), "b": (1.9, 2.0), "c": (2.0, 1.85)}
    frame = quotes(
        [
            (T0, "e1", book, team, odds)
            for book, prices in books.items()
            for team, odds in zip("HA", prices, strict=True)
        ]
    )
    result = consensus_fair_prob(frame)

    assert list(result.columns) == CONSENSUS_COLUMNS
    fair = np.array([devig(prices) for prices in books.values()])
    medians = np.median(fair, axis=0)
    expected = medians / medians.sum()
    result = result.set_index("outcome")
    assert result.loc["H", "fair_prob"] == pytest.approx(expected[0])
    assert result.loc["A", "fair_prob"] == pytest.approx(expected[1])
    assert result["fair_prob"].sum() == pytest.approx(1.0)
    assert (result["n_books"] == 3).all()
    assert result.loc["H", "dispersion"] == pytest.approx(fair[:, 0].std())
    assert (result["method"] == "multiplicative").all()


def test_three_way_median_needs_renormalising():
    # The per-outcome medians come from different books, so they need not sum to 1.
    frame = quotes(
        [(T0, "e1", "a", o, p) for o, p in zip(["H", "D", "A"], [2.0, 3.5, 4.0], strict=True)]
        + [(T0, "e1", "b", o, p) for o, p in zip(["H", "D", "A"], [2.4, 3.2, 3.0], strict=True)]
        + [(T0, "e1", "c", o, p) for o, p in zip(["H", "D", "A"], [2.2, 3.6, 3.3], strict=True)]
    )
    result = consensus_fair_prob(frame)
    assert result["fair_prob"].sum() == pytest.approx(1.0)
    fair = np.array([devig([2.0, 3.5, 4.0]), devig([2.4, 3.2, 3.0]), devig([2.2, 3.6, 3.3])])
    medians = np.median(fair, axis=0)
    assert medians.sum() != pytest.approx(1.0)
    by_outcome = result.set_index("outcome")["fair_prob"]
    np.testing.assert_allclose(by_outcome[["H", "D", "A"]], medians / medians.sum())


def test_incomplete_books_are_dropped():
    frame = quotes(
        [
            (T0, "e1", "a", "H", 2.0),
            (T0, "e1", "a", "D", 3.5),
            (T0, "e1", "a", "A", 4.0),
            # Book b misses the draw: its two prices would de-vig to an inflated home/away.
            (T0, "e1", "b", "H", 1.5),
            (T0, "e1", "b", "A", 2.6),
        ]
    )
    result = consensus_fair_prob(frame).set_index("outcome")
    assert (result["n_books"] == 1).all()
    assert (result["dispersion"] == 0).all()
    np.testing.assert_allclose(result.loc[["H", "D", "A"], "fair_prob"], devig([2.0, 3.5, 4.0]))


def test_groups_by_time_and_event():
    t1 = T0 + pd.Timedelta(hours=1)
    frame = quotes(
        [
            (T0, "e1", "a", "H", 1.5),
            (T0, "e1", "a", "A", 2.6),
            (t1, "e1", "a", "H", 1.6),
            (t1, "e1", "a", "A", 2.4),
            (T0, "e2", "a", "X", 1.9),
            (T0, "e2", "a", "Y", 1.9),
            (T0, "e3", "a", "lonely", 1.9),
        ]
    )
    result = consensus_fair_prob(frame)
    assert len(result) == 6  # e3 quotes one outcome only: not a market
    sums = result.groupby(["quote_ts", "event_id"])["fair_prob"].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_rejects_duplicates_and_missing_columns():
    frame = quotes([(T0, "e1", "a", "H", 1.5), (T0, "e1", "a", "H", 1.6), (T0, "e1", "a", "A", 2.6)])
    with pytest.raises(ValueError, match="duplicate"):
        consensus_fair_prob(frame)
    with pytest.raises(ValueError, match="decimal_odds"):
        consensus_fair_prob(frame.drop(columns="decimal_odds"))


def test_empty_quotes_give_an_empty_consensus():
    result = consensus_fair_prob(quotes([]))
    assert result.empty
    assert list(result.columns) == CONSENSUS_COLUMNS


def two_way_books(prices_by_book, ts=T0, event="e1"):
    return quotes(
        [
            (ts, event, book, team, odds)
            for book, prices in prices_by_book.items()
            for team, odds in zip("HA", prices, strict=True)
        ]
    )


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=9),
    st.lists(st.integers(1, 5), min_size=9, max_size=9),
)
def test_weighted_median_repeats_values_by_their_weight(values, weights):
    # An integer weight w is the same as the value appearing w times in a plain median.
    values, weights = np.array(values), np.array(weights[: len(values)], dtype=float)
    expected = np.median(np.repeat(values, weights.astype(int)))
    assert weighted_median(values, weights, np.zeros(len(values), dtype=np.intp))[0] == pytest.approx(
        expected
    )


def test_weighted_median_per_group():
    values = np.array([0.3, 0.1, 0.2, 5.0, 7.0])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 3.0])
    codes = np.array([0, 0, 0, 1, 1])
    np.testing.assert_allclose(weighted_median(values, weights, codes), [0.2, 7.0])


def test_a_heavy_sharp_book_pulls_the_consensus():
    frame = two_way_books({"pinnacle": (1.7, 2.3), "soft1": (2.0, 1.85), "soft2": (2.05, 1.8)})
    plain = consensus_fair_prob(frame).set_index("outcome")
    weighted = consensus_fair_prob(frame, book_weights=SHARP_BOOK_WEIGHTS).set_index("outcome")
    # Pinnacle (3) outweighs the two soft books (1 + 1): the weighted median is its price.
    np.testing.assert_allclose(weighted.loc[["H", "A"], "fair_prob"], devig([1.7, 2.3]))
    assert weighted.loc["H", "fair_prob"] > plain.loc["H", "fair_prob"]
    assert (weighted["n_books"] == 3).all()


def test_zero_weight_books_are_left_out_and_default_weight_applies():
    frame = two_way_books({"a": (1.8, 2.1), "b": (1.9, 2.0), "ignored": (3.0, 1.4)})
    result = consensus_fair_prob(frame, book_weights={"ignored": 0.0}).set_index("outcome")
    assert (result["n_books"] == 2).all()
    only_ignored = consensus_fair_prob(frame, book_weights={"ignored": 1.0}, default_weight=0.0)
    np.testing.assert_allclose(
        only_ignored.set_index("outcome").loc[["H", "A"], "fair_prob"], devig([3.0, 1.4])
    )
    with pytest.raises(ValueError, match="weights"):
        consensus_fair_prob(frame, book_weights={"a": -1.0})


def test_stale_quotes_are_dropped_with_their_book():
    frame = two_way_books({"fresh": (1.8, 2.1), "old": (3.0, 1.4), "unknown": (1.9, 2.0)})
    frame["source_ts"] = frame["bookmaker"].map(
        {"fresh": T0 - pd.Timedelta(minutes=2), "old": T0 - pd.Timedelta(hours=2), "unknown": pd.NaT}
    )
    frame.loc[(frame["bookmaker"] == "old") & (frame["outcome"] == "A"), "source_ts"] = T0
    result = consensus_fair_prob(frame, max_age=pd.Timedelta(minutes=30))
    # Book "old" keeps only a fresh away price: an incomplete market, so not used at all.
    assert (result["n_books"] == 2).all()
    assert (consensus_fair_prob(frame)["n_books"] == 3).all()
    with pytest.raises(ValueError, match="source_ts"):
        consensus_fair_prob(frame.drop(columns="source_ts"), max_age=pd.Timedelta(minutes=30))


def test_outlier_books_are_dropped():
    books = {"a": (1.9, 1.95), "b": (1.92, 1.93), "c": (1.91, 1.94), "d": (1.93, 1.92), "off": (3.2, 1.35)}
    frame = two_way_books(books)
    kept = consensus_fair_prob(frame, outlier_z=3.5)
    assert (kept["n_books"] == 4).all()
    assert (consensus_fair_prob(frame)["n_books"] == 5).all()
    assert kept["dispersion"].max() < consensus_fair_prob(frame)["dispersion"].max()


def test_two_books_are_never_outliers_and_close_books_survive():
    frame = two_way_books({"a": (1.5, 2.6), "b": (2.6, 1.5)})
    assert (consensus_fair_prob(frame, outlier_z=1.0)["n_books"] == 2).all()
    # Three books in exact agreement and one a hair away: the sd floor keeps the fourth.
    close = two_way_books({"a": (1.9, 1.9), "b": (1.9, 1.9), "c": (1.9, 1.9), "d": (1.89, 1.91)})
    assert (consensus_fair_prob(close, outlier_z=3.5)["n_books"] == 4).all()


@pytest.mark.parametrize("method", ["additive", "power", "shin", "odds_ratio"])
def test_consensus_with_each_devig_method(method):
    frame = two_way_books({"a": (1.5, 2.7), "b": (1.55, 2.5), "c": (1.45, 2.8)})
    result = consensus_fair_prob(frame, method=method)
    assert (result["method"] == method).all()
    fair = np.array([devig(p, method) for p in [(1.5, 2.7), (1.55, 2.5), (1.45, 2.8)]])
    np.testing.assert_allclose(
        result.set_index("outcome").loc[["H", "A"], "fair_prob"], np.median(fair, axis=0)
    )
    with pytest.raises(ValueError, match="known methods"):
        consensus_fair_prob(frame, method="nope")


def test_everything_filtered_gives_an_empty_consensus():
    frame = two_way_books({"a": (1.8, 2.1)})
    result = consensus_fair_prob(frame, default_weight=0.0)
    assert result.empty
    assert list(result.columns) == CONSENSUS_COLUMNS


@st.composite
def quote_frames(draw):
    """Up to 3 events x 4 books, 2 or 3 outcomes each, some quotes missing."""
    rows = []
    for event in range(draw(st.integers(1, 3))):
        n_outcomes = draw(st.integers(2, 3))
        for book in range(draw(st.integers(1, 4))):
            for outcome in range(n_outcomes):
                if draw(st.integers(0, 9)) > 0:
                    rows.append((T0, f"e{event}", f"b{book}", f"o{outcome}", draw(st.floats(1.05, 20))))
    return quotes(rows)


@given(quote_frames())
def test_default_consensus_is_the_median_of_complete_books(frame):
    result = consensus_fair_prob(frame)
    # The same thing written plainly, one event and one book at a time.
    expected = []
    for (_, event), event_quotes in frame.groupby(["quote_ts", "event_id"]):
        outcomes = sorted(event_quotes["outcome"].unique())
        if len(outcomes) < 2:
            continue
        fair_by_book = [
            devig(book.set_index("outcome").loc[outcomes, "decimal_odds"].to_numpy())
            for _, book in event_quotes.groupby("bookmaker")
            if len(book) == len(outcomes)
        ]
        if fair_by_book:
            medians = np.median(fair_by_book, axis=0)
            expected += [
                (event, o, p, len(fair_by_book))
                for o, p in zip(outcomes, medians / medians.sum(), strict=True)
            ]
    assert [(r.event_id, r.outcome, r.n_books) for r in result.itertuples()] == [
        (e, o, n) for e, o, _, n in expected
    ]
    np.testing.assert_allclose(result["fair_prob"], [p for _, _, p, _ in expected])
