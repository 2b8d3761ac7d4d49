"""The Odds API's region rules over HTTP against the simulator: Pinnacle only in `eu`, `bookmakers=`
replacing `regions`, the quota billed per region, and the default request's consensus using Pinnacle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import requests

from edge_assets.pricing import ConsensusRule
from edge_assets.pricing.canonical import sportsbook_quotes
from edge_assets.simulator.leagues import BOOKMAKERS
from edge_assets.sources import parse_historical_odds
from edge_assets.sources.resources import OddsApiResource

API_KEY = "sim-0123456789abcdef"
NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
SPORT = "basketball_nba"


@pytest.fixture
def odds_url(simulator_factory):
    return simulator_factory(seed=3, days=1, now=NOW, api_key=API_KEY).url


def _odds(url: str, **params) -> requests.Response:
    response = requests.get(
        f"{url}/v4/sports/{SPORT}/odds",
        params={"apiKey": API_KEY, "oddsFormat": "american", **params},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response


def _books(events: list[dict]) -> set[str]:
    return {book["key"] for event in events for book in event["bookmakers"]}


def test_pinnacle_is_listed_only_in_eu_and_regions_are_billed(odds_url):
    us = _odds(odds_url, regions="us")
    both = _odds(odds_url, regions="us,eu")
    assert us.json() and "pinnacle" not in _books(us.json())
    assert all("pinnacle" in {book["key"] for book in event["bookmakers"]} for event in both.json()), (
        "Pinnacle prices every game in eu"
    )
    assert _books(both.json()) - _books(us.json()) == {"pinnacle"}
    assert (us.headers["x-requests-last"], both.headers["x-requests-last"]) == ("1", "2")
    two_markets = _odds(odds_url, regions="us,eu", markets="h2h,spreads")
    assert two_markets.headers["x-requests-last"] == "4"  # markets x regions


def test_bookmakers_replace_regions_and_bill_per_ten(odds_url):
    only_pinnacle = _odds(odds_url, regions="us", bookmakers="pinnacle")
    assert _books(only_pinnacle.json()) == {"pinnacle"}  # not intersected with `us`
    assert only_pinnacle.headers["x-requests-last"] == "1"
    without_regions = _odds(odds_url, bookmakers="pinnacle,draftkings")
    assert _books(without_regions.json()) <= {"pinnacle", "draftkings"} and without_regions.json()
    keys = [book.key for book in BOOKMAKERS]
    assert len(keys) > 10
    assert _odds(odds_url, bookmakers=",".join(keys[:10])).headers["x-requests-last"] == "1"
    assert _odds(odds_url, bookmakers=",".join(keys[:11])).headers["x-requests-last"] == "2"


def test_games_carry_as_many_books_as_real_events(odds_url):
    """Real US events carry 1 to 14 books; so do simulated ones, not a fixed seven."""
    counts = [len(event["bookmakers"]) for event in _odds(odds_url, regions="us").json()]
    assert min(counts) >= 1 and max(counts) <= 14
    assert len(set(counts)) > 2


def test_default_request_brings_pinnacle_into_the_consensus(odds_url):
    resource = OddsApiResource(base_url=odds_url, api_key=API_KEY)
    hour = NOW - timedelta(hours=1)
    payload = resource.fetch_historical_odds(SPORT, hour)
    assert resource.last_quota.last == 20  # historical: 10 x one market x two regions
    rows = parse_historical_odds(payload.data, hour, payload.fetched_at, resource.odds_format).frame
    quotes = sportsbook_quotes(rows)
    assert set(quotes.loc[quotes["bookmaker"] == "pinnacle", "event_id"]) == set(quotes["event_id"])
    rule = ConsensusRule()
    with_pinnacle = rule.apply(quotes).set_index(["event_id", "outcome"])["fair_prob"]
    without = rule.apply(quotes[quotes["bookmaker"] != "pinnacle"]).set_index(["event_id", "outcome"])
    assert len(with_pinnacle) == len(without) > 0
    # Pinnacle moves every event's consensus (it weighs three books) ...
    moved = ~np.isclose(with_pinnacle.reindex(without.index), without["fair_prob"], rtol=0, atol=1e-9)
    assert moved.all()
    # ... and it is the default request that brings it in: `us` alone gives the consensus without it
    us_only = OddsApiResource(base_url=odds_url, api_key=API_KEY, regions="us")
    us_payload = us_only.fetch_historical_odds(SPORT, hour)
    us_rows = parse_historical_odds(us_payload.data, hour, us_payload.fetched_at, "american").frame
    us_consensus = rule.apply(sportsbook_quotes(us_rows)).set_index(["event_id", "outcome"])
    assert np.allclose(us_consensus["fair_prob"].reindex(without.index), without["fair_prob"])
