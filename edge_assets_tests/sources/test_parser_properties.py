"""Property tests for the invariants the parsers promise."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from edge_assets.pricing import american_to_decimal
from edge_assets.sources import parse_clob_books, parse_odds_events

NOW = datetime(2026, 8, 22, 15, 0, tzinfo=UTC)

american_odds = st.one_of(st.integers(min_value=100, max_value=100_000), st.integers(-100_000, -100))


def one_price_event(price: float) -> list[dict]:
    return [
        {
            "id": "e",
            "sport_key": "basketball_nba",
            "commence_time": "2026-08-22T23:00:00Z",
            "home_team": "Home",
            "away_team": "Away",
            "bookmakers": [
                {
                    "key": "book",
                    "last_update": "2026-08-22T14:59:00Z",
                    "markets": [{"key": "h2h", "outcomes": [{"name": "Home", "price": price}]}],
                }
            ],
        }
    ]


def parsed_decimal(price: float) -> float:
    return parse_odds_events(one_price_event(price), NOW, NOW, "american").frame.decimal_odds.iloc[0]


@given(american_odds, american_odds)
def test_american_to_decimal_in_the_parser_is_monotone(a, b):
    low, high = sorted((a, b))
    assert parsed_decimal(low) <= parsed_decimal(high)


@given(american_odds)
def test_american_to_decimal_pays_the_stated_amount(american):
    decimal = american_to_decimal(american)
    assert decimal >= 1.0
    # +X wins X per 100 staked; -X stakes X to win 100.
    if american > 0:
        assert abs((decimal - 1) * 100 - american) < 1e-9
    else:
        assert abs((decimal - 1) * -american - 100) < 1e-6


levels = st.lists(
    st.tuples(
        st.integers(1, 999).map(lambda tick: f"{tick / 1000:.3f}"),
        st.integers(1, 10**6).map(lambda cents: f"{cents / 100:.2f}"),
    ),
    max_size=30,
)


@given(levels, levels, st.randoms(use_true_random=False))
def test_book_level_order_is_independent_of_input_order(bids, asks, rng):
    def book(bid_levels, ask_levels):
        return {
            "market": "0xabc",
            "asset_id": "1",
            "timestamp": "1787412121305",
            "bids": [{"price": p, "size": s} for p, s in bid_levels],
            "asks": [{"price": p, "size": s} for p, s in ask_levels],
        }

    shuffled_bids, shuffled_asks = rng.sample(bids, len(bids)), rng.sample(asks, len(asks))
    first = parse_clob_books([book(bids, asks)], NOW, NOW, {}).frame
    second = parse_clob_books([book(shuffled_bids, shuffled_asks)], NOW, NOW, {}).frame
    assert first.equals(second)
    for side, best in (("bid", max), ("ask", min)):
        prices = first[first.side == side].sort_values("level").price.tolist()
        if prices:
            assert prices[0] == best(prices)
            assert prices == sorted(prices, reverse=side == "bid")


malformed_levels = st.one_of(
    st.fixed_dictionaries(
        {"price": st.sampled_from(["abc", "1.5", "-0.1", "", "nan"]), "size": st.just("5")}
    ),
    st.fixed_dictionaries({"price": st.just("0.5"), "size": st.sampled_from(["ten", "-1", "inf", None])}),
    st.sampled_from(["0.5@10", None, 7, ["0.5", "10"]]),
)


@given(levels, levels, st.lists(st.tuples(st.booleans(), malformed_levels), max_size=5), st.randoms())
def test_quarantining_a_malformed_level_never_drops_a_valid_one(bids, asks, damage, rng):
    def book(bid_levels, ask_levels):
        return {
            "market": "0xabc",
            "asset_id": "1",
            "timestamp": "1787412121305",
            "bids": bid_levels,
            "asks": ask_levels,
        }

    good_bids = [{"price": p, "size": s} for p, s in bids]
    good_asks = [{"price": p, "size": s} for p, s in asks]
    damaged_bids, damaged_asks = list(good_bids), list(good_asks)
    for on_bids, bad in damage:
        target = damaged_bids if on_bids else damaged_asks
        target.insert(rng.randint(0, len(target)), bad)
    clean = parse_clob_books([book(good_bids, good_asks)], NOW, NOW, {})
    damaged = parse_clob_books([book(damaged_bids, damaged_asks)], NOW, NOW, {})
    assert damaged.frame.equals(clean.frame)
    assert len(damaged.quarantined) == len(damage)
    assert all(q.record["asset_id"] == "1" for q in damaged.quarantined)
