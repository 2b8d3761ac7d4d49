"""Canonical quotes: every venue's prices in one schema (pure).

A quote is one price for one outcome at one hour: sportsbook `back` prices from The Odds API,
Polymarket best `ask` and `bid` from the CLOB, PredictIt best Yes/No costs. Decimal odds and the
implied probability are both kept so consumers never convert again.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

QUOTE_COLUMNS = [
    "quote_ts",
    "venue",
    "bookmaker",
    "market_key",
    "outcome",
    "side",
    "event_id",
    "decimal_odds",
    "implied_prob",
    "size",
    "source_ts",
]
# PredictIt quotes older than this at the hour are too stale to stand as that hour's price.
PREDICTIT_MAX_AGE = pd.Timedelta(hours=24)


def sportsbook_quotes(odds: pd.DataFrame) -> pd.DataFrame:
    """Quotes from `oddsapi_historical_odds` rows: one `back` price per book and outcome."""
    frame = pd.DataFrame(
        {
            "quote_ts": odds["partition_ts"],
            "venue": "oddsapi",
            "bookmaker": odds["bookmaker"],
            "market_key": odds["event_id"],
            "outcome": odds["outcome"],
            "side": "back",
            "event_id": odds["event_id"],
            "decimal_odds": odds["decimal_odds"].astype(float),
            "implied_prob": 1.0 / odds["decimal_odds"].astype(float),
            "size": np.nan,
            "source_ts": odds["book_update_ts"],
        }
    )
    return frame[QUOTE_COLUMNS]


def polymarket_quotes(books: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    """Best ask and best bid of every Polymarket token snapshot, with the size at that price."""
    best = books[books["level"] == 0].merge(tokens[["token_id", "outcome"]], on="token_id", how="inner")
    price = best["price"].astype(float)
    frame = pd.DataFrame(
        {
            "quote_ts": best["snapshot_ts"],
            "venue": "polymarket",
            "bookmaker": "polymarket",
            "market_key": best["token_id"],
            "outcome": best["outcome"],
            "side": best["side"],
            "event_id": None,
            "decimal_odds": 1.0 / price,
            "implied_prob": price,
            "size": best["size"].astype(float),
            "source_ts": best["book_ts"],
        }
    )
    return frame[QUOTE_COLUMNS]


def predictit_quotes(market_data: pd.DataFrame, hours: list[datetime]) -> pd.DataFrame:
    """PredictIt Yes/No buy (`ask`) and sell (`bid`) costs as they stood at each hour."""
    if market_data.empty or not hours:
        return pd.DataFrame(columns=QUOTE_COLUMNS)
    grid = pd.DataFrame({"quote_ts": pd.to_datetime(hours, utc=True)}).sort_values("quote_ts")
    rows = market_data.sort_values("timestamp")
    asof = pd.merge_asof(
        grid.merge(rows[["data_id"]].drop_duplicates(), how="cross").sort_values("quote_ts"),
        rows,
        left_on="quote_ts",
        right_on="timestamp",
        by="data_id",
        tolerance=PREDICTIT_MAX_AGE,
        direction="backward",
    ).dropna(subset=["timestamp"])
    legs = {
        ("Yes", "ask"): "best_buy_yes_cost",
        ("No", "ask"): "best_buy_no_cost",
        ("Yes", "bid"): "best_sell_yes_cost",
        ("No", "bid"): "best_sell_no_cost",
    }
    frames = []
    for (outcome, side), column in legs.items():
        leg = asof[asof[column].notna() & (asof[column] > 0) & (asof[column] < 1)]
        price = leg[column].astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "quote_ts": leg["quote_ts"],
                    "venue": "predictit",
                    "bookmaker": "predictit",
                    "market_key": leg["data_id"],
                    "outcome": outcome,
                    "side": side,
                    "event_id": None,
                    "decimal_odds": 1.0 / price,
                    "implied_prob": price,
                    "size": np.nan,
                    "source_ts": leg["timestamp"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[QUOTE_COLUMNS]


def canonical_quotes(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack venue quotes into one frame, dropping exact key duplicates."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=QUOTE_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    key = ["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"]
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)
