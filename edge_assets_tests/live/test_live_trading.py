"""The live service trades the signals it opens, against the simulator over real sockets: in DRY (the
default) each opened signal is one decided `executions` row and the venue's order log stays empty; in
paper mode it is an order that fills at the book's prices; once halted, the next decision is stopped.
The window is planted a minute ahead and the world's clock moved onto it, as in test_live_service.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from edge_assets.simulator import World, start_server
from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.guard import KILL_SWITCH
from edge_assets.trading.store import TradingStore
from edge_assets_tests.fixtures.demos import DEMO_DAYS
from edge_assets_tests.live.test_live_service import (
    SEED,
    Running,
    _copy_home,
    _next_window,
    _service,
    _wait_for,
)
from edge_assets_tests.notify.conftest import stand_in  # noqa: F401 (the webhook stand-in fixture)
from edge_assets_tests.trading.test_paper import venue_client

pytestmark = pytest.mark.slow


def _window_a_minute_ahead(warehouse: SqlWarehouse) -> tuple[World, pd.Series, datetime]:
    """A planted world pinned a minute before its next window of a mapped token; the window; its start."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    world = World(seed=SEED, scenario="planted", days=DEMO_DAYS, plant_rate=24, plant_minutes=(3, 8))
    window = _next_window(world, warehouse, now)
    start = pd.Timestamp(window["start_ts"]).to_pydatetime()
    world.pin(start - timedelta(minutes=1))
    return world, window, start


def _trade_a_window(demo_home: Path, home: Path, webhook_url: str, halted: bool = False):
    """Run the live service across the next planted window of a mapped token; return the window,
    the live signals and executions written and the orders and trades the venue logged."""
    home = _copy_home(demo_home, home)
    _clear_batch_trades(home)
    warehouse = SqlWarehouse(f"sqlite:///{home / 'edge.db'}")
    if halted:
        TradingStore(warehouse).set_kill_switch(True, "test", "test", datetime.now(UTC))
    world, window, start = _window_a_minute_ahead(warehouse)
    with start_server(world) as server:
        running = Running(_service(home, server, webhook_url))
        _wait_for(lambda: running.service.state.evaluations > 0, 30)
        server.set_now(start)
        _wait_for(lambda: window["pm_token_id"] in set(_traded_tokens(warehouse)), 30)
        running.stop()
        client = venue_client(server.url)
        venue_orders, venue_trades = client.get_orders(), client.get_trades()
    signals = _signals(warehouse)
    executions = warehouse.read_table("executions")
    return window, signals, executions, venue_orders, venue_trades


def _clear_batch_trades(home: Path) -> None:
    """The demo home's batch trades (its paper backfill) cleared, so the live decisions are the only
    rows and the batch positions use none of the exposure limit."""
    with sqlite3.connect(home / "edge.db") as connection:
        for table in ("executions", "orders", "fills", "positions"):
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def _traded_tokens(warehouse: SqlWarehouse) -> pd.Series:
    return warehouse.read_frame("SELECT pm_token_id FROM executions")["pm_token_id"]


def test_dry_records_one_decision_per_opened_signal_and_sends_nothing(planted_demo, tmp_path, stand_in):  # noqa: F811
    window, signals, executions, venue_orders, venue_trades = _trade_a_window(
        planted_demo[0], tmp_path / "home", stand_in.url("/hook")
    )
    assert sorted(executions["signal_id"]) == sorted(signals["signal_id"])  # one decision per signal
    assert set(executions["mode"]) == {"dry"}
    [execution] = executions[executions["pm_token_id"] == window["pm_token_id"]].to_dict("records")
    assert execution["status"] == "decided" and execution["stopped_by"] is None, execution
    assert venue_orders == [] and venue_trades == []


def test_paper_fills_an_opened_signal_at_the_books_prices(planted_demo, tmp_path, stand_in, monkeypatch):  # noqa: F811
    monkeypatch.setenv("EDGE_TRADING_MODE", "paper")
    window, signals, executions, venue_orders, venue_trades = _trade_a_window(
        planted_demo[0], tmp_path / "home", stand_in.url("/hook")
    )
    [signal_id] = signals.loc[signals["pm_token_id"] == window["pm_token_id"], "signal_id"]
    [execution] = executions[executions["signal_id"] == signal_id].to_dict("records")
    assert execution["mode"] == "paper" and execution["status"] == "filled", execution
    assert execution["price"] == pytest.approx(window["pm_best_ask"])
    fills = SqlWarehouse(f"sqlite:///{tmp_path / 'home' / 'edge.db'}").read_table("fills")
    filled = fills[fills["order_id"] == execution["order_id"]]
    assert len(filled) and filled["price"].tolist() == pytest.approx([window["pm_best_ask"]] * len(filled))
    assert execution["order_id"] in {order["id"] for order in venue_orders}
    assert len(venue_trades) == len(fills)


def test_a_halted_live_service_stops_its_next_decision(planted_demo, tmp_path, stand_in, monkeypatch):  # noqa: F811
    monkeypatch.setenv("EDGE_TRADING_MODE", "paper")
    window, _, executions, venue_orders, _ = _trade_a_window(
        planted_demo[0], tmp_path / "home", stand_in.url("/hook"), halted=True
    )
    [execution] = executions[executions["pm_token_id"] == window["pm_token_id"]].to_dict("records")
    assert execution["stopped_by"] == KILL_SWITCH, execution
    assert venue_orders == []


def test_a_failing_decision_never_stops_detection(planted_demo, tmp_path, stand_in, caplog):  # noqa: F811
    home = _copy_home(planted_demo[0], tmp_path / "home")
    with sqlite3.connect(home / "edge.db") as connection:  # every decision fails writing its row
        connection.execute("DROP TABLE executions")
    warehouse = SqlWarehouse(f"sqlite:///{home / 'edge.db'}")
    world, window, start = _window_a_minute_ahead(warehouse)
    with start_server(world) as server:
        running = Running(_service(home, server, stand_in.url("/hook")))
        _wait_for(lambda: running.service.state.evaluations > 0, 30)
        server.set_now(start)
        _wait_for(lambda: window["pm_token_id"] in set(_signals(warehouse)["pm_token_id"]), 30)
        server.set_now(start + timedelta(minutes=1))
        _wait_for(
            lambda: (_signals(warehouse)["last_seen_at"] == pd.Timestamp(start + timedelta(minutes=1))).any(),
            30,
        )
        running.stop()
    assert running.service.state.opened > 0 and running.service.state.traded == 0
    assert "trading decision failed" in caplog.text  # logged by the service, not lost in its task


def _signals(warehouse: SqlWarehouse) -> pd.DataFrame:
    return warehouse.read_frame("SELECT * FROM live_signals")
