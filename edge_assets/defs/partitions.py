"""The partitions every asset group shares: hourly for venue history and what is derived from it,
daily for modeling; and the partition window a run covers."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import dagster as dg

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


# Modeling trains once a day, on the trailing hours up to the day's end.
DAILY_PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-01-01")


def time_chunks(start: datetime, end: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows of `step` from `start`, the last one shorter if
    need be: how a long run reads a month of history a piece at a time instead of all at once."""
    chunks = []
    while start < end:
        chunks.append((start, min(start + step, end)))
        start += step
    return chunks
