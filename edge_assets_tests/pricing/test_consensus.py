import numpy as np
import pandas as pd
import pytest

from edge_assets.pricing import CONSENSUS_COLUMNS, consensus_fair_prob, devig

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
