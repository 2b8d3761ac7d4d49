"""Data-quality measures beyond the schema (pure): staleness, completeness, volume, drift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import numpy as np
import pandas as pd


def stale_rows(frame: pd.DataFrame, source_column: str, as_of_column: str, max_age: timedelta) -> pd.Series:
    """Rows whose source timestamp is more than `max_age` older than the time they stand for."""
    return (frame[as_of_column] - frame[source_column]) > pd.Timedelta(max_age)


def missing_per_hour(
    frame: pd.DataFrame, hour_column: str, entity_columns: list[str], report_column: str
) -> pd.DataFrame:
    """(hour, missing) for each hour lacking an entity listed both before and after it.

    An entity (an event, or one bookmaker's quotes of an event) is expected in every hour between its
    first and last appearance in the window: absent in between is a hole in the data. Before it was
    listed or after it ended is a quiet market, so what is judged depends on what was listed, not on
    the time of day. `missing` names the holes' `report_column` values (a sport, a bookmaker).
    """
    keys = list(dict.fromkeys([*entity_columns, report_column]))  # the report may name the entity
    seen = frame[[hour_column, *keys]].dropna().drop_duplicates()
    if seen.empty:
        return pd.DataFrame(columns=[hour_column, "missing"])
    spans = seen.groupby(keys, sort=False)[hour_column].agg(["min", "max"]).reset_index()
    hours_spanned = ((spans["max"] - spans["min"]) // pd.Timedelta(hours=1)).astype(int) + 1
    expected = spans.loc[spans.index.repeat(hours_spanned), keys]
    offsets = pd.to_timedelta(expected.groupby(level=0).cumcount().to_numpy(), "h")
    expected[hour_column] = pd.DatetimeIndex(spans["min"].repeat(hours_spanned)) + offsets
    present = seen[[hour_column, *keys]].assign(_present=True)
    holes = expected.merge(present, on=[hour_column, *keys], how="left")
    holes = holes[holes["_present"].isna()]
    missing = holes.groupby(hour_column)[report_column].agg(lambda s: sorted(set(s)))
    return missing.rename("missing").reset_index()


def has_event_near(
    tokens: pd.DataFrame, events: pd.DataFrame, tolerance: timedelta, start_column: str = "game_start_ts"
) -> pd.Series:
    """Per token: whether a sportsbook event of its `sport_key` starts within `tolerance` of its game
    start (inclusive), i.e. whether the fetched books listed anything it could map to."""
    near = pd.Series(False, index=tokens.index)
    window = pd.Timedelta(tolerance).value
    for sport, group in tokens.dropna(subset=["sport_key", start_column]).groupby("sport_key"):
        starts = _epoch_ns(events.loc[events["sport_key"] == sport, "commence_ts"].dropna())
        if not len(starts):
            continue
        starts.sort()
        game = _epoch_ns(group[start_column])
        first = np.searchsorted(starts, game - window, side="left")
        last = np.searchsorted(starts, game + window, side="right")
        near.loc[group.index] = last > first
    return near


def _epoch_ns(instants: pd.Series) -> np.ndarray:
    return pd.to_datetime(instants, utc=True).astype("int64").to_numpy()


def volume_ratio(frame: pd.DataFrame, hour_column: str) -> tuple[pd.Timestamp | None, float | None]:
    """(latest hour, its row count over the mean of the hours before it); None without history."""
    counts = frame.groupby(hour_column).size().sort_index()
    if len(counts) < 2:
        return (counts.index[-1] if len(counts) else None), None
    return counts.index[-1], float(counts.iloc[-1] / counts.iloc[:-1].mean())


def population_stability_index(expected: pd.Series, actual: pd.Series, bins: int = 10) -> float | None:
    """PSI of `actual` against `expected`, on `expected`'s quantile bins; None without data.

    Under 0.1 is stable, 0.1-0.25 a shift worth watching, over 0.25 a different population.
    """
    expected, actual = expected.dropna().astype(float), actual.dropna().astype(float)
    if expected.nunique() < 2 or actual.empty:
        return None
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    share_expected = np.histogram(expected, edges)[0] / len(expected)
    share_actual = np.histogram(actual, edges)[0] / len(actual)
    # A floor keeps empty bins from making the index infinite.
    share_expected, share_actual = np.clip(share_expected, 1e-4, None), np.clip(share_actual, 1e-4, None)
    return float(np.sum((share_actual - share_expected) * np.log(share_actual / share_expected)))


# How a feature's drift is judged (`drift_of`), by what kind of value it holds:
# - continuous: PSI on the training set's quantile bins, above MAX_PSI;
# - categorical: codes, whose mix follows the day's schedule (more hockey tonight is not drift);
#   only the share of recent rows in a category training never saw is judged;
# - derived: a deterministic function of other features and a schedule (the taker fee of the ask
#   under the market's fee curve, rate * (ask * (1 - ask)) ** exponent), whose distribution follows
#   prices; only the share of recent values above the training maximum is judged. The curve peaks at
#   an ask of 0.5, which days of training always hold, so a fee above any trained on needs a costlier
#   schedule; one below the trained minimum is only an ask further out (a favourite at 0.96), which
#   the ask's own PSI judges.
DriftKind = Literal["continuous", "categorical", "derived"]
# Fewer rows on either side and a score is sampling noise: the feature is not judged.
MIN_DRIFT_SAMPLE = 200
MAX_PSI = 0.25
MAX_UNSEEN_SHARE = 0.01
_RANGE_SLACK = 1e-9


@dataclass(frozen=True)
class Drift:
    """One feature's drift verdict: the statistic its kind is judged by, and its limit."""

    kind: DriftKind
    statistic: str
    score: float
    limit: float

    @property
    def drifted(self) -> bool:
        return self.score > self.limit


def drift_of(expected: pd.Series, actual: pd.Series, kind: DriftKind) -> Drift | None:
    """`actual` (recent rows) judged against `expected` (the training set) by `kind`'s rule; None
    when either side has fewer than MIN_DRIFT_SAMPLE values, or PSI has no spread to bin."""
    expected, actual = expected.dropna().astype(float), actual.dropna().astype(float)
    if min(len(expected), len(actual)) < MIN_DRIFT_SAMPLE:
        return None
    if kind == "categorical":
        unseen = ~actual.isin(set(expected.unique()))
        return Drift(kind, "unseen_category_share", float(unseen.mean()), MAX_UNSEEN_SHARE)
    if kind == "derived":
        above = actual > expected.max() + _RANGE_SLACK
        return Drift(kind, "above_training_max_share", float(above.mean()), MAX_UNSEEN_SHARE)
    psi = population_stability_index(expected, actual)
    return None if psi is None else Drift(kind, "psi", psi, MAX_PSI)
