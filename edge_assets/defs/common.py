"""Pieces every asset group shares: the hourly partitions, raw landing and quarantine."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

# Single-run backfills are the point of the hourly design; Dagster labels the parameter beta.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

# Hourly partitions include the hour in progress (end_offset=1): partition H holds what the
# venues showed at H, so the schedule can capture the current hour as it starts.
HOURLY_PARTITIONS = dg.HourlyPartitionsDefinition(start_date="2025-01-01-00:00", end_offset=1)
# How an hour is written as a partition key (and so in lake paths).
HOURLY_KEY_FORMAT = HOURLY_PARTITIONS.fmt
SINGLE_RUN_BACKFILL = dg.BackfillPolicy.single_run()
UNPARTITIONED = "all"


def partition_hours(context: dg.AssetExecutionContext) -> list[datetime]:
    """Every hour covered by this run: one for a scheduled run, many for a single-run backfill."""
    window = context.partition_time_window
    start = window.start.astimezone(UTC)
    count = int((window.end - window.start) / timedelta(hours=1))
    return [start + timedelta(hours=i) for i in range(count)]


def partition_label(context: dg.AssetExecutionContext) -> str:
    """The partition key, or the key range of a single-run backfill, for lake paths and logs."""
    if not context.has_partition_key_range:
        return UNPARTITIONED
    key_range = context.partition_key_range
    if key_range.start == key_range.end:
        return key_range.start
    return f"{key_range.start}..{key_range.end}"


def land_raw(lake: Lake, venue: str, asset: str, partition: str, payloads: Iterable) -> str:
    """Write the untouched payloads to the lake before anything parses them."""
    rows = [{"fetched_at": p.fetched_at, "url": p.url, "status": p.status, "body": p.text} for p in payloads]
    return lake.write_raw(venue, asset, partition, rows)


def quarantine(warehouse: Warehouse, venue: str, asset: str, partition: str, records: Iterable) -> int:
    """Keep records that failed parsing, with their reason, instead of dropping them."""
    now = datetime.now(UTC)
    rows = []
    for item in records:
        text = json.dumps(item.record, sort_keys=True, default=str)
        rows.append(
            {
                "venue": venue,
                "asset": asset,
                "partition_key": partition,
                "record_hash": hashlib.sha256(text.encode()).hexdigest()[:32],
                "reason": item.reason,
                "record": text,
                "quarantined_at": now,
            }
        )
    if not rows:
        return 0
    frame = pd.DataFrame(rows).drop_duplicates(["venue", "asset", "partition_key", "record_hash"])
    return warehouse.upsert("quarantine", frame, ["venue", "asset", "partition_key", "record_hash"])


def table_metadata(
    table: str, write_mode: str, *, primary_key: list[str] | None = None, partition_column: str | None = None
) -> dict:
    """Definition metadata telling the warehouse IO manager where and how an asset is stored."""
    metadata: dict = {"table": table, "write_mode": write_mode}
    if primary_key:
        metadata["primary_key"] = primary_key
    if partition_column:
        metadata["partition_column"] = partition_column
    return metadata


def ingest_lag_seconds(frame: pd.DataFrame, source_column: str, fetched_column: str = "fetched_at") -> float:
    """Median time from a venue's own timestamp to our fetch: how old data is when it lands."""
    if frame.empty:
        return 0.0
    lag = (frame[fetched_column] - frame[source_column]).dt.total_seconds()
    return float(lag.median()) if lag.notna().any() else 0.0
