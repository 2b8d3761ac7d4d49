"""The `signal_trades` asset over a SQLite warehouse and the simulator over HTTP: a backfill
paper-trades each hourly signal at its own hour (the book it was found on, the risk limits judged at
its as-of time), and a rerun decides nothing again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import requests

from edge_assets.defs.partitions import HOURLY_KEY_FORMAT
from edge_assets.defs.polymarket.assets import polymarket_markets
from edge_assets.defs.trading.assets import signal_trades
from edge_assets.environment import Environment
from edge_assets.signals.comparator import SIGNAL_COLUMNS
from edge_assets.sources.polymarket import parse_clob_books
from edge_assets.sources.resources import PolymarketGammaResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import WarehouseIOManager
from edge_assets.storage.lake import Lake
from edge_assets_tests.trading.test_paper import venue_client

NOW = datetime(2026, 3, 1, 17, 3, tzinfo=UTC)  # the world's pinned minute
FIRST = datetime(2026, 3, 1, 11, tzinfo=UTC)  # the backfilled hours: FIRST and the one after it
HOURS = [FIRST, FIRST + timedelta(hours=1)]


def books_at(url: str, tokens: list[str], at: datetime) -> list[dict]:
    answer = requests.post(
        f"{url}/books", params={"ts": at.timestamp()}, json=[{"token_id": t} for t in tokens], timeout=30
    )
    return answer.json()


def signal_row(token: str, market: str, at: datetime, ask: float) -> dict:
    row = dict.fromkeys(SIGNAL_COLUMNS)
    return row | {
        "signal_id": f"{token[:12]}-{at:%H}", "created_at": at, "pm_market_id": market, "pm_token_id": token,
        "outcome": "Yes", "event_id": f"ev-{market}", "pm_price": ask, "fee": 0.0, "fair_prob": ask + 0.1,
        "ev_after_costs": 0.1, "size_available": 100.0, "detected_at": NOW, "stake": 10.0,
    }  # fmt: skip


def test_a_paper_backfill_trades_each_signal_at_its_hours_book_once(simulator_factory, tmp_path):
    server = simulator_factory(now=NOW)
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")
    resources = {
        "warehouse": warehouse,
        "io_manager": WarehouseIOManager(warehouse=warehouse),
        "lake": Lake(url=str(tmp_path / "lake")),
        "gamma": PolymarketGammaResource(base_url=server.url),
    }
    assert dg.materialize([polymarket_markets], resources=resources).success
    markets = warehouse.read_table("polymarket_markets")
    # Moneylines still pre-game after the backfilled hours (those with books then are traded).
    listed = markets[
        (markets["sports_market_type"] == "moneyline")
        & (pd.to_datetime(markets["game_start_ts"], utc=True) > HOURS[-1] + timedelta(hours=1))
    ]
    token_market = {
        json.loads(ids)[0]: str(market)
        for ids, market in zip(listed["clob_token_ids"], listed["market_id"], strict=True)
    }
    snapshots, asks = [], {}
    for hour in HOURS:
        books = [book for book in books_at(server.url, list(token_market), hour) if book["asks"]]
        snapshots.append(parse_clob_books(books, hour, hour, token_market).frame)
        for book in books:
            asks[book["asset_id"], hour] = min(float(level["price"]) for level in book["asks"])
    warehouse.upsert(
        "order_book_snapshots", pd.concat(snapshots), ["snapshot_ts", "token_id", "side", "level"]
    )
    first, second = [token for token in token_market if (token, FIRST) in asks and (token, HOURS[1]) in asks][
        :2
    ]
    # The same token twice, an hour apart: a 30-minute cooldown judged at the signals' as-of times
    # lets the second through (judged on the wall clock, seconds apart, it would stop it).
    signals = [
        signal_row(first, token_market[first], FIRST, asks[first, FIRST]),
        signal_row(second, token_market[second], FIRST, asks[second, FIRST]),
        signal_row(first, token_market[first], HOURS[1], asks[first, HOURS[1]]),
    ]
    warehouse.upsert("signals", pd.DataFrame(signals), ["signal_id"])
    mappings = [
        {"pm_token_id": token, "pm_market_id": token_market[token], "pm_outcome": "Yes",
         "sport_key": "basketball_nba", "event_id": f"ev-{token_market[token]}", "sportsbook_outcome": "Home",
         "confidence": 1.0, "status": "mapped", "reason": None, "mapped_at": NOW}
        for token in (first, second)
    ]  # fmt: skip
    warehouse.upsert("market_mappings", pd.DataFrame(mappings), ["pm_token_id"])
    env = Environment.from_env(
        {"EDGE_ENV": "local", "EDGE_HOME": str(tmp_path), "EDGE_SIMULATOR_URL": server.url,
         "EDGE_TRADING_MODE": "paper", "EDGE_TRADING_COOLDOWN_SECONDS": "1800"}
    )  # fmt: skip
    trading = {**resources, "trading": dg.ResourceDefinition.hardcoded_resource(env.trading_config_as_of)}
    sources = [polymarket_markets.to_source_asset(), dg.SourceAsset("market_mappings")]
    backfill = {
        "dagster/asset_partition_range_start": FIRST.strftime(HOURLY_KEY_FORMAT),
        "dagster/asset_partition_range_end": HOURS[1].strftime(HOURLY_KEY_FORMAT),
    }

    result = dg.materialize([signal_trades, *sources], resources=trading, tags=backfill)
    assert result.success
    executions = warehouse.read_table("executions").sort_values("signal_id")
    assert list(executions["status"]) == ["filled"] * 3, executions[["signal_id", "status", "stopped_by"]]
    fills = warehouse.read_table("fills").merge(
        warehouse.read_table("orders")[["order_id", "signal_id"]], on="order_id"
    )
    assert sorted(fills["signal_id"]) == sorted(row["signal_id"] for row in signals)
    for row in signals:
        [fill] = fills[fills["signal_id"] == row["signal_id"]].to_dict("records")
        # At the book of the signal's hour, stamped at that hour.
        assert fill["price"] == asks[row["pm_token_id"], row["created_at"]]
        assert pd.Timestamp(fill["filled_at"]) == pd.Timestamp(row["created_at"])
    assert asks[first, FIRST] != asks[first, HOURS[1]] or asks[second, FIRST] != asks[second, HOURS[1]], (
        "the books moved between the hours, so the prices tell the hours apart"
    )
    venue_trades = venue_client(server.url + "/clob").get_trades()

    again = dg.materialize([signal_trades, *sources], resources=trading, tags=backfill)
    assert again.success
    assert len(warehouse.read_table("executions")) == 3
    assert len(warehouse.read_table("fills")) == len(fills)
    assert len(venue_client(server.url + "/clob").get_trades()) == len(venue_trades) == len(fills)
    for event in again.get_asset_materialization_events():  # one per hour of the range
        metadata = event.materialization.metadata
        assert metadata["decided_now"].value == 0 and metadata["decided_before"].value == 3
