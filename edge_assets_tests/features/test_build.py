"""Feature maths on hand-built frames, and the no-lookahead property."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_assets.features import FEATURE_COLUMNS, OUTPUT_COLUMNS, book_depth, build_features

T0 = pd.Timestamp("2026-11-20 00:00", tz="UTC")
HOUR = pd.Timedelta(hours=1)


def hour(i):
    return T0 + i * HOUR


def pm_quotes(token, rows):
    """Polymarket ask and bid quotes: rows of (hour index, bid, ask, ask size)."""
    out = []
    for i, bid, ask, size in rows:
        for side, price, quoted in (("ask", ask, size), ("bid", bid, 100.0)):
            out.append({"quote_ts": hour(i), "venue": "polymarket", "bookmaker": "polymarket",
                        "market_key": token, "outcome": "Yes", "side": side, "implied_prob": price,
                        "size": quoted})  # fmt: skip
    return out


def consensus_rows(event, outcome, rows):
    return [
        {"quote_ts": hour(i), "event_id": event, "outcome": outcome, "fair_prob": p, "n_books": 7,
         "dispersion": 0.01, "method": "multiplicative"}
        for i, p in rows
    ]  # fmt: skip


def levels(token, market, i, side, price_sizes):
    return [
        {"snapshot_ts": hour(i), "token_id": token, "market_id": market, "side": side, "level": n,
         "price": price, "size": size}
        for n, (price, size) in enumerate(price_sizes)
    ]  # fmt: skip


MAPPINGS = pd.DataFrame(
    [
        {"pm_token_id": "yes", "pm_market_id": "m1", "event_id": "ev1", "sportsbook_outcome": "Draw",
         "sport_key": "soccer_epl", "status": "mapped"},
        {"pm_token_id": "no", "pm_market_id": "m1", "event_id": "ev1", "sportsbook_outcome": "not Draw",
         "sport_key": "soccer_epl", "status": "mapped"},
        {"pm_token_id": "lost", "pm_market_id": "m2", "event_id": None, "sportsbook_outcome": None,
         "sport_key": None, "status": "unmapped"},
    ]
)  # fmt: skip
MARKETS = pd.DataFrame(
    [{"market_id": "m1", "game_start_ts": hour(10), "fee_rate": 0.03, "fee_exponent": 1.0},
     {"market_id": "m2", "game_start_ts": hour(10), "fee_rate": 0.03, "fee_exponent": 1.0}]
)  # fmt: skip


def test_book_depth_counts_usdc_within_one_and_five_cents_of_the_best_price():
    book = pd.DataFrame(
        levels("t", "m", 0, "ask", [(0.40, 10), (0.41, 20), (0.43, 30), (0.46, 40)])
        + levels("t", "m", 0, "bid", [(0.38, 100), (0.37, 0), (0.32, 50)])
    )
    depth = book_depth(book).iloc[0]
    assert depth["ask_depth_1c"] == pytest.approx(0.40 * 10 + 0.41 * 20)
    assert depth["ask_depth_5c"] == pytest.approx(0.40 * 10 + 0.41 * 20 + 0.43 * 30)
    assert depth["bid_depth_1c"] == pytest.approx(0.38 * 100)
    assert depth["bid_depth_5c"] == pytest.approx(0.38 * 100)  # 0.32 is six cents away


def test_features_on_a_hand_built_history():
    path = [(0, 0.20, 0.22, 500.0), (1, 0.24, 0.26, 500.0), (2, 0.27, 0.29, 80.0)]
    fair = [(0, 0.25), (1, 0.26), (2, 0.30)]
    quotes = pd.DataFrame(pm_quotes("yes", path) + pm_quotes("lost", path))
    consensus = pd.DataFrame(consensus_rows("ev1", "Draw", fair))
    book = pd.DataFrame(
        [
            row
            for i, _, ask, _ in path
            for row in levels("yes", "m1", i, "ask", [(ask, 100), (ask + 0.01, 100)])
        ]
    )
    features = build_features(quotes, consensus, book_depth(book), MAPPINGS, MARKETS, [hour(1), hour(2)])

    assert list(features.columns) == OUTPUT_COLUMNS
    assert list(features["pm_token_id"]) == ["yes", "yes"]  # the unmapped token gets no rows
    row = features.set_index("quote_ts").loc[hour(2)]
    assert row["bid"] == 0.27 and row["ask"] == 0.29 and row["ask_size"] == 80.0
    assert row["mid"] == pytest.approx(0.28) and row["spread"] == pytest.approx(0.02)
    assert row["fair_prob"] == pytest.approx(0.30)
    assert row["pm_minus_consensus"] == pytest.approx(-0.02)
    assert row["fee"] == pytest.approx(0.03 * 0.29 * 0.71)
    assert row["ev_after_costs"] == pytest.approx(0.30 / (0.29 + 0.03 * 0.29 * 0.71) - 1)
    assert row["consensus_change_1h"] == pytest.approx(0.04)
    assert np.isnan(row["consensus_change_6h"])  # no consensus six hours back
    assert row["pm_change_1h"] == pytest.approx(0.03)
    assert row["gap_drift_1h"] == pytest.approx(-0.02 - (0.25 - 0.26))
    assert row["pm_volatility_1h"] == pytest.approx(0.03)
    assert row["pm_volatility_6h"] == pytest.approx(np.sqrt((0.04**2 + 0.03**2) / 2))
    assert row["ask_depth_1c"] == pytest.approx(0.29 * 100 + 0.30 * 100)
    assert np.isnan(row["gap_zscore_24h"]) and np.isnan(row["liquidity_decay_24h"])  # under 6 h of history
    assert row["hours_to_start"] == 8.0
    assert row["league_code"] == 4.0  # soccer_epl, the fifth default league


def test_complement_token_is_priced_against_one_minus_the_outcome():
    quotes = pd.DataFrame(pm_quotes("no", [(0, 0.70, 0.72, 100.0)]))
    consensus = pd.DataFrame(consensus_rows("ev1", "Draw", [(0, 0.25)]))
    features = build_features(
        quotes,
        consensus,
        book_depth(pd.DataFrame(levels("no", "m1", 0, "ask", [(0.72, 10)]))),
        MAPPINGS,
        MARKETS,
        [hour(0)],
    )
    assert features.loc[0, "fair_prob"] == pytest.approx(0.75)


def test_mean_reversion_and_liquidity_decay_against_the_trailing_day():
    gaps = [0.0, 0.01] * 12  # 24 hours alternating, then a jump at hour 24
    path = [(i, 0.49 + g, 0.51 + g, 100.0) for i, g in enumerate(gaps)] + [(24, 0.54, 0.56, 100.0)]
    quotes = pd.DataFrame(pm_quotes("yes", path))
    consensus = pd.DataFrame(consensus_rows("ev1", "Draw", [(i, 0.5) for i in range(25)]))
    book = pd.DataFrame(
        [row for i in range(25) for row in levels("yes", "m1", i, "ask", [(0.5, 100.0 if i < 24 else 25.0)])]
    )
    row = build_features(quotes, consensus, book_depth(book), MAPPINGS, MARKETS, [hour(24)]).iloc[0]
    past = np.array(gaps)
    assert row["gap_zscore_24h"] == pytest.approx((0.05 - past.mean()) / past.std(ddof=1))
    assert row["liquidity_decay_24h"] == pytest.approx(0.25)


def random_world(rng: np.random.Generator, hours: int = 40):
    """Two mapped tokens (Draw and not Draw) with random quotes, consensus and books on most hours."""
    quotes, consensus, book = [], [], []
    for token in ("yes", "no"):
        for i in range(hours):
            if rng.random() < 0.9:
                bid = float(rng.integers(5, 90)) / 100
                quotes += pm_quotes(
                    token, [(i, bid, bid + float(rng.integers(1, 4)) / 100, float(rng.integers(1, 999)))]
                )
                book += levels(
                    token,
                    "m1",
                    i,
                    "ask",
                    [(bid + 0.01 * (k + 1), float(rng.integers(1, 500))) for k in range(6)],
                )
    for i in range(hours):
        if rng.random() < 0.9:
            consensus += consensus_rows("ev1", "Draw", [(i, float(rng.uniform(0.1, 0.9)))])
    return pd.DataFrame(quotes), pd.DataFrame(consensus), pd.DataFrame(book)


def perturbed_after(frames, cutoff, rng):
    """The frames with every value stamped after `cutoff` replaced by other random data."""
    quotes, consensus, book = frames
    later = quotes["quote_ts"] > cutoff
    quotes = quotes.copy()
    quotes.loc[later, "implied_prob"] = rng.uniform(0.01, 0.99, later.sum())
    quotes.loc[later, "size"] = rng.uniform(1, 5000, later.sum())
    consensus = consensus.copy()
    later = consensus["quote_ts"] > cutoff
    consensus.loc[later, "fair_prob"] = rng.uniform(0.01, 0.99, later.sum())
    consensus.loc[later, "dispersion"] = rng.uniform(0.0, 0.2, later.sum())
    book = book.copy()
    later = book["snapshot_ts"] > cutoff
    book.loc[later, "size"] = rng.uniform(0, 5000, later.sum())
    book.loc[later, "price"] = rng.integers(1, 99, later.sum()) / 100
    return quotes, consensus, book


def with_depth(frames):
    quotes, consensus, book = frames
    return quotes, consensus, book_depth(book)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), cutoff_hour=st.integers(0, 38))
def test_no_feature_uses_data_from_after_its_row(seed, cutoff_hour):
    rng = np.random.default_rng(seed)
    frames = random_world(rng)
    cutoff = hour(cutoff_hour)
    hours = [hour(i) for i in range(24, 40)]
    before = build_features(*with_depth(frames), MAPPINGS, MARKETS, hours)
    after = build_features(*with_depth(perturbed_after(frames, cutoff, rng)), MAPPINGS, MARKETS, hours)
    as_of = before["quote_ts"] <= cutoff
    assert as_of.any() or cutoff_hour < 24
    pd.testing.assert_frame_equal(
        before.loc[as_of].reset_index(drop=True),
        after.loc[after["quote_ts"] <= cutoff].reset_index(drop=True),
    )
    # and the perturbation did reach the later rows, so the test can fail
    if (~as_of).any():
        assert not before.loc[~as_of, FEATURE_COLUMNS].equals(after.loc[~as_of, FEATURE_COLUMNS])
