"""The de-vigged consensus of several sportsbooks: one fair probability per event outcome.

Each book's complete market is de-vigged on its own, then the books are combined outcome by outcome
with a weighted median. The median rather than a weighted mean because the failure we guard against
is one book being off (a stale line, a data error, a promotional price): a mean moves with it, a
median does not, and it keeps the sharp book's extra weight meaningful (a book weighing more than
all the others together sets the price). With equal weights it is the ordinary median, which was
this function's behaviour before weights existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from edge_assets.pricing._arrays import cumsum_within
from edge_assets.pricing.devig import DEVIG_METHODS, devig_markets

QUOTE_COLUMNS = ["quote_ts", "event_id", "bookmaker", "outcome", "decimal_odds"]
CONSENSUS_COLUMNS = ["quote_ts", "event_id", "outcome", "fair_prob", "n_books", "dispersion", "method"]

# A suggested weighting: books that set sharp lines and take sharp money count more. Pass it (or
# your own mapping) as `book_weights`; books not named weigh `default_weight`.
SHARP_BOOK_WEIGHTS: dict[str, float] = {"pinnacle": 3.0, "circasports": 2.0, "betfair_ex_eu": 2.0}

# Scale factor making the median absolute deviation a consistent estimate of a normal's sd.
MAD_TO_SD = 1.4826
# Smallest robust sd used for outlier tests, in probability: books that agree exactly would
# otherwise make any other book an outlier, however close.
OUTLIER_SD_FLOOR = 0.005
# Outlier rejection needs a majority to judge against: with two books neither is the odd one out.
OUTLIER_MIN_BOOKS = 3

_EVENT_OUTCOME = ["quote_ts", "event_id", "outcome"]


def weighted_median(values: np.ndarray, weights: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The weighted median of `values` within each group code 0..k-1, all groups at once.

    The value at which the cumulative weight (in value order) first reaches half the group's total;
    when it lands exactly on half, the midpoint of that value and the next, so equal weights give
    the ordinary median. Weights must be positive.
    """
    order = np.lexsort((values, codes))
    sorted_codes, sorted_values, sorted_weights = codes[order], values[order], weights[order]
    totals = np.bincount(codes, weights=weights)
    counts = np.bincount(codes)
    group_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    within = cumsum_within(sorted_weights, sorted_codes)
    half = totals[sorted_codes] / 2.0
    # Relative slack so that 0.1 + 0.2 counts as reaching 0.3 / 2 * 2.
    below_half = within < half * (1.0 - 1e-12)
    position = group_start + np.bincount(sorted_codes, weights=below_half).astype(np.intp)
    median = sorted_values[position]
    exactly_half = np.isclose(within[position], half[position], rtol=1e-12, atol=0.0)
    following = np.minimum(position + 1, group_start + counts - 1)
    return np.where(exactly_half, 0.5 * (median + sorted_values[following]), median)


def _book_weight(
    bookmakers: pd.Series, book_weights: Mapping[str, float] | None, default: float
) -> np.ndarray:
    weights = bookmakers.map(dict(book_weights or {})).fillna(default).to_numpy(float)
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError("book weights must be finite and non-negative")
    return weights


def _fresh(quotes: pd.DataFrame, max_age: pd.Timedelta | None, source_ts_col: str) -> np.ndarray:
    """True for quotes no older than `max_age` at their quote_ts (all of them when it is None)."""
    if max_age is None:
        return np.ones(len(quotes), dtype=bool)
    if source_ts_col not in quotes.columns:
        raise ValueError(
            f"max_age needs the {source_ts_col!r} column (when each book last updated its price)"
        )
    age = quotes["quote_ts"] - quotes[source_ts_col]
    # A book that does not say when it updated (NaT) is given the benefit of the doubt.
    return ~(age > pd.Timedelta(max_age)).to_numpy()


def _dense(keys: np.ndarray) -> np.ndarray:
    """Group codes 0..k-1 for integer keys, every code used."""
    return pd.factorize(keys)[0]


def _combine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Dense codes of the pairs (outer, inner) of two code arrays."""
    return _dense(outer.astype(np.int64) * (int(inner.max()) + 1) + inner)


def _outlying_markets(
    fair: np.ndarray, outcome: np.ndarray, market: np.ndarray, outlier_z: float
) -> np.ndarray:
    """True for every row of a book's market that has an outcome more than `outlier_z` robust sds
    from the books' median of that outcome (only where the outcome has OUTLIER_MIN_BOOKS or more)."""
    by_outcome = pd.Series(fair).groupby(outcome)
    deviation = np.abs(fair - by_outcome.transform("median").to_numpy())
    robust_sd = pd.Series(deviation).groupby(outcome).transform("median").to_numpy() * MAD_TO_SD
    judged = np.bincount(outcome)[outcome] >= OUTLIER_MIN_BOOKS
    outlying = judged & (deviation > outlier_z * np.maximum(robust_sd, OUTLIER_SD_FLOOR))
    return np.bincount(market, weights=outlying)[market] > 0


def consensus_fair_prob(
    quotes: pd.DataFrame,
    method: str = "multiplicative",
    book_weights: Mapping[str, float] | None = None,
    default_weight: float = 1.0,
    max_age: pd.Timedelta | None = None,
    source_ts_col: str = "source_ts",
    outlier_z: float | None = None,
) -> pd.DataFrame:
    """Weighted median de-vigged probability across books for each (quote_ts, event_id, outcome).

    `quotes` has one row per (quote_ts, event_id, bookmaker, outcome) with `decimal_odds`, and
    optionally `source_ts` (when the book last moved that price). In order:

    - stale quotes are dropped when `max_age` is given: those with quote_ts - source_ts > max_age
      (rows whose source_ts is missing are kept);
    - a book's market is used only when it quotes every outcome seen for the event at that time
      (de-vigging a partial market would inflate the outcomes it does quote);
    - each complete market is de-vigged with `method` (a key of `DEVIG_METHODS`);
    - when `outlier_z` is given and an outcome has at least three books, a book whose fair
      probability of any outcome lies more than `outlier_z` robust sds (1.4826 x the median absolute
      deviation, floored at OUTLIER_SD_FLOOR) from the books' median is dropped for that event;
    - the remaining books are combined by a weighted median, each book weighing
      `book_weights.get(bookmaker, default_weight)` (a book of weight 0 is left out), and the
      medians are renormalised so each event's outcomes sum to 1.

    `n_books` counts the books used; `dispersion` is the weighted population standard deviation of
    their fair probabilities (0 with a single book). The defaults (multiplicative, equal weights, no
    staleness or outlier filter) give the plain median of the books.
    """
    _check_quotes(quotes, method)
    if quotes.empty:
        return _empty_consensus(quotes)
    event, market, outcome_name = _quote_codes(quotes)
    weight = _book_weight(quotes["bookmaker"], book_weights, default_weight)
    rows = np.flatnonzero((weight > 0) & _fresh(quotes, max_age, source_ts_col))
    if not rows.size:
        return _empty_consensus(quotes)
    event, market, outcome_name, weight = event[rows], market[rows], outcome_name[rows], weight[rows]
    outcome, complete = _complete_markets(event, market, outcome_name)
    rows, event, market, outcome, weight = (a[complete] for a in (rows, event, market, outcome, weight))
    if not rows.size:
        return _empty_consensus(quotes)
    market = _dense(market)
    fair = devig_markets(quotes["decimal_odds"].to_numpy()[rows], market, method)
    if outlier_z is not None:
        kept = ~_outlying_markets(fair, _dense(outcome), market, outlier_z)
        rows, event, outcome, weight, fair = (a[kept] for a in (rows, event, outcome, weight, fair))
    return _weighted_consensus(quotes, rows, event, outcome, weight, fair, method)


def _check_quotes(quotes: pd.DataFrame, method: str) -> None:
    if method not in DEVIG_METHODS:
        known = ", ".join(sorted(DEVIG_METHODS))
        raise ValueError(f"unknown de-vig method {method!r}; known methods: {known}")
    missing = [c for c in QUOTE_COLUMNS if c not in quotes.columns]
    if missing:
        raise ValueError(f"quotes lack columns {missing}")


def _quote_codes(quotes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of each quote's event (quote_ts, event_id), book market (event, bookmaker) and
    outcome name; ValueError when a quote appears twice."""
    # Computed once: grouping on integer codes is much cheaper than on strings.
    when, event_id, bookmaker, outcome_name = (pd.factorize(quotes[c])[0] for c in QUOTE_COLUMNS[:4])
    event = _combine(when, event_id)
    market = _combine(event, bookmaker)
    duplicated = pd.Series(_combine(market, outcome_name)).duplicated()
    if duplicated.any():
        raise ValueError(
            f"quotes hold {int(duplicated.sum())} duplicate (quote_ts, event_id, bookmaker, outcome) rows"
        )
    return event, market, outcome_name


def _complete_markets(
    event: np.ndarray, market: np.ndarray, outcome_name: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each quote's outcome code (event, outcome name), and whether its book's market is complete:
    it quotes as many outcomes (at least two) as the event has across books."""
    outcome = _combine(event, outcome_name)
    event_of_outcome = np.zeros(outcome.max() + 1, dtype=np.intp)
    event_of_outcome[outcome] = event
    event_outcomes = np.bincount(event_of_outcome, minlength=event.max() + 1)[event]
    complete = (np.bincount(market)[market] == event_outcomes) & (event_outcomes >= 2)
    return outcome, complete


def _weighted_consensus(
    quotes: pd.DataFrame,
    rows: np.ndarray,
    event: np.ndarray,
    outcome: np.ndarray,
    weight: np.ndarray,
    fair: np.ndarray,
    method: str,
) -> pd.DataFrame:
    """Per outcome, the books' weighted median fair probability (renormalised so each event's
    outcomes sum to 1), the number of books and their weighted dispersion."""
    outcome = _dense(outcome)
    first = np.unique(outcome, return_index=True)[1]  # one row per outcome, in code order
    total_weight = np.bincount(outcome, weights=weight)
    mean = np.bincount(outcome, weights=weight * fair) / total_weight
    variance = np.bincount(outcome, weights=weight * (fair - mean[outcome]) ** 2) / total_weight
    median = weighted_median(fair, weight, outcome)
    event_of_outcome = _dense(event[first])

    consensus = quotes.iloc[rows[first]][_EVENT_OUTCOME].reset_index(drop=True)
    consensus["fair_prob"] = median / np.bincount(event_of_outcome, weights=median)[event_of_outcome]
    consensus["n_books"] = np.bincount(outcome).astype("int64")
    consensus["dispersion"] = np.sqrt(np.maximum(variance, 0.0))
    consensus["method"] = method
    return consensus.sort_values(_EVENT_OUTCOME, ignore_index=True)[CONSENSUS_COLUMNS]


def _empty_consensus(quotes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=quotes[c].dtype if c in quotes else float) for c in CONSENSUS_COLUMNS}
    )


@dataclass(frozen=True)
class ConsensusRule:
    """How the books' quotes become one fair probability, as both the batch and the live path run it:
    the de-vig method, the age past which a book's price is stale, and the outlier cut, with the
    sharp books weighted up."""

    method: str = "shin"
    max_age_minutes: float = 30.0
    outlier_z: float = 3.5

    def apply(self, quotes: pd.DataFrame) -> pd.DataFrame:
        """`consensus_fair_prob` of `quotes` under this rule."""
        return consensus_fair_prob(
            quotes,
            method=self.method,
            book_weights=SHARP_BOOK_WEIGHTS,
            max_age=timedelta(minutes=self.max_age_minutes),
            outlier_z=self.outlier_z,
        )
