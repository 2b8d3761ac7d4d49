"""The fault catalogue (issue 16): each fault the simulator can inject, injected, and the named
check or failed hour that catches it.

Every test runs the hourly sources over the same hours of one small world (seed 7, planted, one
day, NBA only) and compares the rows of the hours that landed with a clean run of that world
(one per module): nothing lost beyond the failed hours and the quarantined records, no duplicate.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration

from edge_assets.defs.common import QUARANTINED_SHARE_KEY
from edge_assets.defs.hourly_fetch import key_stretches, unlanded_hour_ranges
from edge_assets.defs.oddsapi.assets import oddsapi_historical_odds
from edge_assets.defs.oddsapi.checks import oddsapi_historical_odds_checks
from edge_assets.defs.partitions import HOURLY_KEY_FORMAT, HOURLY_PARTITIONS
from edge_assets.defs.polymarket.assets import BOOK_KEY, order_books, polymarket_markets
from edge_assets.defs.polymarket.checks import order_book_rechecks_checks, order_book_snapshots_checks
from edge_assets.defs.polymarket.listing import books_waiting_on_listing, unlisted_tag
from edge_assets.defs.quality import COMPLETENESS_CHECK, QUARANTINE_CHECK, STALE_CHECK
from edge_assets.defs.settings import EdgeSettings
from edge_assets.demo import write_instance_yaml
from edge_assets.notify.resource import AlertingResource
from edge_assets.pricing.book import vwap_for_stake
from edge_assets.pricing.canonical import polymarket_quotes
from edge_assets.simulator import Faults, SimulatorServer, World, start_server
from edge_assets.simulator.app import Query, Response
from edge_assets.sources.resources import OddsApiResource, PolymarketClobResource, PolymarketGammaResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import WarehouseIOManager
from edge_assets.storage.lake import Lake
from edge_assets_tests.fixtures.paths import REPO_ROOT

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
# Six past hours of the world's one day: small, and every hour has open markets and odds.
FIRST, LAST = NOW - timedelta(hours=10), NOW - timedelta(hours=5)
FIRST_KEY, LAST_KEY = FIRST.strftime(HOURLY_KEY_FORMAT), LAST.strftime(HOURLY_KEY_FORMAT)
HOUR_KEYS = HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(FIRST_KEY, LAST_KEY))
# Each table's rows by their key and values; when they were fetched differs between runs.
TABLES = {
    "oddsapi_historical_odds": ("partition_ts", ["partition_ts", "event_id", "bookmaker", "outcome"]),
    "order_book_snapshots": ("snapshot_ts", BOOK_KEY),
    "order_book_rechecks": ("snapshot_ts", BOOK_KEY),
}
SOURCE_KEYS = [dg.AssetKey(table) for table in TABLES]
# Each table's checks, and the name its records are quarantined under.
SOURCE_CHECKS = [oddsapi_historical_odds_checks, order_book_snapshots_checks, order_book_rechecks_checks]
# The column naming the unit a quarantined record belongs to.
QUARANTINE_UNIT = {
    "oddsapi_historical_odds": "event_id",
    "order_book_snapshots": "token_id",
    "order_book_rechecks": "token_id",
}
QUARANTINED_AS = {
    "oddsapi_historical_odds": "historical_odds",
    "order_book_snapshots": "order_book_snapshots",
    "order_book_rechecks": "order_book_rechecks",
}
# Two attempts a request and short pauses: faults exhaust a request's retries within seconds.
FAST_HTTP = {"max_attempts": 2, "backoff_base_s": 0.01, "max_retry_after_s": 0.05, "timeout_s": 0.5}


def _world() -> World:
    return World(seed=7, scenario="planted", days=1, now=NOW)


@dataclass
class Deployment:
    """One run's storage: a Dagster instance, a warehouse and a lake of its own."""

    instance: dg.DagsterInstance
    warehouse: Warehouse
    lake: Lake

    def resources(self, server: SimulatorServer) -> dict:
        return {
            "warehouse": self.warehouse,
            "io_manager": WarehouseIOManager(warehouse=self.warehouse),
            "lake": self.lake,
            "gamma": PolymarketGammaResource(base_url=server.url),
            "clob": PolymarketClobResource(base_url=server.url, historical_books=True, **FAST_HTTP),
            "oddsapi": OddsApiResource(base_url=server.url, api_key="catalogue-key", **FAST_HTTP),
            "settings": EdgeSettings(sports=["basketball_nba"]),
            "alerting": AlertingResource(),
        }

    def list_markets(self, server: SimulatorServer) -> None:
        assert dg.materialize([polymarket_markets], resources=self.resources(server)).success

    def backfill(
        self, server: SimulatorServer, first: str, last: str, checks: list = (), clob=None, tags=None
    ) -> dg.ExecuteInProcessResult:
        """The hourly sources over first .. last in one run, as a single-run backfill launches it,
        with `checks` of theirs (and another `clob` resource, more `tags`)."""
        resources = self.resources(server) | ({"clob": clob} if clob else {})
        return dg.materialize(
            [polymarket_markets.to_source_asset(), order_books, oddsapi_historical_odds, *checks],
            resources=resources,
            instance=self.instance,
            tags=_range_tags(first, last) | (tags or {}),
            raise_on_error=False,
        )

    def rows(self, table: str) -> pd.DataFrame:
        """The table's rows without their fetch times, sorted by key."""
        _, key = TABLES[table]
        frame = self.warehouse.read_frame(f"SELECT * FROM {table}").drop(columns="fetched_at")
        return frame.sort_values(key).reset_index(drop=True)

    def statuses(self) -> dict[str, dict[str, dg.AssetPartitionStatus]]:
        """Each table's hours by the status its asset's partition shows in the UI."""
        return {
            table: self.instance.get_status_by_partition(dg.AssetKey(table), HOUR_KEYS, HOURLY_PARTITIONS)
            for table in TABLES
        }


def _range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a single-run backfill over first .. last."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def storage_under(root: Path) -> tuple[Warehouse, Lake]:
    """A deployment's warehouse (SQLite) and lake under `root`."""
    return Warehouse(url=f"sqlite:///{root / 'edge.db'}"), Lake(url=str(root / "lake"))


def _deployment(root: Path) -> Iterator[Deployment]:
    (root / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
        yield Deployment(instance, *storage_under(root))


@pytest.fixture(scope="module")
def clean_server() -> Iterator[SimulatorServer]:
    with start_server(_world()) as server:
        yield server


@pytest.fixture(scope="module")
def clean_run(clean_server, tmp_path_factory) -> Iterator[Deployment]:
    """The hours as a fault-free run lands them: the baseline every fault is compared with."""
    for deployment in _deployment(tmp_path_factory.mktemp("clean")):
        deployment.list_markets(clean_server)
        assert deployment.backfill(clean_server, FIRST_KEY, LAST_KEY).success
        for table in TABLES:
            hours = _hour_of(deployment.rows(table)[TABLES[table][0]])
            assert set(hours) == set(HOUR_KEYS), f"the clean run has no {table} rows in some hours"
        yield deployment


@pytest.fixture
def deployment(tmp_path) -> Iterator[Deployment]:
    yield from _deployment(tmp_path)


def _hour_of(stamps: pd.Series) -> pd.Series:
    """The hourly partition key each stamp falls in (a recheck is stamped a horizon past its hour)."""
    return stamps.dt.floor("h").dt.strftime(HOURLY_KEY_FORMAT)


def _in_hours(frame: pd.DataFrame, column: str, hours: set[str]) -> pd.DataFrame:
    keep = _hour_of(frame[column]).isin(hours)
    return frame[keep].reset_index(drop=True)


def _failed_hours_named(result: dg.ExecuteInProcessResult) -> set[str]:
    """The hours the last failed attempt of each step named in its failure's metadata."""
    named: set[str] = set()
    for event in result.all_events:
        if event.is_step_failure:
            failure = event.step_failure_data.user_failure_data
            named |= set(failure.metadata["failed_hours"].value)
    return named


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"rate_429": 0.8}, id="429-storm"),
        pytest.param({"rate_5xx": 0.5}, id="5xx"),
        pytest.param({"rate_timeout": 0.6, "timeout_delay_s": 1.0}, id="timeouts"),
    ],
)
def test_a_request_that_exhausts_its_retries_fails_its_hour_only(fault, clean_server, clean_run, deployment):
    deployment.list_markets(clean_server)
    with start_server(_world(), Faults(seed=5, **fault)) as faulty:
        result = deployment.backfill(faulty, FIRST_KEY, LAST_KEY)
    assert not result.success
    # Dagster ran the step again (its RetryPolicy) before giving the hours up
    assert any(event.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for event in result.all_events)

    named = _failed_hours_named(result)
    failed_anywhere, landed_anywhere = set(), set()
    for table, (column, key) in TABLES.items():
        status = deployment.statuses()[table]
        landed = {hour for hour, state in status.items() if state == dg.AssetPartitionStatus.MATERIALIZED}
        failed = {hour for hour, state in status.items() if state == dg.AssetPartitionStatus.FAILED}
        assert landed | failed == set(HOUR_KEYS)
        assert failed <= named
        failed_anywhere |= failed
        landed_anywhere |= landed
        # the landed hours hold exactly the clean run's rows, the failed hours none (nothing is
        # quarantined here: the records that arrived were well formed)
        rows = deployment.rows(table)
        assert not rows.duplicated(key).any()
        pd.testing.assert_frame_equal(rows, _in_hours(clean_run.rows(table), column, landed))

    assert failed_anywhere and landed_anywhere, "the fault should fail some hours and leave others"
    # each landed hour's materialization carries what its quarantine check reads
    hour_events = [
        event.materialization
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.partition
    ]
    assert hour_events and all(QUARANTINED_SHARE_KEY in event.metadata for event in hour_events)

    # the rerun (a backfill of the failed partitions, the fault gone) fetches only those hours
    ranges = unlanded_hour_ranges(deployment.instance, SOURCE_KEYS, FIRST_KEY, LAST_KEY)
    assert {hour for first, last in ranges for hour in _keys(first, last)} == failed_anywhere
    for first, last in ranges:
        assert deployment.backfill(clean_server, first, last).success
    for table in TABLES:
        assert set(deployment.statuses()[table].values()) == {dg.AssetPartitionStatus.MATERIALIZED}
        pd.testing.assert_frame_equal(deployment.rows(table), clean_run.rows(table))


def _keys(first: str, last: str) -> list[str]:
    return HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(first, last))


# The hours whose first requests fail on the step's first attempt; the retry's succeed.
FAILING_ONCE = {HOUR_KEYS[1], HOUR_KEYS[4]}
# Each hourly source's step, by the path of its requests.
STEP_OF_PATH = {"/books": "order_books", "/historical/": "oddsapi_historical_odds"}


class FailingEachHourOnce:
    """The simulator's request handler, answering 503 to the first `FAST_HTTP` attempts of each
    step's request for a `FAILING_ONCE` hour (so that hour fails on the step's first attempt), and
    recording each hourly request's step, hour and wall time."""

    def __init__(self, server: SimulatorServer):
        self.handle = server.app.handle
        self.failures: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, str, float]] = []
        server.app.handle = self

    def __call__(self, method: str, path: str, query: Query, body: bytes, headers=None) -> Response:
        step = next((step for part, step in STEP_OF_PATH.items() if part in path), None)
        if step is None:
            return self.handle(method, path, query, body, headers)
        instant = (
            datetime.fromtimestamp(int(query.get("ts")), UTC)
            if step == "order_books"
            else datetime.fromisoformat(query.get("date"))
        )
        hour = instant.replace(minute=0, second=0).strftime(HOURLY_KEY_FORMAT)  # a recheck's too
        self.requests.append((step, hour, time.time()))
        if hour in FAILING_ONCE and self.failures.get((step, hour), 0) < FAST_HTTP["max_attempts"]:
            self.failures[(step, hour)] = self.failures.get((step, hour), 0) + 1
            return Response(503, {"error": "failing this hour once"})
        return self.handle(method, path, query, body, headers)

    def hours_requested(self, step: str, after: float = 0.0) -> set[str]:
        return {hour for s, hour, at in self.requests if s == step and at > after}


def test_a_step_retry_fetches_only_the_hours_its_first_attempt_did_not_land(clean_run, deployment):
    with start_server(_world()) as server:
        deployment.list_markets(server)
        recorder = FailingEachHourOnce(server)
        result = deployment.backfill(server, FIRST_KEY, LAST_KEY)
    assert result.success, "the retry should land the hours the first attempt failed"

    up_for_retry = deployment.instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
    retried = {entry.step_key: entry.timestamp for entry in up_for_retry}
    assert set(retried) == set(STEP_OF_PATH.values())
    for step, retried_at in retried.items():
        assert recorder.hours_requested(step) == set(HOUR_KEYS)
        # the retry asked the venue for the failed hours only: the others came back from the warehouse
        assert recorder.hours_requested(step, after=retried_at) == FAILING_ONCE, step
    for table, (_, key) in TABLES.items():
        assert set(deployment.statuses()[table].values()) == {dg.AssetPartitionStatus.MATERIALIZED}
        rows = deployment.rows(table)
        assert not rows.duplicated(key).any()
        pd.testing.assert_frame_equal(rows, clean_run.rows(table))


@pytest.mark.parametrize(
    ("fault", "caught_by"),
    [
        pytest.param(
            {"rate_malformed": 0.1},
            # a book's bad level is one of hundreds, under the 1% a books' share would need
            {("oddsapi_historical_odds", QUARANTINE_CHECK)},
            id="malformed-levels-and-outcomes",
        ),
        pytest.param(
            {"rate_stale": 0.2},
            {("order_book_snapshots", STALE_CHECK), ("oddsapi_historical_odds", STALE_CHECK)},
            id="stale-timestamps",
        ),
    ],
)
def test_a_bad_record_fault_fails_its_named_check_and_loses_only_what_it_quarantined(
    fault, caught_by, clean_server, clean_run, deployment
):
    deployment.list_markets(clean_server)
    with start_server(_world(), Faults(seed=5, **fault)) as faulty:
        result = deployment.backfill(faulty, FIRST_KEY, LAST_KEY, checks=SOURCE_CHECKS)
    evaluations = result.get_asset_check_evaluations()
    failed = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed}
    assert caught_by <= failed

    # a row is missing only where a record of its event (odds) or book (books) went to quarantine
    quarantined = deployment.warehouse.read_frame("SELECT asset, record FROM quarantine")
    for table, (_, key) in TABLES.items():
        rows, clean = deployment.rows(table), clean_run.rows(table)
        assert not rows.duplicated(key).any()
        landed, expected = set(map(tuple, rows[key].values)), set(map(tuple, clean[key].values))
        assert landed <= expected, f"{table} holds rows the clean run has not"
        unit = key.index(QUARANTINE_UNIT[table])
        records = " ".join(quarantined.loc[quarantined["asset"] == QUARANTINED_AS[table], "record"])
        unexplained = {row[unit] for row in expected - landed if row[unit] not in records}
        assert not unexplained, f"{table} lost rows of {sorted(unexplained)[:3]} with nothing quarantined"


def test_an_empty_book_side_lands_untouched_and_is_never_quoted(clean_server, clean_run, deployment):
    """A side with no resting orders is real data (the simulator draws empty sides from the real
    captures' share of them): no check may flag it and nothing of the book is quarantined or lost;
    the pricing then has nothing to quote or fill on that side."""
    deployment.list_markets(clean_server)
    with start_server(_world(), Faults(seed=5, rate_empty_side=0.2)) as faulty:
        result = deployment.backfill(faulty, FIRST_KEY, LAST_KEY, checks=SOURCE_CHECKS)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert not [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert deployment.warehouse.read_frame("SELECT * FROM quarantine").empty

    books = deployment.rows("order_book_snapshots")
    side_key = ["snapshot_ts", "token_id", "side"]
    clean = clean_run.rows("order_book_snapshots")
    clean_sides = clean.groupby(side_key).size()
    landed_sides = books.groupby(side_key).size()
    emptied = clean_sides.index.difference(landed_sides.index)
    assert len(emptied) > 0, "the fault should empty some sides"
    # every side that kept its levels kept all of them, exactly as the clean run landed them
    kept = clean.set_index(side_key).loc[landed_sides.index].reset_index()[clean.columns]
    pd.testing.assert_frame_equal(books, kept.sort_values(BOOK_KEY).reset_index(drop=True))
    for table in ("order_book_rechecks", "oddsapi_historical_odds"):
        assert not deployment.rows(table).duplicated(TABLES[table][1]).any()

    # an emptied ask side has no best ask and no fill at any stake; the bid side still quotes
    no_asks = {(ts, token) for ts, token, side in emptied if side == "ask"}
    assert no_asks, "the fault should empty some ask sides"
    labels = pd.DataFrame({"token_id": books["token_id"].unique(), "outcome": "any"})  # names only
    quotes = polymarket_quotes(books, labels)
    asks = quotes[quotes["side"] == "ask"]
    assert not no_asks & set(zip(asks["quote_ts"], asks["market_key"], strict=True))
    assert len(asks) == len(landed_sides.xs("ask", level="side"))
    fills = vwap_for_stake(books, stake=10.0, side="buy")
    assert not no_asks & set(zip(fills["snapshot_ts"], fills["token_id"], strict=True))
    assert not fills.empty


class ClobRestartingTheDatabase(PolymarketClobResource):
    """The CLOB, with the warehouse's PostgreSQL server restarted just before the third hour's
    books are fetched: an outage in the middle of a backfill."""

    def fetch_books(self, token_ids, at=None):
        DATABASE_OUTAGE["fetches"] += 1
        if DATABASE_OUTAGE["fetches"] == 3:
            DATABASE_OUTAGE["server"].restart()
            DATABASE_OUTAGE["restarted"] = True
        return super().fetch_books(token_ids, at)


# What the restarting CLOB needs (Dagster rebuilds resources from their config, so not a field).
DATABASE_OUTAGE: dict = {}


def test_a_database_restart_mid_run_loses_and_repeats_nothing(
    postgres_server, postgres_url, clean_server, clean_run, tmp_path
):
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        deployment = Deployment(instance, Warehouse(url=postgres_url), Lake(url=str(tmp_path / "lake")))
        deployment.list_markets(clean_server)
        DATABASE_OUTAGE.update(server=postgres_server, fetches=0, restarted=False)
        clob = ClobRestartingTheDatabase(base_url=clean_server.url, historical_books=True, **FAST_HTTP)
        deployment.backfill(clean_server, FIRST_KEY, LAST_KEY, checks=SOURCE_CHECKS, clob=clob)
        assert DATABASE_OUTAGE["restarted"]
        # the step outlived the outage (pooled connections are pinged), else Dagster's retry or a
        # backfill of the unlanded hours ran them again: every hour lands once
        for first, last in unlanded_hour_ranges(instance, SOURCE_KEYS, FIRST_KEY, LAST_KEY):
            assert deployment.backfill(clean_server, first, last).success
        for table in TABLES:
            assert set(deployment.statuses()[table].values()) == {dg.AssetPartitionStatus.MATERIALIZED}
        for table, (_, key) in TABLES.items():
            rows = deployment.rows(table)
            assert not rows.duplicated(key).any()
            pd.testing.assert_frame_equal(rows, clean_run.rows(table), check_dtype=False)


def test_a_run_killed_mid_run_is_marked_failed_and_its_rerun_repeats_nothing(
    clean_server, clean_run, tmp_path
):
    (tmp_path / "dagster").mkdir()
    write_instance_yaml(tmp_path / "dagster")  # the demo's instance: run monitoring on
    # every answer 0.2 s late (within the client's timeout): the backfill lasts seconds, not one
    slow = start_server(_world(), Faults(rate_timeout=1.0, timeout_delay_s=0.2))
    with slow, dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        deployment = Deployment(instance, *storage_under(tmp_path))
        deployment.list_markets(clean_server)
        command = [sys.executable, "-m", "edge_assets_tests.hourly_backfill_process", str(tmp_path), slow.url]
        process = subprocess.Popen([*command, FIRST_KEY, LAST_KEY], cwd=REPO_ROOT)
        try:
            run_id = _wait_for_step_start(instance, "order_books", process)
        finally:
            process.send_signal(signal.SIGKILL)  # by the PID this test started
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED, "an orphan, until monitored"

    # one iteration of the daemon's run monitor finds the orphan and fails it
    with create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance) as workspace:
        errors = list(execute_run_monitoring_iteration(workspace, logging.getLogger("run_monitoring")))
    assert not any(errors)
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE

    # the rerun (a backfill of the unlanded hours) leaves every hour once, as the clean run has it
    ranges = unlanded_hour_ranges(instance, SOURCE_KEYS, FIRST_KEY, LAST_KEY)
    assert ranges, "the killed run should have left hours unlanded"
    for first, last in ranges:
        assert deployment.backfill(clean_server, first, last).success
    for table, (_, key) in TABLES.items():
        assert set(deployment.statuses()[table].values()) == {dg.AssetPartitionStatus.MATERIALIZED}
        rows = deployment.rows(table)
        assert not rows.duplicated(key).any()
        pd.testing.assert_frame_equal(rows, clean_run.rows(table))


def _wait_for_step_start(instance: dg.DagsterInstance, step: str, process: subprocess.Popen) -> str:
    """The id of the run whose `step` has started (in `process`, still running), once it has."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the backfill ended before it could be killed"
        for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
            run_id = record.dagster_run.run_id
            started = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
            if any(entry.step_key == step for entry in started):
                return run_id
        time.sleep(0.05)
    raise AssertionError(f"no run started {step} within 60 s")


# The hour a bookmaker drops out of every event it prices, with hours on either side listing it.
GAP_HOUR = FIRST + timedelta(hours=3)


class OddsWithoutOneBookmaker(OddsApiResource):
    """The Odds API, with the first bookmaker of the gap hour's first event cut from every event
    of that hour's snapshot: a book gone missing from the feed for an hour."""

    def fetch_historical_odds(self, sport, at):
        payload = super().fetch_historical_odds(sport, at)
        events = payload.data["data"]
        if at == GAP_HOUR and events:
            missing = events[0]["bookmakers"][0]["key"]
            for event in events:
                event["bookmakers"] = [book for book in event["bookmakers"] if book["key"] != missing]
        return payload


def test_a_bookmaker_missing_for_an_hour_fails_every_hour_complete(clean_server, deployment):
    deployment.list_markets(clean_server)
    resources = deployment.resources(clean_server) | {
        "oddsapi": OddsWithoutOneBookmaker(base_url=clean_server.url, api_key="catalogue-key", **FAST_HTTP)
    }
    result = dg.materialize(
        [oddsapi_historical_odds, oddsapi_historical_odds_checks],
        resources=resources,
        instance=deployment.instance,
        tags={
            "dagster/asset_partition_range_start": FIRST_KEY,
            "dagster/asset_partition_range_end": LAST_KEY,
        },
        raise_on_error=False,
    )
    verdicts = {e.check_name: e for e in result.get_asset_check_evaluations()}
    complete = verdicts[COMPLETENESS_CHECK]
    assert not complete.passed
    assert complete.metadata["hours_missing_bookmaker"].value >= 1
    assert GAP_HOUR.strftime("%Y-%m-%d %H") in str(complete.metadata["holes"].value).replace("T", " ")


def test_books_of_a_market_whose_listing_was_quarantined_wait_for_it_and_a_rerun_lands_them(
    clean_server, clean_run, deployment
):
    """A malformed Gamma record keeps its market out of the markets table, so no capture asks for
    its books: nothing fails and no book record is quarantined. Each hour that missed a market
    is named (market, reason, hours); once a poll lists it cleanly, a backfill of those hours lands
    exactly the clean run's rows."""
    with start_server(_world(), Faults(seed=5, rate_malformed=0.3)) as faulty:
        deployment.list_markets(faulty)
    result = deployment.backfill(clean_server, FIRST_KEY, LAST_KEY, tags=unlisted_tag(deployment.warehouse))
    assert result.success

    first, last = FIRST, LAST
    waiting = books_waiting_on_listing(deployment.instance, deployment.warehouse, first, last)
    assert waiting and not any(books.listed for books in waiting)
    named = {(key, books.market_id) for books in waiting for key in books.hour_keys}
    # every book row missing against the clean run is of a market-hour the demo names as waiting
    side_key = ["snapshot_ts", "market_id", "token_id", "side"]
    clean, landed = clean_run.rows("order_book_snapshots"), deployment.rows("order_book_snapshots")
    missing = clean.groupby(side_key).size().index.difference(landed.groupby(side_key).size().index)
    assert len(missing) > 0, "the malformed listing should keep some markets' books out"
    unnamed = {(ts.strftime(HOURLY_KEY_FORMAT), market) for ts, market, _, _ in missing} - named
    assert not unnamed, f"book rows lost with no market-hour named: {sorted(unnamed)[:3]}"
    pd.testing.assert_frame_equal(landed, clean.merge(landed[side_key].drop_duplicates(), on=side_key))

    # a clean listing, then the rerun the demo makes: the waiting hours, captured again whole
    deployment.list_markets(clean_server)
    waiting = books_waiting_on_listing(deployment.instance, deployment.warehouse, first, last)
    assert all(books.listed for books in waiting)
    hours = {key for books in waiting for key in books.hour_keys}
    for start, end in key_stretches(HOUR_KEYS, hours):
        rerun = deployment.backfill(clean_server, start, end, tags=unlisted_tag(deployment.warehouse))
        assert rerun.success
    assert books_waiting_on_listing(deployment.instance, deployment.warehouse, first, last) == []
    for table in TABLES:
        pd.testing.assert_frame_equal(deployment.rows(table), clean_run.rows(table))
