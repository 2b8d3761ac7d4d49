"""The Odds API's endpoints and parameters over HTTP against the simulator, and the same parser and
shape assertions on the real capture: `dateFormat=unix`, `commenceTimeFrom/To`, `/events` and
`/events/{id}/odds`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
import requests

from edge_assets.sources import parse_odds_events, parse_scores
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

API_KEY = "sim-0123456789abcdef"
NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
SPORT = "basketball_nba"
ODDS = {"apiKey": API_KEY, "regions": "us,eu", "oddsFormat": "american"}


@pytest.fixture
def url(simulator_factory):
    return simulator_factory(seed=3, days=1, now=NOW, api_key=API_KEY).url


def _get(url: str, path: str, **params) -> requests.Response:
    response = requests.get(f"{url}{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response


def assert_odds_shape(events: list[dict]) -> None:
    """What the parsers rely on, true of the real capture and the simulator alike."""
    assert events
    for event in events:
        assert {"id", "sport_key", "commence_time", "home_team", "away_team", "bookmakers"} <= set(event)
        for book in event["bookmakers"]:
            (market,) = (m for m in book["markets"] if m["key"] == "h2h")
            names = {outcome["name"] for outcome in market["outcomes"]}
            assert {event["home_team"], event["away_team"]} <= names
            assert all(isinstance(outcome["price"], int) for outcome in market["outcomes"])
    parsed = parse_odds_events(events, NOW, NOW, "american")
    assert not parsed.quarantined
    assert len(parsed.frame) == sum(
        len(m["outcomes"]) for e in events for b in e["bookmakers"] for m in b["markets"]
    )


def test_real_capture_and_simulator_share_the_odds_shape(url):
    assert_odds_shape(json.loads((SHARED_FIXTURES / "oddsapi_odds.json").read_text()))
    assert_odds_shape(_get(url, f"/v4/sports/{SPORT}/odds", **ODDS).json())


def test_unix_dates_parse_to_the_same_rows(url):
    iso = _get(url, f"/v4/sports/{SPORT}/odds", **ODDS).json()
    unix = _get(url, f"/v4/sports/{SPORT}/odds", **ODDS, dateFormat="unix").json()
    assert all(isinstance(e["commence_time"], int) for e in unix)
    assert all(isinstance(b["last_update"], int) for e in unix for b in e["bookmakers"])
    for a, b in zip(iso, unix, strict=True):
        assert datetime.fromisoformat(a["commence_time"]).timestamp() == b["commence_time"]
    pd.testing.assert_frame_equal(
        parse_odds_events(iso, NOW, NOW, "american").frame,
        parse_odds_events(unix, NOW, NOW, "american").frame,
    )
    iso_scores = _get(url, f"/v4/sports/{SPORT}/scores", apiKey=API_KEY, daysFrom="1").json()
    unix_scores = _get(
        url, f"/v4/sports/{SPORT}/scores", apiKey=API_KEY, daysFrom="1", dateFormat="unix"
    ).json()
    assert any(row["last_update"] for row in unix_scores)
    pd.testing.assert_frame_equal(parse_scores(iso_scores, NOW).frame, parse_scores(unix_scores, NOW).frame)


def test_commence_window_events_and_event_odds(url):
    everything = _get(url, f"/v4/sports/{SPORT}/odds", **ODDS).json()
    starts = sorted({e["commence_time"] for e in everything})
    assert len(starts) >= 2
    later = _get(url, f"/v4/sports/{SPORT}/odds", **ODDS, commenceTimeFrom=starts[1]).json()
    assert later and {e["id"] for e in later} == {
        e["id"] for e in everything if e["commence_time"] >= starts[1]
    }
    first = _get(url, f"/v4/sports/{SPORT}/odds", **ODDS, commenceTimeTo=starts[0]).json()
    assert {e["commence_time"] for e in first} == {starts[0]}

    listed = _get(url, f"/v4/sports/{SPORT}/events", apiKey=API_KEY)
    assert listed.headers["x-requests-last"] == "0"
    assert [e["id"] for e in listed.json()] == [e["id"] for e in everything]
    assert all("bookmakers" not in e for e in listed.json())

    one = _get(url, f"/v4/sports/{SPORT}/events/{everything[0]['id']}/odds", **ODDS)
    assert one.json() == everything[0] and one.headers["x-requests-last"] == "2"
    missing = requests.get(f"{url}/v4/sports/{SPORT}/events/nope/odds", params=ODDS, timeout=10)
    assert missing.status_code == 404 and missing.json()["error_code"] == "EVENT_NOT_FOUND"
    bad = requests.get(f"{url}/v4/sports/{SPORT}/odds", params={**ODDS, "dateFormat": "rfc"}, timeout=10)
    assert bad.status_code == 422
