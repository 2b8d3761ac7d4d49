"""A resolution takes effect at the instant its market resolved, not when it was fetched: the
resolutions asset, over the markets the simulator's Gamma API serves over HTTP, carries each closed
market's `closedTime`, so the trader's book at a backfilled hour after a game resolved holds no stake
for it, and at an hour before, it still does (a later resolution frees nothing early)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pandas as pd
import requests

from edge_assets.defs.polymarket.assets import polymarket_markets, polymarket_resolutions
from edge_assets.sources.resources import PolymarketGammaResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake
from edge_assets.trading.store import TradingStore
from edge_assets_tests.trading.test_paper import NOW
from edge_assets_tests.trading.test_store import fill_row, order_row


def test_a_backfilled_hour_holds_a_resolved_games_stake_only_before_it_resolved(simulator_factory, tmp_path):
    server = simulator_factory(now=NOW)
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")
    lake = Lake(url=str(tmp_path / "lake"))
    resources = {
        "warehouse": warehouse,
        "io_manager": WarehouseIOManager(warehouse=warehouse),
        "lake": lake,
        "lake_io_manager": LakeIOManager(lake=lake),
        "gamma": PolymarketGammaResource(base_url=server.url),
    }
    assert dg.materialize([polymarket_markets, polymarket_resolutions], resources=resources).success

    resolutions = warehouse.read_table("polymarket_resolutions")
    closed = requests.get(f"{server.url}/markets", params={"closed": "true", "limit": 500}, timeout=30).json()
    assert closed and not resolutions.empty, "the world has games resolved before its now"
    closed_at = {str(market["id"]): pd.Timestamp(market["closedTime"]) for market in closed}
    resolved_at = pd.to_datetime(resolutions["resolved_at"], utc=True)
    # Every resolution is stamped with its market's closing time, before the (wall-clock) fetch.
    assert (resolved_at == resolutions["market_id"].map(closed_at)).all()
    assert (resolved_at < pd.to_datetime(resolutions["fetched_at"], utc=True)).all()

    store = TradingStore(warehouse)
    row = resolutions.iloc[0]
    market, token, at = str(row["market_id"]), str(row["token_id"]), resolved_at.iloc[0].to_pydatetime()
    bought = at - timedelta(hours=3)
    order = {**order_row("o1", market, "matched", stake=10.0, matched=20.0), "pm_token_id": token,
             "created_at": bought, "updated_at": bought}  # fmt: skip
    store.record_order(order)
    fill = {**fill_row("t1", "o1", market, 0.5, 20.0, bought), "pm_token_id": token}
    store.record_fills([fill], "paper", token, bought)

    def held(hour):
        return store.risk_state("paper", hour, halted=False, lookback=timedelta(minutes=5)).market_stakes

    assert held(at - timedelta(hours=1)) == {market: 10.0}
    assert held(at + timedelta(hours=1)) == {}
