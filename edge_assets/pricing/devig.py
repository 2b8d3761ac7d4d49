"""Removing the bookmaker's margin (vig) from a market's implied probabilities.

A de-vig method takes the implied probabilities of many markets at once, stacked in one array, with
an integer group code per row saying which market the row belongs to, and returns fair
probabilities that sum to 1 within each market. Working on group codes lets one implementation
serve both a single market (`devig`) and a frame of hundreds of thousands of quotes (`devig_frame`)
without a Python loop per market. New methods register themselves in `DEVIG_METHODS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from edge_assets.pricing.odds import validate_decimal_odds

DevigMethod = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(implied probabilities, market codes 0..k-1) -> fair probabilities, row for row."""


def _multiplicative(implied: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Scale each market's implied probabilities by the same factor so they sum to 1."""
    overround = np.bincount(codes, weights=implied)
    return implied / overround[codes]


DEVIG_METHODS: dict[str, DevigMethod] = {
    "multiplicative": _multiplicative,
}


def _method(name: str) -> DevigMethod:
    try:
        return DEVIG_METHODS[name]
    except KeyError:
        known = ", ".join(sorted(DEVIG_METHODS))
        raise ValueError(f"unknown de-vig method {name!r}; known methods: {known}") from None


def devig(decimal_odds: Any, method: str = "multiplicative") -> np.ndarray:
    """Fair probabilities of the outcomes of one n-way market from its decimal odds.

    `decimal_odds` is 1-D with one price per outcome (at least two); the result is an array of the
    same length, in the same order, summing to 1.
    """
    de_vig = _method(method)
    odds = validate_decimal_odds(decimal_odds)
    if odds.ndim != 1 or odds.size < 2:
        raise ValueError(f"a market needs a 1-D array of at least two odds, got shape {odds.shape}")
    return de_vig(1.0 / odds, np.zeros(odds.size, dtype=np.intp))


def devig_frame(
    frame: pd.DataFrame,
    group_cols: Sequence[str],
    odds_col: str = "decimal_odds",
    method: str = "multiplicative",
) -> pd.Series:
    """Fair probability of every row of `frame`, each market being one group of `group_cols`.

    For sportsbook quotes a market is typically (quote_ts, event_id, bookmaker). The caller is
    responsible for each group holding every outcome of its market exactly once. Returns a float
    Series aligned to `frame.index`.
    """
    de_vig = _method(method)
    if frame.empty:
        return pd.Series(index=frame.index, dtype=float, name="fair_prob")
    odds = validate_decimal_odds(frame[odds_col].to_numpy())
    # dropna=False: a NaN key is still a market of its own rather than silently code -1.
    codes = frame.groupby(list(group_cols), sort=False, dropna=False).ngroup().to_numpy()
    return pd.Series(de_vig(1.0 / odds, codes), index=frame.index, name="fair_prob")
