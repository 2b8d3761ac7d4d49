"""Gamma's quirks, asserted alike on the real captures and on the simulator's answers over HTTP:
missing keys versus nulls, ended markets trading at 0.9995/0.0005 with the result proposed,
resolved markets without liquidity fields, and full event objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
import requests

from edge_assets.sources import parse_gamma_events, parse_gamma_markets
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # night games over, their results proposed
LIQUIDITY = ("liquidity", "liquidityNum", "liquidityClob")
ENDED_PRICES = (["0.9995", "0.0005"], ["0.0005", "0.9995"])
EVENT_DETAILS = ("description", "tags", "series", "eventMetadata")


def _real(name: str):
    return json.loads((SHARED_FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def served():
    from edge_assets.simulator import World, start_server

    with start_server(World(seed=7, scenario="realistic", days=2, now=NOW)) as server:
        markets = []
        for closed in ("false", "true"):
            offset = 0
            while page := requests.get(
                f"{server.url}/markets", params={"closed": closed, "limit": 500, "offset": offset}, timeout=30
            ).json():
                markets += page
                offset += len(page)
        events = requests.get(f"{server.url}/events", params={"limit": 50}, timeout=30).json()
        yield markets, events


def sources(served) -> dict[str, tuple[list[dict], list[dict]]]:
    real_markets = _real("polymarket_gamma_markets_active.json") + _real(
        "polymarket_gamma_markets_closed.json"
    )
    return {"real": (real_markets, [_real("polymarket_gamma_event_negrisk.json")]), "simulator": served}


def assert_gamma_quirks(markets: list[dict]) -> None:
    open_markets = [m for m in markets if not m["closed"]]
    closed = [m for m in markets if m["closed"]]
    assert open_markets and closed
    for market in closed:
        assert not any(name in market for name in LIQUIDITY), "resolved markets carry no liquidity fields"
        assert json.loads(market["outcomePrices"]) in (["1", "0"], ["0", "1"])
    for market in open_markets:
        assert all(name in market for name in LIQUIDITY)
        assert market.get("bestBid", 0.0) is not None, "an open market leaves bestBid out, never null"
        if market.get("umaResolutionStatus") == "proposed":
            assert json.loads(market["outcomePrices"]) in ENDED_PRICES and market["acceptingOrders"]
    digits = {len(m["createdAt"].rstrip("Z").partition(".")[2]) for m in markets}
    assert digits <= {0, 4, 5, 6} and len(digits) >= 2, "createdAt: 4-6 fractional digits, or none"
    assert any("bestBid" not in m for m in open_markets), "some open markets lack bestBid"
    assert any(m.get("umaResolutionStatus") == "proposed" for m in open_markets)


@pytest.mark.parametrize("source", ["real", "simulator"])
def test_gamma_markets_quirks_and_parse(served, source):
    markets, events = sources(served)[source]
    assert_gamma_quirks(markets)
    parsed = parse_gamma_markets(markets, NOW)
    assert not parsed.quarantined and len(parsed.frame) == len(markets)
    created = pd.to_datetime([m["createdAt"] for m in markets], utc=True, format="ISO8601")
    assert (created.microsecond > 0).any()  # the precision variants parse to the same instants
    missing_bid = {m["id"] for m in markets if "bestBid" not in m and not m["closed"]}
    frame = parsed.frame.set_index("market_id")
    assert missing_bid and frame.loc[sorted(missing_bid), "best_bid"].isna().all()  # absent reads as no bid
    ticks = frame.loc[frame["closed"] == False, "tick_size"]  # noqa: E712
    assert (ticks == 0.001).any() and set(ticks) <= {0.01, 0.001}  # both ticks, mostly the fine one
    for event in events:
        assert all(name in event for name in EVENT_DETAILS)
        assert isinstance(event["tags"], list) and isinstance(event["series"], list)
        assert isinstance(event["eventMetadata"], dict)
    parsed_events = parse_gamma_events(events, NOW)
    assert not parsed_events.quarantined and len(parsed_events.frame) == sum(
        len(e["markets"]) for e in events
    )
