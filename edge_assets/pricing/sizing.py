"""Stake sizing: the Kelly criterion and a capped fractional Kelly stake.

For a Polymarket buy at an effective price c per share (VWAP plus fee), a share pays 1, so the
decimal odds are 1 / c.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge_assets.pricing._arrays import as_float_array, first_offender, like_input, unit_interval_array
from edge_assets.pricing.odds import validate_decimal_odds


def kelly_fraction(prob: Any, decimal_odds: Any) -> Any:
    """Share of bankroll that maximises expected log wealth: (p d - 1) / (d - 1), never below 0.

    A bet without edge (p d <= 1) gets 0 rather than a negative fraction: a negative Kelly fraction
    means taking the other side, which is a different bet with its own price.
    """
    probs, odds = unit_interval_array(prob, "prob"), validate_decimal_odds(decimal_odds)
    return like_input(np.maximum((probs * odds - 1.0) / (odds - 1.0), 0.0), prob, decimal_odds)


def capped_kelly_stake(
    prob: Any, decimal_odds: Any, bankroll: Any, fraction: float = 0.25, cap: float = 0.05
) -> Any:
    """Stake in bankroll units: `fraction` of the Kelly fraction, at most `cap` of the bankroll.

    Full Kelly is optimal only when `prob` is exact; a fair probability estimated from books is
    not, and over-betting costs more than under-betting, hence the fraction (quarter Kelly by
    default) and a hard cap per bet (5% of the bankroll by default).
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    if not 0 <= cap <= 1:
        raise ValueError(f"cap must lie in [0, 1], got {cap}")
    funds = as_float_array(bankroll, "bankroll")
    if (funds < 0).any():
        raise ValueError(f"bankroll must be non-negative, got {first_offender(funds, funds < 0)}")
    share = np.minimum(fraction * np.asarray(kelly_fraction(prob, decimal_odds)), cap)
    return like_input(funds * share, prob, decimal_odds, bankroll)
