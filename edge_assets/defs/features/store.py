"""Reading the feature store: the `features` asset's hourly parquet files in the lake."""

from datetime import UTC, datetime

import pandas as pd

from edge_assets.defs.partitions import HOURLY_KEY_FORMAT
from edge_assets.features import OUTPUT_COLUMNS
from edge_assets.storage.lake import Lake

FEATURE_STORE = ["features"]  # the `features` asset's key


def latest_feature_hour(lake: Lake) -> tuple[datetime, pd.DataFrame] | None:
    """The newest hour the feature store holds, and its rows; None while it is empty.

    Keys sort in time order, since HOURLY_KEY_FORMAT runs from year to minute."""
    keys = lake.asset_partitions(FEATURE_STORE)
    if not keys:
        return None
    return _hour_of(keys[-1]), lake.read_asset(FEATURE_STORE, keys[-1])


def read_feature_store(lake: Lake, start: datetime, end: datetime) -> pd.DataFrame:
    """Feature rows of the hourly partitions in [start, end)."""
    frames = []
    for key in lake.asset_partitions(FEATURE_STORE):
        if start <= _hour_of(key) < end:
            frames.append(lake.read_asset(FEATURE_STORE, key))
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTPUT_COLUMNS)


def _hour_of(key: str) -> datetime:
    """The UTC hour a feature-store partition key holds."""
    return datetime.strptime(key, HOURLY_KEY_FORMAT).replace(tzinfo=UTC)
