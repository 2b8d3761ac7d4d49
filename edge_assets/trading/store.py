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
from edge_assets.trading import settlement
from edge_assets.trading.guard import UNCONFIRMED, RiskState

KILL_SWITCH_ROW = "kill_switch"
# Orders whose fate only the venue can tell: recorded before their first post (a process may die
# there), or posted without an answer. The trader's sweep settles them.
UNSETTLED = ("sending", UNCONFIRMED)
_UNSETTLED_PARAMS = {f"unsettled_{index}": status for index, status in enumerate(UNSETTLED)}
# Order statuses that hold stake: sent and not known dead, or decided in dry mode.
_HOLDING_STAKE = ("decided", "live", "delayed", *UNSETTLED)
_HOLDING_PARAMS = tuple(f"holding_{index}" for index in range(len(_HOLDING_STAKE)))
# A resolution known at :now (one without a resolution time counts from when it was fetched).
_RESOLVED_BY_NOW = "COALESCE(r.resolved_at, r.fetched_at) <= :now"
# Per market, the stake held at :now: what the fills made by then cost, plus what orders that may
# still fill have not filled yet; tokens resolved by now hold nothing (their P&L is realised). The
# fills are read rather than the positions table, whose rows sum every fill to this day: a backfill
# rerun of an old hour must not hold the stake bought after it.
_NOT_RESOLVED = (
    f"NOT EXISTS (SELECT 1 FROM polymarket_resolutions r WHERE r.token_id = {{token}} AND {_RESOLVED_BY_NOW})"
)
_HELD_STAKES_SQL = f"""
SELECT pm_market_id, SUM(stake) AS stake FROM (
    SELECT o.pm_market_id, o.stake - o.size_matched * o.price AS stake FROM orders o
    WHERE o.mode = :mode AND o.status IN ({", ".join(":" + name for name in _HOLDING_PARAMS)})
        AND o.created_at <= :now AND {_NOT_RESOLVED.format(token="o.pm_token_id")}
    UNION ALL
    SELECT f.pm_market_id, f.size * f.price AS stake FROM fills f
    WHERE f.mode = :mode AND f.filled_at <= :now AND {_NOT_RESOLVED.format(token="f.pm_token_id")}
) held
GROUP BY pm_market_id
"""
# The fills of the UTC day up to now, with what values them: the payout once resolved, else the
# position's mark (as `bid`), and the market's fee schedule.
_DAY_FILLS_SQL = f"""
SELECT f.size, f.price, p.mark_price AS bid, r.payout, m.fee_rate, m.fee_exponent
FROM fills f
LEFT JOIN positions p ON p.mode = f.mode AND p.pm_token_id = f.pm_token_id
LEFT JOIN polymarket_resolutions r ON r.token_id = f.pm_token_id AND {_RESOLVED_BY_NOW}
LEFT JOIN polymarket_markets m ON m.market_id = f.pm_market_id
WHERE f.mode = :mode AND f.filled_at >= :day_start AND f.filled_at <= :now
"""
_FILL_VALUE_COLUMNS = ("size", "price", "bid", "payout", "fee_rate", "fee_exponent")
_TOKEN_FILLS_SQL = f"""
SELECT {", ".join(settlement.FILL_COLUMNS)} FROM fills WHERE mode = :mode AND pm_token_id = :token
"""
_POSITION_MARK_SQL = """
SELECT mode, pm_token_id, mark_price, marked_at FROM positions WHERE mode = :mode AND pm_token_id = :token
"""
_UNSETTLED_ORDERS_SQL = f"""
SELECT * FROM orders WHERE mode = :mode AND status IN ({", ".join(f":{key}" for key in _UNSETTLED_PARAMS)})
  AND updated_at < :before
ORDER BY created_at
"""
_RECENT_ORDERS_SQL = """
SELECT pm_market_id, outcome, created_at FROM orders
WHERE mode = :mode AND created_at > :since AND created_at <= :now
"""

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

    def unsettled_orders(self, mode: str, before: datetime) -> list[dict[str, Any]]:
        """`mode`'s unsettled orders (`UNSETTLED`) that were last written before `before`."""
        bounds = {"mode": mode, "before": before, **_UNSETTLED_PARAMS}
        rows = self.warehouse.read_frame(_UNSETTLED_ORDERS_SQL, bounds)
        return rows.to_dict("records")

    def order_status(self, order_id: str) -> str | None:
        rows = self.warehouse.read_frame(
            "SELECT status FROM orders WHERE order_id = :order", {"order": order_id}
        )
        return None if rows.empty else str(rows.iloc[0]["status"])

    def record_fills(
        self, rows: Iterable[Mapping[str, Any]], mode: str, token_id: str, now: datetime
    ) -> None:
        """Add fills not seen before (by trade id) and rebuild the token's position from all its fills
        by the settlement's rule (`settlement.positions`), keeping the mark it has."""
        frame = pd.DataFrame([dict(row) for row in rows])
        if frame.empty:
            return
        self.warehouse.insert_missing("fills", frame, ["fill_id"])
        token = {"mode": mode, "token": token_id}
        fills = self.warehouse.read_frame(_TOKEN_FILLS_SQL, token)
        # Unsettled and unmarked here: the position keeps the mark and payout the table gives it.
        unvalued = fills.assign(settled=False, mark_price=float("nan"), marked_at=pd.NaT)
        previous = self.warehouse.read_frame(_POSITION_MARK_SQL, token)
        position = settlement.positions(unvalued, previous, now)
        self.warehouse.upsert("positions", position, ["mode", "pm_token_id"])

    def mark(self, mode: str, token_id: str, price: float, now: datetime) -> None:
        """Mark a held token at `price` (its best bid at `now`), for the marked-to-market P&L."""
        self.warehouse.execute(
            "UPDATE positions SET mark_price = :price, marked_at = :now "
            "WHERE mode = :mode AND pm_token_id = :token",
            {"price": price, "now": now, "mode": mode, "token": token_id},
        )

    def risk_state(self, mode: str, now: datetime, halted: bool, lookback: timedelta) -> RiskState:
        """The guard's view of `mode`'s book at `now`: the stake held or in flight per market (resolved
        tokens no longer count), the day's realised plus marked-to-market P&L, and the orders of the
        last `lookback` (for cooldowns and the per-minute cap). Each read is filtered by mode and time
        in SQL, so a decision does not read the table's history."""
        bounds = {"mode": mode, "now": now, **dict(zip(_HOLDING_PARAMS, _HOLDING_STAKE, strict=True))}
        stakes = self.warehouse.read_frame(_HELD_STAKES_SQL, bounds)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        fills = self.warehouse.read_frame(_DAY_FILLS_SQL, {**bounds, "day_start": day_start})
        valued = settlement.value_fills(
            settlement.with_fees(fills.astype({column: float for column in _FILL_VALUE_COLUMNS}))
        )
        recent = self.warehouse.read_frame(_RECENT_ORDERS_SQL, {**bounds, "since": now - lookback})
        last_order_at = {
            (market, outcome): moment.to_pydatetime()
            for (market, outcome), moment in recent.groupby(["pm_market_id", "outcome"])["created_at"]
            .max()
            .items()
        }
        return RiskState(
            halted=halted,
            open_exposure=float(stakes["stake"].sum()),
            market_stakes={str(market): float(stake) for market, stake in stakes.values},
            daily_pnl=float(valued["realised_pnl"].sum() + valued["mtm_pnl"].sum()),
            last_order_at=last_order_at,
            order_times=tuple(moment.to_pydatetime() for moment in recent["created_at"]),
        )
