"""The shared asset checks: each factory's evaluation judged directly on frames, and the checks the
code location defines for real assets run against a real SQLite warehouse."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest

from edge_assets.defs.quality import (
    SCHEMA_CHECK,
    completeness_check,
    coverage_check,
    schema_check,
    stale_check,
    volume_check,
)
from edge_assets.storage.db import Warehouse

# Checks judge timestamps against the wall clock (nothing may be in the future), so rows are dated
# from the current hour back.
LATEST = pd.Timestamp(datetime.now(UTC)).floor("h") - timedelta(hours=1)
H0, H1, H2 = LATEST - timedelta(hours=2), LATEST - timedelta(hours=1), LATEST


def value(result: dg.AssetCheckResult, name: str):
    """A metadata entry's plain value."""
    return result.metadata[name].value


def markdown_rows(table: str) -> set[tuple[str, ...]]:
    """The body rows of a markdown table, as tuples of their stripped cells."""
    return {tuple(cell.strip() for cell in line.strip("|").split("|")) for line in table.splitlines()[2:]}


def quote_rows(hours, market_keys=("t1", "t2"), **overrides) -> pd.DataFrame:
    """Polymarket best asks, one per market key and hour, conforming to the quotes schema."""
    rows = [
        {
            "quote_ts": hour,
            "venue": "polymarket",
            "bookmaker": "polymarket",
            "market_key": key,
            "outcome": "Celtics",
            "side": "ask",
            "decimal_odds": 1 / 0.46,
            "implied_prob": 0.46,
            "size": 120.0,
            "source_ts": hour,
        }
        for hour in hours
        for key in market_keys
    ]
    return pd.DataFrame(rows).assign(**overrides)


# -- schema_check ------------------------------------------------------------------------------


def test_a_conforming_frame_passes_the_schema_check_and_counts_its_rows():
    check = schema_check("quotes")
    result = check.evaluate(quote_rows([H0, H1]))
    assert result.passed
    assert value(result, "rows_checked") == 4
    assert (check.name, check.blocking) == ("pandera_schema", False)


def test_the_schema_check_fails_with_an_error_naming_each_failed_column_and_rule():
    frame = quote_rows([H0, H1])
    frame.loc[1, "implied_prob"] = 1.5
    frame.loc[2, "venue"] = "nowhere"
    frame.loc[3, "venue"] = "nowhere"
    result = schema_check("quotes").evaluate(frame)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert value(result, "rows_checked") == 4
    assert value(result, "failure_cases") == 3
    # One line per column and rule, with the number of failing values.
    assert markdown_rows(value(result, "failed_checks")) == {
        ("implied_prob", "in_range(0.0, 1.0)", "1"),
        ("venue", "isin(['oddsapi', 'polymarket', 'predictit'])", "2"),
    }


# -- stale_check -------------------------------------------------------------------------------


def book_rows(source_lags_minutes: list[float]) -> pd.DataFrame:
    """Rows of one hour whose venue timestamps lag it by the given minutes (typed even when empty)."""
    hours = pd.DatetimeIndex([H1] * len(source_lags_minutes), dtype="datetime64[ns, UTC]")
    lags = pd.to_timedelta(source_lags_minutes, unit="min")
    return pd.DataFrame({"partition_ts": hours, "book_update_ts": hours - lags})


def test_one_stale_row_in_a_hundred_is_tolerated_and_reported():
    result = stale_check("book_update_ts", "partition_ts").evaluate(book_rows([31] + [5] * 99))
    assert result.passed
    assert value(result, "rows_checked") == 100
    assert value(result, "stale_rows") == 1
    assert value(result, "stale_share") == pytest.approx(0.01)
    assert value(result, "oldest_lag_minutes") == pytest.approx(31)


def test_two_stale_rows_in_a_hundred_fail_the_blocking_stale_check():
    check = stale_check("book_update_ts", "partition_ts")
    result = check.evaluate(book_rows([31, 240] + [5] * 98))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert value(result, "stale_rows") == 2
    assert value(result, "stale_share") == pytest.approx(0.02)
    assert value(result, "oldest_lag_minutes") == pytest.approx(240)
    assert (check.name, check.blocking) == ("no_stale_source_timestamps", True)


def test_thirty_minutes_old_is_not_yet_stale_and_no_rows_pass():
    check = stale_check("book_update_ts", "partition_ts")
    assert value(check.evaluate(book_rows([30, 30])), "stale_rows") == 0
    empty = check.evaluate(book_rows([]))
    assert empty.passed and value(empty, "rows_checked") == 0 and value(empty, "stale_rows") == 0


# -- completeness_check ------------------------------------------------------------------------

LISTINGS = {"sport_key": ["event_id"], "bookmaker": ["event_id", "bookmaker"]}


def odds_rows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["partition_ts", "event_id", "bookmaker", "sport_key"])


def test_a_bookmaker_missing_between_two_hours_that_list_it_fails_completeness():
    frame = odds_rows(
        [(hour, "e1", "fanduel", "nfl") for hour in (H0, H1, H2)]
        + [(hour, "e1", "pinnacle", "nfl") for hour in (H0, H2)]
    )
    check = completeness_check("partition_ts", LISTINGS)
    result = check.evaluate(frame)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert value(result, "hours_missing_bookmaker") == 1
    assert value(result, "hours_missing_sport_key") == 0
    assert markdown_rows(value(result, "holes")) == {(str(H1), "pinnacle", "bookmaker")}
    assert (check.name, check.blocking) == ("every_hour_complete", False)


def test_an_event_missing_for_an_hour_names_its_sport_and_its_bookmakers():
    frame = odds_rows([(hour, "e1", book, "nfl") for hour in (H0, H2) for book in ("fanduel", "pinnacle")])
    result = completeness_check("partition_ts", LISTINGS).evaluate(frame)
    assert not result.passed
    assert (value(result, "hours_missing_sport_key"), value(result, "hours_missing_bookmaker")) == (1, 1)
    assert markdown_rows(value(result, "holes")) == {
        (str(H1), "nfl", "sport_key"),
        (str(H1), "fanduel, pinnacle", "bookmaker"),
    }


def test_every_listing_present_in_its_hours_passes_completeness_without_holes():
    frame = odds_rows(
        [(hour, "e1", "fanduel", "nfl") for hour in (H0, H1, H2)] + [(H2, "e2", "fanduel", "nba")]
    )
    result = completeness_check("partition_ts", LISTINGS).evaluate(frame)
    assert result.passed
    assert dict(result.metadata) == {
        "hours_missing_sport_key": dg.MetadataValue.int(0),
        "hours_missing_bookmaker": dg.MetadataValue.int(0),
    }


# -- volume_check ------------------------------------------------------------------------------


def rows_per_hour(counts: list[int]) -> pd.DataFrame:
    hours = [LATEST - timedelta(hours=len(counts) - 1 - i) for i in range(len(counts))]
    return pd.DataFrame({"quote_ts": [hour for hour, n in zip(hours, counts, strict=True) for _ in range(n)]})


@pytest.mark.parametrize(
    ("counts", "ratio", "passed"),
    [
        ([10, 10, 10], 1.0, True),
        ([10, 10, 5], 0.5, True),  # half the trailing mean is still in range
        ([10, 10, 20], 2.0, True),  # and so is twice it
        ([10, 10, 4], 0.4, False),
        ([10, 10, 21], 2.1, False),
        ([12, 8, 2], 0.2, False),
    ],
)
def test_the_latest_hours_row_count_must_be_half_to_twice_the_trailing_mean(counts, ratio, passed):
    check = volume_check("quote_ts")
    result = check.evaluate(rows_per_hour(counts))
    assert result.passed is passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert value(result, "ratio_to_trailing_mean") == pytest.approx(ratio)
    assert value(result, "latest_hour") == str(LATEST)
    assert (check.name, check.blocking) == ("row_count_in_range", False)


def test_an_hour_without_history_passes_the_volume_check():
    result = volume_check("quote_ts").evaluate(rows_per_hour([3]))
    assert result.passed
    assert value(result, "latest_hour") == str(LATEST)
    assert value(result, "ratio_to_trailing_mean") == 1.0


# -- coverage_check ----------------------------------------------------------------------------


def mapping_rows(sports_statuses: list[str], other_statuses: list[str] = ()) -> pd.DataFrame:
    rows = [{"sport_key": "basketball_nba", "status": status} for status in sports_statuses]
    rows += [{"sport_key": None, "status": status} for status in other_statuses]
    return pd.DataFrame(rows, columns=["sport_key", "status"])


def test_four_in_five_sports_tokens_mapped_is_enough_and_non_sports_tokens_do_not_count():
    check = coverage_check()
    result = check.evaluate(mapping_rows(["mapped"] * 4 + ["unmapped"], other_statuses=["unmapped"] * 5))
    assert result.passed
    assert value(result, "coverage") == pytest.approx(0.8)
    assert value(result, "sports_tokens") == 5
    assert (check.name, check.blocking) == ("mapping_coverage", False)


def test_three_in_five_mapped_fails_coverage_and_no_sports_tokens_passes():
    result = coverage_check().evaluate(mapping_rows(["mapped"] * 3 + ["ambiguous", "suspect"]))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert value(result, "coverage") == pytest.approx(0.6)
    nothing = coverage_check().evaluate(mapping_rows([], other_statuses=["unmapped"]))
    assert nothing.passed and value(nothing, "coverage") == 1.0 and value(nothing, "sports_tokens") == 0


# -- table_checks, through the checks the code location defines ---------------------------------

CHECK_MODULES = ("pricing", "oddsapi", "polymarket", "mapping")


def checks_of(asset: str) -> dg.AssetChecksDefinition:
    """The one table-checks definition of `asset` (the step reading its table once) among the code
    location's check modules."""
    modules = [importlib.import_module(f"edge_assets.defs.{group}.checks") for group in CHECK_MODULES]
    found = [
        checks
        for checks in dg.load_asset_checks_from_modules(modules)
        if {key.asset_key for key in checks.check_keys} == {dg.AssetKey(asset)}
        and SCHEMA_CHECK in {key.name for key in checks.check_keys}
    ]
    assert len(found) == 1, (asset, found)
    return found[0]


def run_checks(asset: str, warehouse: Warehouse) -> dict[str, dg.AssetCheckResult]:
    """Every check of `asset`, run as Dagster runs it, by check name."""
    checks = checks_of(asset)
    context = dg.build_asset_check_context(resources={"warehouse": warehouse})
    results = list(checks(context))
    assert {dg.AssetCheckKey(result.asset_key, result.check_name) for result in results} == set(
        checks.check_keys
    ), "each declared check yields one result, for its own asset"
    assert len(results) == len(checks.check_keys)
    return {result.check_name: result for result in results}


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")


QUOTE_KEY = ["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"]


def test_a_tables_checks_judge_only_its_recent_rows(warehouse):
    # Rows 47 hours before the latest are judged; rows 49 hours before are history, even broken.
    recent = quote_rows([LATEST - timedelta(hours=47), H1, H2])
    history = quote_rows([LATEST - timedelta(hours=49)], implied_prob=1.5)
    warehouse.insert_missing("quotes", pd.concat([recent, history], ignore_index=True), QUOTE_KEY)

    results = run_checks("quotes", warehouse)

    assert set(results) == {"pandera_schema", "row_count_in_range"}
    assert all(result.passed for result in results.values())
    assert value(results["pandera_schema"], "rows_checked") == len(recent)
    assert value(results["row_count_in_range"], "latest_hour") == str(LATEST)


def test_a_broken_recent_row_fails_the_tables_schema_check(warehouse):
    frame = quote_rows([H1, H2])
    frame.loc[len(frame) - 1, "implied_prob"] = 1.5
    warehouse.insert_missing("quotes", frame, QUOTE_KEY)

    results = run_checks("quotes", warehouse)

    schema = results["pandera_schema"]
    assert not schema.passed and schema.severity == dg.AssetCheckSeverity.ERROR
    assert value(schema, "failure_cases") == 1
    assert markdown_rows(value(schema, "failed_checks")) == {("implied_prob", "in_range(0.0, 1.0)", "1")}
    assert results["row_count_in_range"].passed  # the other checks are still judged


@pytest.mark.parametrize("asset", ["quotes", "oddsapi_historical_odds", "market_mappings"])
def test_an_empty_table_passes_its_checks_with_nothing_checked(warehouse, asset):
    results = run_checks(asset, warehouse)
    assert all(result.passed for result in results.values()), results
    assert value(results["pandera_schema"], "rows_checked") == 0


def test_a_table_without_a_time_column_is_judged_whole(warehouse):
    computed = [LATEST - timedelta(days=30), LATEST]
    frame = pd.DataFrame(
        {
            "venue": ["polymarket", "predictit"],
            "fill_prob": [0.9, 0.8],
            "observations": [40, 12],
            "median_depth_usdc": [250.0, 80.0],
            "min_depth_usdc": [10.0, 5.0],
            "min_fill_prob": [0.5, 0.5],
            "computed_at": computed,
        }
    )
    warehouse.insert_missing("cost_models", frame, ["venue"])

    results = run_checks("cost_models", warehouse)

    assert set(results) == {"pandera_schema"}
    assert results["pandera_schema"].passed
    assert value(results["pandera_schema"], "rows_checked") == 2


def test_stale_historical_odds_fail_a_blocking_check_of_the_table(warehouse):
    rows = [
        {
            "partition_ts": hour,
            "snapshot_ts": hour,
            "event_id": "e1",
            "sport_key": "basketball_nba",
            "commence_ts": LATEST + timedelta(hours=6),
            "home_team": "Boston Celtics",
            "away_team": "Los Angeles Lakers",
            "bookmaker": bookmaker,
            # pinnacle's prices stopped moving two hours before the latest hour
            "book_update_ts": H0 if bookmaker == "pinnacle" else hour,
            "outcome": outcome,
            "decimal_odds": 1.9,
            "fetched_at": hour,
        }
        for hour in (H0, H1, H2)
        for bookmaker in ("fanduel", "pinnacle")
        for outcome in ("Boston Celtics", "Los Angeles Lakers")
    ]
    warehouse.insert_missing(
        "oddsapi_historical_odds", pd.DataFrame(rows), ["partition_ts", "event_id", "bookmaker", "outcome"]
    )

    results = run_checks("oddsapi_historical_odds", warehouse)

    stale = results["no_stale_source_timestamps"]
    assert not stale.passed
    assert value(stale, "stale_rows") == 4  # pinnacle's two outcomes in the last two hours
    assert value(stale, "rows_checked") == 12
    assert results["pandera_schema"].passed and results["every_hour_complete"].passed
    blocking = {spec.key.name: spec.blocking for spec in checks_of("oddsapi_historical_odds").check_specs}
    assert blocking == {
        "pandera_schema": False,
        "no_stale_source_timestamps": True,
        "every_hour_complete": False,
        "row_count_in_range": False,
        "quarantined_share_in_range": False,
    }
