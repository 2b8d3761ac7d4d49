"""Monitoring figures read from the warehouse, and their Prometheus exposition (`edge-assets metrics`).

`collect` reads the figures; `serve_metrics` serves them at `/metrics`, reading the warehouse
afresh on every scrape (a custom collector, so nothing goes stale between scrapes). The Odds API
quota is not in the warehouse: it comes from a callback (the live-odds asset's metadata).
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIServer

import pandas as pd
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from edge_assets.environment import Environment
from edge_assets.mapping import MAPPED
from edge_assets.notify.alerts import DELIVERY_STATUSES
from edge_assets.notify.logs import redact
from edge_assets.storage.db import Warehouse

logger = logging.getLogger(__name__)

DEFAULT_METRICS_PORT = 9108
# The instant each source table's rows describe: observation time where the venue gives one,
# else the time edge_assets fetched the row.
SOURCE_TIMESTAMPS = {
    "polymarket_markets": "fetched_at",
    "polymarket_resolutions": "fetched_at",
    "order_book_snapshots": "snapshot_ts",
    "order_book_rechecks": "snapshot_ts",
    "oddsapi_live_odds": "snapshot_ts",
    "oddsapi_historical_odds": "snapshot_ts",
    "oddsapi_scores": "fetched_at",
    "predictit_market_data": "fetched_at",
}
# Bookkeeping of the migrations runner, not data.
_NOT_DATA_TABLES = {"schema_migrations"}
SIGNALS_WINDOW = timedelta(hours=24)

QuotaSource = Callable[[], float | None]


def collect(warehouse: Warehouse, now: datetime, quota_remaining: float | None = None) -> dict[str, Any]:
    """The monitoring figures at `now`.

    Keys: `table_rows` {table: rows}, `freshness_lag_seconds` {source table: now minus its latest
    timestamp, None when empty}, `oddsapi_quota_remaining` (as given), `signals_last_24h` (signals
    whose as-of time is within 24 h), `mapping_coverage` (mapped share of sports tokens, None with
    none), `alerts_by_status` {delivery status: alerts}.
    """
    engine = warehouse.engine()
    quote = engine.dialect.identifier_preparer.quote
    tables = sorted(set(inspect(engine).get_table_names()) - _NOT_DATA_TABLES)
    # Identifiers cannot be bound parameters; these come from the database's own catalogue, quoted.
    table_rows = {
        table: int(_scalar(warehouse, f"SELECT COUNT(*) AS row_count FROM {quote(table)}"))
        for table in tables
    }
    freshness = {}
    for table, column in SOURCE_TIMESTAMPS.items():
        # The `_ts` alias makes read_frame return a UTC timestamp on both dialects.
        latest = _scalar(warehouse, f"SELECT MAX({quote(column)}) AS latest_ts FROM {quote(table)}")
        freshness[table] = None if pd.isna(latest) else (now - latest).total_seconds()
    signals_last_24h = _scalar(
        warehouse,
        "SELECT COUNT(*) AS signal_count FROM signals WHERE created_at >= :since",
        {"since": now - SIGNALS_WINDOW},
    )
    coverage = warehouse.read_frame(
        "SELECT COUNT(*) AS sports_tokens, "
        "SUM(CASE WHEN status = :mapped THEN 1 ELSE 0 END) AS mapped_tokens "
        "FROM market_mappings WHERE sport_key IS NOT NULL",
        {"mapped": MAPPED},
    ).iloc[0]
    sports_tokens = int(coverage["sports_tokens"])
    alerts = warehouse.read_frame(
        "SELECT delivery_status, COUNT(*) AS alert_count FROM alerts GROUP BY delivery_status"
    )
    return {
        "table_rows": table_rows,
        "freshness_lag_seconds": freshness,
        "oddsapi_quota_remaining": quota_remaining,
        "signals_last_24h": int(signals_last_24h),
        "mapping_coverage": int(coverage["mapped_tokens"]) / sports_tokens if sports_tokens else None,
        # Every known status, zero included, so a status appearing is a change in a series, not a new one.
        "alerts_by_status": dict.fromkeys(DELIVERY_STATUSES, 0)
        | {
            str(status): int(count)
            for status, count in zip(alerts["delivery_status"], alerts["alert_count"], strict=True)
        },
    }


def _scalar(warehouse: Warehouse, sql: str, params: dict[str, Any] | None = None) -> Any:
    """The one value of a one-row, one-column query."""
    return warehouse.read_frame(sql, params).iloc[0, 0]


class WarehouseCollector(Collector):
    """Prometheus gauges of `collect`, read at each scrape; `edge_warehouse_up` is 0 when reading failed."""

    def __init__(
        self,
        warehouse: Warehouse,
        quota_remaining: QuotaSource | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._warehouse = warehouse
        self._quota_remaining = quota_remaining
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("edge_warehouse_up", "1 when the warehouse could be read at this scrape")
        quota = self._quota_remaining() if self._quota_remaining else None
        try:
            figures = collect(self._warehouse, self._clock(), quota)
        except SQLAlchemyError as error:
            # The database URL may carry a password; SQLAlchemy errors can quote connection details.
            password = make_url(self._warehouse.url).password
            logger.warning("Reading metrics failed: %s", redact(str(error).splitlines()[0], [password]))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _gauges(figures)


def _gauges(figures: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    rows = GaugeMetricFamily("edge_table_rows", "Rows in each warehouse table", labels=["table"])
    for table, count in figures["table_rows"].items():
        rows.add_metric([table], count)
    yield rows
    lag = GaugeMetricFamily(
        "edge_source_freshness_lag_seconds",
        "Seconds since the latest row of each source table (absent while the table is empty)",
        labels=["table"],
    )
    for table, seconds in figures["freshness_lag_seconds"].items():
        if seconds is not None:
            lag.add_metric([table], seconds)
    yield lag
    if figures["oddsapi_quota_remaining"] is not None:
        yield GaugeMetricFamily(
            "edge_oddsapi_quota_remaining",
            "Requests left on The Odds API key, as last reported",
            value=figures["oddsapi_quota_remaining"],
        )
    yield GaugeMetricFamily(
        "edge_signals_last_24h",
        "Signals whose as-of time is within the last 24 hours",
        value=figures["signals_last_24h"],
    )
    if figures["mapping_coverage"] is not None:
        yield GaugeMetricFamily(
            "edge_mapping_coverage_ratio",
            "Share of sports Polymarket tokens mapped to a sportsbook outcome",
            value=figures["mapping_coverage"],
        )
    alerts = GaugeMetricFamily(
        "edge_alerts", "Alerts in the alerts table by delivery status", labels=["status"]
    )
    for status, count in figures["alerts_by_status"].items():
        alerts.add_metric([status], count)
    yield alerts


@dataclass
class MetricsServer:
    """A running `/metrics` endpoint; `port` is the bound port (useful when asked for port 0)."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    def shutdown(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(
    warehouse: Warehouse,
    port: int,
    host: str = "127.0.0.1",
    quota_remaining: QuotaSource | None = None,
) -> MetricsServer:
    """Serve the warehouse's figures in Prometheus text format at http://host:port/metrics.

    The server runs in a daemon thread; call `shutdown` on the result to stop it.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WarehouseCollector(warehouse, quota_remaining))
    server, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsServer(server, thread)


def add_metrics_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `edge-assets metrics`."""
    parser.add_argument("--port", type=int, default=DEFAULT_METRICS_PORT, help="port to serve /metrics on")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the warehouse (default: EDGE_DATABASE_URL or the local SQLite file)",
    )


def run_metrics(args: argparse.Namespace, quota_remaining: QuotaSource | None = None) -> int:
    """Run `edge-assets metrics` until interrupted; 0 on a clean stop."""
    url = args.database_url or Environment.from_env().database_url
    metrics = serve_metrics(Warehouse(url=url), args.port, args.host, quota_remaining)
    print(f"Serving metrics on http://{args.host}:{metrics.port}/metrics (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        metrics.shutdown()
    return 0
