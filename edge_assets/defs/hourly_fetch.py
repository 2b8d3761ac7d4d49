"""The fetch loop of the hourly source assets: each hour is written as it lands, in its own
transaction (`write_hour`), so a month's backfill holds at most two hours' rows at a time; within a
single-run backfill, an hour whose request fails after its retries is set aside and named, and the
other hours still land.

An hour is written on a writer thread while the next one is fetched and parsed: SQLite and
PostgreSQL drivers release the GIL while they insert and commit, which was a third of the order-book
step (5.6 M levels in a 30-day backfill), so that time overlaps the next hour's requests.

The assets report a `MaterializeResult` for the range, since their rows are already written (the
warehouse IO manager writes nothing for them). Dagster 1.13 cannot fail one partition of a
single-run backfill (dagster-io/dagster#17836). When hours fail, the step reports each landed hour
as a materialization of its partition and then fails naming the failed hours: Dagster shows the
planned partitions that got no materialization as failed (with per-partition planned events, see
the demo's environment), and a backfill of the failed partitions fetches only those. A step killed
mid-range leaves written hours without a materialization; their rerun replaces them.

Dagster's retry of the step (`HOURLY_FETCH_RETRY`) fetches only the hours its first attempt did not
land: the run's own per-hour materializations say which landed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import dagster as dg
import numpy as np
import pandas as pd

from edge_assets.defs.common import Ingested, median_lag_seconds, quarantine_metadata
from edge_assets.defs.partitions import HOURLY_KEY_FORMAT, HOURLY_PARTITIONS
from edge_assets.sources.http import VenueHTTPError
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import table_name

# A failed step (some hours failed after their requests' own retries) runs once more after a
# pause, from Dagster; the hours that fail again are left to a backfill of the failed partitions.
# The pause (5 s, plus or minus as much) is read once, when the definitions load, from
# EDGE_HOURLY_RETRY_DELAY_S: the test suite, whose faults fail steps by the dozen, sets it short.
HOURLY_FETCH_RETRY = dg.RetryPolicy(
    max_retries=1,
    delay=float(os.environ.get("EDGE_HOURLY_RETRY_DELAY_S", "5")),
    backoff=dg.Backoff.EXPONENTIAL,
    jitter=dg.Jitter.PLUS_MINUS,
)
# How often a long backfill logs its progress, in hours.
PROGRESS_EVERY_HOURS = 24

T = TypeVar("T")


@dataclass
class HourlyFetch(Generic[T]):
    """Each hour of a run, fetched (`landed`, in hour order) or failed with its reason."""

    landed: dict[datetime, T] = field(default_factory=dict)
    failed: dict[datetime, str] = field(default_factory=dict)
    # Hours an earlier attempt of the step landed and this one did not fetch again.
    reused: list[datetime] = field(default_factory=list)

    @property
    def hours(self) -> int:
        """The hours of the run, whichever attempt landed them."""
        return len(self.landed) + len(self.failed) + len(self.reused)

    @property
    def failed_keys(self) -> dict[str, str]:
        """The failed hours as partition keys, each with its reason."""
        return {hour.strftime(HOURLY_KEY_FORMAT): reason for hour, reason in self.failed.items()}


@dataclass(frozen=True)
class FetchedHour:
    """One hour's rows of each asset of a step, with the fetches that gave them, and the lag of
    each of the step's own rows (`lag_seconds`): what `write_hour` writes."""

    outputs: Mapping[dg.AssetKey, tuple[pd.DataFrame, Sequence[Ingested]]]
    lag_s: np.ndarray


def fetch_each_hour(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    what: str,
    hours: list[datetime],
    fetch_hour: Callable[[datetime], FetchedHour],
) -> HourlyFetch[WrittenHour]:
    """`fetch_hour` for every hour in turn that no earlier attempt of the step landed, each hour
    written (`write_hour`) while the next is fetched; a request that failed for good fails its hour
    only. A failed write fails the step once the hour before it is written."""
    landed_before = landed_by_earlier_attempts(context)
    fetched: HourlyFetch[WrittenHour] = HourlyFetch(reused=[hour for hour in hours if hour in landed_before])
    hours = [hour for hour in hours if hour not in landed_before]
    if fetched.reused:
        context.log.info(
            f"{what}: retry {context.retry_number} keeps the {len(fetched.reused)} hours an earlier "
            f"attempt landed and fetches the other {len(hours)}"
        )
    writing: tuple[datetime, Future[WrittenHour]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hour-writer") as writer:
        for i, hour in enumerate(hours):
            try:
                fetched_hour = fetch_hour(hour)
            except VenueHTTPError as error:
                fetched.failed[hour] = str(error)
                context.log.warning(f"{what}: hour {hour.strftime(HOURLY_KEY_FORMAT)} failed: {error}")
            else:
                if writing is not None:  # one write in flight: two hours' rows held at most
                    fetched.landed[writing[0]] = writing[1].result()
                writing = (hour, writer.submit(write_hour, context, warehouse, hour, fetched_hour))
            if (i + 1) % PROGRESS_EVERY_HOURS == 0:
                context.log.info(f"{what}: {i + 1}/{len(hours)} hours fetched, {len(fetched.failed)} failed")
        if writing is not None:
            fetched.landed[writing[0]] = writing[1].result()
    return fetched


def landed_by_earlier_attempts(context: dg.AssetExecutionContext) -> set[datetime]:
    """On a retry of the step, the hours this run already materialized for every asset of the step
    (the per-hour materializations of `fail_unlanded_hours`); none on a first attempt."""
    if context.retry_number == 0:
        return set()
    events = context.instance.all_logs(context.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    keys = [
        (event.asset_materialization.asset_key, event.asset_materialization.partition) for event in events
    ]
    return {
        HOURLY_PARTITIONS.time_window_for_partition_key(partition).start.astimezone(UTC)
        for partition in partitions_of_every_key(keys, context.selected_asset_keys)
    }


def partitions_of_every_key(
    materialized: Iterable[tuple[dg.AssetKey, str | None]], asset_keys: Iterable[dg.AssetKey]
) -> set[str]:
    """The partitions that every one of `asset_keys` materialized, of (asset key, partition) pairs."""
    by_key: dict[dg.AssetKey, set[str]] = {key: set() for key in asset_keys}
    for key, partition in materialized:
        if key in by_key and partition is not None:
            by_key[key].add(partition)
    return set.intersection(*by_key.values()) if by_key else set()


@dataclass(frozen=True)
class WrittenHour:
    """One hour as written, per asset: the rows written and the fetches that gave them (counted,
    their rows dropped), and the lag of each row of the step's own rows (`lag_seconds`)."""

    rows: dict[dg.AssetKey, int]
    ingested: dict[dg.AssetKey, tuple[Ingested, ...]]
    lag_s: np.ndarray

    def metadata(self) -> dict[dg.AssetKey, dict]:
        """Each asset's metadata for this hour's materialization: its rows and quarantined share."""
        return {
            key: {"rows": rows, **quarantine_metadata(self.ingested[key])} for key, rows in self.rows.items()
        }


def write_hour(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    hour: datetime,
    fetched: FetchedHour,
) -> WrittenHour:
    """Write one hour's rows of each asset in place of that hour's, each table as the warehouse IO
    manager writes a partition (`replace_window` on its metadata's partition column), and keep the
    hour's counts. An hour without rows still clears what an earlier run left in it."""
    metadata_by_key = context.assets_def.metadata_by_key
    rows = {
        key: warehouse.replace_window(
            table_name(key), frame, metadata_by_key[key]["partition_column"], hour, hour + timedelta(hours=1)
        )
        for key, (frame, _) in fetched.outputs.items()
    }
    ingested = {key: tuple(item.counted() for item in items) for key, (_, items) in fetched.outputs.items()}
    return WrittenHour(rows, ingested, fetched.lag_s)


def range_metadata(fetched: HourlyFetch[WrittenHour], key: dg.AssetKey) -> dict:
    """An asset's metadata for the range a step wrote: its rows written, the hours of the range
    (and those an earlier attempt landed), records fetched and quarantined share over its fetches."""
    written = fetched.landed.values()
    ingested = [item for hour in written for item in hour.ingested[key]]
    return {
        "rows": sum(hour.rows[key] for hour in written),
        "hours": fetched.hours,
        "reused_hours": len(fetched.reused),
        "records": sum(item.records for item in ingested),
        "requests": sum(item.requests for item in ingested),
        **quarantine_metadata(ingested),
    }


def range_lag_seconds(fetched: HourlyFetch[WrittenHour]) -> dg.MetadataValue:
    """The median lag over every row the step wrote (see `lag_seconds`)."""
    return dg.MetadataValue.float(median_lag_seconds(hour.lag_s for hour in fetched.landed.values()))


def fail_unlanded_hours(
    context: dg.AssetExecutionContext,
    fetched: HourlyFetch[WrittenHour],
) -> Iterator[dg.AssetMaterialization]:
    """When hours failed: report each landed hour materialized, with its metadata (what the checks
    read), and fail the step naming the failed hours.

    The materializations are yielded (`yield from` in the asset): events logged with
    `context.log_event` are dropped when the step then raises."""
    if not fetched.failed:
        return
    for hour, item in fetched.landed.items():
        partition = hour.strftime(HOURLY_KEY_FORMAT)
        for key, metadata in item.metadata().items():
            yield dg.AssetMaterialization(key, partition=partition, metadata=metadata)
    failed = fetched.failed_keys
    raise dg.Failure(
        description=f"{len(failed)} of {fetched.hours} hours failed "
        f"({', '.join(failed)}); backfill the failed partitions",
        metadata={
            "failed_hours": dg.MetadataValue.json(failed),
            "landed_hours": fetched.hours - len(failed),
            "reused_hours": len(fetched.reused),
        },
    )


def unlanded_hours(
    instance: dg.DagsterInstance, asset_keys: list[dg.AssetKey], first: str, last: str
) -> set[str]:
    """The hours `first` .. `last` (partition keys) that one of `asset_keys` has not materialized."""
    keys = set(HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
    landed = set(keys)
    for asset_key in asset_keys:
        landed &= instance.get_materialized_partitions(asset_key)
    return keys - landed


def unlanded_hour_ranges(
    instance: dg.DagsterInstance, asset_keys: list[dg.AssetKey], first: str, last: str
) -> list[tuple[str, str]]:
    """The stretches of consecutive `unlanded_hours`, first and last key of each: what a rerun
    fetches."""
    keys = HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(first, last))
    return key_stretches(keys, unlanded_hours(instance, asset_keys, first, last))


def key_stretches(keys: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """The runs of consecutive `keys` (in order) that are in `wanted`, first and last key of each."""
    runs: list[list[str]] = []
    previous = None
    for index, key in enumerate(keys):
        if key in wanted:
            if previous != index - 1:
                runs.append([])
            runs[-1].append(key)
            previous = index
    return [(run[0], run[-1]) for run in runs]
