"""The latest features table follows the newest hour the feature store holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import numpy as np
import pandas as pd

from edge_assets.defs.features.assets import features_latest
from edge_assets.defs.features.store import FEATURE_STORE
from edge_assets.defs.partitions import HOURLY_KEY_FORMAT
from edge_assets.features import OUTPUT_COLUMNS
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import WarehouseIOManager
from edge_assets.storage.lake import Lake


def feature_rows(hour: datetime, tokens: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(np.nan, index=range(len(tokens)), columns=OUTPUT_COLUMNS)
    return frame.assign(quote_ts=pd.Timestamp(hour), pm_token_id=tokens, pm_market_id="m1")


def test_features_latest_takes_the_newest_stored_hour_even_when_the_current_one_is_missing(tmp_path):
    # The hour in progress (the partitions' last key) has no features yet: it must not be read.
    lake = Lake(url=str(tmp_path / "lake"))
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    older, newest = now - timedelta(hours=3), now - timedelta(hours=2)
    for hour, tokens in [(older, ["a", "b"]), (newest, ["a"])]:
        lake.write_asset(FEATURE_STORE, feature_rows(hour, tokens), hour.strftime(HOURLY_KEY_FORMAT))
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")
    resources = {"lake": lake, "warehouse": warehouse, "io_manager": WarehouseIOManager(warehouse=warehouse)}

    result = dg.materialize([features_latest], resources=resources)

    assert result.success
    table = warehouse.read_frame("SELECT quote_ts, pm_token_id FROM features_latest")
    assert table.to_dict("records") == [{"quote_ts": pd.Timestamp(newest), "pm_token_id": "a"}]
    metadata = result.asset_materializations_for_node("features_latest")[0].metadata
    assert metadata["hour"].value == newest.isoformat()
