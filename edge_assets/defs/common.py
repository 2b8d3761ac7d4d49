"""Pieces every asset group shares: ingesting a source (raw landing, parsing, quarantine) and
table metadata."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from dagster import MetadataValue

from edge_assets.defs.partitions import time_chunks
from edge_assets.sources.http import Payload
from edge_assets.sources.parsing import ParseResult
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake


@dataclass(frozen=True)
class Ingested:
    """One source fetch as kept: the parsed rows (and their count), how many requests and top-level
    records the payloads held, when the last one arrived (None without any), how many records went
    to quarantine, and where the raw payloads landed. The payloads themselves are not kept (the raw
    bodies sit in the lake), and an hourly backfill keeps each hour `counted` once it is written."""

    frame: pd.DataFrame
    rows: int
    requests: int
    records: int
    fetched_at: datetime | None
    quarantined: int
    quarantined_rows: int  # the rows the quarantined records would have landed as
    raw_uri: str

    def counted(self) -> Ingested:
        """This fetch without its rows, its counts kept: what a month's backfill holds of an hour
        it has written. A copy: an empty slice is a view that keeps the whole frame's arrays alive,
        which grew a 30-day backfill's order-books step by about 1 MB an hour, to 950 MB."""
        return dataclasses.replace(self, frame=self.frame.iloc[0:0].copy())


# The standard metadata keys of a landed source asset: records quarantined, and the share of rows
# they took out (`quarantine_metadata`), which the quarantine check judges.
QUARANTINED_KEY = "quarantined"
QUARANTINED_SHARE_KEY = "quarantined_share"


def quarantine_metadata(ingested: Iterable[Ingested]) -> dict:
    """`QUARANTINED_KEY` and `QUARANTINED_SHARE_KEY` over one run's ingests. A quarantined record is
    the smallest unit that was wrong (a book level, an outcome, a market, an event without its
    teams); the share is of rows, each record weighed by the rows it would have landed as, so an
    event quarantined whole counts as all its prices, not as one."""
    ingested = list(ingested)
    quarantined = sum(item.quarantined for item in ingested)
    lost = sum(item.quarantined_rows for item in ingested)
    parsed = lost + sum(item.rows for item in ingested)
    share = lost / parsed if parsed else 0.0
    return {QUARANTINED_KEY: quarantined, QUARANTINED_SHARE_KEY: MetadataValue.float(share)}


def ingest(
    lake: Lake,
    warehouse: Warehouse,
    venue: str,
    asset: str,
    partition: str,
    *,
    fetch: Callable[[], Sequence[Payload]],
    parse: Callable[[Sequence[Payload]], ParseResult],
    raw_partition: str | None = None,
) -> Ingested:
    """Fetch a source's payloads, land them untouched in the lake, parse them, and quarantine the
    records that failed, under `partition`; `raw_partition` files the raw payloads of one hour of a
    multi-hour run under that hour instead."""
    payloads = list(fetch())
    raw_uri = land_raw(lake, venue, asset, raw_partition or partition, payloads)
    parsed = parse(payloads)
    n_bad = quarantine(warehouse, venue, asset, partition, parsed.quarantined)
    return Ingested(
        frame=parsed.frame,
        rows=len(parsed.frame),
        requests=len(payloads),
        records=sum(len(p.data) if isinstance(p.data, list) else 1 for p in payloads),
        fetched_at=max((p.fetched_at for p in payloads), default=None),
        quarantined=n_bad,
        quarantined_rows=sum(record.rows for record in parsed.quarantined),
        raw_uri=raw_uri,
    )


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
    write_mode: str,
    *,
    primary_key: list[str] | None = None,
    partition_column: str | None = None,
    time_column: str | None = None,
) -> dict:
    """Definition metadata telling the warehouse IO manager how an asset's table (named as the asset)
    is written, and the checks which column dates its rows (the partition column by default)."""
    metadata: dict = {"write_mode": write_mode}
    if primary_key:
        metadata["primary_key"] = primary_key
    if partition_column:
        metadata["partition_column"] = partition_column
    if time_column or partition_column:
        metadata["time_column"] = time_column or partition_column
    return metadata


def lag_seconds(frame: pd.DataFrame, source_column: str, fetched_column: str = "fetched_at") -> np.ndarray:
    """Per row, seconds from a venue's own timestamp to our fetch (NaN where either is unknown), as
    float32: a month's backfill keeps every hour's until it reports their median."""
    if frame.empty:
        return np.empty(0, dtype=np.float32)
    return (frame[fetched_column] - frame[source_column]).dt.total_seconds().to_numpy(np.float32)


def median_lag_seconds(lags: Iterable[np.ndarray]) -> float:
    """The median of `lag_seconds` over every row: how old data is when it lands (0.0 without any)."""
    lag = np.concatenate([np.empty(0, dtype=np.float32), *lags])
    return float(np.nanmedian(lag)) if np.isfinite(lag).any() else 0.0


def ingest_lag_seconds(frame: pd.DataFrame, source_column: str, fetched_column: str = "fetched_at") -> float:
    """Median time from a venue's own timestamp to our fetch, over `frame`'s rows."""
    return median_lag_seconds([lag_seconds(frame, source_column, fetched_column)])


def read_reduced_by_day(
    warehouse: Warehouse,
    sql: str,
    start: datetime,
    end: datetime,
    reduce: Callable[[pd.DataFrame], pd.DataFrame],
    **params,
) -> pd.DataFrame:
    """`reduce` of `sql`'s rows over [start, end), read and reduced a day at a time (`sql` takes
    :start and :end). For a reduction per book snapshot (depth, entry costs) the result is that of
    one pass, while a fortnight of book levels at once, over a million rows of 77-digit token ids,
    held more than a gigabyte."""
    return pd.concat(
        [
            reduce(warehouse.read_frame(sql, {"start": day_start, "end": day_end, **params}))
            for day_start, day_end in time_chunks(start, end, timedelta(days=1))
        ],
        ignore_index=True,
    )
