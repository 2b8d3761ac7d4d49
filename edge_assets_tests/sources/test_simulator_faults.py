"""The venue resources against the simulator's fault knobs, over HTTP, and its payloads parsed."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from edge_assets.sources import (
    QuotaFloorReached,
    VenueHTTPError,
    parse_clob_books,
    parse_gamma_markets,
    parse_historical_odds,
    parse_odds_events,
    parse_predictit,
    parse_scores,
)
from edge_assets.sources.polymarket import gamma_page_records, parse_market_pages
from edge_assets.sources.resources import (
    OddsApiResource,
    PolymarketClobResource,
    PolymarketGammaResource,
    PredictItResource,
)

API_KEY = "sim-0123456789abcdef"
SPORT = "basketball_nba"
PINNED_NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
FAST = dict(max_attempts=6, backoff_base_s=0.01, max_backoff_s=0.05, timeout_s=0.5, connect_timeout_s=0.5)


def odds(server, **overrides) -> OddsApiResource:
    return OddsApiResource(**({"base_url": server.url, "api_key": API_KEY, **FAST} | overrides))


def retries(resource) -> list:
    """Start recording the retries of `resource`'s client."""
    events: list = []
    resource.client.on_retry = events.append
    return events


def assert_key_absent(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text


def test_429_with_retry_after_is_retried_and_honoured(simulator_factory, caplog):
    server = simulator_factory(api_key=API_KEY, rate_429=0.5, retry_after_s=1, fault_seed=3)
    resource = odds(server)
    events = retries(resource)
    caplog.set_level(logging.DEBUG)
    payloads = [resource.fetch_odds(SPORT) for _ in range(3)]
    assert any(event.status == 429 for event in events)
    assert all(event.delay_s == 1.0 for event in events if event.status == 429)
    assert sum(p.attempts for p in payloads) == len(payloads) + len(events)
    assert_key_absent(*(p.url for p in payloads), *(e.url for e in events), caplog.text)
    assert_key_absent(*(r.getMessage() for r in caplog.records))


def test_5xx_is_retried(simulator_factory):
    server = simulator_factory(rate_5xx=0.5, fault_seed=1)
    resource = PolymarketGammaResource(base_url=server.url, **FAST)
    events = retries(resource)
    for _ in range(3):
        assert resource.fetch_markets(active=True, closed=False)[0].data
    assert events and {event.status for event in events} <= {500, 502, 503}


def test_timeouts_are_retried(simulator_factory):
    server = simulator_factory(rate_timeout=0.4, timeout_delay_s=1.0, fault_seed=2)
    resource = PredictItResource(base_url=server.url, **FAST)
    events = retries(resource)
    payloads = [resource.fetch_all() for _ in range(3)]
    assert all(p.data["markets"] for p in payloads)
    assert events and {event.reason for event in events} == {"timeout"}


def test_wrong_key_is_a_401_that_is_not_retried(simulator_factory, caplog):
    server = simulator_factory(api_key="the-right-key")
    resource = odds(server)
    events = retries(resource)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(VenueHTTPError) as caught:
        resource.fetch_odds(SPORT)
    assert caught.value.status == 401 and events == []
    assert "apiKey=***" in caught.value.url
    assert_key_absent(str(caught.value), caught.value.url, caught.value.body_excerpt, caplog.text)


def test_quota_floor_stops_before_the_reserve_is_spent(simulator_factory):
    server = simulator_factory(api_key=API_KEY, quota=24)
    resource = odds(server, quota_floor=5)
    resource.fetch_odds(SPORT)  # one market in the default two regions (us, eu) costs 2
    assert resource.last_quota.remaining == 22
    resource.fetch_historical_odds(SPORT, datetime.now(UTC) - timedelta(hours=2))  # costs 10 x 2
    assert resource.last_quota.remaining == 2 and resource.last_quota.last == 20
    with pytest.raises(QuotaFloorReached, match="2 requests remain .* quota_floor is 5"):
        resource.fetch_scores(SPORT)


def test_malformed_records_are_quarantined_and_the_rest_parse(simulator_factory):
    # A pinned instant: at some wall-clock hours few books are open, and none might be damaged.
    server = simulator_factory(api_key=API_KEY, rate_malformed=0.2, fault_seed=5, now=PINNED_NOW)
    gamma = PolymarketGammaResource(base_url=server.url, **FAST).fetch_markets()
    records = [market for page in gamma for market in gamma_page_records(page.data, "markets")]
    markets = parse_gamma_markets(records, gamma[0].fetched_at)
    assert markets.quarantined and len(markets.frame) + len(markets.quarantined) == len(records)
    assert {q.reason.split(":")[0] for q in markets.quarantined} <= {
        "missing question",
        "outcomePrices is not valid JSON",
        "clobTokenIds is not valid JSON",
    }

    tokens = [token for ids in markets.frame.clob_token_ids for token in json.loads(ids)]
    books_payloads = PolymarketClobResource(base_url=server.url, **FAST).fetch_books(tokens)
    books = [book for payload in books_payloads for book in payload.data]
    now = books_payloads[0].fetched_at
    parsed_books = parse_clob_books(books, now, now, {})
    assert parsed_books.quarantined and not parsed_books.frame.empty
    assert all("is not a number" in q.reason for q in parsed_books.quarantined)

    resource = odds(server)
    live = resource.fetch_odds(SPORT)
    parsed_odds = parse_odds_events(live.data, live.fetched_at, live.fetched_at, "american")
    assert parsed_odds.quarantined and not parsed_odds.frame.empty
    scores = resource.fetch_scores(SPORT)
    parsed_scores = parse_scores(scores.data, scores.fetched_at)
    assert len(parsed_scores.frame) + len(parsed_scores.quarantined) == len(scores.data)

    predictit = PredictItResource(base_url=server.url, **FAST).fetch_all()
    parsed_predictit = parse_predictit(predictit.data, predictit.fetched_at)
    assert parsed_predictit.quarantined and not parsed_predictit.frame.empty


def test_clean_simulator_payloads_parse_without_quarantine(simulator_factory):
    server = simulator_factory(api_key=API_KEY)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    resource = odds(server)
    historical = resource.fetch_historical_odds(SPORT, hour)
    parsed = parse_historical_odds(historical.data, hour, historical.fetched_at, "american")
    assert parsed.quarantined == [] and not parsed.frame.empty
    assert (parsed.frame.snapshot_ts <= hour).all()

    clob = PolymarketClobResource(base_url=server.url, historical_books=True, **FAST)
    gamma = PolymarketGammaResource(base_url=server.url, **FAST).fetch_markets(closed=False)
    markets = parse_market_pages(gamma).frame
    market_by_token = {
        token: market_id
        for market_id, ids in zip(markets.market_id, markets.clob_token_ids, strict=True)
        for token in json.loads(ids)
    }
    payloads = clob.fetch_books(list(market_by_token)[:50], at=hour)
    books = parse_clob_books(
        [b for p in payloads for b in p.data], hour, payloads[0].fetched_at, market_by_token
    )
    assert books.quarantined == [] and not books.frame.empty
    assert set(books.frame.market_id) <= set(markets.market_id)
    assert (books.frame.book_ts <= hour).all()
