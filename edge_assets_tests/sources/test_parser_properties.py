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
