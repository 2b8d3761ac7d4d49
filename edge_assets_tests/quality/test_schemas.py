"""The Pandera schemas, one bad frame per rule: each breaks one rule of a conforming frame and must
fail on that rule of that column, and on nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.quality.schemas import table_schemas, validate

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOUR = pd.Timestamp("2026-11-20 11:00", tz="UTC")
FETCHED = HOUR + timedelta(minutes=2)
GAME = pd.Timestamp("2026-11-21 01:00", tz="UTC")  # a game start may well be in the future
# Five minutes of clock skew are tolerated; six are the future.
SKEWED = pd.Timestamp(NOW) + timedelta(minutes=4)
FUTURE = pd.Timestamp(NOW) + timedelta(minutes=6)

# One conforming row per table; the second row of a good frame is the first with `SECOND` applied,
# which changes one key column only, so a composite key is shown to be composite.
FIRST: dict[str, dict] = {
    "polymarket_markets": {
        "market_id": "m1",
        "question": "Celtics vs. Lakers",
        "game_start_ts": GAME,
        "active": True,
        "closed": False,
        "outcomes": '["Celtics", "Lakers"]',
        "clob_token_ids": '["t1", "t2"]',
        "best_bid": 0.44,
        "best_ask": 0.46,
        "fee_rate": 0.05,
        "fetched_at": FETCHED,
    },
    "polymarket_resolutions": {"token_id": "t1", "market_id": "m1", "payout": 1.0, "fetched_at": FETCHED},
    "order_book_snapshots": {
        "snapshot_ts": HOUR,
        "token_id": "t1",
        "side": "ask",
        "level": 0,
        "price": 0.46,
        "size": 120.0,
        "book_ts": HOUR,
        "fetched_at": FETCHED,
    },
    "oddsapi_live_odds": {
        "snapshot_ts": HOUR,
        "event_id": "e1",
        "sport_key": "basketball_nba",
        "commence_ts": GAME,
        "home_team": "Boston Celtics",
        "away_team": "Los Angeles Lakers",
        "bookmaker": "pinnacle",
        "book_update_ts": HOUR,
        "outcome": "Boston Celtics",
        "decimal_odds": 1.92,
        "fetched_at": FETCHED,
    },
    "oddsapi_scores": {
        "event_id": "e1",
        "sport_key": "basketball_nba",
        "commence_ts": HOUR - timedelta(hours=3),
        "completed": True,
        "home_score": 101.0,
        "away_score": 99.0,
        "last_update_ts": HOUR,
        "fetched_at": FETCHED,
    },
    "predictit_market_data": {
        "data_id": "c1",
        "timestamp": HOUR,
        "market_id": "pm1",
        "contract_name": "Yes",
        "last_trade_price": 0.50,
        "best_buy_yes_cost": 0.51,
        "best_buy_no_cost": 0.50,
        "best_sell_yes_cost": 0.49,
        "best_sell_no_cost": 0.48,
        "fetched_at": FETCHED,
    },
    "team_aliases": {"league": "nba", "alias": "celtics", "team": "Boston Celtics", "source": "seed"},
    "market_mappings": {
        "pm_token_id": "t1",
        "pm_market_id": "m1",
        "confidence": 0.97,
        "status": "mapped",
        "mapped_at": FETCHED,
    },
    "quotes": {
        "quote_ts": HOUR,
        "venue": "polymarket",
        "bookmaker": "polymarket",
        "market_key": "t1",
        "outcome": "Celtics",
        "side": "ask",
        "decimal_odds": 1 / 0.46,
        "implied_prob": 0.46,
        "size": 120.0,
        "source_ts": HOUR,
    },
    "consensus": {
        "quote_ts": HOUR,
        "event_id": "e1",
        "outcome": "Boston Celtics",
        "fair_prob": 0.52,
        "n_books": 7,
        "dispersion": 0.01,
    },
    "signals": {
        "signal_id": "s1",
        "created_at": HOUR,
        "pm_token_id": "t1",
        "pm_price": 0.45,
        "fee": 0.012,
        "fair_prob": 0.52,
        "ev_after_costs": 0.1,
        "size_available": 120.0,
        "detected_at": FETCHED,
        "vwap": 0.455,
        "stake": 100.0,
        "fill_prob": 0.9,
        "devig_method": "shin",
    },
    "features_latest": {
        "quote_ts": HOUR,
        "pm_token_id": "t1",
        "bid": 0.44,
        "ask": 0.46,
        "fair_prob": 0.52,
        "spread": 0.02,
        "n_books": 7.0,
    },
    "fee_tables": {
        "venue": "polymarket",
        "market_key": "m1",
        "rate": 0.05,
        "exponent": 1.0,
        "updated_at": FETCHED,
    },
    "cost_models": {
        "venue": "polymarket",
        "fill_prob": 0.9,
        "observations": 40,
        "median_depth_usdc": 250.0,
        "computed_at": FETCHED,
    },
    "positions": {
        "mode": "paper",
        "pm_token_id": "t1",
        "pm_market_id": "m1",
        "outcome": "Yes",
        "size": 10.0,
        "cost": 5.5,
        "mark_price": 0.56,
        "updated_at": FETCHED,
    },
}
FIRST["order_book_rechecks"] = FIRST["order_book_snapshots"]
FIRST["oddsapi_historical_odds"] = {**FIRST["oddsapi_live_odds"], "partition_ts": HOUR}

# Each table's key, as the schemas should declare it, and a second row that differs from the first
# in the key's last column.
KEYS: dict[str, list[str]] = {
    "polymarket_markets": ["market_id"],
    "polymarket_resolutions": ["token_id"],
    "order_book_snapshots": ["snapshot_ts", "token_id", "side", "level"],
    "order_book_rechecks": ["snapshot_ts", "token_id", "side", "level"],
    "oddsapi_live_odds": ["snapshot_ts", "event_id", "bookmaker", "outcome"],
    "oddsapi_historical_odds": ["partition_ts", "event_id", "bookmaker", "outcome"],
    "oddsapi_scores": ["event_id"],
    "predictit_market_data": ["data_id", "timestamp"],
    "team_aliases": ["league", "alias"],
    "market_mappings": ["pm_token_id"],
    "quotes": ["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"],
    "consensus": ["quote_ts", "event_id", "outcome"],
    "signals": ["signal_id"],
    "features_latest": ["pm_token_id"],
    "fee_tables": ["venue", "market_key"],
    "cost_models": ["venue"],
    "positions": ["mode", "pm_token_id"],
}
SECOND: dict[str, dict] = {
    "polymarket_markets": {"market_id": "m2"},
    "polymarket_resolutions": {"token_id": "t2", "payout": 0.0},
    "order_book_snapshots": {"level": 1, "price": 0.47},
    "order_book_rechecks": {"level": 1, "price": 0.47},
    "oddsapi_live_odds": {"outcome": "Los Angeles Lakers", "decimal_odds": 2.0},
    # The live snapshot time is no part of the historical key: the hour is.
    "oddsapi_historical_odds": {"outcome": "Los Angeles Lakers", "decimal_odds": 2.0},
    "oddsapi_scores": {"event_id": "e2"},
    "predictit_market_data": {"timestamp": HOUR + timedelta(minutes=30)},
    "team_aliases": {"alias": "boston"},
    "market_mappings": {"pm_token_id": "t2", "status": "unmapped"},
    "quotes": {"side": "bid", "implied_prob": 0.44, "decimal_odds": 1 / 0.44},
    "consensus": {"outcome": "Los Angeles Lakers", "fair_prob": 0.48},
    "signals": {"signal_id": "s2"},
    "features_latest": {"pm_token_id": "t2"},
    "fee_tables": {"market_key": "m2"},
    "cost_models": {"venue": "predictit"},
    "positions": {"pm_token_id": "t2"},
}


def good_frame(table: str) -> pd.DataFrame:
    return pd.DataFrame([FIRST[table], {**FIRST[table], **SECOND[table]}])


# How Pandera names the failures.
NOT_NULL = "not_nullable"
FLOAT = "coerce_dtype('float64')"
INT = "coerce_dtype('int64')"
TIME = "coerce_dtype('datetime64[ns, UTC]')"
IN_FUTURE = "timestamp in the future"
UNIT = "in_range(0.0, 1.0)"


def text(column):
    return [(column, None, NOT_NULL)]


def choice(column, allowed):
    return [(column, None, NOT_NULL), (column, "elsewhere", f"isin({allowed!r})")]


def past(column, nullable=False):
    cases = [(column, "not a time", TIME), (column, FUTURE, IN_FUTURE)]
    return cases if nullable else [*cases, (column, None, NOT_NULL)]


def any_time(column, nullable=True):
    cases = [(column, "not a time", TIME)]
    return cases if nullable else [*cases, (column, None, NOT_NULL)]


def probability(column, nullable=False, open_interval=False):
    cases = [(column, "half", FLOAT), (column, 1.01, UNIT), (column, -0.01, UNIT)]
    if open_interval:  # a price of exactly 0 or 1 is no price
        cases += [(column, 0.0, UNIT), (column, 1.0, UNIT)]
    return cases if nullable else [*cases, (column, None, NOT_NULL)]


def number(column, check, bad_values, nullable, type_error=FLOAT):
    cases = [(column, "many", type_error), *((column, value, check) for value in bad_values)]
    return cases if nullable else [*cases, (column, None, NOT_NULL)]


def book_rules():
    return [
        *past("snapshot_ts"),
        *text("token_id"),
        *choice("side", ["bid", "ask"]),
        *number("level", "greater_than_or_equal_to(0)", [-1], nullable=False, type_error=INT),
        *probability("price", open_interval=True),
        *number("size", "greater_than(0.0)", [0.0, -5.0], nullable=False),
        *past("book_ts", nullable=True),
        *past("fetched_at"),
    ]


def odds_rules():
    return [
        *past("snapshot_ts"),
        *text("event_id"),
        *text("sport_key"),
        *any_time("commence_ts", nullable=False),
        *text("home_team"),
        *text("away_team"),
        *text("bookmaker"),
        *past("book_update_ts", nullable=True),
        *text("outcome"),
        *number("decimal_odds", "decimal odds must exceed 1", [1.0, 0.5], nullable=False),
        *past("fetched_at"),
    ]


# Every rule of every schema: table -> (column, the bad value, the rule that must fail).
RULES: dict[str, list[tuple]] = {
    "polymarket_markets": [
        *text("market_id"),
        *text("question"),
        *any_time("game_start_ts"),
        *text("outcomes"),
        *text("clob_token_ids"),
        *probability("best_bid", nullable=True),
        *probability("best_ask", nullable=True),
        *number("fee_rate", "in_range(0.0, 0.25)", [0.3, -0.01], nullable=True),
        *past("fetched_at"),
    ],
    "polymarket_resolutions": [
        *text("token_id"),
        *text("market_id"),
        *number("payout", "isin([0.0, 1.0])", [0.5], nullable=False),
        *past("fetched_at"),
    ],
    "order_book_snapshots": book_rules(),
    "order_book_rechecks": book_rules(),
    "oddsapi_live_odds": odds_rules(),
    "oddsapi_historical_odds": [*odds_rules(), *past("partition_ts")],
    "oddsapi_scores": [
        *text("event_id"),
        *text("sport_key"),
        *any_time("commence_ts", nullable=False),
        *number("home_score", "greater_than_or_equal_to(0)", [-1.0], nullable=True),
        *number("away_score", "greater_than_or_equal_to(0)", [-1.0], nullable=True),
        *past("last_update_ts", nullable=True),
        *past("fetched_at"),
    ],
    "predictit_market_data": [
        *text("data_id"),
        *past("timestamp"),
        *text("market_id"),
        *text("contract_name"),
        *probability("last_trade_price", nullable=True),
        *probability("best_buy_yes_cost", nullable=True),
        *probability("best_buy_no_cost", nullable=True),
        *probability("best_sell_yes_cost", nullable=True),
        *probability("best_sell_no_cost", nullable=True),
        *past("fetched_at"),
    ],
    "team_aliases": [*text("league"), *text("alias"), *text("team"), *text("source")],
    "market_mappings": [
        *text("pm_token_id"),
        *text("pm_market_id"),
        *probability("confidence"),
        *choice("status", ["mapped", "ambiguous", "unmapped", "suspect"]),
        *past("mapped_at"),
    ],
    "quotes": [
        *past("quote_ts"),
        *choice("venue", ["oddsapi", "polymarket", "predictit"]),
        *text("bookmaker"),
        *text("market_key"),
        *text("outcome"),
        *choice("side", ["back", "ask", "bid"]),
        *number("decimal_odds", "decimal odds must exceed 1", [1.0], nullable=False),
        *probability("implied_prob", open_interval=True),
        *number("size", "greater_than_or_equal_to(0.0)", [-1.0], nullable=True),
        *past("source_ts", nullable=True),
    ],
    "consensus": [
        *past("quote_ts"),
        *text("event_id"),
        *text("outcome"),
        *probability("fair_prob"),
        *number("n_books", "greater_than_or_equal_to(1)", [0], nullable=False, type_error=INT),
        *number("dispersion", "greater_than_or_equal_to(0.0)", [-0.01], nullable=False),
    ],
    "signals": [
        *text("signal_id"),
        *past("created_at"),
        *text("pm_token_id"),
        *probability("pm_price", open_interval=True),
        *number("fee", "greater_than_or_equal_to(0.0)", [-0.001], nullable=False),
        *probability("fair_prob"),
        *number("ev_after_costs", None, [], nullable=False),
        *number("size_available", "greater_than_or_equal_to(0.0)", [-1.0], nullable=False),
        *past("detected_at"),
        *probability("vwap", open_interval=True),
        *number("stake", "greater_than_or_equal_to(0.0)", [-1.0], nullable=False),
        *probability("fill_prob"),
        *text("devig_method"),
    ],
    "features_latest": [
        *past("quote_ts"),
        *text("pm_token_id"),
        *probability("bid", nullable=True),
        *probability("ask", nullable=True),
        *probability("fair_prob", nullable=True),
        # A crossed book by float noise is a zero spread; by a tick it is not.
        *number("spread", "greater_than_or_equal_to(-1e-09)", [-0.01], nullable=True),
        *number("n_books", "greater_than_or_equal_to(0.0)", [-1.0], nullable=True),
    ],
    "fee_tables": [
        *choice("venue", ["polymarket", "predictit"]),
        *text("market_key"),
        *number("rate", "in_range(0.0, 0.25)", [0.3, -0.01], nullable=False),
        *number("exponent", "greater_than_or_equal_to(0.0)", [-1.0], nullable=True),
        *past("updated_at"),
    ],
    "cost_models": [
        *text("venue"),
        *probability("fill_prob"),
        *number("observations", "greater_than_or_equal_to(0)", [-1], nullable=False, type_error=INT),
        *number("median_depth_usdc", "greater_than_or_equal_to(0.0)", [-1.0], nullable=True),
        *past("computed_at"),
    ],
    "positions": [
        *choice("mode", ["dry", "paper", "live"]),
        *text("pm_token_id"),
        *text("pm_market_id"),
        *text("outcome"),
        *number("size", "greater_than_or_equal_to(0.0)", [-1.0], nullable=False),
        *number("cost", "greater_than_or_equal_to(0.0)", [-1.0], nullable=False),
        *probability("mark_price", nullable=True),
        *past("updated_at"),
    ],
}
CASES = [(table, *rule) for table, rules in RULES.items() for rule in rules]

# Values at the edge of a rule that it must accept.
ACCEPTED = [
    ("quotes", "quote_ts", SKEWED),  # within the tolerated clock skew
    ("quotes", "source_ts", None),
    ("quotes", "size", 0.0),
    ("consensus", "fair_prob", 0.0),
    ("consensus", "fair_prob", 1.0),
    ("consensus", "n_books", 1),
    ("consensus", "dispersion", 0.0),
    ("polymarket_markets", "game_start_ts", GAME + timedelta(days=30)),  # games start in the future
    ("polymarket_markets", "game_start_ts", None),
    ("polymarket_markets", "best_ask", None),
    ("polymarket_markets", "fee_rate", 0.25),
    ("polymarket_markets", "fee_rate", None),
    ("polymarket_resolutions", "payout", 0.0),
    ("order_book_snapshots", "price", 0.999),
    ("order_book_snapshots", "book_ts", None),
    ("oddsapi_scores", "home_score", None),
    ("oddsapi_scores", "home_score", 0.0),
    ("features_latest", "spread", -1e-10),
    ("features_latest", "bid", None),
    ("signals", "ev_after_costs", -0.5),  # a loss is a value, not a broken row
    ("signals", "stake", 0.0),
    ("fee_tables", "rate", 0.0),
    ("cost_models", "observations", 0),
    ("positions", "mark_price", None),  # no book and no resolution yet
    ("positions", "mark_price", 0.0),  # resolved against
]


def with_value(table: str, column: str, value) -> pd.DataFrame:
    frame = good_frame(table)
    frame[column] = frame[column].astype(object)
    frame.at[1, column] = value
    return frame


def test_every_table_has_a_schema_and_a_conforming_frame_passes_it():
    assert set(table_schemas(NOW)) == set(FIRST) == set(RULES)
    for table in FIRST:
        assert validate(table, good_frame(table), NOW) is None, table


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    CASES,
    ids=lambda part: repr(part) if not isinstance(part, str) else part,
)
def test_a_frame_breaking_one_rule_fails_that_rule_of_that_column_only(table, column, value, rule):
    failures = validate(table, with_value(table, column, value), NOW)
    assert failures is not None, f"{table}.{column} = {value!r} passed"
    assert rule in set(failures.loc[failures["column"] == column, "check"]), failures.to_string()
    assert set(failures["column"]) == {column}, failures.to_string()
    assert 1 in set(failures["index"].dropna()), failures.to_string()  # the broken row, not the good one


@pytest.mark.parametrize("table", sorted(KEYS))
def test_a_duplicate_key_fails_uniqueness_on_the_key_columns(table):
    frame = good_frame(table)
    for column in KEYS[table]:
        frame.at[1, column] = frame.at[0, column]
    failures = validate(table, frame, NOW)
    assert failures is not None
    assert set(failures["check"]) == {"multiple_fields_uniqueness"}, failures.to_string()
    assert set(failures["column"]) == set(KEYS[table])
    assert set(failures["index"]) == {0, 1}


@pytest.mark.parametrize(("table", "column", "value"), ACCEPTED, ids=str)
def test_a_value_at_the_edge_of_a_rule_is_accepted(table, column, value):
    failures = validate(table, with_value(table, column, value), NOW)
    assert failures is None, failures.to_string()


def test_the_future_is_judged_from_the_time_given_or_the_wall_clock():
    frame = with_value("quotes", "quote_ts", FUTURE)
    assert validate("quotes", frame, NOW + timedelta(minutes=1)) is None  # 5 minutes of skew from then
    wall_clock_future = pd.Timestamp(datetime.now(UTC) + timedelta(hours=1))
    failures = validate("quotes", with_value("quotes", "quote_ts", wall_clock_future))
    assert set(failures["check"]) == {IN_FUTURE}


def declared_rules(table: str) -> set[tuple[str, str]]:
    """(column, rule) for every rule the schema declares that a value can break.

    A text column coerces any value to text and a flag column any value to a bool (None to False),
    so neither has a type or a null rule a frame can break.
    """
    rules = set()
    for name, column in table_schemas(NOW)[table].columns.items():
        dtype = str(column.dtype)
        if dtype not in ("str", "bool"):
            rules.add((name, f"coerce_dtype('{dtype}')"))
        if not column.nullable and dtype != "bool":
            rules.add((name, NOT_NULL))
        rules.update((name, check.error) for check in column.checks)
    return rules


@pytest.mark.parametrize("table", sorted(RULES))
def test_every_declared_rule_has_a_bad_frame_here_and_each_key_is_the_declared_one(table):
    tested = {(column, rule) for column, _, rule in RULES[table]}
    assert declared_rules(table) == tested
    assert table_schemas(NOW)[table].unique == KEYS[table]
