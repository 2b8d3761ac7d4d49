"""`GET /api/signals` and `/api/signals/{id}`: signals with their lifecycle, and the rows behind one.

Batch signals (the hourly `signals` asset) have no lifecycle of their own: each counts as open for
an hour from its as-of time (`created_at`), then closed. Live signals (`live_signals`, when that
table exists) carry theirs: last seen, closed (NULL while open) and the best EV seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.notify.formatting import dagster_link
from edge_assets.signals.comparator import SIGNAL_COLUMNS

BATCH_OPEN_FOR = timedelta(hours=1)
BATCH_ASSET, LIVE_ASSET = "signals", "live_signals"
# The hourly partition key format of the batch assets (Dagster's HourlyPartitionsDefinition).
PARTITION_KEY_FORMAT = "%Y-%m-%d-%H:%M"
_COLUMNS = ", ".join(f"x.{name}" for name in SIGNAL_COLUMNS)
BATCH_SELECT = (
    f"SELECT 'batch' AS source, {_COLUMNS}, NULL AS last_seen_at, NULL AS closed_at, NULL AS best_ev, "
    "NULL AS updated_at FROM signals x"
)
LIVE_SELECT = (
    f"SELECT x.source, {_COLUMNS}, x.last_seen_at, x.closed_at, x.best_ev, x.updated_at FROM live_signals x"
)
# Each filter as (batch clause, live clause); values are bound, never formatted in.
FILTERS = {
    "open": ("x.created_at > :open_after", "x.closed_at IS NULL"),
    "closed": ("x.created_at <= :open_after", "x.closed_at IS NOT NULL"),
    "since": ("x.created_at >= :since", "x.created_at >= :since"),
    "market_id": ("x.pm_market_id = :market_id", "x.pm_market_id = :market_id"),
    "signal_id": ("x.signal_id = :signal_id", "x.signal_id = :signal_id"),
}
DESCRIBED = """
SELECT u.*, m.question AS title, mm.sport_key AS league, COUNT(*) OVER () AS total
FROM ({union}) u
LEFT JOIN polymarket_markets m ON m.market_id = u.pm_market_id
LEFT JOIN market_mappings mm ON mm.pm_token_id = u.pm_token_id
ORDER BY {order}
"""
NEWEST_FIRST = "u.created_at DESC, u.signal_id"


@dataclass(frozen=True)
class SignalReader:
    """Reads signals from `signals`, and from `live_signals` when `live` (the table exists)."""

    warehouse: ReadOnlyWarehouse
    live: bool
    dagster_ui_url: str | None = None

    def page(self, now: datetime, limit: int, offset: int, **filters: Any) -> dict[str, Any]:
        """One page of signals, newest first; `filters`: status, since, market_id (None for any)."""
        status = filters.pop("status", None)
        wanted = {name: value for name, value in filters.items() if value is not None}
        rows = self.select(now, [status, *wanted] if status else list(wanted), wanted, limit, offset)
        total = int(rows[0]["total"]) if rows else self._count(now, status, wanted)
        return {"total": total, "limit": limit, "offset": offset, "items": self.items(rows, now)}

    def select(
        self,
        now: datetime,
        names: list[str],
        params: dict[str, Any],
        limit: int,
        offset: int,
        where: tuple = (),
        order: str = NEWEST_FIRST,
    ) -> list[dict[str, Any]]:
        """The signals passing the named FILTERS and the extra (batch, live) clauses `where`, with
        their market's title and league, in `order`."""
        clauses = [FILTERS[name] for name in names] + list(where)
        branches = [(BATCH_SELECT, 0)] + ([(LIVE_SELECT, 1)] if self.live else [])
        union = " UNION ALL ".join(
            select + (" WHERE " + " AND ".join(clause[side] for clause in clauses) if clauses else "")
            for select, side in branches
        )
        sql = DESCRIBED.format(union=union, order=order) + " LIMIT :limit OFFSET :offset"
        return self.warehouse.rows(
            sql, params | {"open_after": now - BATCH_OPEN_FOR, "limit": limit, "offset": offset}
        )

    def _count(self, now: datetime, status: str | None, wanted: dict[str, Any]) -> int:
        """The total when the page came back empty (an offset past the end has no row to carry it)."""
        rows = self.select(now, [status, *wanted] if status else list(wanted), wanted, 1, 0)
        return int(rows[0]["total"]) if rows else 0

    def items(self, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """API items of `select` rows: the lifecycle filled in for batch signals, provenance decoded."""
        return [self._item({name: v for name, v in row.items() if name != "total"}, now) for row in rows]

    def _item(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        if row["source"] == "batch":
            ends = row["created_at"] + BATCH_OPEN_FOR
            row |= {"last_seen_at": row["created_at"], "best_ev": row["ev_after_costs"]}
            row["closed_at"] = ends if ends <= now else None
        row["status"] = "open" if row["closed_at"] is None else "closed"
        row["provenance"] = json.loads(row["provenance"]) if row["provenance"] else None
        row["dagster_url"] = self._dagster_url(row)
        return row

    def _dagster_url(self, row: dict[str, Any]) -> str | None:
        if row["source"] == "batch":
            # The hourly partition holding the signal's as-of time.
            hour = row["created_at"].replace(minute=0, second=0, microsecond=0)
            partition = hour.strftime(PARTITION_KEY_FORMAT)
            return dagster_link({"asset_key": BATCH_ASSET, "partition": partition}, self.dagster_ui_url)
        return dagster_link({"asset_key": LIVE_ASSET}, self.dagster_ui_url)

    def trail(self, signal_id: str, now: datetime) -> dict[str, Any] | None:
        """The signal and the quote rows, book snapshot, mapping and consensus its provenance names."""
        found = self.items(self.select(now, ["signal_id"], {"signal_id": signal_id}, 1, 0), now)
        if not found:
            return None
        signal = found[0]
        return {"signal": signal, **provenance_rows(self.warehouse, signal["provenance"] or {})}


QUOTE_ROWS_SQL = """
SELECT * FROM quotes WHERE quote_ts = :quote_ts AND venue = :venue AND market_key = :market_key
ORDER BY bookmaker, outcome, side
"""
BOOK_SQL = """
SELECT snapshot_ts, token_id, market_id, side, level, price, size, book_ts FROM order_book_snapshots
WHERE snapshot_ts = :snapshot_ts AND token_id = :token_id ORDER BY side, level
"""
MAPPING_SQL = "SELECT * FROM market_mappings WHERE pm_token_id = :pm_token_id"
CONSENSUS_SQL = (
    "SELECT * FROM consensus WHERE quote_ts = :quote_ts AND event_id = :event_id AND outcome = :outcome"
)


def provenance_rows(warehouse: ReadOnlyWarehouse, provenance: dict[str, Any]) -> dict[str, Any]:
    """Read again the rows a signal's provenance names (see `comparator._provenance`): the Polymarket
    quotes of its token and the books' of its event at its hour, its book snapshot, its mapping and
    the consensus. A part the provenance does not name, or whose rows are gone, comes back empty."""
    quote, book = provenance.get("polymarket_quote"), provenance.get("book_snapshot")
    mapping, consensus = provenance.get("mapping") or {}, provenance.get("consensus")
    trail: dict[str, Any] = {"quotes": [], "book_snapshot": [], "mapping": None, "consensus": None}
    if quote:
        at = _instant(quote["quote_ts"])
        trail["quotes"] = _rows(
            warehouse, QUOTE_ROWS_SQL, quote_ts=at, venue=quote["venue"], market_key=quote["market_key"]
        )
        if mapping.get("event_id"):
            trail["quotes"] += _rows(
                warehouse, QUOTE_ROWS_SQL, quote_ts=at, venue="oddsapi", market_key=mapping["event_id"]
            )
    if book:
        at = _instant(book["snapshot_ts"])
        trail["book_snapshot"] = _rows(warehouse, BOOK_SQL, snapshot_ts=at, token_id=book["token_id"])
    if mapping.get("pm_token_id"):
        trail["mapping"] = _first(_rows(warehouse, MAPPING_SQL, pm_token_id=mapping["pm_token_id"]))
    if consensus:
        key = {"event_id": consensus["event_id"], "outcome": consensus["outcome"]}
        trail["consensus"] = _first(
            _rows(warehouse, CONSENSUS_SQL, quote_ts=_instant(consensus["quote_ts"]), **key)
        )
    return trail


def _rows(warehouse: ReadOnlyWarehouse, sql: str, **params: Any) -> list[dict[str, Any]]:
    return warehouse.rows(sql, params)


def _first(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return rows[0] if rows else None


def _instant(text: str) -> datetime:
    stamp = pd.Timestamp(text)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()
