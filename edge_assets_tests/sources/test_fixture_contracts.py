"""Contract tests: every real venue payload in the shared fixtures parses, with the right values."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from edge_assets.sources import (
    TABLE_SHAPES,
    ParseResult,
    parse_clob_books,
    parse_gamma_events,
    parse_gamma_markets,
    parse_odds_events,
    parse_predictit,
    parse_resolutions,
)
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

FETCHED_AT = datetime(2026, 8, 22, 15, 30, tzinfo=UTC)
SNAPSHOT_TS = datetime(2026, 8, 22, 15, 0, tzinfo=UTC)
LENS_MARKET_ID = "3434985"
FURIA_TOKEN = "97986244429993405301006613239860350847262749399039648046285499627250726259070"


def load(name: str):
    return json.loads((SHARED_FIXTURES / name).read_text())


def parse_fixture(name: str) -> tuple[str, ParseResult]:
    """Parse one shared fixture the way its asset will; returns the target table and result."""
    data = load(name)
    if name.startswith("polymarket_gamma_markets_"):
        return "polymarket_markets", parse_gamma_markets(data, FETCHED_AT)
    if name == "polymarket_gamma_market_resolved.json":
        return "polymarket_markets", parse_gamma_markets([data], FETCHED_AT)
    if name == "polymarket_gamma_event_negrisk.json":
        return "polymarket_markets", parse_gamma_events([data], FETCHED_AT)
    if name == "polymarket_clob_books.json":
        return "order_book_snapshots", parse_clob_books(list(data.values()), SNAPSHOT_TS, FETCHED_AT, {})
    if name == "polymarket_clob_book_single.json":
        return "order_book_snapshots", parse_clob_books([data], SNAPSHOT_TS, FETCHED_AT, {})
    if name == "oddsapi_odds.json":
        return "oddsapi_live_odds", parse_odds_events(data, SNAPSHOT_TS, FETCHED_AT, "american")
    if name == "predictit_marketdata_all.json":
        return "predictit_market_data", parse_predictit(data, FETCHED_AT)
    raise AssertionError(f"no parser registered for fixture {name}")


# The nflverse CSV is historical training data, not a venue payload; modeling owns it.
VENUE_FIXTURES = sorted(path.name for path in SHARED_FIXTURES.glob("*.json"))


def test_fixture_directory_holds_the_expected_payloads():
    assert len(VENUE_FIXTURES) == 8


@pytest.mark.parametrize("name", VENUE_FIXTURES)
def test_every_fixture_parses_without_quarantine_into_its_table_shape(name):
    table, result = parse_fixture(name)
    shape = TABLE_SHAPES[table]
    assert list(result.frame.columns) == list(shape.columns)
    assert result.quarantined == []
    assert len(result.frame) > 0
    for column, kind in shape.columns.items():
        series = result.frame[column]
        if kind == "timestamp":
            assert str(series.dtype) == "datetime64[ns, UTC]", column
        elif kind == "float":
            assert series.dtype == "float64", column
        elif kind in ("text", "bool"):
            python_type = str if kind == "text" else bool
            assert all(value is None or type(value) is python_type for value in series), column
        if column in shape.not_null:
            assert series.notna().all(), column


def markets_by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("market_id")


def test_gamma_active_markets_values():
    frame = markets_by_id(parse_gamma_markets(load("polymarket_gamma_markets_active.json"), FETCHED_AT).frame)
    lens = frame.loc[LENS_MARKET_ID]
    # Lens has gameStartTime ("2026-08-22 15:15:00+00") but no eventStartTime.
    assert lens.game_start_ts == pd.Timestamp("2026-08-22T15:15:00Z")
    assert lens.event_id == "818966" and lens.event_title == "Racing Club de Lens vs. AJ Auxerre"
    assert json.loads(lens.outcomes) == ["Yes", "No"]
    assert lens.neg_risk is True and lens.active is True and lens.closed is False
    assert (lens.best_bid, lens.best_ask, lens.tick_size, lens.min_order_size) == (0.67, 0.68, 0.01, 5.0)
    assert (lens.fee_rate, lens.fee_exponent, lens.fee_taker_only, lens.fee_rebate_rate) == (
        0.05,
        1.0,
        True,
        0.15,
    )

    furia = frame.loc["3761199"]
    assert json.loads(furia.outcomes) == ["FURIA", "FUT Esports"]
    assert json.loads(furia.clob_token_ids)[0] == FURIA_TOKEN
    assert json.loads(furia.outcome_prices) == ["0.455", "0.545"]
    assert furia.sports_market_type == "moneyline"
    assert furia.updated_at == pd.Timestamp("2026-08-22T15:19:22.174153Z")

    # BoomBoys vs Spirit has no bestBid at all: null, not zero.
    assert pd.isna(frame.loc["3776141"].best_bid)
    # The Fed legs are not sports markets: no start time, no market type.
    fed = frame.loc["2252243"]
    assert pd.isna(fed.game_start_ts) and fed.sports_market_type is None and fed.fee_rebate_rate == 0.25


def test_gamma_resolved_single_market_has_null_prices_and_defaults():
    frame = markets_by_id(
        parse_gamma_markets([load("polymarket_gamma_market_resolved.json")], FETCHED_AT).frame
    )
    market = frame.loc["4934822"]
    assert pd.isna(market.best_bid) and market.best_ask == 0.001
    assert market.neg_risk is False and market.closed is True
    assert market.event_id is None and pd.isna(market.fee_rate)


def test_gamma_event_markets_take_event_id_and_title():
    result = parse_gamma_events([load("polymarket_gamma_event_negrisk.json")], FETCHED_AT)
    assert len(result.frame) == 5
    assert set(result.frame.event_id) == {"481717"}
    assert set(result.frame.event_title) == {"Fed Decision in September?"}
    assert result.frame.neg_risk.map(lambda flag: flag is True).all()


def test_resolutions_one_row_per_token_with_winner_paid_one():
    raw = load("polymarket_gamma_markets_closed.json") + [load("polymarket_gamma_market_resolved.json")]
    markets = parse_gamma_markets(raw, FETCHED_AT).frame
    resolutions = parse_resolutions(markets)
    assert list(resolutions.columns) == list(TABLE_SHAPES["polymarket_resolutions"].columns)
    assert len(resolutions) == 2 * len(markets)
    assert resolutions.groupby("market_id").payout.sum().eq(1.0).all()
    vitality = resolutions.set_index("outcome").loc[["Vitality", "Spirit"]]
    assert list(vitality.payout) == [0.0, 1.0]
    assert (vitality.resolved_at == pd.Timestamp("2026-08-21T20:11:28Z")).all()
    # The trimmed market has no closedTime: resolved but with unknown time.
    assert resolutions[resolutions.market_id == "4934822"].resolved_at.isna().all()


def test_resolutions_skip_open_and_fifty_fifty_markets():
    active = parse_gamma_markets(load("polymarket_gamma_markets_active.json"), FETCHED_AT).frame
    assert parse_resolutions(active).empty
    split = load("polymarket_gamma_markets_closed.json")[0] | {"outcomePrices": '["0.5", "0.5"]'}
    assert parse_resolutions(parse_gamma_markets([split], FETCHED_AT).frame).empty


def test_clob_books_best_level_first_whatever_the_api_order():
    books = load("polymarket_clob_books.json")
    result = parse_clob_books(list(books.values()), SNAPSHOT_TS, FETCHED_AT, {FURIA_TOKEN: "3761199"})
    frame = result.frame
    furia = frame[frame.token_id == FURIA_TOKEN]
    bids, asks = furia[furia.side == "bid"], furia[furia.side == "ask"]
    raw = books[FURIA_TOKEN]["book"]["body"]
    assert len(bids) == len(raw["bids"]) and len(asks) == len(raw["asks"])
    assert list(bids.level) == list(range(len(bids))) and list(asks.level) == list(range(len(asks)))
    best_bid, best_ask = bids[bids.level == 0].iloc[0], asks[asks.level == 0].iloc[0]
    assert best_bid.price == bids.price.max() == 0.51
    assert best_ask.price == asks.price.min() == 0.52
    assert bids.price.is_monotonic_decreasing and asks.price.is_monotonic_increasing
    assert best_ask["size"] == 10.22
    assert set(furia.market_id) == {"3761199"}
    assert furia.book_ts.iloc[0] == pd.Timestamp(1787412121305, unit="ms", tz="UTC")
    # Without a mapping the book's own market (condition id) is used.
    boomboys = frame[frame.token_id.str.startswith("32451921630090")]
    assert set(boomboys.market_id) == {"0x393d4f3f33dc1cf2e5afbfb117fbc022f05c7df29a47f4730426ecb884debd14"}
    assert set(boomboys.side) == {"ask"}  # this book has no bids at all


def test_clob_single_book_best_ask_is_lowest_ask():
    book = load("polymarket_clob_book_single.json")
    frame = parse_clob_books([book], SNAPSHOT_TS, FETCHED_AT, {}).frame
    best = frame[frame.level == 0].set_index("side")
    assert best.loc["ask"].price == 0.009 and best.loc["ask", "size"] == 24095.88
    assert best.loc["bid"].price == 0.008
    assert (frame.tick_size == 0.001).all() and (frame.min_order_size == 5.0).all()


def test_odds_events_decimal_odds_from_american():
    events = load("oddsapi_odds.json")
    frame = parse_odds_events(events, SNAPSHOT_TS, FETCHED_AT, "american").frame
    expected_rows = sum(len(m["outcomes"]) for e in events for b in e["bookmakers"] for m in b["markets"])
    assert len(frame) == expected_rows
    first = frame[(frame.event_id == "493be33adaa7bfb70e7388afb4e1867e") & (frame.bookmaker == "betmgm")]
    first = first.set_index("outcome")
    assert first.loc["Mississippi St Bulldogs"].decimal_odds == pytest.approx(1.625)  # -160
    assert first.loc["Samford Bulldogs"].decimal_odds == pytest.approx(2.15)  # +115
    assert first.iloc[0].commence_ts == pd.Timestamp("2024-03-26T23:00:00Z")
    assert first.iloc[0].book_update_ts == pd.Timestamp("2024-03-27T01:34:27Z")
    assert (frame.decimal_odds > 1.0).all()
    assert not frame.duplicated(["snapshot_ts", "event_id", "bookmaker", "outcome"]).any()


def test_odds_events_keep_only_h2h():
    events = copy.deepcopy(load("oddsapi_odds.json")[:1])
    book = events[0]["bookmakers"][0]
    book["markets"].append(
        {"key": "spreads", "outcomes": [{"name": "Samford Bulldogs", "price": -110, "point": 1.5}]}
    )
    frame = parse_odds_events(events, SNAPSHOT_TS, FETCHED_AT, "american").frame
    assert len(frame[frame.bookmaker == book["key"]]) == 2


def test_predictit_values():
    frame = parse_predictit(load("predictit_marketdata_all.json"), FETCHED_AT).frame
    contract = frame.set_index("data_id").loc["25232"]
    # 16:36:24.4110893 in New York on 19 Nov (EST, UTC-5), truncated to microseconds.
    assert contract.timestamp == pd.Timestamp("2024-11-19T21:36:24.411089Z")
    assert contract.date_end_ts == pd.Timestamp("2025-01-20T16:59:00Z")
    assert contract.market_id == "7136" and contract.status == "Open"
    assert (contract.best_buy_yes_cost, contract.best_sell_no_cost) == (0.07, 0.93)
    raw_contracts = [c for m in load("predictit_marketdata_all.json")["markets"] for c in m["contracts"]]
    null_buy_no = {str(c["id"]) for c in raw_contracts if c["bestBuyNoCost"] is None}
    assert len(null_buy_no) == 23
    assert frame[frame.data_id.isin(null_buy_no)].best_buy_no_cost.isna().all()
    not_ending = {str(c["id"]) for c in raw_contracts if c["dateEnd"] == "NA"}
    assert frame[frame.data_id.isin(not_ending)].date_end_ts.isna().all()


def test_predictit_timestamp_in_summer_uses_daylight_time():
    payload = copy.deepcopy(load("predictit_marketdata_all.json"))
    payload["markets"] = payload["markets"][:1]
    payload["markets"][0]["timeStamp"] = "2024-07-01T12:00:00.1234567"
    frame = parse_predictit(payload, FETCHED_AT).frame
    assert frame.timestamp.iloc[0] == pd.Timestamp("2024-07-01T16:00:00.123456Z")
    assert parse_predictit(payload, FETCHED_AT, tz="UTC").frame.timestamp.iloc[0] == pd.Timestamp(
        "2024-07-01T12:00:00.123456Z"
    )
