"""An asset whose required input holds no rows fails with one line naming it, instead of landing
nothing as a success (defs/inputs.py decides what each asset requires)."""

from __future__ import annotations

import dagster as dg
import pytest

from edge_assets.defs.inputs import REQUIRED_INPUTS, require_inputs
from edge_assets.defs.modeling.assets import training_set
from edge_assets.defs.settings import EdgeSettings
from edge_assets.sources.parsing import MARKETS, build_frame
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake

DAY = "2026-11-30"


def test_training_on_an_empty_database_fails_naming_the_empty_inputs(tmp_path):
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")  # migrated, every table empty
    lake = Lake(url=str(tmp_path / "lake"))
    sources = [
        dg.AssetSpec(key) for key in ("market_mappings", "polymarket_markets", "polymarket_resolutions")
    ]
    result = dg.materialize(
        [training_set, *sources],
        resources={
            "warehouse": warehouse,
            "lake": lake,
            "io_manager": WarehouseIOManager(warehouse=warehouse),
            "lake_io_manager": LakeIOManager(lake=lake),
            "settings": EdgeSettings(),
        },
        partition_key=DAY,
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message == (
        f"training_set ({DAY}): required input features, market_mappings, polymarket_markets holds no "
        "rows; materialize it first, or check that the database still holds it"
    )
    assert lake.asset_partitions(["training_set"]) == []  # nothing landed


@pytest.mark.parametrize("asset", sorted(REQUIRED_INPUTS))
def test_an_asset_runs_once_every_required_input_holds_rows(asset):
    markets = build_frame(MARKETS, [{"market_id": "m1"}])
    require_inputs(asset, "p", {name: markets for name in REQUIRED_INPUTS[asset]})  # does not raise
    for empty in REQUIRED_INPUTS[asset]:
        inputs = {name: markets.iloc[:0] if name == empty else markets for name in REQUIRED_INPUTS[asset]}
        with pytest.raises(dg.Failure, match=f"required input {empty} holds no rows"):
            require_inputs(asset, "p", inputs)
