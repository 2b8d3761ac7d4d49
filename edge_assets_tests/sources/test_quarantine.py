"""Bad records are quarantined with a reason while the good records around them still parse."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from edge_assets.sources import (
    parse_clob_books,
    parse_gamma_markets,
    parse_historical_odds,
    parse_odds_events,
    parse_predictit,
    parse_scores,
)
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

FETCHED_AT = datetime(2026, 8, 22, 15, 30, tzinfo=UTC)
HOUR = datetime(2024, 3, 27, 2, 0, tzinfo=UTC)


def load(name: str):
    return copy.deepcopy(json.loads((SHARED_FIXTURES / name).read_text()))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"outcomes": '["FURIA", "FUT'}, "outcomes is not valid JSON"),
        ({"clobTokenIds": None}, "missing clobTokenIds"),
        ({"clobTokenIds": '["1"]'}, "2 outcomes but 1 clobTokenIds"),
        ({"outcomePrices": '["0.4", "abc"]'}, "outcomePrices is not a number"),
        ({"outcomePrices": '["1.5", "0"]'}, "outside [0, 1]"),
        ({"gameStartTime": "next tuesday"}, "gameStartTime is not a timestamp"),
        ({"active": "yes"}, "active is not a boolean"),
        ({"id": None}, "missing id"),
        ({"feeSchedule": "5%"}, "feeSchedule is not an object"),
    ],
)
def test_gamma_bad_market_is_quarantined_and_the_rest_parse(change, reason):
    markets = load("polymarket_gamma_markets_active.json")
    markets[0].update(change)
    result = parse_gamma_markets(markets, FETCHED_AT)
    assert len(result.frame) == len(markets) - 1
    [bad] = result.quarantined
    assert reason in bad.reason
    assert bad.record["question"] == markets[0]["question"]


def test_gamma_non_object_is_quarantined():
    result = parse_gamma_markets(
        ["not a market", *load("polymarket_gamma_markets_active.json")[:2]], FETCHED_AT
    )
    assert len(result.frame) == 2
    assert [q.reason for q in result.quarantined] == ["market is not an object"]


def test_gamma_overlapping_pages_keep_one_row_per_market():
    markets = load("polymarket_gamma_markets_active.json")
    newer = copy.deepcopy(markets[0]) | {"bestBid": 0.47}
    frame = parse_gamma_markets([*markets, newer], FETCHED_AT).frame
    assert frame.market_id.is_unique and len(frame) == len(markets)
    assert frame.set_index("market_id").loc[markets[0]["id"]].best_bid == 0.47


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bids": "none"}, "bids is not a list"),
        ({"asset_id": ""}, "missing asset_id"),
    ],
)
def test_clob_bad_book_is_quarantined_and_the_rest_parse(change, reason):
    captures = load("polymarket_clob_books.json")
    books = [capture["book"]["body"] for capture in captures.values()]
    books[0].update(change)
    result = parse_clob_books(books, HOUR, FETCHED_AT, {})
    [bad] = result.quarantined
    assert reason in bad.reason
    assert set(result.frame.token_id) == {book["asset_id"] for book in books[1:]}


@pytest.mark.parametrize(
    ("side", "bad_level", "reason"),
    [
        ("asks", {"price": "0.5", "size": "ten"}, "asks.size is not a number"),
        ("bids", {"price": "1.2", "size": "5"}, "outside [0, 1]"),
        ("bids", {"price": "0.4", "size": "-1"}, "negative size"),
        ("asks", "0.5@10", "not an object"),
    ],
)
def test_clob_bad_level_is_quarantined_alone_and_its_book_lands(side, bad_level, reason):
    captures = load("polymarket_clob_books.json")
    books = [capture["book"]["body"] for capture in captures.values()]
    clean = parse_clob_books(copy.deepcopy(books), HOUR, FETCHED_AT, {}).frame
    books[0][side].insert(1, bad_level)
    result = parse_clob_books(books, HOUR, FETCHED_AT, {})
    [bad] = result.quarantined
    assert reason in bad.reason
    assert bad.record == {
        "snapshot_ts": HOUR.isoformat(),
        "asset_id": books[0]["asset_id"],
        "market": books[0]["market"],
        "level": bad_level,
    }
    # Every well-formed level of every book lands, as it would without the bad one.
    pd.testing.assert_frame_equal(result.frame, clean)


def test_odds_bad_outcome_is_quarantined_alone_and_its_bookmaker_keeps_the_others():
    events = load("oddsapi_odds.json")
    first = events[0]
    clean = parse_odds_events(copy.deepcopy(events), HOUR, FETCHED_AT, "american").frame
    bad_outcome = first["bookmakers"][0]["markets"][0]["outcomes"][0]
    bad_outcome["price"] = None  # the simulator's --rate-malformed damage
    result = parse_odds_events(events, HOUR, FETCHED_AT, "american")
    [bad] = result.quarantined
    assert bad.reason == "missing price"
    assert bad.record == {"event_id": first["id"], "bookmaker": "betmgm", "outcome": bad_outcome}
    lost = clean.merge(result.frame, how="left", indicator=True).query("_merge == 'left_only'")
    assert lost[["event_id", "bookmaker", "outcome"]].to_dict("records") == [
        {"event_id": first["id"], "bookmaker": "betmgm", "outcome": bad_outcome["name"]}
    ]


def test_clob_failed_capture_and_duplicate_token_are_quarantined():
    captures = list(load("polymarket_clob_books.json").values())
    captures[0]["book"]["status"] = 404
    captures.append(copy.deepcopy(captures[1]))
    result = parse_clob_books(captures, HOUR, FETCHED_AT, {})
    assert [q.reason.split(" for")[0] for q in result.quarantined] == [
        "book request returned status 404",
        "duplicate book",
    ]
    assert result.frame.token_id.nunique() == 2


def test_odds_bad_bookmaker_is_quarantined_but_its_event_keeps_the_others():
    events = load("oddsapi_odds.json")
    first = events[0]
    outcomes = first["bookmakers"][0]["markets"][0]["outcomes"]
    outcomes[1]["name"] = outcomes[0]["name"]  # two prices for one outcome: which is the book's?
    result = parse_odds_events(events, HOUR, FETCHED_AT, "american")
    [bad] = result.quarantined
    assert f"lists {outcomes[0]['name']!r} twice" in bad.reason
    assert bad.record["event_id"] == first["id"] and bad.record["bookmaker"]["key"] == "betmgm"
    kept = result.frame[result.frame.event_id == first["id"]]
    assert set(kept.bookmaker) == {b["key"] for b in first["bookmakers"][1:]}


@pytest.mark.parametrize("damage", ["event", "bookmaker", "outcome"])
def test_a_quarantined_odds_record_weighs_as_the_rows_it_would_have_landed(damage):
    """The quarantined share is of rows: an event dropped whole for want of its home team weighs
    as all of its prices, a bookmaker as its own, an outcome as one."""
    events = load("oddsapi_odds.json")
    clean = parse_odds_events(copy.deepcopy(events), HOUR, FETCHED_AT, "american").frame
    if damage == "event":
        del events[2]["home_team"]  # the simulator's --rate-malformed damage to a whole event
    elif damage == "bookmaker":
        outcomes = events[2]["bookmakers"][1]["markets"][0]["outcomes"]
        outcomes[1]["name"] = outcomes[0]["name"]  # two prices for one outcome: the bookmaker goes
    else:
        events[2]["bookmakers"][1]["markets"][0]["outcomes"][0]["price"] = None
    result = parse_odds_events(events, HOUR, FETCHED_AT, "american")
    [bad] = result.quarantined
    assert bad.rows == len(clean) - len(result.frame) > 0


def test_odds_price_outside_american_odds_is_quarantined():
    events = load("oddsapi_odds.json")
    events[0]["bookmakers"][0]["markets"][0]["outcomes"][0]["price"] = 50
    result = parse_odds_events(events, HOUR, FETCHED_AT, "american")
    [bad] = result.quarantined
    assert "American odds must be <= -100 or >= +100" in bad.reason


def test_odds_event_without_commence_time_is_quarantined():
    events = load("oddsapi_odds.json")
    del events[3]["commence_time"]
    result = parse_odds_events(events, HOUR, FETCHED_AT, "american")
    assert [q.reason for q in result.quarantined] == ["missing commence_time"]
    assert events[3]["id"] not in set(result.frame.event_id)
    assert result.frame.event_id.nunique() == len(events) - 1


def test_odds_decimal_format_is_taken_as_is_and_checked():
    events = load("oddsapi_odds.json")[:1]
    for bookmaker in events[0]["bookmakers"]:
        for outcome in bookmaker["markets"][0]["outcomes"]:
            outcome["price"] = 1.91
    events[0]["bookmakers"][0]["markets"][0]["outcomes"][0]["price"] = 0.9
    result = parse_odds_events(events, HOUR, FETCHED_AT, "decimal")
    assert (result.frame.decimal_odds == 1.91).all()
    assert "decimal odds must exceed 1" in result.quarantined[0].reason


def historical_wrapper(timestamp: str) -> dict:
    return {
        "timestamp": timestamp,
        "previous_timestamp": "2024-03-27T01:50:00Z",
        "next_timestamp": "2024-03-27T02:05:00Z",
        "data": load("oddsapi_odds.json"),
    }


def test_historical_odds_take_snapshot_time_from_the_wrapper():
    result = parse_historical_odds(historical_wrapper("2024-03-27T01:55:00Z"), HOUR, FETCHED_AT, "american")
    assert result.quarantined == []
    assert (result.frame.snapshot_ts == pd.Timestamp("2024-03-27T01:55:00Z")).all()
    assert (result.frame.partition_ts == pd.Timestamp(HOUR)).all()
    assert len(result.frame) == len(
        parse_odds_events(load("oddsapi_odds.json"), HOUR, FETCHED_AT, "american").frame
    )


@pytest.mark.parametrize(
    ("wrapper", "reason"),
    [
        (historical_wrapper("2024-03-27T02:05:00Z"), "is after the requested"),
        ({"timestamp": "2024-03-27T01:55:00Z", "data": None}, "no data list"),
        ({"message": "quota exceeded"}, "missing timestamp"),
    ],
)
def test_historical_wrapper_that_cannot_serve_the_hour_is_quarantined(wrapper, reason):
    result = parse_historical_odds(wrapper, HOUR, FETCHED_AT, "american")
    assert result.frame.empty and list(result.frame.columns)[:2] == ["partition_ts", "snapshot_ts"]
    [bad] = result.quarantined
    assert reason in bad.reason and "data" not in bad.record


SCORES = [
    {
        "id": "e1",
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": "2024-03-26T23:10:00Z",
        "completed": True,
        "home_team": "Boston Celtics",
        "away_team": "Detroit Pistons",
        "scores": [{"name": "Detroit Pistons", "score": "99"}, {"name": "Boston Celtics", "score": "112"}],
        "last_update": "2024-03-27T02:01:45Z",
    },
    {
        "id": "e2",
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": "2024-03-28T23:10:00Z",
        "completed": False,
        "home_team": "Miami Heat",
        "away_team": "Chicago Bulls",
        "scores": None,
        "last_update": None,
    },
    {
        "id": "e3",
        "sport_key": "cricket_ipl",
        "sport_title": "IPL",
        "commence_time": "2024-03-26T14:00:00Z",
        "completed": True,
        "home_team": "Chennai Super Kings",
        "away_team": "Gujarat Titans",
        "scores": [
            {"name": "Chennai Super Kings", "score": "206/6"},
            {"name": "Gujarat Titans", "score": "143/8"},
        ],
        "last_update": "2024-03-26T18:00:00Z",
    },
    {
        "id": "e4",
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": "2024-03-26T23:10:00Z",
        "completed": True,
        "home_team": "Utah Jazz",
        "away_team": "Denver Nuggets",
        "scores": [{"name": "Utah Jazz", "score": "ninety"}, {"name": "Denver Nuggets", "score": "101"}],
        "last_update": "2024-03-27T02:01:45Z",
    },
]


def test_scores_parse_and_bad_score_is_quarantined():
    result = parse_scores(SCORES, FETCHED_AT)
    frame = result.frame.set_index("event_id")
    assert (frame.loc["e1", "home_score"], frame.loc["e1", "away_score"]) == (112, 99)
    assert frame.loc["e1", "completed"] is True
    assert pd.isna(frame.loc["e2", "home_score"]) and pd.isna(frame.loc["e2", "last_update_ts"])
    assert (frame.loc["e3", "home_score"], frame.loc["e3", "away_score"]) == (206, 143)
    assert str(result.frame.home_score.dtype) == "Int64"
    [bad] = result.quarantined
    assert bad.record["id"] == "e4" and "score of Utah Jazz is not a whole number" in bad.reason


def test_predictit_bad_contract_is_quarantined_with_its_market():
    payload = load("predictit_marketdata_all.json")
    market = payload["markets"][1]
    market["contracts"][0]["bestBuyYesCost"] = "cheap"
    payload["markets"].append({"id": 1, "name": "no contracts", "timeStamp": "2024-11-19T16:36:24.4110893"})
    result = parse_predictit(payload, FETCHED_AT)
    reasons = sorted(q.reason for q in result.quarantined)
    assert reasons == ["bestBuyYesCost is not a number: 'cheap'", "market has no contracts list"]
    contract = next(q for q in result.quarantined if "contract" in q.record)
    assert contract.record["market"]["market_id"] == market["id"]
    total = sum(len(m["contracts"]) for m in payload["markets"][:-1])
    assert len(result.frame) == total - 1


def test_predictit_market_without_timestamp_quarantines_its_contracts():
    payload = load("predictit_marketdata_all.json")
    del payload["markets"][0]["timeStamp"]
    result = parse_predictit(payload, FETCHED_AT)
    assert {q.reason for q in result.quarantined} == {"missing timeStamp"}
    assert len(result.quarantined) == len(payload["markets"][0]["contracts"])


def test_an_hour_of_historical_responses_parses_as_the_responses_one_by_one():
    from edge_assets.sources.oddsapi import parse_historical_odds, parse_historical_snapshots

    events = json.loads((SHARED_FIXTURES / "oddsapi_odds.json").read_text())
    hour = datetime(2024, 3, 27, 2, tzinfo=UTC)
    fetched = datetime(2024, 3, 27, 2, 1, tzinfo=UTC)
    good = {"timestamp": "2024-03-27T01:35:00Z", "data": events[:10]}
    late = {"timestamp": "2024-03-27T02:05:00Z", "data": events[10:]}
    batch = parse_historical_snapshots([(good, fetched), (late, fetched)], hour, "american")
    one_by_one = [parse_historical_odds(wrapper, hour, fetched, "american") for wrapper in (good, late)]
    pd.testing.assert_frame_equal(
        batch.frame, pd.concat([result.frame for result in one_by_one], ignore_index=True)
    )
    assert [q.reason for q in batch.quarantined] == [q.reason for r in one_by_one for q in r.quarantined]
    assert len(batch.quarantined) == 1 and "after the requested" in batch.quarantined[0].reason
