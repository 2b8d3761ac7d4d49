"""The whole graph materialized through Dagster on a 2-day simulated world."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from edge_assets.demo import DemoOptions, run_demo
from edge_assets.storage.db import Warehouse

DAYS = 2


@pytest.fixture(scope="module")
def planted_demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("planted")
    summary = run_demo(DemoOptions(days=DAYS, seed=11, scenario="planted", home=home), log=lambda _: None)
    return home, summary


@pytest.fixture(scope="module")
def null_demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("null")
    summary = run_demo(DemoOptions(days=DAYS, seed=11, scenario="null", home=home), log=lambda _: None)
    return home, summary


def _signals(home) -> pd.DataFrame:
    return Warehouse(url=f"sqlite:///{home / 'edge.db'}").read_frame("SELECT * FROM signals")


def test_planted_world_runs_every_asset_and_passes_every_check(planted_demo):
    home, summary = planted_demo
    assert summary["failed_runs"] == []
    assert summary["checks_failed"] == 0, summary["failed_checks"]
    assert summary["checks_passed"] > 0
    assert summary["assets_materialized"] == 14
    assert summary["markets"] > 0 and summary["events"] > 0 and summary["quotes"] > 0
    assert json.loads((home / "summary.json").read_text()) == summary


def test_planted_signals_fall_inside_planted_windows(planted_demo):
    home, summary = planted_demo
    truth = pd.read_csv(home / "ground_truth" / "planted_edges.csv", dtype={"pm_token_id": str})
    truth["start_ts"] = pd.to_datetime(truth["start_ts"], utc=True)
    truth["end_ts"] = pd.to_datetime(truth["end_ts"], utc=True)
    signals = _signals(home)
    assert summary["signals"] == len(signals) > 0
    hits = signals.merge(truth, on="pm_token_id", how="left")
    hits["inside"] = (hits["created_at"] >= hits["start_ts"]) & (hits["created_at"] <= hits["end_ts"])
    inside = hits.groupby("signal_id")["inside"].any()
    assert inside.all(), signals[signals["signal_id"].isin(inside[~inside].index)].to_string()
    assert (signals["ev_after_costs"] >= 0.03).all()
    assert signals["model_version"].isna().all()
    # Priced for the stake: the VWAP is never better than the best ask, the fee is charged on it.
    assert (signals["vwap"] >= signals["pm_price"] - 1e-12).all()
    assert ((signals["fill_prob"] > 0) & (signals["fill_prob"] <= 1)).all()
    assert ((signals["stake"] > 0) & (signals["stake"] <= 100)).all()
    assert (signals["devig_method"] == "shin").all()


def test_null_world_gives_no_signals(null_demo):
    home, summary = null_demo
    assert summary["failed_runs"] == []
    assert summary["quotes"] > 0
    assert summary["signals"] == 0
    assert _signals(home).empty


def test_rerunning_the_demo_is_idempotent(tmp_path):
    options = DemoOptions(days=1, seed=5, scenario="planted", home=tmp_path)
    first = run_demo(options, log=lambda _: None)
    second = run_demo(options, log=lambda _: None)
    for key in ("events", "markets", "signals", "consensus_rows"):
        assert first[key] == second[key], key
