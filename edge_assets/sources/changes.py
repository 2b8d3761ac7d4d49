"""Change detection for polled sources that repeat themselves (pure)."""

from __future__ import annotations

import pandas as pd


def changed_rows(
    new: pd.DataFrame, previous: pd.DataFrame, key: list[str], compare: list[str]
) -> pd.DataFrame:
    """Rows of `new` whose `compare` values differ from the latest `previous` row of the same key.

    Rows with a key never seen before are changed. Nulls compare equal to nulls, so a contract with
    no offer that still has no offer is not stored again.
    """
    if previous.empty or new.empty:
        return new
    merged = new.merge(previous[key + compare], on=key, how="left", suffixes=("", "__prev"), indicator=True)
    unseen = merged["_merge"] == "left_only"
    differs = pd.Series(False, index=merged.index)
    for column in compare:
        a, b = merged[column], merged[f"{column}__prev"]
        differs |= ~((a == b) | (a.isna() & b.isna()))
    return new[(unseen | differs).to_numpy()].reset_index(drop=True)
