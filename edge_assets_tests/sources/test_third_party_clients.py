"""Contract tests: an independent client per venue reads the simulator and the real captures alike,
and agrees with our own parsers on the fields we rely on.

- Gamma: `polymarket-gamma` (py_gamma), strict pydantic models of markets and events.
- The Odds API: `the-odds-api-sdk`, which reads every event, book, market and outcome key strictly.
- PredictIt: `predictit-client`, the only PredictIt client here that reads `/marketdata/all/` and
  indexes every contract key strictly (predictit-markets reads the chart endpoint, predictitpy is
  Python 2, polypoll-sdk reads every key with a default and so checks nothing).

The real captures are served over HTTP by the scripted server, so each client goes through its own
request and parsing path for both.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import requests
from predictit_client import Client as PredictItClient
from py_gamma import GammaClient, GammaConfig
from the_odds_api_sdk import OddsAPIClient

from edge_assets.sources import parse_gamma_events, parse_gamma_markets, parse_odds_events, parse_predictit
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES
from edge_assets_tests.sources.conftest import Reply

NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
ODDS_KEY = "contract-key"


def _captured(name: str):
    return json.loads((SHARED_FIXTURES / name).read_text())


# --- Gamma ---------------------------------------------------------------------------------------


def _gamma(base_url: str, read):
    """Run `read(client)` on a py_gamma client of `base_url`, without its disk cache or retries."""
    config = GammaConfig(base_url=base_url, enable_cache=False, max_retries=0)

    async def run():
        async with GammaClient(config) as client:
            return await read(client)

    return asyncio.run(run())


def _assert_gamma_markets_agree(models, raw: list[dict]) -> None:
    """py_gamma's markets carry the ids, questions, slugs, condition ids, outcomes, end dates and
    states our parser reads from the same records."""
    assert models and len(models) == len(raw)
    ours = parse_gamma_markets(raw, NOW)
    assert not ours.quarantined
    by_id = ours.frame.set_index("market_id")
    for model in models:
        row = by_id.loc[model.id]
        assert (model.question, model.slug, model.condition_id) == (row.question, row.slug, row.condition_id)
        assert model.outcomes == json.loads(row.outcomes)
        assert (model.active, model.closed) == (row.active, row.closed)
        assert model.end_date == row.end_ts.to_pydatetime()


def _assert_gamma_event_agrees(model, raw: dict) -> None:
    assert model.id == raw["id"] and model.slug == raw["slug"] and model.title == raw["title"]
    ours = parse_gamma_events([raw], NOW)
    assert not ours.quarantined
    assert sorted(m.id for m in model.markets) == sorted(ours.frame.market_id)
    assert set(ours.frame.event_id) == {model.id}


def test_gamma_client_lists_the_simulators_markets_and_events(simulator_factory):
    url = simulator_factory(seed=3, days=1, now=NOW).url
    for closed in (False, True):
        raw = requests.get(
            f"{url}/markets", params={"closed": str(closed).lower(), "limit": 40}, timeout=10
        ).json()
        models = _gamma(url, lambda client, c=closed: client.markets.get_markets(limit=40, closed=c))
        assert {m.closed for m in models} == {closed}
        _assert_gamma_markets_agree(models, raw)
    raw_events = requests.get(f"{url}/events", params={"limit": 10}, timeout=10).json()
    events = _gamma(url, lambda client: client.events.get_events(limit=10))
    assert [e.id for e in events] == [e["id"] for e in raw_events]
    for model, raw in zip(events, raw_events, strict=True):
        _assert_gamma_event_agrees(model, raw)
    one = _gamma(url, lambda client: client.markets.get_market_by_slug(raw_events[0]["markets"][0]["slug"]))
    assert one.id == raw_events[0]["markets"][0]["id"]


@pytest.mark.parametrize(
    "name", ["polymarket_gamma_markets_active.json", "polymarket_gamma_markets_closed.json"]
)
def test_gamma_client_reads_the_real_market_captures(scripted_server, name):
    raw = _captured(name)
    scripted_server.queue(Reply(body=raw))
    models = _gamma(scripted_server.url, lambda client: client.markets.get_markets(limit=len(raw)))
    _assert_gamma_markets_agree(models, raw)


def test_gamma_client_reads_the_real_event_capture(scripted_server):
    raw = _captured("polymarket_gamma_event_negrisk.json")
    scripted_server.queue(Reply(body=raw))
    model = _gamma(scripted_server.url, lambda client: client.events.get_event_by_id(raw["id"]))
    assert scripted_server.requests[0].path.startswith(f"/events/{raw['id']}")
    assert len(model.markets) == 5
    _assert_gamma_event_agrees(model, raw)


# --- The Odds API --------------------------------------------------------------------------------


def _assert_odds_agree(events, raw: list[dict], odds_format: str) -> None:
    """The SDK's events, books and h2h outcomes are the ones our parser reads from the same payload,
    and decimal prices are equal (our parser converts American ones)."""
    assert events and len(events) == len(raw)
    ours = parse_odds_events(raw, NOW, NOW, odds_format).frame
    decimal = odds_format == "decimal"
    theirs = {
        (e.id, book.key, outcome.name, outcome.price if decimal else None)
        for e in events
        for book in e.bookmakers
        for market in book.markets
        if market.key == "h2h"
        for outcome in market.outcomes
    }
    assert theirs
    sides = {e.id: {e.home_team, e.away_team, "Draw"} for e in events}
    assert all(name in sides[event_id] for event_id, _, name, _ in theirs)
    prices = ours.decimal_odds if decimal else [None] * len(ours)
    assert theirs == set(zip(ours.event_id, ours.bookmaker, ours.outcome, prices, strict=True))


def test_odds_client_reads_the_simulators_sports_odds_events_and_scores(simulator_factory):
    server = simulator_factory(seed=3, days=1, now=NOW, api_key=ODDS_KEY)
    client = OddsAPIClient(api_key=ODDS_KEY, base_url=f"{server.url}/v4/")
    sports = {sport.key for sport in client.get_sports()}
    assert "basketball_nba" in sports
    params = {"apiKey": ODDS_KEY, "regions": "us,eu", "markets": "h2h", "oddsFormat": "decimal"}
    raw = requests.get(f"{server.url}/v4/sports/basketball_nba/odds", params=params, timeout=10).json()
    odds = client.get_odds("basketball_nba", regions=["us", "eu"], markets=["h2h"])
    _assert_odds_agree(odds, raw, "decimal")
    assert any(book.key == "pinnacle" for event in odds for book in event.bookmakers)
    events = client.get_events("basketball_nba")
    assert {e.id for e in odds} <= {e.id for e in events}
    one = client.get_event_odds("basketball_nba", odds[0].id, regions=["eu"], markets=["h2h"])
    assert one.id == odds[0].id and {b.key for b in one.bookmakers} <= {b.key for b in odds[0].bookmakers}
    scores = client.get_scores("basketball_nba", days_from=1)
    assert scores and any(s.completed and s.scores for s in scores)
    for score in scores:
        assert {entry.name for entry in score.scores or []} <= {score.home_team, score.away_team}


def test_odds_client_reads_the_real_odds_capture(scripted_server):
    raw = _captured("oddsapi_odds.json")
    scripted_server.queue(Reply(body=raw))
    client = OddsAPIClient(api_key=ODDS_KEY, base_url=f"{scripted_server.url}/v4/")
    odds = client.get_odds("upcoming", regions=["us"], markets=["h2h"], odds_format="american")
    assert f"apiKey={ODDS_KEY}" in scripted_server.requests[0].path
    assert len(odds) == 28
    _assert_odds_agree(odds, raw, "american")


# --- PredictIt -----------------------------------------------------------------------------------


def _predictit_markets(base_url: str):
    client = PredictItClient()
    client.all_markets_endpoint = f"{base_url}/api/marketdata/all/"
    return client.get_all_markets()


def _assert_predictit_agrees(markets, raw: dict) -> None:
    """Every contract's id, name and best costs (null where no offer) match our parser's rows.

    predictit-client hands each market its raw contract dicts after reading every key strictly."""
    assert markets and len(markets) == len(raw["markets"])
    ours = parse_predictit(raw, NOW)
    assert not ours.quarantined
    rows = ours.frame.set_index("data_id")
    for market in markets:
        for contract in market.contracts:
            row = rows.loc[str(contract["id"])]
            assert (str(market.id), market.name, contract["name"]) == (
                row.market_id,
                row.market_name,
                row.contract_name,
            )
            assert _same_cost(contract["bestBuyYesCost"], row.best_buy_yes_cost)
            assert _same_cost(contract["bestSellYesCost"], row.best_sell_yes_cost)


def _same_cost(theirs, ours) -> bool:
    return ours != ours if theirs is None else theirs == ours  # NaN is our parser's null


def test_predictit_client_reads_the_simulators_markets(simulator_factory):
    url = simulator_factory(seed=3, days=1, now=NOW).url
    raw = requests.get(f"{url}/api/marketdata/all/", timeout=10).json()
    markets = _predictit_markets(url)
    _assert_predictit_agrees(markets, raw)
    assert any(c["bestSellYesCost"] is None for m in markets for c in m.contracts)  # no Yes bid


def test_predictit_client_reads_the_real_capture(scripted_server):
    raw = _captured("predictit_marketdata_all.json")
    scripted_server.queue(Reply(body=raw))
    markets = _predictit_markets(scripted_server.url)
    _assert_predictit_agrees(markets, raw)
