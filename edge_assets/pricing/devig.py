"""Removing the bookmaker's margin (vig) from a market's implied probabilities.

A de-vig method takes the implied probabilities of many markets at once, stacked in one array, with
an integer group code per row saying which market the row belongs to, and returns fair
probabilities that sum to 1 within each market. Working on group codes lets one implementation
serve both a single market (`devig`) and a frame of hundreds of thousands of quotes (`devig_frame`)
without a Python loop per market. New methods register themselves in `DEVIG_METHODS`.

Methods that need a per-market parameter (`power`, `shin`, `odds_ratio`) solve for it with one
safeguarded Newton iteration run on every market simultaneously (see `_solve_per_market`). Each of
them is a one-parameter family of monotone maps that contains the identity, so every method keeps
the order of the implied probabilities and leaves a market without vig unchanged. All of them also
accept an under-round market (implied probabilities summing to less than 1) and scale it up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from edge_assets.pricing._arrays import cumsum_within
from edge_assets.pricing.odds import validate_decimal_odds

DevigMethod = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(implied probabilities, market codes 0..k-1) -> fair probabilities, row for row."""

# A market's solved probabilities sum to 1 within this before the final renormalisation.
SOLVER_TOLERANCE = 1e-12
SOLVER_MAX_ITERATIONS = 100

# x -> (sum of the market's probabilities at parameter x, its derivative in x), per market.
_SumAndSlope = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _normalised(probs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return probs / np.bincount(codes, weights=probs)[codes]


def _solve_per_market(
    sum_and_slope: _SumAndSlope, start: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """The parameter x of every market at which its probabilities sum to 1, all markets at once.

    The sum must decrease in x and exceed 1 at `lower` and fall below 1 at `upper`. Each step is a
    Newton step, replaced by bisection of the bracket when it would leave the bracket, so the
    iteration converges for every market whatever the shape of its curve; it stops once every
    market's sum is within SOLVER_TOLERANCE of 1 (a market already there, such as one without vig,
    is never moved from `start`).
    """
    x = np.clip(start, lower, upper)
    lower, upper = lower.copy(), upper.copy()
    for _ in range(SOLVER_MAX_ITERATIONS):
        total, slope = sum_and_slope(x)
        excess = total - 1.0
        if np.all(np.abs(excess) <= SOLVER_TOLERANCE):
            break
        lower = np.where(excess > 0, x, lower)
        upper = np.where(excess < 0, x, upper)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - excess / slope
        inside = (newton > lower) & (newton < upper)  # False for NaN too
        stepped = np.where(inside, newton, 0.5 * (lower + upper))
        x = np.where(np.abs(excess) <= SOLVER_TOLERANCE, x, stepped)
    return x


def _market_stats(implied: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per market: number of outcomes, sum of implied probabilities (the booksum) and the largest one."""
    n_outcomes = np.bincount(codes).astype(float)
    booksum = np.bincount(codes, weights=implied)
    largest = np.zeros(n_outcomes.size)
    np.maximum.at(largest, codes, implied)
    return n_outcomes, booksum, largest


def devig_multiplicative(implied: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Scale each market's implied probabilities by the same factor so they sum to 1."""
    return _normalised(implied, codes)


def devig_additive(implied: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Subtract the same amount from every outcome: p_i = max(q_i - t, 0) with sum p_i = 1.

    Plain additive de-vig (t = overround / n) turns a longshot whose implied probability is below
    t negative. This is the standard fix done exactly: the Euclidean projection of the implied
    probabilities onto the probability simplex, which zeroes such outcomes and shares the margin
    equally among the others. Where no outcome would go negative it is the textbook formula.
    """
    # Sort each market's outcomes from most to least likely; for the k most likely outcomes the
    # shared shift would be (their sum - 1) / k. The projection keeps the largest k whose smallest
    # member stays positive after that shift (Duchi et al. 2008), done for all markets at once.
    order = np.lexsort((-implied, codes))
    sorted_codes, sorted_implied = codes[order], implied[order]
    market_start = np.concatenate(([0], np.cumsum(np.bincount(codes))[:-1]))
    rank = np.arange(implied.size) - market_start[sorted_codes] + 1
    shift = (cumsum_within(sorted_implied, sorted_codes) - 1.0) / rank
    kept = np.bincount(sorted_codes, weights=sorted_implied > shift).astype(np.intp)
    market_shift = shift[market_start + kept - 1]
    return _normalised(np.maximum(implied - market_shift[codes], 0.0), codes)


def devig_power(implied: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Raise every implied probability to the same power k: p_i = q_i ** k with sum p_i = 1.

    Longshots lose proportionally more than favourites, which matches the favourite-longshot bias.
    """
    n_outcomes, _, largest = _market_stats(implied, codes)
    log_implied = np.log(implied)

    def sum_and_slope(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        powered = implied ** k[codes]
        return np.bincount(codes, weights=powered), np.bincount(codes, weights=powered * log_implied)

    # Sum at k = 0 is n > 1; at k = ln n / -ln(max q) every term is at most 1/n, so the sum is <= 1.
    upper = np.maximum(1.0, np.log(n_outcomes) / -np.log(largest))
    k = _solve_per_market(sum_and_slope, np.ones_like(upper), np.zeros_like(upper), upper)
    return _normalised(implied ** k[codes], codes)


def _shin_probs(implied: np.ndarray, codes: np.ndarray, z: np.ndarray, booksum: np.ndarray) -> np.ndarray:
    # The positive root p of (1 - z) p^2 + z p = q^2 / booksum, Shin's fair probability.
    zr = z[codes]
    root = np.sqrt(zr**2 + 4.0 * (1.0 - zr) * implied**2 / booksum[codes])
    return (root - zr) / (2.0 * (1.0 - zr)), root


def devig_shin(implied: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Shin's model: the margin is the bookmaker's protection against a share z of insider money.

    p_i = (sqrt(z^2 + 4 (1 - z) q_i^2 / Q) - z) / (2 (1 - z)), Q the booksum, with z solved so the
    p_i sum to 1. Like `power` it trims longshots more than favourites. z lies in (0, 1) for an
    over-round market; an under-round one gets the formula's natural extension to z < 0.
    """
    _, booksum, _ = _market_stats(implied, codes)

    def sum_and_slope(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, root = _shin_probs(implied, codes, z, booksum)
        # Implicit differentiation of (1 - z) p^2 + z p = const: dp/dz = -p (1 - p) / root.
        return np.bincount(codes, weights=probs), np.bincount(codes, weights=-probs * (1.0 - probs) / root)

    # At z = -1 every p_i >= 1/2, so the sum is >= 1 for any market of two or more outcomes; as
    # z -> 1 p_i -> q_i^2 / Q, which sums to less than 1. The solver never evaluates z = 1 itself.
    start = np.zeros_like(booksum)
    z = _solve_per_market(sum_and_slope, start, np.full_like(booksum, -1.0), np.ones_like(booksum))
    return _normalised(_shin_probs(implied, codes, z, booksum)[0], codes)


def devig_odds_ratio(implied: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Divide every outcome's odds-against by the same ratio c: p_i / (1 - p_i) = q_i / (c (1 - q_i)).

    Cheung's odds-ratio method, p_i = q_i / (q_i + c (1 - q_i)), with c solved so the p_i sum to 1.
    """
    n_outcomes, _, largest = _market_stats(implied, codes)

    def sum_and_slope(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        denominator = implied + c[codes] * (1.0 - implied)
        return (
            np.bincount(codes, weights=implied / denominator),
            np.bincount(codes, weights=-implied * (1.0 - implied) / denominator**2),
        )

    # Sum at c = 0 is n > 1; at c = n max(q) / (1 - max(q)) every term is at most 1/n.
    upper = np.maximum(1.0, n_outcomes * largest / (1.0 - largest))
    c = _solve_per_market(sum_and_slope, np.ones_like(upper), np.zeros_like(upper), upper)
    return _normalised(implied / (implied + c[codes] * (1.0 - implied)), codes)


DEVIG_METHODS: dict[str, DevigMethod] = {
    "multiplicative": devig_multiplicative,
    "additive": devig_additive,
    "power": devig_power,
    "shin": devig_shin,
    "odds_ratio": devig_odds_ratio,
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
    same length, in the same order, summing to 1. `method` is a key of `DEVIG_METHODS`.
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
    responsible for each group holding every outcome of its market exactly once and at least two
    outcomes. Returns a float Series aligned to `frame.index`.
    """
    _method(method)
    if frame.empty:
        return pd.Series(index=frame.index, dtype=float, name="fair_prob")
    # dropna=False: a NaN key is still a market of its own rather than silently code -1.
    codes = frame.groupby(list(group_cols), sort=False, dropna=False).ngroup().to_numpy()
    return pd.Series(
        devig_markets(frame[odds_col].to_numpy(), codes, method), index=frame.index, name="fair_prob"
    )


def devig_markets(decimal_odds: Any, market_codes: np.ndarray, method: str = "multiplicative") -> np.ndarray:
    """Fair probabilities of many markets stacked in one array, `market_codes` (0..k-1, every code
    used) saying which market each row belongs to: the array form of `devig_frame`."""
    de_vig = _method(method)
    odds = validate_decimal_odds(decimal_odds)
    return de_vig(1.0 / odds, np.asarray(market_codes, dtype=np.intp))
