"""The de-vigged consensus of several sportsbooks: one fair probability per event outcome."""

from __future__ import annotations

import pandas as pd

from edge_assets.pricing.devig import devig_frame

QUOTE_COLUMNS = ["quote_ts", "event_id", "bookmaker", "outcome", "decimal_odds"]
CONSENSUS_COLUMNS = ["quote_ts", "event_id", "outcome", "fair_prob", "n_books", "dispersion", "method"]

_MARKET = ["quote_ts", "event_id", "bookmaker"]
_EVENT = ["quote_ts", "event_id"]
_EVENT_OUTCOME = ["quote_ts", "event_id", "outcome"]


def consensus_fair_prob(quotes: pd.DataFrame) -> pd.DataFrame:
    """Median de-vigged probability across books for each (quote_ts, event_id, outcome).

    `quotes` has one row per (quote_ts, event_id, bookmaker, outcome) with `decimal_odds`. A book's
    market is used only when it quotes every outcome seen for the event at that time (de-vigging a
    partial market would inflate the outcomes it does quote). Each complete market is de-vigged
    multiplicatively, the books' fair probabilities are reduced to their median, and the medians are
    renormalised so each event's outcomes sum to 1. `dispersion` is the population standard deviation
    of the books' fair probabilities (0 with a single book).
    """
    missing = [c for c in QUOTE_COLUMNS if c not in quotes.columns]
    if missing:
        raise ValueError(f"quotes lack columns {missing}")
    quotes = quotes[QUOTE_COLUMNS]
    duplicated = quotes.duplicated(["quote_ts", "event_id", "bookmaker", "outcome"])
    if duplicated.any():
        raise ValueError(
            f"quotes hold {int(duplicated.sum())} duplicate (quote_ts, event_id, bookmaker, outcome) rows"
        )

    event_outcomes = quotes.groupby(_EVENT, sort=False)["outcome"].transform("nunique")
    book_outcomes = quotes.groupby(_MARKET, sort=False)["outcome"].transform("size")
    complete = quotes[(book_outcomes == event_outcomes) & (event_outcomes >= 2)].copy()

    complete["fair_prob"] = devig_frame(complete, _MARKET, method="multiplicative")
    by_outcome = complete.groupby(_EVENT_OUTCOME, sort=True)["fair_prob"]
    consensus = pd.DataFrame(
        {
            "fair_prob": by_outcome.median(),
            "n_books": by_outcome.size(),
            "dispersion": by_outcome.std(ddof=0),
        }
    ).reset_index()
    consensus["fair_prob"] /= consensus.groupby(_EVENT, sort=False)["fair_prob"].transform("sum")
    consensus["n_books"] = consensus["n_books"].astype("int64")
    consensus["method"] = "multiplicative"
    return consensus[CONSENSUS_COLUMNS]
