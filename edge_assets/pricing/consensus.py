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

import numpy as np
import pandas as pd

from edge_assets.pricing._arrays import cumsum_within
from edge_assets.pricing.devig import DEVIG_METHODS, devig_frame

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

_MARKET = ["quote_ts", "event_id", "bookmaker"]
_EVENT = ["quote_ts", "event_id"]
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


def _drop_stale(quotes: pd.DataFrame, max_age: pd.Timedelta | None, source_ts_col: str) -> pd.DataFrame:
    if max_age is None:
        return quotes
    if source_ts_col not in quotes.columns:
        raise ValueError(
            f"max_age needs the {source_ts_col!r} column (when each book last updated its price)"
        )
    age = quotes["quote_ts"] - quotes[source_ts_col]
    # A book that does not say when it updated (NaT) is given the benefit of the doubt.
    return quotes[~(age > pd.Timedelta(max_age))]


def _drop_outlier_books(books: pd.DataFrame, outlier_z: float) -> pd.DataFrame:
    """Drop every book's market that has an outcome more than `outlier_z` robust sds from the median."""
    by_outcome = books.groupby(_EVENT_OUTCOME, sort=False)["fair_prob"]
    median = by_outcome.transform("median")
    deviation = (books["fair_prob"] - median).abs()
    robust_sd = (
        deviation.groupby([books[c] for c in _EVENT_OUTCOME], sort=False).transform("median") * MAD_TO_SD
    )
    robust_sd = robust_sd.clip(lower=OUTLIER_SD_FLOOR)
    judged = by_outcome.transform("size") >= OUTLIER_MIN_BOOKS
    outlying = judged & (deviation > outlier_z * robust_sd)
    bad_market = outlying.groupby([books[c] for c in _MARKET], sort=False).transform("any")
    return books[~bad_market]


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
    if method not in DEVIG_METHODS:
        known = ", ".join(sorted(DEVIG_METHODS))
        raise ValueError(f"unknown de-vig method {method!r}; known methods: {known}")
    missing = [c for c in QUOTE_COLUMNS if c not in quotes.columns]
    if missing:
        raise ValueError(f"quotes lack columns {missing}")
    duplicated = quotes.duplicated(["quote_ts", "event_id", "bookmaker", "outcome"])
    if duplicated.any():
        raise ValueError(
            f"quotes hold {int(duplicated.sum())} duplicate (quote_ts, event_id, bookmaker, outcome) rows"
        )
    fresh = _drop_stale(quotes, max_age, source_ts_col)[QUOTE_COLUMNS]
    fresh = fresh.assign(weight=_book_weight(fresh["bookmaker"], book_weights, default_weight))
    fresh = fresh[fresh["weight"] > 0]

    event_outcomes = fresh.groupby(_EVENT, sort=False)["outcome"].transform("nunique")
    book_outcomes = fresh.groupby(_MARKET, sort=False)["outcome"].transform("size")
    books = fresh[(book_outcomes == event_outcomes) & (event_outcomes >= 2)].copy()
    books["fair_prob"] = devig_frame(books, _MARKET, method=method)
    if outlier_z is not None and not books.empty:
        books = _drop_outlier_books(books, outlier_z)
    if books.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=quotes[c].dtype if c in quotes else float) for c in CONSENSUS_COLUMNS}
        )

    books = books.sort_values(_EVENT_OUTCOME, kind="stable")
    grouped = books.groupby(_EVENT_OUTCOME, sort=False)
    codes = grouped.ngroup().to_numpy()
    fair, weight = books["fair_prob"].to_numpy(), books["weight"].to_numpy()
    total_weight = np.bincount(codes, weights=weight)
    mean = np.bincount(codes, weights=weight * fair) / total_weight
    variance = np.bincount(codes, weights=weight * (fair - mean[codes]) ** 2) / total_weight

    consensus = books.loc[~grouped.cumcount().astype(bool).to_numpy(), _EVENT_OUTCOME].reset_index(drop=True)
    consensus["fair_prob"] = weighted_median(fair, weight, codes)
    consensus["n_books"] = np.bincount(codes).astype("int64")
    consensus["dispersion"] = np.sqrt(np.maximum(variance, 0.0))
    consensus["fair_prob"] /= consensus.groupby(_EVENT, sort=False)["fair_prob"].transform("sum")
    consensus["method"] = method
    return consensus[CONSENSUS_COLUMNS]
