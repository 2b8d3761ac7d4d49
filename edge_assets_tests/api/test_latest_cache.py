"""/api/latest's page cache over a real warehouse (SQLite and PostgreSQL): a page is read again as
soon as the newest writes change, and otherwise served for at most the cache's seconds."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from edge_assets.api.app import ApiConfig, create_app
from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.latest import LatestCache, LatestFilter
from edge_assets.api.routes import latest_json
from edge_assets.storage.sql import SqlWarehouse

FOREVER = 3600.0


def test_a_new_predictit_row_shows_at_once(fresh_world):
    url, writer_url, world = fresh_world
    app = create_app(ApiConfig(database_url=url, latest_cache_seconds=FOREVER, clock=lambda: world.now))
    writer = SqlWarehouse(writer_url)
    with TestClient(app) as client:
        before = client.get("/api/latest", params={"venue": "predictit", "limit": 1000}).json()["items"]
        newest = writer.read_frame("SELECT * FROM predictit_market_data ORDER BY timestamp DESC LIMIT 1")
        later = newest["fetched_at"].iloc[0] + timedelta(minutes=1)
        writer.upsert(
            "predictit_market_data",
            newest.assign(timestamp=later, fetched_at=later, best_buy_yes_cost=0.77),
            ["data_id", "timestamp"],
        )
        after = client.get("/api/latest", params={"venue": "predictit", "limit": 1000}).json()["items"]
    contract = newest["data_id"].iloc[0]
    asks = {item["market_key"]: item["ask"] for item in after}
    assert asks[contract] == 0.77
    assert asks[contract] != {item["market_key"]: item["ask"] for item in before}[contract]


def test_a_change_the_newest_writes_do_not_show_waits_at_most_the_cache_seconds(fresh_world):
    url, writer_url, _ = fresh_world
    ticks = [0.0]
    cache = LatestCache(ReadOnlyWarehouse(url), latest_json, seconds=5.0, clock=lambda: ticks[0])
    where = LatestFilter(venue="polymarket")
    first = json.loads(cache.page(where, 100, 0))
    assert first["items"]
    writer = SqlWarehouse(writer_url)
    markets = writer.read_frame("SELECT * FROM polymarket_markets")
    writer.upsert("polymarket_markets", markets.assign(question="Renamed?"), ["market_id"])
    ticks[0] = 4.9
    assert json.loads(cache.page(where, 100, 0)) == first
    ticks[0] = 5.0
    titles = {item["title"] for item in json.loads(cache.page(where, 100, 0))["items"]}
    assert titles == {"Renamed?"}


def test_each_filter_and_page_is_its_own_entry(fresh_world):
    url, _, _ = fresh_world
    cache = LatestCache(ReadOnlyWarehouse(url), latest_json, seconds=FOREVER)
    everything = json.loads(cache.page(LatestFilter(), 1000, 0))
    predictit = json.loads(cache.page(LatestFilter(venue="predictit"), 1000, 0))
    second_page = json.loads(cache.page(LatestFilter(), 5, 5))
    assert {item["venue"] for item in predictit["items"]} == {"predictit"}
    assert len(predictit["items"]) < len(everything["items"])
    assert second_page["items"] == everything["items"][5:10]
