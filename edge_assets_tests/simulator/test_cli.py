"""`edge-assets simulate`: the world knobs as flags, and the ground truth written again at exit."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.simulator import World, add_arguments
from edge_assets.simulator.cli import world_from_args
from edge_assets.simulator.world import MINUTES_PER_DAY, PLANT_GUARD_MIN, PLANT_LEAD_MIN, minute_of

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _world(*flags: str) -> World:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    world = world_from_args(parser.parse_args(["--scenario", "planted", "--days", "3", *flags]))
    world.pin(NOW)
    return world


def _windows(world: World) -> list[tuple]:
    """(market, window, pre-game minutes the market could hold windows) of every served market."""
    rows = []
    for game in world.served_games():
        world.path(game)
        for market in game.markets:
            span = game.start_min - PLANT_GUARD_MIN - market.created_min - PLANT_LEAD_MIN
            rows += [(market, window, span) for window in market.windows] or [(market, None, span)]
    return rows


@pytest.mark.parametrize(("rate", "low", "high"), [(96.0, 5, 10), (12.0, 10, 30)])
def test_plant_flags_give_the_asked_density(rate, low, high):
    rows = _windows(_world("--plant-rate", str(rate), "--plant-minutes", f"{low},{high}"))
    spans = {market.key: span for market, _, span in rows}
    windows = [(market, window) for market, window, _ in rows if window is not None]
    per_day = len(windows) / (sum(spans.values()) / MINUTES_PER_DAY)
    assert per_day == pytest.approx(rate, rel=0.1)
    assert all(low <= window.end_min - window.start_min <= high for _, window in windows)
    by_market: dict[int, list] = {}
    for market, window in windows:
        by_market.setdefault(market.key, []).append(window)
        assert window.end_min <= market.game.start_min, "pre-game only"
    for mine in by_market.values():
        mine.sort(key=lambda window: window.start_min)
        assert all(a.end_min <= b.start_min for a, b in zip(mine, mine[1:], strict=False)), "no overlap"


def test_a_dense_planted_world_starts_thirty_windows_in_ten_minutes():
    windows = [w for _, w, _ in _windows(_world("--plant-rate", "96", "--plant-minutes", "5,10")) if w]
    for hours in (0, 3, 9, 15):
        first = minute_of((NOW + timedelta(hours=hours)).timestamp())
        assert sum(first <= window.start_min < first + 10 for window in windows) >= 30


def test_without_the_flags_the_batch_world_is_unchanged():
    default = World(7, "planted", days=3, now=NOW)
    assert _world().planted_edges().equals(default.planted_edges())
    assert _world("--scale", "1").planted_edges().equals(default.planted_edges())


@pytest.mark.parametrize("bad", ["10", "0,5", "9,3", "a,b"])
def test_plant_minutes_must_be_a_range(bad):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--plant-minutes", bad])


def test_the_ground_truth_is_written_again_when_the_simulator_is_stopped(tmp_path):
    truth = tmp_path / "planted.csv"
    command = [sys.executable, "-m", "edge_assets.cli", "simulate", "--port", "0", "--scenario", "planted"]
    command += ["--days", "1", "--ground-truth", str(truth)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on" in process.stdout.readline()
        written_at_start = pd.read_csv(truth)
        truth.unlink()
        process.send_signal(signal.SIGTERM)  # how `edge-assets demo` stops it
        assert process.wait(timeout=30) == 0, process.stderr.read()
    finally:
        process.kill()
    at_exit = pd.read_csv(truth)
    assert (
        list(at_exit.columns) == list(written_at_start.columns) and len(at_exit) >= len(written_at_start) > 0
    )


def test_demo_and_dev_pass_the_channel_faults_and_world_knobs_on_to_the_simulator():
    from edge_assets.cli import _fault_args, build_parser
    from edge_assets.simulator.cli import faults_from_args

    knobs = ["--rate-silent", "0.1", "--rate-drop", "0.05", "--plant-rate", "96", "--plant-minutes", "5,10"]
    knobs += ["--scale", "4", "--rate-empty-side", "0.2"]
    for command in ("demo", "dev"):
        forwarded = _fault_args(build_parser().parse_args([command, *knobs]))
        assert sorted(forwarded) == sorted(knobs)
        simulate = build_parser().parse_args(["simulate", *forwarded])
        assert (simulate.rate_silent, simulate.rate_drop, simulate.plant_rate) == (0.1, 0.05, 96.0)
        assert (simulate.plant_minutes, simulate.scale) == ((5, 10), 4)
        assert faults_from_args(simulate).rate_empty_side == 0.2
    assert _fault_args(build_parser().parse_args(["demo"])) == [], "nothing forwarded by default"
