"""The planted demo paper-trades its signals (issue 13's "done when"): orders fill at the prices of the
books the signals were found on, and replaying the orders and fills breaches no limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.limits import RiskLimits
from edge_assets_tests.trading.limit_replay import limit_breaches

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.slow
def test_a_planted_paper_demo_fills_at_the_books_prices_within_every_limit(planted_demo):
    home, summary = planted_demo
    warehouse = SqlWarehouse(f"sqlite:///{home / 'edge.db'}")
    fills = warehouse.read_table("fills").merge(
        warehouse.read_table("orders")[["order_id", "created_at", "pm_token_id"]],
        on=["order_id", "pm_token_id"],
    )
    assert summary["trading"]["mode"] == "paper"
    assert len(fills) > 0 and summary["trading"]["fills"] == len(fills), summary["trading"]
    asks = warehouse.read_frame(
        "SELECT snapshot_ts, token_id, MIN(price) AS ask FROM order_book_snapshots WHERE side = 'ask' "
        "GROUP BY snapshot_ts, token_id"
    ).assign(snapshot_ts=lambda frame: pd.to_datetime(frame["snapshot_ts"], utc=True))
    booked = fills.assign(created_at=pd.to_datetime(fills["created_at"], utc=True)).merge(
        asks, left_on=["pm_token_id", "created_at"], right_on=["token_id", "snapshot_ts"], how="left"
    )
    assert (booked["price"] == booked["ask"]).all(), booked[["order_id", "price", "ask"]]
    assert limit_breaches(warehouse, "paper", RiskLimits()) == []
    # Every signal was decided once, and the decisions are counted in the summary by what stopped them.
    executions = warehouse.read_table("executions")
    assert executions["signal_id"].is_unique
    assert sum(summary["trading"]["decisions"].values()) == len(executions) == summary["signals"]


def _order(order_id: str, at: datetime, market: str, stake: float, status: str = "matched") -> dict:
    return {
        "order_id": order_id, "created_at": at, "updated_at": at, "signal_id": order_id, "mode": "paper",
        "pm_market_id": market, "pm_token_id": f"tok-{market}", "outcome": "Yes", "side": "BUY",
        "order_type": "FOK", "price": 0.5, "size": stake / 0.5, "stake": stake, "status": status,
        "attempts": 1, "size_matched": stake / 0.5 if status == "matched" else 0.0, "error": None,
    }  # fmt: skip


def _fill(order: dict) -> dict:
    return {
        "fill_id": f"fill-{order['order_id']}", "order_id": order["order_id"],
        "filled_at": order["created_at"], "mode": "paper", "pm_market_id": order["pm_market_id"],
        "pm_token_id": order["pm_token_id"],
        "outcome": "Yes", "price": order["price"], "size": order["size"],
    }  # fmt: skip


def test_the_replay_names_each_limit_an_order_broke(tmp_path):
    warehouse = SqlWarehouse(f"sqlite:///{tmp_path / 'edge.db'}")
    limits = RiskLimits(
        max_stake_per_order=10, max_stake_per_market=15, max_open_exposure=25, cooldown_seconds=300,
        max_orders_per_minute=3, daily_loss_limit=1000,
    )  # fmt: skip
    orders = [
        _order("a", T0, "m1", 10.0),
        _order("b", T0 + timedelta(seconds=10), "m1", 10.0),  # m1 holds 20 > 15; 10 s after "a"
        _order("c", T0 + timedelta(seconds=20), "m2", 12.0),  # stake 12 > 10; exposure 32 > 25
        # The fourth order within a minute; its exposure (10 + 10 + 12 + 1) is over the cap too.
        _order("d", T0 + timedelta(seconds=30), "m3", 1.0),
    ]
    warehouse.upsert("orders", pd.DataFrame(orders), ["order_id"])
    warehouse.upsert("fills", pd.DataFrame([_fill(order) for order in orders]), ["fill_id"])
    breaches = limit_breaches(warehouse, "paper", limits)
    assert sorted(breach.split(" ")[0] for breach in breaches) == sorted(
        [
            "max_stake_per_market:", "cooldown:", "max_stake_per_order:", "max_open_exposure:",
            "max_open_exposure:", "max_orders_per_minute:",
        ]
    ), breaches  # fmt: skip
    assert limit_breaches(warehouse, "paper", RiskLimits(cooldown_seconds=5)) == []  # allowed


def test_the_replay_counts_the_days_losses_at_the_marks(tmp_path):
    warehouse = SqlWarehouse(f"sqlite:///{tmp_path / 'edge.db'}")
    first = _order("a", T0, "m1", 10.0)
    second = _order("b", T0 + timedelta(hours=1), "m2", 10.0)
    warehouse.upsert("orders", pd.DataFrame([first, second]), ["order_id"])
    warehouse.upsert("fills", pd.DataFrame([_fill(first)]), ["fill_id"])
    # The first token resolved against us before the second order: 10 USDC lost that day.
    lost_at = T0 + timedelta(minutes=30)
    resolution = {"token_id": "tok-m1", "market_id": "m1", "outcome": "Yes", "payout": 0.0,
                  "resolved_at": lost_at, "fetched_at": lost_at}  # fmt: skip
    warehouse.upsert("polymarket_resolutions", pd.DataFrame([resolution]), ["token_id"])
    assert limit_breaches(warehouse, "paper", RiskLimits(daily_loss_limit=25)) == []
    assert limit_breaches(warehouse, "paper", RiskLimits(daily_loss_limit=15)) == [
        "daily_loss_limit: b day's P&L -10.00, stake 10.00"
    ]
