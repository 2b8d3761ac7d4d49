"""The trader's tables: the kill switch, the per-market locks, orders, fills, positions and executions.

Every process that trades reads the same rows, so `trading halt` and the locks act across processes.
Statements are parameterised; the lock is one atomic insert-or-take-over, correct on both dialects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import text

from edge_assets.storage.sql import WarehouseTables
from edge_assets.trading.guard import RiskState

KILL_SWITCH_ROW = "kill_switch"
# Order statuses that hold stake: sent and not known dead, or decided in dry mode.
_HOLDING_STAKE = ("decided", "live", "delayed", "sending")

_TAKE_LOCK = text(
    "INSERT INTO trading_locks (pm_market_id, holder, expires_epoch) VALUES (:market, :holder, :expires) "
    "ON CONFLICT (pm_market_id) DO UPDATE "
    "SET holder = excluded.holder, expires_epoch = excluded.expires_epoch "
    "WHERE trading_locks.expires_epoch < :now OR trading_locks.holder = :holder"
)
_LOCK_HOLDER = text("SELECT holder FROM trading_locks WHERE pm_market_id = :market")
_RELEASE_LOCK = text("DELETE FROM trading_locks WHERE pm_market_id = :market AND holder = :holder")


@dataclass(frozen=True)
class KillSwitch:
    halted: bool
    reason: str | None = None
    changed_by: str | None = None
    updated_at: datetime | None = None


class TradingStore:
    def __init__(self, warehouse: WarehouseTables) -> None:
        self.warehouse = warehouse

    def kill_switch(self) -> KillSwitch:
        rows = self.warehouse.read_frame(
            "SELECT halted, reason, changed_by, updated_at FROM trading_state WHERE name = :name",
            {"name": KILL_SWITCH_ROW},
        )
        if rows.empty:
            return KillSwitch(halted=False)
        row = rows.iloc[0]
        return KillSwitch(
            bool(row["halted"]), row["reason"], row["changed_by"], row["updated_at"].to_pydatetime()
        )

    def set_kill_switch(self, halted: bool, reason: str | None, changed_by: str, now: datetime) -> None:
        row = {"name": KILL_SWITCH_ROW, "halted": int(halted), "reason": reason, "changed_by": changed_by}
        self.warehouse.upsert("trading_state", pd.DataFrame([{**row, "updated_at": now}]), ["name"])

    def take_lock(self, market_id: str, holder: str, now_epoch: float, ttl_seconds: float) -> bool:
        """Whether `holder` now holds the market's lock (free, expired or already its own)."""
        params = {"market": market_id, "holder": holder, "expires": now_epoch + ttl_seconds, "now": now_epoch}
        with self.warehouse.engine().begin() as connection:
            connection.execute(_TAKE_LOCK, params)
            return connection.execute(_LOCK_HOLDER, {"market": market_id}).scalar_one() == holder

    def release_lock(self, market_id: str, holder: str) -> None:
        with self.warehouse.engine().begin() as connection:
            connection.execute(_RELEASE_LOCK, {"market": market_id, "holder": holder})

    def record_execution(self, row: Mapping[str, Any]) -> None:
        self.warehouse.insert_missing("executions", pd.DataFrame([dict(row)]), ["execution_id"])

    def record_order(self, row: Mapping[str, Any]) -> None:
        self.warehouse.upsert("orders", pd.DataFrame([dict(row)]), ["order_id"])

    def record_fills(
        self, rows: Iterable[Mapping[str, Any]], mode: str, token_id: str, now: datetime
    ) -> None:
        """Add fills not seen before (by trade id) and rebuild the token's position from all its fills."""
        frame = pd.DataFrame([dict(row) for row in rows])
        if frame.empty:
            return
        self.warehouse.insert_missing("fills", frame, ["fill_id"])
        held = self.warehouse.read_frame(
            "SELECT pm_market_id, outcome, SUM(size) AS size, SUM(size * price) AS cost FROM fills "
            "WHERE mode = :mode AND pm_token_id = :token GROUP BY pm_market_id, outcome",
            {"mode": mode, "token": token_id},
        )
        position = held.iloc[0]
        mark = self.warehouse.read_frame(
            "SELECT mark_price FROM positions WHERE mode = :mode AND pm_token_id = :token",
            {"mode": mode, "token": token_id},
        )
        row = {
            "mode": mode,
            "pm_token_id": token_id,
            "pm_market_id": position["pm_market_id"],
            "outcome": position["outcome"],
            "size": float(position["size"]),
            "cost": float(position["cost"]),
            "mark_price": None if mark.empty else mark.iloc[0]["mark_price"],
            "updated_at": now,
        }
        self.warehouse.upsert("positions", pd.DataFrame([row]), ["mode", "pm_token_id"])

    def mark(self, mode: str, token_id: str, price: float, now: datetime) -> None:
        """Mark a held token at `price` (its best bid), for the marked-to-market P&L."""
        with self.warehouse.engine().begin() as connection:
            connection.execute(
                text("UPDATE positions SET mark_price = :price WHERE mode = :mode AND pm_token_id = :token"),
                {"price": price, "mode": mode, "token": token_id},
            )

    def risk_state(self, mode: str, now: datetime, halted: bool) -> RiskState:
        """The guard's view of `mode`'s book at `now`: what is held or in flight, today's P&L, recent
        orders."""
        orders = self.warehouse.read_frame(
            "SELECT pm_market_id, outcome, status, price, stake, size_matched, created_at FROM orders "
            "WHERE mode = :mode",
            {"mode": mode},
        )
        held = orders["stake"].where(
            orders["status"].isin(_HOLDING_STAKE), orders["size_matched"] * orders["price"]
        )
        market_stakes = held.groupby(orders["pm_market_id"]).sum().to_dict() if not orders.empty else {}
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        pnl = self.warehouse.read_frame(
            "SELECT SUM(f.size * (COALESCE(p.mark_price, f.price) - f.price)) AS pnl FROM fills f "
            "JOIN positions p ON p.mode = f.mode AND p.pm_token_id = f.pm_token_id "
            "WHERE f.mode = :mode AND f.filled_at >= :day_start",
            {"mode": mode, "day_start": day_start},
        )["pnl"].iloc[0]
        recent = orders[orders["created_at"] > now - timedelta(days=1)] if not orders.empty else orders
        last_order_at = {
            (market, outcome): moment.to_pydatetime()
            for (market, outcome), moment in recent.groupby(["pm_market_id", "outcome"])["created_at"]
            .max()
            .items()
        }
        return RiskState(
            halted=halted,
            open_exposure=float(held.sum()),
            market_stakes={str(key): float(value) for key, value in market_stakes.items()},
            daily_pnl=0.0 if pd.isna(pnl) else float(pnl),
            last_order_at=last_order_at,
            order_times=tuple(moment.to_pydatetime() for moment in recent["created_at"]),
        )
