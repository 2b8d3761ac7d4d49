"""Order-book snapshots and their rechecks, materialized against the simulator as a live CLOB."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.partitions import HOURLY_KEY_FORMAT
from edge_assets.defs.polymarket.assets import RECHECK_LEVELS, order_books, polymarket_markets
from edge_assets.defs.pricing.assets import cost_models
from edge_assets.defs.settings import EdgeSettings
from edge_assets.sources.resources import PolymarketClobResource, PolymarketGammaResource
from edge_assets.sources.universe import recheck_sample, tokens_open_at
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import WarehouseIOManager
from edge_assets.storage.lake import Lake

HORIZON_S = 2


def test_the_live_recheck_waits_out_the_horizon_and_feeds_the_fill_probability(simulator, tmp_path):
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")
    resources = {
        "warehouse": warehouse,
        "io_manager": WarehouseIOManager(warehouse=warehouse),
        "lake": Lake(url=str(tmp_path / "lake")),
        "gamma": PolymarketGammaResource(base_url=simulator.url),
        # A live CLOB: books only as they are now, so the recheck must wait for its horizon.
        "clob": PolymarketClobResource(base_url=simulator.url, historical_books=False),
        "settings": EdgeSettings(sports=["basketball_nba"], fill_horizon_seconds=HORIZON_S),
    }
    assert dg.materialize([polymarket_markets], resources=resources).success
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    result = dg.materialize(
        [polymarket_markets.to_source_asset(), order_books],
        resources=resources,
        partition_key=hour.strftime(HOURLY_KEY_FORMAT),
    )
    assert result.success

    books = warehouse.read_frame("SELECT * FROM order_book_snapshots")
    rechecks = warehouse.read_frame("SELECT * FROM order_book_rechecks")
    assert len(books) and len(rechecks)
    assert set(rechecks["snapshot_ts"]) == {pd.Timestamp(hour + timedelta(seconds=HORIZON_S))}
    assert rechecks["level"].max() == RECHECK_LEVELS - 1
    # a stable quarter of the tokens open at the hour (a token whose book was empty has no rows)
    tokens = tokens_open_at(warehouse.read_table("polymarket_markets"), hour)
    sample = recheck_sample(tokens, hour, 0.25)
    assert len(sample) == math.ceil(len(tokens) / 4)
    assert set(rechecks["token_id"]) == set(sample) & set(books["token_id"])
    assert recheck_sample(list(reversed(tokens)), hour, 0.25) == sample
    assert recheck_sample(tokens, hour + timedelta(hours=1), 0.25) != sample
    waited = rechecks["fetched_at"].min() - books["fetched_at"].max()
    assert waited >= timedelta(seconds=HORIZON_S)

    assert dg.materialize([cost_models], resources=resources).success
    model = warehouse.read_frame("SELECT * FROM cost_models").iloc[0]
    # one observation per rechecked token: its hourly best ask against the recheck
    asks = books[books["side"] == "ask"]
    assert model["observations"] == asks[asks["token_id"].isin(sample)]["token_id"].nunique()
    assert 0.5 < model["fill_prob"] <= 1.0
