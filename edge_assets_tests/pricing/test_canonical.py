import json
from datetime import timedelta

import pandas as pd

from edge_assets.pricing.canonical import (
    QUOTE_COLUMNS,
    polymarket_quotes,
    predictit_quotes,
    sportsbook_quotes,
)
from edge_assets.sources.universe import market_tokens, tokens_open_at

H = pd.Timestamp("2026-11-20 12:00", tz="UTC")


def test_predictit_quote_at_an_hour_is_the_last_one_before_it_and_skips_missing_offers():
    rows = pd.DataFrame(
        {
            "data_id": ["c1", "c1", "c2"],
            "timestamp": [H - timedelta(minutes=50), H - timedelta(minutes=5), H + timedelta(minutes=1)],
            "best_buy_yes_cost": [0.40, 0.42, 0.70],
            "best_buy_no_cost": [0.61, None, 0.31],
            "best_sell_yes_cost": [0.39, 0.41, 0.69],
            "best_sell_no_cost": [0.60, 0.58, 0.30],
        }
    )
    quotes = predictit_quotes(rows, [H.to_pydatetime()])
    assert list(quotes.columns) == QUOTE_COLUMNS
    assert set(quotes["market_key"]) == {"c1"}  # c2's first quote came after the hour
    yes_ask = quotes[(quotes["outcome"] == "Yes") & (quotes["side"] == "ask")]
    assert yes_ask["implied_prob"].tolist() == [0.42]
    assert quotes[(quotes["outcome"] == "No") & (quotes["side"] == "ask")].empty


def test_polymarket_quotes_take_the_best_level_and_name_the_outcome():
    books = pd.DataFrame(
        {
            "snapshot_ts": [H] * 3,
            "token_id": ["t1"] * 3,
            "side": ["ask", "ask", "bid"],
            "level": [0, 1, 0],
            "price": [0.46, 0.47, 0.44],
            "size": [120.0, 900.0, 50.0],
            "book_ts": [H] * 3,
        }
    )
    tokens = pd.DataFrame({"token_id": ["t1"], "outcome": ["Celtics"]})
    quotes = polymarket_quotes(books, tokens)
    ask = quotes[quotes["side"] == "ask"].iloc[0]
    assert (ask["implied_prob"], ask["size"], ask["outcome"]) == (0.46, 120.0, "Celtics")
    assert ask["decimal_odds"] == 1 / 0.46


def test_sportsbook_quotes_keep_decimal_odds_and_implied_probability():
    odds = pd.DataFrame(
        {
            "partition_ts": [H],
            "event_id": ["e1"],
            "bookmaker": ["pinnacle"],
            "outcome": ["Boston Celtics"],
            "decimal_odds": [2.5],
            "book_update_ts": [H],
        }
    )
    quote = sportsbook_quotes(odds).iloc[0]
    assert (quote["side"], quote["implied_prob"], quote["market_key"]) == ("back", 0.4, "e1")


def test_tokens_open_at_follow_the_game_time_and_closure():
    markets = pd.DataFrame(
        {
            "market_id": ["soon", "later", "politics", "closed_politics"],
            "clob_token_ids": [json.dumps([f"{m}-a", f"{m}-b"]) for m in ["soon", "later", "politics", "cp"]],
            "outcomes": [json.dumps(["A", "B"])] * 4,
            "game_start_ts": [H + timedelta(hours=3), H + timedelta(days=9), pd.NaT, pd.NaT],
            "closed": [False, False, False, True],
        }
    )
    assert len(market_tokens(markets)) == 8
    assert sorted(tokens_open_at(markets, H)) == ["politics-a", "politics-b", "soon-a", "soon-b"]
