"""Reading the feature store: the `features` asset's hourly parquet files in the lake."""

from datetime import datetime

import pandas as pd

from edge_assets.defs.common import HOURLY_KEY_FORMAT
from edge_assets.features import OUTPUT_COLUMNS
from edge_assets.storage.lake import Lake

FEATURE_STORE_PREFIX = "assets/features/"


def read_feature_store(lake: Lake, start: datetime, end: datetime) -> pd.DataFrame:
    """Feature rows of the hourly partitions in [start, end)."""
    frames = []
    for key in lake.list_keys(FEATURE_STORE_PREFIX):
        hour = datetime.strptime(key.removeprefix(FEATURE_STORE_PREFIX), HOURLY_KEY_FORMAT)
        if start <= hour.replace(tzinfo=start.tzinfo) < end:
            frames.append(lake.read_frame(key))
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTPUT_COLUMNS)
