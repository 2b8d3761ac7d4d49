"""Data-quality measures beyond the schema (pure): staleness, completeness, volume."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd


def stale_rows(frame: pd.DataFrame, source_column: str, as_of_column: str, max_age: timedelta) -> pd.Series:
    """Rows whose source timestamp is more than `max_age` older than the time they stand for."""
    return (frame[as_of_column] - frame[source_column]) > pd.Timedelta(max_age)


def missing_per_hour(frame: pd.DataFrame, hour_column: str, group_column: str) -> pd.DataFrame:
    """(hour, missing) for each hour lacking some group seen elsewhere in the frame's window.

    A sport or bookmaker present in the window but absent from one of its hours is a hole in the
    data, not a quiet market; one absent from the whole window is not judged here.
    """
    expected = set(frame[group_column].dropna().unique())
    present = frame.groupby(hour_column)[group_column].agg(lambda s: set(s.dropna()))
    holes = [(hour, sorted(expected - seen)) for hour, seen in present.items() if expected - seen]
    return pd.DataFrame(holes, columns=[hour_column, "missing"])


def volume_ratio(frame: pd.DataFrame, hour_column: str) -> tuple[pd.Timestamp | None, float | None]:
    """(latest hour, its row count over the mean of the hours before it); None without history."""
    counts = frame.groupby(hour_column).size().sort_index()
    if len(counts) < 2:
        return (counts.index[-1] if len(counts) else None), None
    return counts.index[-1], float(counts.iloc[-1] / counts.iloc[:-1].mean())
