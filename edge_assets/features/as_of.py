"""Features at any instant, for the live gate (pure): `build_features` over hourly history plus now.

The batch features of hour H come from the hourly rows at H, H-1h, ... The live path wants them at
an arbitrary as-of time t: it takes the rows it holds for t itself and the hourly history before t,
restamped onto the grid t, t-1h, t-2h, ... (the newest hour before t becomes t-1h, and so on). No
row later than t is used, and at a whole hour the result is exactly the batch features of that hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from edge_assets.features.build import book_depth, build_features, utc

HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class FeatureInputs:
    """The frames `build_features` reads: canonical quotes, consensus and book levels."""

    quotes: pd.DataFrame
    consensus: pd.DataFrame
    book_levels: pd.DataFrame


def features_as_of(
    as_of: datetime, history: FeatureInputs, now: FeatureInputs, mappings: pd.DataFrame, markets: pd.DataFrame
) -> pd.DataFrame:
    """Feature rows at `as_of` from `now` (rows stamped `as_of`) and `history` (hourly rows before it)."""
    moment = pd.Timestamp(as_of).tz_convert("UTC")

    def joined(past: pd.DataFrame, current: pd.DataFrame, column: str) -> pd.DataFrame:
        return pd.concat(
            [_restamped(past, column, moment), current.assign(**{column: moment})], ignore_index=True
        )

    return build_features(
        joined(history.quotes, now.quotes, "quote_ts"),
        joined(history.consensus, now.consensus, "quote_ts"),
        # Depth after restamping: the levels of snapshots that land on one grid hour count together.
        book_depth(joined(history.book_levels, now.book_levels, "snapshot_ts")),
        mappings,
        markets,
        [moment],
    )


def _restamped(frame: pd.DataFrame, column: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows stamped before `as_of`, moved onto the grid as_of - k hours (k >= 1 whole hours back)."""
    stamps = utc(frame[column])
    earlier = (stamps < as_of).to_numpy()
    hours_back = np.ceil((as_of - stamps[earlier]) / HOUR).astype(int)
    return frame[earlier].assign(**{column: as_of - pd.to_timedelta(hours_back, "h")})
