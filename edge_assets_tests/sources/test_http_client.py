"""VenueClient and the venue resources against a scripted HTTP server over real sockets."""

from __future__ import annotations

import json
import logging
import math
import socket
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.sources import QuotaFloorReached, VenueClient, VenueHTTPError, redact
from edge_assets.sources.http import decode_json
from edge_assets.sources.polymarket import gamma_page_records
from edge_assets.sources.resources import (
    OddsApiResource,
    PolymarketClobResource,
    PolymarketGammaResource,
    PredictItResource,
)
from edge_assets_tests.sources.conftest import Reply

SECRET = "s3cr3t/key+with=odd&chars"
ENCODED = ["s3cr3t%2Fkey%2Bwith%3Dodd%26chars", "s3cr3t/key%2Bwith%3Dodd%26chars"]


def make_client(url: str, **overrides) -> tuple[VenueClient, list[float]]:
    """A client whose sleeps are recorded instead of slept, so backoff is observable and fast."""
    sleeps: list[float] = []
    settings = dict(
        connect_timeout_s=0.5,
        read_timeout_s=0.3,
        max_attempts=3,
        backoff_base_s=0.01,
        max_backoff_s=0.05,
        max_retry_after_s=5.0,
        secrets=[SECRET],
        sleep=sleeps.append,
    )
    return VenueClient(url, **(settings | overrides)), sleeps


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        for form in ENCODED:
            assert form not in text


def test_redact_replaces_raw_and_url_encoded_forms():
    text = f"a={SECRET} b={ENCODED[0]} c={ENCODED[1]}"
    assert redact(text, [SECRET]) == "a=*** b=*** c=***"
    assert redact("nothing here", [SECRET, None, ""]) == "nothing here"


def test_success_returns_a_redacted_payload(scripted_server):
    scripted_server.queue(Reply(body={"ok": True}, headers={"X-Echo": f"key={SECRET}"}))
    client, _ = make_client(scripted_server.url)
    payload = client.get("/v4/sports", params={"apiKey": SECRET, "all": "true"})
    assert payload.data == {"ok": True} and payload.status == 200 and payload.attempts == 1
    assert payload.url == f"{scripted_server.url}/v4/sports?apiKey=***&all=true"
    assert payload.headers["X-Echo"] == "key=***"
    assert payload.fetched_at.tzinfo is not None
    assert scripted_server.requests[0].path.startswith("/v4/sports?apiKey=s3cr3t%2Fkey")


def test_429_waits_for_retry_after_then_succeeds(scripted_server):
    scripted_server.queue(Reply(429, {"message": "slow down"}, {"Retry-After": "2"}), Reply(body=[1]))
    client, sleeps = make_client(scripted_server.url)
    payload = client.get("/markets")
    assert payload.data == [1] and payload.attempts == 2
    assert sleeps == [2.0]


def test_retry_after_is_capped_by_the_max_wait(scripted_server):
    scripted_server.queue(Reply(429, headers={"Retry-After": "3600"}), Reply())
    client, sleeps = make_client(scripted_server.url, max_retry_after_s=1.5)
    client.get("/markets")
    assert sleeps == [1.5]


def test_retry_after_really_waits_when_not_faked(scripted_server):
    scripted_server.queue(Reply(429, headers={"Retry-After": "1"}), Reply())
    client = VenueClient(scripted_server.url, max_attempts=2)
    started = time.monotonic()
    assert client.get("/markets").attempts == 2
    assert time.monotonic() - started >= 1.0


def test_5xx_is_retried_with_full_jitter_backoff(scripted_server):
    scripted_server.queue(Reply(502), Reply(503), Reply(500), Reply(200, [1]))
    client, sleeps = make_client(scripted_server.url, max_attempts=4, backoff_base_s=0.01, max_backoff_s=0.03)
    assert client.get("/markets").attempts == 4
    ceilings = [0.01, 0.02, 0.03]  # doubling, capped by max_backoff_s
    assert len(sleeps) == 3 and all(0.0 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))


def test_exhausted_retries_raise_with_status_and_redacted_url(scripted_server):
    scripted_server.queue(*[Reply(503, {"error": f"down, key {SECRET}"})] * 3)
    client, _ = make_client(scripted_server.url)
    with pytest.raises(VenueHTTPError) as caught:
        client.get("/v4/sports", params={"apiKey": SECRET})
    error = caught.value
    assert error.status == 503 and len(scripted_server.requests) == 3
    assert "after 3 attempts" in str(error) and "apiKey=***" in error.url
    assert "down, key ***" in error.body_excerpt
    assert error.__cause__ is None and error.__context__ is None
    assert_no_secret(str(error), error.url, error.body_excerpt)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_fail_at_once(scripted_server, status):
    scripted_server.queue(Reply(status, {"message": "Invalid API key"}))
    client, sleeps = make_client(scripted_server.url)
    with pytest.raises(VenueHTTPError) as caught:
        client.get("/v4/sports", params={"apiKey": SECRET})
    assert caught.value.status == status and "not retried" in str(caught.value)
    assert len(scripted_server.requests) == 1 and sleeps == []
    assert_no_secret(str(caught.value))


def test_read_timeout_is_retried(scripted_server):
    scripted_server.queue(Reply(body=["late"], delay_s=1.0), Reply(body=["on time"]))
    client, sleeps = make_client(scripted_server.url, read_timeout_s=0.2)
    payload = client.get("/markets", params={"apiKey": SECRET})
    assert payload.data == ["on time"] and payload.attempts == 2 and len(sleeps) == 1


def test_connection_errors_are_retried_then_reported_without_the_key():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client, sleeps = make_client(f"http://127.0.0.1:{port}")
    with pytest.raises(VenueHTTPError) as caught:
        client.get("/v4/sports", params={"apiKey": SECRET})
    assert caught.value.status is None and len(sleeps) == 2
    assert "connection error" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert_no_secret(str(caught.value))


def test_malformed_json_is_retried(scripted_server):
    scripted_server.queue(Reply(body='[{"id": "1", "quest'), Reply(body=[{"id": "1"}]))
    client, _ = make_client(scripted_server.url)
    assert client.get("/markets").data == [{"id": "1"}]


def test_malformed_json_fails_clearly_once_retries_are_spent(scripted_server):
    scripted_server.queue(*[Reply(body='{"bids": [NaN') for _ in range(3)])
    client, _ = make_client(scripted_server.url)
    with pytest.raises(VenueHTTPError, match="response body is not valid JSON") as failure:
        client.get("/book")
    assert failure.value.body_excerpt == '{"bids": [NaN'


def same_json(left, right) -> bool:
    """Equal as decoded JSON, types included (a big integer read as a float is not equal), NaN
    equal to itself."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same_json(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_json, left, right))
    return left == right


@pytest.mark.parametrize(
    "body",
    [
        '{"asset_id": "10862087271007564431670912154405951484684129739820310812438115637950129839770"}',
        '{"id": 123456789012345678901234567890, "n": -9223372036854775809}',  # beyond 64 bits
        "[18446744073709551616]",
        " 98765432109876543210 ",
        '{"price": NaN, "size": Infinity, "low": -Infinity}',  # json's literals, not JSON's
        "[1e400, -1e400, 1e-400]",  # beyond a double's range
        '{"price": "0.5", "price": "0.6"}',  # duplicate keys: the last wins in both
        '["\\ud800", "\\udc00x"]',  # lone surrogate escapes
        '["caf\ufffd", "\u00e9"]',  # what a non-UTF-8 body decodes to (replacement characters)
        '{"hash": "f1234567890123456789012", "ts": "1796158800000", "p": 0.30000000000000004}',
    ],
)
def test_json_bodies_decode_exactly_as_json_reads_them(body):
    assert same_json(decode_json(body), json.loads(body))


@pytest.mark.parametrize("body", ['[{"id": "1", "quest', "[1,]", "\ufeff[1]", "{'a': 1}", "[1] x"])
def test_invalid_json_bodies_raise_a_value_error(body):
    with pytest.raises(ValueError):
        decode_json(body)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values, st.booleans())
def test_decode_json_agrees_with_json_on_any_value(value, indent):
    body = json.dumps(value, indent=1 if indent else None)
    assert same_json(decode_json(body), json.loads(body))


def test_retries_are_logged_and_reported_to_the_hook_without_the_key(scripted_server, caplog):
    events = []
    scripted_server.queue(Reply(500), Reply(429, headers={"Retry-After": "0"}), Reply())
    client, _ = make_client(scripted_server.url, on_retry=events.append)
    caplog.set_level(logging.DEBUG)
    client.get("/v4/sports", params={"apiKey": SECRET})
    assert [(e.attempt, e.status) for e in events] == [(1, 500), (2, 429)]
    assert events[1].delay_s == 0.0 and "apiKey=***" in events[0].url
    retries = [r for r in caplog.records if r.name == "edge_assets.sources.http"]
    assert len(retries) == 2 and all(r.levelno == logging.WARNING for r in retries)
    assert retries[0].getMessage() == "retrying request"
    assert (retries[0].reason, retries[0].attempt, retries[1].status) == ("server error 500", 1, 429)
    # urllib3 logs each request line at DEBUG; its key must be redacted too.
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert_no_secret(*(r.getMessage() for r in caplog.records), caplog.text)


# ------------------------------------------------------------------ resources


def odds_resource(url: str, **overrides) -> OddsApiResource:
    settings = dict(base_url=url, api_key=SECRET, quota_floor=3, max_attempts=2, backoff_base_s=0.01)
    return OddsApiResource(**(settings | overrides))


def quota_headers(remaining: int, used: int, last: int = 1) -> dict[str, str]:
    return {
        "x-requests-remaining": str(remaining),
        "x-requests-used": str(used),
        "x-requests-last": str(last),
    }


def test_resources_build_their_client_lazily():
    resource = odds_resource("http://127.0.0.1:9")
    assert resource._client is None
    assert resource.client is resource.client
    assert resource.client.secrets == (SECRET,)
    assert PolymarketGammaResource().base_url == "https://gamma-api.polymarket.com"
    assert PolymarketClobResource().base_url == "https://clob.polymarket.com"
    assert PredictItResource().base_url == "https://www.predictit.org"
    assert resource.model_fields["base_url"].default == "https://api.the-odds-api.com"


def test_odds_requests_and_quota(scripted_server):
    scripted_server.queue(
        Reply(body=[], headers=quota_headers(10, 490)),
        Reply(body={"timestamp": "2024-03-27T01:55:00Z", "data": []}, headers=quota_headers(0, 500, 10)),
    )
    resource = odds_resource(scripted_server.url)
    live = resource.fetch_odds("basketball_nba")
    assert resource.last_quota.remaining == 10 and resource.last_quota.used == 490
    resource.fetch_historical_odds("basketball_nba", datetime(2024, 3, 27, 2, tzinfo=UTC))
    assert (resource.last_quota.remaining, resource.last_quota.last) == (0, 10)
    first, second = (seen.path for seen in scripted_server.requests)
    assert first.startswith("/v4/sports/basketball_nba/odds?")
    assert "markets=h2h" in first and "regions=us" in first and "oddsFormat=american" in first
    assert (
        second.startswith("/v4/historical/sports/basketball_nba/odds?")
        and "date=2024-03-27T02%3A00%3A00Z" in second
    )
    assert_no_secret(live.url)

    with pytest.raises(QuotaFloorReached) as caught:
        resource.fetch_scores("basketball_nba")
    message = str(caught.value)
    assert "0 requests remain" in message and "quota_floor is 3" in message and "lower quota_floor" in message
    assert len(scripted_server.requests) == 2  # nothing was sent
    assert_no_secret(message)


def test_odds_scores_and_sports_paths(scripted_server):
    resource = odds_resource(scripted_server.url)
    resource.fetch_sports()
    resource.fetch_scores("icehockey_nhl", days_from=2)
    sports, scores = (seen.path for seen in scripted_server.requests)
    assert sports.startswith("/v4/sports?apiKey=")
    assert scores.startswith("/v4/sports/icehockey_nhl/scores?") and "daysFrom=2" in scores
    assert resource.last_quota is None  # the scripted server sends no quota headers


def test_gamma_offset_listing_pages_until_a_short_page(scripted_server):
    scripted_server.queue(
        Reply(body=[{"id": 1}, {"id": 2}]), Reply(body=[{"id": 3}, {"id": 4}]), Reply(body=[{"id": 5}])
    )
    resource = PolymarketGammaResource(base_url=scripted_server.url, pagination="offset", page_size=2)
    pages = resource.fetch_markets(active=True, closed=False)
    assert [record["id"] for page in pages for record in page.data] == [1, 2, 3, 4, 5]
    offsets = [seen.path for seen in scripted_server.requests]
    assert offsets == [f"/markets?active=true&closed=false&limit=2&offset={n}" for n in (0, 2, 4)]


def test_gamma_keyset_listing_follows_next_cursor_until_it_is_absent(scripted_server):
    # A full last page and an empty one: only the missing cursor ends a keyset listing.
    scripted_server.queue(
        Reply(body={"events": [{"id": 1}, {"id": 2}], "next_cursor": "c1"}),
        Reply(body={"events": [{"id": 3}, {"id": 4}], "next_cursor": "c2"}),
        Reply(body={"events": []}),
    )
    pages = PolymarketGammaResource(base_url=scripted_server.url, page_size=2).fetch_events(closed=False)
    assert [record["id"] for page in pages for record in gamma_page_records(page.data, "events")] == [
        1,
        2,
        3,
        4,
    ]
    assert [seen.path for seen in scripted_server.requests] == [
        "/events/keyset?closed=false&limit=2",
        "/events/keyset?closed=false&limit=2&after_cursor=c1",
        "/events/keyset?closed=false&limit=2&after_cursor=c2",
    ]


def test_gamma_listing_of_the_wrong_shape_is_a_clear_error(scripted_server):
    scripted_server.queue(Reply(body=[{"id": 1}]), Reply(body={"markets": [{"id": 1}]}))
    with pytest.raises(ValueError, match="markets/keyset returned list, expected an object with next_cursor"):
        PolymarketGammaResource(base_url=scripted_server.url).fetch_markets()
    with pytest.raises(ValueError, match="/markets returned dict, expected a list"):
        PolymarketGammaResource(base_url=scripted_server.url, pagination="offset").fetch_markets()


def test_gamma_stops_at_max_pages(scripted_server):
    scripted_server.queue(*[Reply(body={"events": [{"id": 1}], "next_cursor": "again"})] * 3)
    resource = PolymarketGammaResource(base_url=scripted_server.url, page_size=1, max_pages=3)
    with pytest.raises(RuntimeError, match="raise max_pages"):
        resource.fetch_events()


def test_clob_books_are_posted_in_batches(scripted_server):
    resource = PolymarketClobResource(base_url=scripted_server.url, batch_size=2)
    payloads = resource.fetch_books(["1", "2", "3"])
    assert len(payloads) == 2
    assert [seen.body for seen in scripted_server.requests] == [
        [{"token_id": "1"}, {"token_id": "2"}],
        [{"token_id": "3"}],
    ]
    assert all(seen.method == "POST" and seen.path == "/books" for seen in scripted_server.requests)


def test_clob_past_books_need_historical_books(scripted_server):
    at = datetime(2026, 8, 22, 14, tzinfo=UTC)
    with pytest.raises(ValueError, match="no order-book history"):
        PolymarketClobResource(base_url=scripted_server.url).fetch_books(["1"], at=at)
    assert scripted_server.requests == []
    PolymarketClobResource(base_url=scripted_server.url, historical_books=True).fetch_books(["1"], at=at)
    assert scripted_server.requests[0].path == f"/books?ts={int(at.timestamp())}"


def test_predictit_fetch_all(scripted_server):
    scripted_server.queue(Reply(body={"markets": []}))
    payload = PredictItResource(base_url=scripted_server.url).fetch_all()
    assert payload.data == {"markets": []}
    assert scripted_server.requests[0].path == "/api/marketdata/all/"


def test_redact_leaves_a_short_key_inside_longer_words_alone():
    body = '{"sport_key": "nba", "apiKey": "k"} ?apiKey=k&x=1'
    assert redact(body, ["k"]) == '{"sport_key": "nba", "apiKey": "***"} ?apiKey=***&x=1'
