"""Gamma's single-object and keyset routes over HTTP: the same objects the list routes serve."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_assets.simulator import World, start_server
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


@pytest.fixture(scope="module")
def frozen_gamma():
    """One simulator at a fixed instant, so every page of a walk lists the same world."""
    with start_server(World(seed=3, scenario="planted", days=2, now=NOW)) as server:
        yield server.url


def _walk_keyset(url: str, kind: str, params: dict) -> tuple[list[dict], int]:
    """Every record of a keyset listing, following `next_cursor` until a page has none; and the
    number of pages."""
    records, pages, cursor = [], 0, None
    while True:
        page = requests.get(
            f"{url}/{kind}/keyset",
            params={**params, **({"after_cursor": cursor} if cursor else {})},
            timeout=10,
        ).json()
        records += page[kind]
        pages += 1
        cursor = page.get("next_cursor")
        if cursor is None:
            return records, pages


@settings(max_examples=10, deadline=None)
@given(limit=st.integers(3, 40), closed=st.sampled_from([None, "true", "false"]))
def test_keyset_walk_lists_what_the_offset_listing_does_once_each(frozen_gamma, limit, closed):
    filters = {} if closed is None else {"closed": closed}
    for kind in ("markets", "events"):
        listed = requests.get(f"{frozen_gamma}/{kind}", params={**filters, "limit": 500}, timeout=10).json()
        walked, pages = _walk_keyset(frozen_gamma, kind, {**filters, "limit": limit})
        assert listed and walked == listed
        assert pages == -(-len(listed) // limit)  # full pages, then the rest; no empty last page


def test_keyset_rejects_offsets_and_foreign_cursors_and_caps_pages(frozen_gamma):
    assert (
        requests.get(f"{frozen_gamma}/markets/keyset", params={"offset": 10}, timeout=10).status_code == 422
    )
    for cursor in ("not-a-cursor", "eyJ4IjogMX0="):  # garbage, and base64 of {"x": 1}
        answer = requests.get(f"{frozen_gamma}/events/keyset", params={"after_cursor": cursor}, timeout=10)
        assert answer.status_code == 422
    page = requests.get(f"{frozen_gamma}/markets/keyset", params={"limit": 1000}, timeout=10).json()
    assert len(page["markets"]) == 100 and "next_cursor" in page
