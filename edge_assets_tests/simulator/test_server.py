"""The simulator over HTTP: payload shapes against the real fixtures, Odds API rules, fault knobs."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection

import pytest
import requests

from edge_assets.simulator import captured
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

GAMMA_FIELDS = {
    "id",
    "question",
    "conditionId",
    "slug",
    "startDate",
    "endDate",
    "gameStartTime",
    "eventStartTime",
    "outcomes",
    "outcomePrices",
    "clobTokenIds",
    "sportsMarketType",
    "active",
    "closed",
    "acceptingOrders",
    "negRisk",
    "orderPriceMinTickSize",
    "orderMinSize",
    "bestBid",
    "bestAsk",
    "lastTradePrice",
    "spread",
    "feesEnabled",
    "feeType",
    "feeSchedule",
    "events",
    "umaResolutionStatuses",
    "updatedAt",
}
ENCODED_FIELDS = ("outcomes", "outcomePrices", "clobTokenIds", "umaResolutionStatuses")
KEY = {"apiKey": "test-key"}


def _fixture(name: str):
    return json.loads((SHARED_FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def http() -> requests.Session:
    with requests.Session() as session:
        yield session


def _all_markets(http, url: str, **params) -> list[dict]:
    markets, offset = [], 0
    while True:
        page = http.get(f"{url}/markets", params={"limit": 500, "offset": offset, **params}).json()
        markets += page
        if len(page) < 500:
            return markets
        offset += 500


def test_health(simulator, http):
    base = simulator.url
    venues = {"gamma": base, "clob": f"{base}/clob", "oddsapi": base, "predictit": base}
    assert http.get(f"{base}/health").json() == {"status": "ok", "venues": venues}


def _pregame(market: dict) -> bool:
    """Whether a Gamma market's game is still to start (its `gameStartTime` is in the future)."""
    start = datetime.strptime(market["gameStartTime"], "%Y-%m-%d %H:%M:%S+00").replace(tzinfo=UTC)
    return start > datetime.now(UTC)


def test_gamma_markets_match_the_fixture_shape(simulator, http):
    real = _fixture("polymarket_gamma_markets_active.json")[0]
    markets = _all_markets(http, simulator.url, closed="false")
    # Pre-game markets: a game in play can run its price into the edge of the range, a side empty.
    moneyline = [
        m
        for m in markets
        if m.get("sportsMarketType") == "moneyline" and "eventStartTime" in m and _pregame(m)
    ]
    assert moneyline
    for market in moneyline[:40]:
        assert GAMMA_FIELDS <= market.keys()
        for field in GAMMA_FIELDS - {"bestBid", "lastTradePrice"}:
            assert type(market[field]) is type(real[field]), field
        for field in ENCODED_FIELDS:
            assert isinstance(json.loads(market[field]), list)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00", market["gameStartTime"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", market["eventStartTime"])
        assert set(market["feeSchedule"]) == set(real["feeSchedule"])
        assert 0.03 <= market["feeSchedule"]["rate"] <= 0.05
        assert {"id", "slug", "title"} <= market["events"][0].keys()
        outcomes = json.loads(market["outcomes"])
        assert outcomes != ["Yes", "No"] and market["question"] == f"{outcomes[0]} vs. {outcomes[1]}"
        assert market["bestBid"] < market["bestAsk"]


def test_gamma_soccer_is_three_yes_no_markets_per_game(simulator, http):
    events = http.get(f"{simulator.url}/events", params={"limit": 500, "closed": "false"}).json()
    soccer = [e for e in events if e.get("seriesSlug") == "epl"]
    assert soccer
    for event in soccer:
        questions = [m["question"] for m in event["markets"]]
        assert len(questions) == 3 and any(q.endswith("end in a draw?") for q in questions)
        assert all(re.fullmatch(r"Will .+ win on \d{4}-\d\d-\d\d\?", q) for q in questions if "draw" not in q)
        assert all(m["negRisk"] and json.loads(m["outcomes"]) == ["Yes", "No"] for m in event["markets"])


def test_gamma_closed_markets_are_resolved(simulator, http):
    real = _fixture("polymarket_gamma_markets_closed.json")[0]
    closed = _all_markets(http, simulator.url, closed="true")
    assert closed
    for market in closed:
        assert market["closed"] is True and market["umaResolutionStatus"] == "resolved"
        assert sorted(json.loads(market["outcomePrices"])) == ["0", "1"]
        assert {"closedTime", "umaEndDate"} <= market.keys()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00", market["closedTime"])
        assert type(market["umaResolutionStatuses"]) is type(real["umaResolutionStatuses"])


def test_gamma_paging_and_filters(simulator, http):
    everything = _all_markets(http, simulator.url)
    first = http.get(f"{simulator.url}/markets", params={"limit": 7}).json()
    second = http.get(f"{simulator.url}/markets", params={"limit": 7, "offset": 7}).json()
    assert [m["id"] for m in first + second] == [m["id"] for m in everything[:14]]
    wanted = [everything[3]["id"], everything[9]["id"]]
    by_id = http.get(f"{simulator.url}/markets", params={"id": wanted}).json()
    assert [m["id"] for m in by_id] == wanted
    by_slug = http.get(f"{simulator.url}/markets", params={"slug": everything[5]["slug"]}).json()
    assert [m["id"] for m in by_slug] == [everything[5]["id"]]
    assert len(http.get(f"{simulator.url}/markets", params={"limit": 10_000}).json()) <= 500
    political = [m for m in everything if "sportsMarketType" not in m]
    assert 8 <= len(political) <= 12


def test_clob_books_match_the_fixture_shape(simulator, http):
    real = _fixture("polymarket_clob_books.json")
    real_book = next(iter(real.values()))["book"]["body"]
    market = next(
        m for m in _all_markets(http, simulator.url, closed="false") if "gameStartTime" in m and _pregame(m)
    )
    tokens = json.loads(market["clobTokenIds"])
    book = http.get(f"{simulator.url}/book", params={"token_id": tokens[0]}).json()
    assert set(book) == set(real_book)
    for token_book in http.post(f"{simulator.url}/books", json=[{"token_id": t} for t in tokens]).json():
        assert set(token_book) == set(real_book) and token_book["market"] == market["conditionId"]
        bids = [float(level["price"]) for level in token_book["bids"]]
        asks = [float(level["price"]) for level in token_book["asks"]]
        # as deep as a side of a real book, fewer only where the ladder runs into the price edge
        real_depths = {levels for book in captured.BOOK_SIDE_LEVELS for levels in book}
        for side in (bids, asks):
            assert len(side) in real_depths or (side and min(side) <= 0.011) or (side and max(side) >= 0.989)
        assert bids == sorted(bids) and asks == sorted(asks, reverse=True), "best price last"
        assert not (bids and asks) or bids[-1] < asks[-1]
        tick = float(token_book["tick_size"])
        assert all(abs(price / tick - round(price / tick)) < 1e-6 for price in bids + asks), (
            "on the tick grid"
        )
        assert all(
            isinstance(level["size"], str) and float(level["size"]) >= 1 for level in token_book["bids"]
        )
        assert isinstance(token_book["timestamp"], str) and token_book["timestamp"].isdigit()


def test_clob_unknown_tokens_and_history(simulator, http):
    missing = http.get(f"{simulator.url}/book", params={"token_id": "123"})
    assert missing.status_code == 404 and missing.json() == {
        "error": "No orderbook exists for the requested token id"
    }
    market = next(
        m for m in _all_markets(http, simulator.url, closed="false") if "gameStartTime" in m and _pregame(m)
    )
    token = json.loads(market["clobTokenIds"])[0]
    books = http.post(f"{simulator.url}/books", json=[{"token_id": "123"}, {"token_id": token}]).json()
    assert [b["asset_id"] for b in books] == [token]
    instant = int(time.time()) - 600
    past = http.get(f"{simulator.url}/book", params={"token_id": token, "ts": instant}).json()
    assert past["timestamp"] == str(instant * 1000)
    again = http.post(f"{simulator.url}/books", params={"ts": instant}, json=[{"token_id": token}]).json()
    assert again[0]["bids"] == past["bids"] and again[0]["asks"] == past["asks"]


def test_odds_api_shapes(simulator, http):
    real = _fixture("oddsapi_odds.json")[0]
    real_us_books = {b["key"] for e in _fixture("oddsapi_odds.json") for b in e["bookmakers"]}
    sports = http.get(f"{simulator.url}/v4/sports", params=KEY).json()
    assert {"americanfootball_nfl", "basketball_nba", "icehockey_nhl", "baseball_mlb", "soccer_epl"} <= {
        s["key"] for s in sports
    }
    assert set(sports[0]) == {"key", "group", "title", "description", "active", "has_outrights"}
    response = http.get(
        f"{simulator.url}/v4/sports/basketball_nba/odds",
        params={**KEY, "regions": "us", "markets": "h2h", "oddsFormat": "american"},
    )
    events = response.json()
    assert events
    for event in events:
        assert set(event) == set(real)
        assert {b["key"] for b in event["bookmakers"]} <= real_us_books  # no Pinnacle under `us`
        book = event["bookmakers"][0]
        assert set(book) == set(real["bookmakers"][0])
        market = book["markets"][0]
        assert set(market) == set(real["bookmakers"][0]["markets"][0]) and market["key"] == "h2h"
        assert all(isinstance(o["price"], int) for o in market["outcomes"])
        assert {o["name"] for o in market["outcomes"]} == {event["home_team"], event["away_team"]}
    decimal = http.get(
        f"{simulator.url}/v4/sports/soccer_epl/odds", params={**KEY, "regions": "us", "oddsFormat": "decimal"}
    ).json()
    names = {o["name"] for e in decimal for b in e["bookmakers"] for o in b["markets"][0]["outcomes"]}
    assert "Draw" in names
    assert all(
        isinstance(o["price"], float) and o["price"] > 1
        for e in decimal
        for b in e["bookmakers"]
        for o in b["markets"][0]["outcomes"]
    )


def test_odds_api_historical_snapshots(simulator, http):
    date = (datetime.now(UTC) - timedelta(hours=20)).replace(second=17)
    payload = http.get(
        f"{simulator.url}/v4/historical/sports/baseball_mlb/odds",
        params={
            **KEY,
            "regions": "us",
            "oddsFormat": "american",
            "date": date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    ).json()
    assert set(payload) == {"timestamp", "previous_timestamp", "next_timestamp", "data"}
    snapshot = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
    assert snapshot <= date and date - snapshot < timedelta(minutes=5) and snapshot.minute % 5 == 0
    assert payload["data"], "games are listed in the history"
    for event in payload["data"]:
        for book in event["bookmakers"]:
            assert book["last_update"] <= payload["timestamp"]


def test_odds_api_scores(simulator, http):
    rows = http.get(f"{simulator.url}/v4/sports/baseball_mlb/scores", params={**KEY, "daysFrom": 2}).json()
    keys = {
        "id",
        "sport_key",
        "sport_title",
        "commence_time",
        "completed",
        "home_team",
        "away_team",
        "scores",
        "last_update",
    }
    assert rows and all(set(row) == keys for row in rows)
    completed = [row for row in rows if row["completed"]]
    assert completed
    for row in completed:
        assert {s["name"] for s in row["scores"]} == {row["home_team"], row["away_team"]}
        assert all(s["score"].isdigit() for s in row["scores"])
    assert any(row["scores"] is None for row in rows), "upcoming games have no scores"


def test_odds_api_keys_params_and_quota(simulator_factory, http):
    server = simulator_factory(api_key="secret", quota=20)
    url = f"{server.url}/v4/sports/icehockey_nhl/odds"
    missing = http.get(url, params={"regions": "us"})
    assert missing.status_code == 401 and missing.json()["error_code"] == "MISSING_KEY"
    wrong = http.get(url, params={"regions": "us", "apiKey": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error_code"] == "INVALID_KEY"
    ok = http.get(url, params={"regions": "us,eu", "markets": "h2h", "apiKey": "secret"})
    assert ok.status_code == 200
    assert (
        ok.headers["x-requests-last"],
        ok.headers["x-requests-used"],
        ok.headers["x-requests-remaining"],
    ) == ("2", "2", "18")
    assert (
        http.get(url, params={"regions": "us", "apiKey": "secret", "oddsFormat": "fractional"}).status_code
        == 422
    )
    hist = f"{server.url}/v4/historical/sports/icehockey_nhl/odds"
    assert (
        http.get(hist, params={"regions": "us", "apiKey": "secret", "date": "yesterday"}).status_code == 422
    )
    charged = http.get(
        hist,
        params={
            "regions": "us",
            "apiKey": "secret",
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    assert charged.headers["x-requests-last"] == "10"
    scores = http.get(
        f"{server.url}/v4/sports/icehockey_nhl/scores", params={"apiKey": "secret", "daysFrom": 3}
    )
    assert scores.headers["x-requests-last"] == "2"
    exhausted = http.get(hist, params={"regions": "us", "apiKey": "secret", "date": "2026-01-01T00:00:00Z"})
    assert exhausted.status_code == 429 and "quota" in exhausted.json()["message"].lower()
    assert exhausted.headers["x-requests-remaining"] == "6"


def test_predictit_matches_the_fixture_shape(simulator, http):
    real = _fixture("predictit_marketdata_all.json")["markets"][0]
    payload = http.get(f"{simulator.url}/api/marketdata/all/").json()
    assert set(payload) == {"markets"} and 5 <= len(payload["markets"]) <= 8
    contracts = [c for m in payload["markets"] for c in m["contracts"]]
    assert 18 <= len(contracts) <= 25
    for market in payload["markets"]:
        assert set(market) == set(real)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", market["timeStamp"])
        for contract in market["contracts"]:
            assert set(contract) == set(real["contracts"][0])
            assert contract["dateEnd"] == "NA" or re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", contract["dateEnd"]
            )
    assert any(c["bestSellYesCost"] is None for c in contracts), "no offer is null"


def test_predictit_quotes_repeat_between_polls(simulator, http):
    first = http.get(f"{simulator.url}/api/marketdata/all/").json()
    second = http.get(f"{simulator.url}/api/marketdata/all/").json()
    assert [m["contracts"] for m in first["markets"]] == [m["contracts"] for m in second["markets"]]


def _statuses(http, url: str, count: int) -> list[requests.Response]:
    return [http.get(f"{url}/api/marketdata/all/") for _ in range(count)]


def test_fault_rates_429_and_5xx(simulator_factory, http):
    server = simulator_factory(rate_429=0.2, rate_5xx=0.2, retry_after_s=3, fault_seed=1)
    responses = _statuses(http, server.url, 400)
    too_many = [r for r in responses if r.status_code == 429]
    errors = [r for r in responses if r.status_code >= 500]
    assert 50 <= len(too_many) <= 110  # 20% of 400, binomial sd ~ 8
    assert all(r.headers["Retry-After"] == "3" for r in too_many)
    assert 40 <= len(errors) <= 100  # 20% of the 80% left
    assert {r.status_code for r in errors} == {500, 502, 503}
    assert all(http.get(f"{server.url}/health").status_code == 200 for _ in range(50)), (
        "health is never faulted"
    )


def test_fault_timeouts_delay_answers(simulator_factory, http):
    server = simulator_factory(rate_timeout=0.5, timeout_delay_s=0.2, fault_seed=2)
    slow = 0
    for _ in range(20):
        started = time.perf_counter()
        assert http.get(f"{server.url}/api/marketdata/all/").status_code == 200
        slow += time.perf_counter() - started >= 0.2
    assert 4 <= slow <= 16
    with pytest.raises(requests.exceptions.ReadTimeout):
        for _ in range(20):
            http.get(f"{server.url}/api/marketdata/all/", timeout=0.1)


def test_malformed_records_inside_valid_payloads(simulator_factory, http):
    server = simulator_factory(rate_malformed=0.2, fault_seed=3)
    markets = _all_markets(http, server.url)
    broken = 0
    for market in markets:
        try:
            json.loads(market["outcomePrices"]), json.loads(market["clobTokenIds"]), market["question"]
        except (ValueError, KeyError):
            broken += 1
    assert 0.1 < broken / len(markets) < 0.3
    contracts = [
        c
        for _ in range(5)
        for m in http.get(f"{server.url}/api/marketdata/all/").json()["markets"]
        for c in m["contracts"]
    ]
    assert any("n/a" in c.values() for c in contracts)
    events = http.get(f"{server.url}/v4/sports/baseball_mlb/odds", params={**KEY, "regions": "us"}).json()
    damaged = [
        e
        for e in events
        if "home_team" not in e
        or any(o["price"] is None for b in e["bookmakers"] for m in b["markets"] for o in m["outcomes"])
    ]
    assert damaged and len(damaged) < len(events)
    tokens = [
        json.loads(m["clobTokenIds"])[0]
        for m in markets
        if "gameStartTime" in m
        and not m["closed"]
        and m["clobTokenIds"].startswith('["')
        and m["clobTokenIds"].endswith('"]')
    ]
    # A book with levels to damage: real books may have both sides empty, which the simulator copies.
    token = next(
        t
        for t in tokens
        if (book := http.get(f"{server.url}/book", params={"token_id": t}).json()).get("bids")
        or book.get("asks")
    )
    books = [http.get(f"{server.url}/book", params={"token_id": token}).json() for _ in range(40)]
    assert any("abc" in (lvl["price"], lvl["size"]) for b in books for lvl in b["bids"] + b["asks"])


def test_stale_records_carry_old_timestamps(simulator_factory, http):
    server = simulator_factory(rate_stale=0.3, fault_seed=4)
    market = next(m for m in _all_markets(http, server.url, closed="false") if "gameStartTime" in m)
    token = json.loads(market["clobTokenIds"])[0]
    now_ms = time.time() * 1000
    ages = [
        now_ms - int(http.get(f"{server.url}/book", params={"token_id": token}).json()["timestamp"])
        for _ in range(100)
    ]
    stale = [age for age in ages if age > 2 * 3600 * 1000]
    assert 15 <= len(stale) <= 45
    events = http.get(f"{server.url}/v4/sports/basketball_nba/odds", params={**KEY, "regions": "us"}).json()
    updates = [
        datetime.fromisoformat(b["last_update"].replace("Z", "+00:00"))
        for e in events
        for b in e["bookmakers"]
    ]
    old = [u for u in updates if datetime.now(UTC) - u > timedelta(hours=2)]
    assert old and len(old) < len(updates)


def test_one_connection_serves_many_requests(simulator):
    """Keep-alive: a backfill's thousands of requests reuse their connections."""
    connection = HTTPConnection(simulator.host, simulator.port, timeout=5)
    try:
        connection.connect()
        first_socket = connection.sock
        for path in ("/health", "/markets?limit=3", "/api/marketdata/all/", "/nowhere"):
            connection.request("GET", path)
            response = connection.getresponse()
            body = json.loads(response.read())
            assert response.getheader("Content-Type") == "application/json" and body is not None
        assert response.status == 404 and connection.sock is first_socket
        connection.request("POST", "/books", body=b'[{"token_id": "1"}]')
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, [])
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_a_bug_answers_500_and_the_server_keeps_serving(simulator_factory, http, monkeypatch):
    server = simulator_factory()

    def broken(*args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(server.app, "_predictit", broken)
    failed = http.get(f"{server.url}/api/marketdata/all/")
    assert failed.status_code == 500 and "ZeroDivisionError" in failed.json()["error"]
    assert http.get(f"{server.url}/health").json()["status"] == "ok"
