import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import (
    VWAP_COLUMNS,
    LiquidityCutoff,
    fill_probability,
    off_tick,
    vwap_for_stake,
    walk_book,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
T0 = pd.Timestamp("2026-08-22T14:00:00Z")

# Books on a 0.01 grid, in whatever order: (price, size) with distinct prices.
levels = st.lists(
    st.tuples(st.integers(1, 99).map(lambda ticks: ticks / 100), st.floats(0.01, 5_000)),
    min_size=1,
    max_size=12,
    unique_by=lambda level: level[0],
)


def single_book():
    return json.loads((FIXTURES / "polymarket_clob_book_single.json").read_text())


def fixture_books():
    captures = json.loads((FIXTURES / "polymarket_clob_books.json").read_text())
    return {token: capture for token, capture in captures.items()}


def long_frame(book, token, snapshot_ts=T0):
    """One CLOB /book body as rows of the order-book snapshot table (level 0 = best)."""
    return pd.DataFrame(
        [
            {
                "snapshot_ts": snapshot_ts,
                "token_id": token,
                "side": side,
                "level": level,
                "price": float(entry["price"]),
                "size": float(entry["size"]),
                "min_order_size": float(book["min_order_size"]),
            }
            for side, key in (("bid", "bids"), ("ask", "asks"))
            for level, entry in enumerate(reversed(book[key]))
        ],
        columns=["snapshot_ts", "token_id", "side", "level", "price", "size", "min_order_size"],
    )


def test_single_fixture_buys_from_the_lowest_ask_first():
    book = single_book()
    fill = walk_book(book["asks"], 100, tick_size=float(book["tick_size"]), min_order_size=5)
    # Asks arrive descending; the best is the last, 0.009 with 24,095.88 shares: 100 USDC fits there.
    assert fill.best_price == 0.009
    assert fill.vwap == pytest.approx(0.009)
    assert fill.shares == pytest.approx(100 / 0.009)
    assert (fill.levels_used, fill.filled) == (1, True)


def test_single_fixture_walks_several_levels():
    book = single_book()
    top = 0.009 * 24095.88
    fill = walk_book(book["asks"], top + 0.01 * 1000, tick_size=0.001)
    assert fill.levels_used == 2
    assert fill.shares == pytest.approx(24095.88 + 1000)
    assert fill.worst_price == 0.01
    sell = walk_book(book["bids"], 40, side="sell")
    # Bids arrive ascending; the best is 0.008 with only 30.88 shares, the rest goes at 0.007.
    assert sell.cost == pytest.approx(30.88 * 0.008 + 9.12 * 0.007)
    assert (sell.best_price, sell.worst_price, sell.levels_used) == (0.008, 0.007, 2)


@pytest.mark.parametrize("token", list(fixture_books()))
def test_real_books_walk_from_the_best_price(token):
    capture = fixture_books()[token]
    book = capture["book"]["body"]
    tick = float(book["tick_size"])
    asks = [float(level["price"]) for level in book["asks"]]
    bids = [float(level["price"]) for level in book["bids"]]
    buy = walk_book(book["asks"], 1.0, tick_size=tick)
    assert buy.best_price == min(asks) == buy.worst_price
    # The captured /midpoint is the mid of the best bid (0 when there is none) and the best ask.
    best_bid = max(bids, default=0.0)
    assert (best_bid + buy.best_price) / 2 == pytest.approx(float(capture["midpoint"]["body"]["mid"]))
    whole_side = sum(float(level["price"]) * float(level["size"]) for level in book["asks"])
    everything = walk_book(book["asks"], whole_side * 2, tick_size=tick)
    assert not everything.filled
    assert everything.levels_used == len(asks)
    assert everything.cost == pytest.approx(whole_side)


def test_vectorised_walk_matches_walk_book_on_the_real_books():
    books = fixture_books()
    frame = pd.concat([long_frame(capture["book"]["body"], token) for token, capture in books.items()])
    frame = frame.sample(frac=1.0, random_state=3)  # row order must not matter
    for stake in (1.0, 250.0, 1e7):
        result = vwap_for_stake(frame, stake)
        assert list(result.columns) == VWAP_COLUMNS
        result = result.set_index("token_id")
        for token, capture in books.items():
            book = capture["book"]["body"]
            fill = walk_book(book["asks"], stake, min_order_size=float(book["min_order_size"]))
            row = result.loc[token]
            assert row["vwap"] == pytest.approx(fill.vwap, nan_ok=True)
            assert row["shares"] == pytest.approx(fill.shares)
            assert (row["levels_used"], row["filled"], row["best_price"]) == (
                fill.levels_used,
                fill.filled,
                fill.best_price,
            )
    # 1 USDC at 0.52 is under 2 shares, below the book's minimum of 5: no order.
    assert np.isnan(vwap_for_stake(frame, 1.0).set_index("token_id").loc[list(books)[0], "vwap"])
    sells = vwap_for_stake(frame, 100.0, side="sell")
    # One of the three books has no bids at all: it has nothing to sell into.
    assert len(sells) == 2


@given(levels, st.floats(0.01, 10_000), st.floats(0.01, 10_000))
def test_buy_vwap_is_monotone_in_stake_and_within_the_levels_used(book, stake_a, stake_b):
    small, large = sorted((stake_a, stake_b))
    fill_small, fill_large = walk_book(book, small), walk_book(book, large)
    assert fill_small.vwap <= fill_large.vwap + 1e-12
    for fill in (fill_small, fill_large):
        assert fill.best_price - 1e-12 <= fill.vwap <= fill.worst_price + 1e-12
        assert fill.best_price == min(price for price, _ in book)
        assert fill.cost == pytest.approx(min(fill.cost, small if fill is fill_small else large))


@given(levels, st.floats(0.01, 10_000), st.floats(0.01, 10_000))
def test_sell_vwap_falls_with_size_and_stays_within_the_levels_used(book, size_a, size_b):
    small, large = sorted((size_a, size_b))
    fill_small, fill_large = walk_book(book, small, side="sell"), walk_book(book, large, side="sell")
    assert fill_small.vwap >= fill_large.vwap - 1e-12
    for fill in (fill_small, fill_large):
        assert fill.worst_price - 1e-12 <= fill.vwap <= fill.best_price + 1e-12


@given(levels, st.floats(0.01, 10_000))
def test_level_order_does_not_matter(book, stake):
    as_strings = [{"price": str(price), "size": str(size)} for price, size in reversed(book)]
    assert walk_book(as_strings, stake) == walk_book(book, stake)


def test_min_order_size_is_never_undercut():
    book = [("0.5", "100")]
    assert walk_book(book, 2.0, min_order_size=5).shares == 0
    assert not walk_book(book, 2.0, min_order_size=5).filled
    assert walk_book(book, 2.5, min_order_size=5).shares == pytest.approx(5)
    # The whole side is smaller than the minimum: nothing fills.
    assert walk_book([("0.5", "3")], 100, min_order_size=5).levels_used == 0


def test_off_tick_prices_are_rejected():
    assert list(off_tick([0.52, 0.525, 0.001], 0.01)) == [False, True, True]
    with pytest.raises(ValueError, match="tick grid"):
        walk_book([("0.525", "10")], 1, tick_size=0.01)
    assert walk_book([("0.525", "10")], 1, tick_size=0.005).filled


@pytest.mark.parametrize(
    "bad", [[("1.2", "10")], [("0", "10")], [("0.5", "-1")], [("x", "1")], [{"price": "nan", "size": "1"}]]
)
def test_impossible_levels(bad):
    with pytest.raises(ValueError):
        walk_book(bad, 10)


def test_empty_side_and_bad_arguments():
    empty = walk_book([], 10)
    assert (empty.shares, empty.filled, empty.levels_used) == (0.0, False, 0)
    assert np.isnan(empty.vwap) and np.isnan(empty.best_price)
    with pytest.raises(ValueError, match="side"):
        walk_book([("0.5", "1")], 1, side="ask")
    with pytest.raises(ValueError, match="stake"):
        walk_book([("0.5", "1")], -1)


def history(snapshots):
    """Book history from {hour: [(side, price, size), ...]} for token t1 on polymarket."""
    return pd.DataFrame(
        [
            {
                "snapshot_ts": T0 + pd.Timedelta(hours=hour),
                "token_id": "t1",
                "venue": "polymarket",
                "side": side,
                "price": price,
                "size": size,
            }
            for hour, rows in snapshots.items()
            for side, price, size in rows
        ]
    )


def test_fill_probability_counts_surviving_depth():
    frame = history(
        {
            0: [("ask", 0.52, 100), ("ask", 0.53, 500), ("bid", 0.50, 10)],
            1: [("ask", 0.51, 40), ("ask", 0.52, 70)],  # 110 at 0.52 or better: survived
            2: [("ask", 0.51, 30), ("ask", 0.52, 5)],  # 40 at 0.51 became 30: gone
            3: [("ask", 0.50, 1000)],  # 30 at 0.51 -> 1000 at 0.50, better: survived
            4: [("bid", 0.49, 10)],  # no asks left: gone
        }
    )
    result = fill_probability(frame)
    row = result.iloc[0]
    assert (row["token_id"], row["observations"], row["survived"]) == ("t1", 4, 2)
    assert row["fill_prob"] == pytest.approx(0.5)
    assert row["median_depth_usdc"] == pytest.approx(np.median([52, 20.4, 15.3, 500]))
    by_venue = fill_probability(frame, by="venue")
    assert list(by_venue.columns) == ["venue", "observations", "survived", "fill_prob", "median_depth_usdc"]
    bids = fill_probability(frame, side="sell")
    # Bids at hours 0 and 4 only: one pair (0 -> 4), 10 at 0.50 did not survive as 10 at 0.49.
    assert (bids.iloc[0]["observations"], bids.iloc[0]["survived"]) == (1, 0)


def test_fill_probability_counts_only_pairs_within_the_horizon():
    # An hourly book, its recheck a minute later, and the next hour's book.
    frame = history({0: [("ask", 0.52, 100)], 1: [("ask", 0.52, 100)], 2: [("ask", 0.60, 100)]})
    stamps = {T0 + pd.Timedelta(hours=1): T0 + pd.Timedelta(minutes=1)}
    frame["snapshot_ts"] = frame["snapshot_ts"].replace(stamps)
    everything = fill_probability(frame).iloc[0]
    assert (everything["observations"], everything["survived"]) == (2, 1)
    within = fill_probability(frame, max_gap=pd.Timedelta(minutes=5)).iloc[0]
    # hour 0 -> its recheck survived; the recheck -> the next hour (59 minutes) is no observation
    assert (within["observations"], within["survived"]) == (1, 1)


def test_a_cost_model_without_any_observed_pair_assumes_nothing_fills():
    from edge_assets.pricing.costs import venue_cost_model

    # Only hourly books, no recheck within the horizon: no observation at all.
    frame = history({0: [("ask", 0.52, 100)], 1: [("ask", 0.52, 100)]})
    model = venue_cost_model("polymarket", frame, LiquidityCutoff(), T0, horizon=pd.Timedelta(minutes=5))
    assert (model.iloc[0]["fill_prob"], model.iloc[0]["observations"]) == (0.0, 0)


def test_liquidity_cutoff():
    frame = history(
        {0: [("ask", 0.5, 200)], 1: [("ask", 0.5, 200)], 2: [("ask", 0.5, 200)], 3: [("ask", 0.5, 1)]}
    )
    model = fill_probability(frame)
    assert model.iloc[0]["fill_prob"] == pytest.approx(2 / 3)
    assert LiquidityCutoff().passes(model).tolist() == [True]
    assert LiquidityCutoff(min_fill_prob=0.9).passes(model).tolist() == [False]
    assert LiquidityCutoff(min_depth_usdc=500).passes(model).tolist() == [False]
    one_snapshot = fill_probability(history({0: [("ask", 0.5, 200)]}))
    assert one_snapshot.iloc[0]["observations"] == 0
    assert LiquidityCutoff(min_observations=0).passes(one_snapshot).tolist() == [False]
