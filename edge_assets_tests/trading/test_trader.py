"""The trader over a real warehouse (SQLite and PostgreSQL): DRY decides and sends nothing, the kill
switch stops the next decision, stale prices are skipped, and the tables replay within every limit."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from edge_assets.live.books import Book
from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.limits import RiskLimits, TradingConfig
from edge_assets.trading.trader import PRICE_MOVED, Trader, TradeSignal

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
LIMITS = RiskLimits(
    max_stake_per_order=10.0, max_stake_per_market=30.0, max_open_exposure=80.0, cooldown_seconds=120
)


def signal(index: int, market: str = "m1", outcome: str = "Yes", price: float = 0.40) -> TradeSignal:
    return TradeSignal(f"sig-{index}", market, f"{market}-{outcome}", outcome, price, stake=50.0)


def book(ask: float = 0.40, size: float = 500.0) -> Book:
    return Book(market_id="m", bids={round(ask - 0.02, 2): size}, asks={ask: size})


@pytest.fixture
def warehouse(database_url: str) -> SqlWarehouse:
    return SqlWarehouse(database_url)


def test_dry_mode_decides_records_and_sends_nothing(warehouse):
    trader = Trader(TradingConfig(limits=LIMITS), warehouse)
    execution = trader.consider(signal(1), book(), NOW)
    assert execution["status"] == "decided" and execution["stopped_by"] is None
    assert trader.guard._venue is None  # dry builds no venue client at all
    orders = warehouse.read_table("orders")
    assert orders[["order_type", "status", "price", "size"]].values.tolist() == [
        ["DRY", "decided", 0.40, 25.0]
    ]
    assert warehouse.read_table("fills").empty
    assert warehouse.read_table("executions")["signal_id"].tolist() == ["sig-1"]


def test_the_kill_switch_stops_the_next_decision(warehouse):
    trader = Trader(TradingConfig(limits=LIMITS), warehouse)
    assert trader.consider(signal(1, "m1"), book(), NOW)["status"] == "decided"
    command = [sys.executable, "-m", "edge_assets.cli", "trading"]
    subprocess.run([*command, "halt", "--reason", "drill", "--url", warehouse.url], check=True)
    halted = trader.consider(signal(2, "m2"), book(), NOW + timedelta(seconds=1))
    assert (halted["status"], halted["stopped_by"]) == ("skipped", "kill_switch")
    status = subprocess.run(
        [*command, "status", "--url", warehouse.url], check=True, capture_output=True, text=True
    )
    assert status.stdout.startswith("trading halted") and "drill" in status.stdout
    subprocess.run([*command, "resume", "--url", warehouse.url], check=True)
    assert trader.consider(signal(3, "m3"), book(), NOW + timedelta(seconds=2))["status"] == "decided"


def test_a_price_gone_past_the_tolerance_is_skipped_and_within_it_taken(warehouse):
    trader = Trader(TradingConfig(limits=LIMITS), warehouse)
    gone = trader.consider(signal(1, "m1", price=0.40), book(ask=0.42), NOW)
    assert (gone["status"], gone["stopped_by"]) == ("skipped", PRICE_MOVED)
    within = trader.consider(signal(2, "m2", price=0.40), book(ask=0.41), NOW)
    assert within["status"] == "decided" and within["price"] == 0.41
    empty = trader.consider(signal(3, "m3"), Book(market_id="m3"), NOW)
    assert empty["stopped_by"] == "no_book"


def test_replaying_the_orders_table_shows_no_limit_breached(warehouse):
    trader = Trader(TradingConfig(limits=LIMITS), warehouse)
    moment = NOW
    for index in range(40):
        moment += timedelta(seconds=7)
        market = f"m{index % 3}"
        trader.consider(signal(index, market, "Yes" if index % 2 else "No"), book(), moment)
    executions = warehouse.read_table("executions")
    orders = warehouse.read_table("orders").sort_values("created_at")
    assert set(executions["stopped_by"].dropna()) >= {"max_stake_per_market", "max_open_exposure", "cooldown"}
    assert len(orders) == (executions["status"] == "decided").sum() > 0
    assert (orders["stake"] <= LIMITS.max_stake_per_order + 1e-9).all()
    assert orders.groupby("pm_market_id")["stake"].sum().max() <= LIMITS.max_stake_per_market + 1e-9
    assert orders["stake"].sum() <= LIMITS.max_open_exposure + 1e-9
    for _, same in orders.groupby(["pm_market_id", "outcome"]):
        assert (same["created_at"].diff().dropna() >= timedelta(seconds=LIMITS.cooldown_seconds)).all()
