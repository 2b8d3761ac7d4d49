"""`GET /api/health`: can the database be read, is the change feed following, when did data last arrive."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.feed import ChangeFeed

# Each source table's observation time, on a column its primary key starts with (or a small table),
# so each MAX is one index seek.
INGEST_TIMES = {
    "order_book_snapshots": "snapshot_ts",
    "oddsapi_historical_odds": "partition_ts",
    "oddsapi_live_odds": "snapshot_ts",
    "predictit_market_data": "fetched_at",
    "polymarket_markets": "fetched_at",
}
INGEST_SQL = " UNION ALL ".join(
    f"SELECT '{table}' AS source, MAX({column}) AS latest_ts FROM {table}"
    for table, column in INGEST_TIMES.items()
)
TRADED_SQL = "SELECT 1 AS traded FROM executions LIMIT 1"
SCHEMA_SQL = "SELECT MAX(version) AS version FROM schema_migrations"


def health_report(
    warehouse: ReadOnlyWarehouse, feed: ChangeFeed, live_signals: bool, trading_table: bool
) -> dict:
    stream_ok, stream_detail = feed.status()
    report: dict[str, Any] = {
        "stream": {"ok": stream_ok, "detail": stream_detail},
        "live_signals": live_signals,
        "paper_trading": False,
        "last_ingest": {},
        "last_ingest_at": None,
    }
    try:
        version = warehouse.rows(SCHEMA_SQL)[0]["version"]
        latest = {row["source"]: row["latest_ts"] for row in warehouse.rows(INGEST_SQL)}
        if trading_table:
            report["paper_trading"] = bool(warehouse.rows(TRADED_SQL))
    except SQLAlchemyError as error:
        # The class name only: driver messages can quote connection details.
        report["database"] = {"ok": False, "detail": f"cannot be read ({type(error).__name__})"}
        report["status"] = "degraded"
        return report
    report["database"] = {"ok": True, "detail": f"{warehouse.dialect()}, schema version {version}"}
    report["last_ingest"] = latest
    report["last_ingest_at"] = max((stamp for stamp in latest.values() if stamp), default=None)
    report["status"] = "ok" if stream_ok else "degraded"
    return report
