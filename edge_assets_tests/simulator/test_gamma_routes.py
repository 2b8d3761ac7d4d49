"""Gamma's single-object routes over HTTP: the same objects the list routes serve."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from edge_assets.sources import parse_gamma_events, parse_gamma_markets

NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def test_market_and_event_by_id_and_slug(simulator_factory, http):
    url = simulator_factory(seed=3, days=1, now=NOW).url
    listed = http.get(f"{url}/markets", params={"closed": "false", "limit": 5}).json()
    assert listed
    for market in listed:
        assert http.get(f"{url}/markets/{market['id']}").json() == market
        assert http.get(f"{url}/markets/slug/{market['slug']}").json() == market
    event_id = listed[0]["events"][0]["id"]
    (event,) = http.get(f"{url}/events", params={"id": event_id}).json()
    assert http.get(f"{url}/events/{event_id}").json() == event
    assert http.get(f"{url}/events/slug/{event['slug']}").json() == event
    assert not parse_gamma_markets([http.get(f"{url}/markets/{listed[0]['id']}").json()], NOW).quarantined
    assert not parse_gamma_events([http.get(f"{url}/events/{event_id}").json()], NOW).quarantined
    for missing in ("/markets/999999999", "/markets/slug/no-such-market", "/events/999999999"):
        assert http.get(f"{url}{missing}").status_code == 404
