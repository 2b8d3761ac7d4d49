"""The trading assets over a SQLite warehouse whose fills the paper trader took from the simulator's
CLOB over HTTP: positions marked at the payout or the newest bid, and daily P&L with CLV."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

import dagster as dg
import pandas as pd
import pytest

from edge_assets.defs.mapping.assets import market_mappings
from edge_assets.defs.polymarket.assets import polymarket_markets, polymarket_resolutions
from edge_assets.defs.trading.assets import pnl_daily, positions, settled_fills
from edge_assets.defs.trading.checks import positions_checks
from edge_assets.pricing import fee_per_share
from edge_assets.sources.resources import PolymarketGammaResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake
from edge_assets.trading.trader import Trader
from edge_assets_tests.trading.test_paper import NOW, open_books, paper_config, signal_for

CLOSE = {0: 0.70, 1: 0.40}  # the closing consensus of the two traded tokens' events


def book_rows(token: str, market: str, bids: dict[float, float], at) -> pd.DataFrame:
    ranked = sorted(bids.items(), reverse=True)
    return pd.DataFrame(
        [{"snapshot_ts": at, "token_id": token, "market_id": market, "side": "bid", "level": level,
          "price": price, "size": size, "tick_size": 0.01, "min_order_size": 5.0, "book_ts": at,
          "fetched_at": at} for level, (price, size) in enumerate(ranked)]
    )  # fmt: skip


def test_positions_and_daily_pnl_settle_the_paper_traders_fills(simulator_factory, tmp_path):
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
    assert dg.materialize([polymarket_markets], resources=resources).success
    trader = Trader(paper_config(server.url), warehouse, sleep=lambda _: None)
    markets = warehouse.read_table("polymarket_markets").set_index("market_id")
    pregame = [
        (market, books)
        for market, books in open_books(server.url, 40)
        if markets.loc[str(market["id"]), "game_start_ts"] > NOW
    ]
    assert len(pregame) >= 2, "the world has games yet to start"
    traded = pregame[:2]
    tokens = []
    for index, (market, books) in enumerate(traded):
        # Signals name Gamma's market id (market_mappings.pm_market_id), as the signals tables do.
        signal = replace(signal_for(index, books), market_id=str(market["id"]))
        assert trader.consider(signal, books.book(signal.token_id), NOW)["status"] == "filled"
        tokens.append(signal.token_id)
    won, held = tokens
    won_market, held_market = (str(market["id"]) for market, _ in traded)

    # The first token's market resolved in its favour; the second still trades, its newest book
    # bidding what the simulator's book bid (an older, higher bid must not be the mark).
    resolutions = pd.DataFrame(
        [{"token_id": won, "market_id": won_market, "outcome": "Yes", "payout": 1.0,
          "resolved_at": NOW + timedelta(hours=5), "fetched_at": NOW + timedelta(hours=5)}]
    )  # fmt: skip
    warehouse.upsert("polymarket_resolutions", resolutions, ["token_id"])
    held_bids = traded[1][1].book(held).bids
    best_bid = max(held_bids)
    hour = NOW.replace(minute=0)
    warehouse.upsert(
        "order_book_snapshots",
        pd.concat(
            [
                book_rows(held, held_market, {min(best_bid + 0.05, 0.99): 10.0}, hour - timedelta(hours=1)),
                book_rows(held, held_market, held_bids, hour),
            ]
        ),
        ["snapshot_ts", "token_id", "side", "level"],
    )
    mappings, consensus = [], []
    for index, (token, market) in enumerate([(won, won_market), (held, held_market)]):
        mappings.append(
            {"pm_token_id": token, "pm_market_id": market, "pm_outcome": "Yes", "sport_key": "basketball_nba",
             "event_id": f"ev{index}", "sportsbook_outcome": "Home", "confidence": 1.0, "status": "mapped",
             "reason": None, "mapped_at": NOW}
        )  # fmt: skip
        consensus.append(
            {"quote_ts": hour, "event_id": f"ev{index}", "outcome": "Home", "fair_prob": CLOSE[index],
             "n_books": 5, "dispersion": 0.01, "method": "multiplicative"}
        )  # fmt: skip
    warehouse.upsert("market_mappings", pd.DataFrame(mappings), ["pm_token_id"])
    warehouse.upsert("consensus", pd.DataFrame(consensus), ["quote_ts", "event_id", "outcome"])

    sources = [
        polymarket_markets.to_source_asset(),
        polymarket_resolutions.to_source_asset(),
        market_mappings.to_source_asset(),
    ]
    result = dg.materialize(
        [settled_fills, positions, pnl_daily, positions_checks, *sources], resources=resources
    )
    assert result.success
    [schema] = result.get_asset_check_evaluations()
    assert schema.passed, schema.metadata

    fills = warehouse.read_table("fills").set_index("pm_token_id")
    assert sorted(fills.index) == sorted([won, held])  # one fill each: the stake fits the best ask
    schedule = markets.loc[fills["pm_market_id"]]
    fees = fills["size"] * fee_per_share(
        fills["price"].to_numpy(), schedule["fee_rate"].fillna(0.0), schedule["fee_exponent"].fillna(1.0)
    )
    held_positions = warehouse.read_table("positions").set_index("pm_token_id")
    assert held_positions.loc[won, "mark_price"] == 1.0
    assert held_positions.loc[held, "mark_price"] == pytest.approx(best_bid)
    for token in (won, held):
        assert held_positions.loc[token, "size"] == pytest.approx(fills.loc[token, "size"])
        assert held_positions.loc[token, "cost"] == pytest.approx(
            fills.loc[token, "size"] * fills.loc[token, "price"]
        )

    metadata = result.asset_materializations_for_node("pnl_daily")[0].metadata
    realised = fills.loc[won, "size"] * (1.0 - fills.loc[won, "price"]) - fees[won]
    marked = fills.loc[held, "size"] * (best_bid - fills.loc[held, "price"]) - fees[held]
    assert metadata["paper_realised_pnl"].value == pytest.approx(realised)
    assert metadata["paper_mtm_pnl"].value == pytest.approx(marked)
    assert metadata["paper_hit_rate"].value == 1.0
    assert metadata["paper_fills"].value == 2
    clv = [CLOSE[index] - (fills.loc[token, "price"] + fees[token] / fills.loc[token, "size"])
           for index, token in enumerate((won, held))]  # fmt: skip
    assert metadata["paper_mean_clv"].value == pytest.approx(sum(clv) / 2)

    [day] = lake.read_asset(["pnl_daily"]).itertuples()
    assert day.day == pd.Timestamp(NOW.astimezone(UTC).date(), tz="UTC")
    assert day.pnl == pytest.approx(realised + marked)
    assert day.drawdown == pytest.approx(max(0.0, -(realised + marked)))
