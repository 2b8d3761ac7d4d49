"""Operator mistakes end in one line that names the input and says what to do, exit code 2, no
traceback: the real `edge-assets` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from edge_assets.demo import RunTally
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES
from edge_assets_tests.fixtures.postgres import free_port


def edge_assets(*argv: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edge_assets.cli", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
        check=False,
    )


def assert_one_line_error(completed: subprocess.CompletedProcess, *named: str) -> str:
    """The run failed with code 2 and its last stderr line is the error, naming each of `named`."""
    assert completed.returncode == 2, (completed.returncode, completed.stderr)
    assert "Traceback" not in completed.stderr, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    for text in named:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("days", ["-1", "0", "two"])
@pytest.mark.parametrize("command", ["demo", "simulate", "dev"])
def test_days_below_one_is_refused(command, days, tmp_path):
    line = assert_one_line_error(edge_assets(command, "--days", days, cwd=tmp_path), "--days", days)
    assert "at least 1" in line
    # Refused before any work: nothing was written under the working folder (the default home).
    assert list(tmp_path.iterdir()) == []


def test_demo_refuses_a_home_it_cannot_write(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where a folder should be: no user, root included, can write under it
    home = blocker / "home"
    line = assert_one_line_error(edge_assets("demo", "--days", "1", "--home", str(home)), "--home", str(home))
    assert "writable" in line


def test_match_out_into_a_missing_folder(tmp_path):
    out = tmp_path / "missing" / "match.csv"
    completed = edge_assets(
        "match",
        "--polymarket", str(SHARED_FIXTURES / "polymarket_gamma_markets_active.json"),
        "--oddsapi", str(SHARED_FIXTURES / "oddsapi_odds.json"),
        "--out", str(out),
    )  # fmt: skip
    assert_one_line_error(completed, "--out", str(out), "writable folder")
    assert not out.parent.exists()


def test_simulate_ground_truth_into_a_missing_folder(tmp_path):
    path = tmp_path / "missing" / "truth.csv"
    completed = edge_assets("simulate", "--days", "1", "--port", "0", "--ground-truth", str(path))
    assert_one_line_error(completed, "--ground-truth", str(path), "writable folder")


def test_db_upgrade_on_a_closed_port():
    url = f"postgresql+psycopg2://postgres:hunter2@127.0.0.1:{free_port()}/edge"
    line = assert_one_line_error(edge_assets("db", "upgrade", "--url", url), "--url", "does not answer")
    assert "hunter2" not in line  # the password never reaches the terminal


def test_db_upgrade_applies_migrations_on_a_live_server(postgres_url):
    completed = edge_assets("db", "upgrade", "--url", postgres_url)
    assert completed.returncode == 0, completed.stderr
    assert "applied" in completed.stdout


@pytest.mark.slow
def test_demo_stops_at_an_unreachable_database(tmp_path):
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/edge"
    completed = edge_assets(
        "demo", "--days", "1", "--home", str(tmp_path), env={"EDGE_DATABASE_URL": url}, cwd=tmp_path
    )
    assert_one_line_error(completed, url, "does not answer")
    # It stopped before the first run: no run started, so no summary.
    assert "[1/" not in completed.stdout
    assert not (tmp_path / "summary.json").exists()


def test_summary_lists_each_failed_check_once_with_its_evaluations():
    @dg.asset
    def prices() -> int:
        return 1

    @dg.asset_check(asset=prices)
    def prices_in_range() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, metadata={"above_one": 3})

    tally = RunTally()
    first = dg.materialize([prices, prices_in_range], raise_on_error=False)
    second = dg.materialize([prices, prices_in_range], raise_on_error=False)
    tally.add("hourly_pricing", first)
    tally.add("hourly_pricing", second)
    assert list(tally.checks_failed) == ["prices:prices_in_range"]
    evaluations = tally.checks_failed["prices:prices_in_range"]
    assert [e["run_id"] for e in evaluations] == [first.run_id, second.run_id]
    assert [e["what_failed"] for e in evaluations] == [{"above_one": 3}] * 2
    json.dumps(tally.checks_failed)  # it goes into summary.json as is
