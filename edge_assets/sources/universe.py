"""Which Polymarket tokens exist and which were worth snapshotting at a given time (pure)."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta

import pandas as pd

# A sports market is listed a few days before its game and trades until shortly after it.
LISTED_BEFORE_START = timedelta(days=4)
TRADES_AFTER_START = timedelta(hours=6)


def market_tokens(markets: pd.DataFrame) -> pd.DataFrame:
    """One row per Polymarket token: market_id, token_id, outcome, outcome_index."""
    rows = [
        {"market_id": market_id, "token_id": str(token), "outcome": str(outcome), "outcome_index": i}
        for market_id, tokens, outcomes in zip(
            markets["market_id"], markets["clob_token_ids"], markets["outcomes"], strict=True
        )
        for i, (token, outcome) in enumerate(zip(json.loads(tokens), json.loads(outcomes), strict=False))
    ]
    return pd.DataFrame(rows, columns=["market_id", "token_id", "outcome", "outcome_index"])


def tokens_open_at(markets: pd.DataFrame, at: datetime) -> list[str]:
    """Tokens whose books were plausibly live at `at`.

    Sports markets count from a few days before their game to a few hours after it starts;
    markets without a game time count while they are not closed.
    """
    if markets.empty:
        return []
    return market_tokens(markets[open_at(markets, at)])["token_id"].tolist()


def open_at(markets: pd.DataFrame, at: datetime) -> pd.Series:
    """Which of `markets` (`game_start_ts`, `closed`) `tokens_open_at` counts as live at `at`."""
    start = markets["game_start_ts"]
    sports_live = start.notna() & (start - LISTED_BEFORE_START <= at) & (at <= start + TRADES_AFTER_START)
    other_live = start.isna() & ~markets["closed"].astype(bool)
    return sports_live | other_live


def recheck_sample(tokens: list[str], hour: datetime, share: float) -> list[str]:
    """A stable share of the hour's tokens (at least one), different from hour to hour.

    The fill probability is pooled over the venue, so a quarter of the tokens a hour already gives
    thousands of pairs a week; rechecking every book would double the capture for no precision.
    """
    count = max(1, math.ceil(share * len(tokens)))
    stamp = hour.isoformat()
    return sorted(tokens, key=lambda token: hashlib.sha256(f"{token}|{stamp}".encode()).digest())[:count]
