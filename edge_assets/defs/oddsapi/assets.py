"""The Odds API: live h2h odds (polled), hourly historical snapshots, and scores."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import (
    Ingested,
    ingest,
    ingest_lag_seconds,
    lag_seconds,
    quarantine_metadata,
    table_metadata,
)
from edge_assets.defs.hourly_fetch import (
    HOURLY_FETCH_RETRY,
    FetchedHour,
    fail_unlanded_hours,
    fetch_each_hour,
    range_lag_seconds,
    range_metadata,
)
from edge_assets.defs.partitions import (
    HOURLY_KEY_FORMAT,
    HOURLY_PARTITIONS,
    SINGLE_RUN_BACKFILL,
    UNPARTITIONED,
    partition_hours,
    partition_label,
)
from edge_assets.defs.settings import EdgeSettings
from edge_assets.notify.alerts import alerts_frame, quota_low_alert
from edge_assets.notify.resource import AlertingResource
from edge_assets.sources.oddsapi import parse_historical_snapshots, parse_odds_events, parse_scores
from edge_assets.sources.parsing import concat_results
from edge_assets.sources.resources import OddsApiResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

GROUP = "oddsapi"
# The events a backfill range's hours hold, those an earlier attempt landed included.
HOUR_EVENTS_SQL = """
SELECT COUNT(DISTINCT event_id) AS events FROM oddsapi_historical_odds
WHERE partition_ts >= :start AND partition_ts < :end
"""


def _quota_metadata(oddsapi: OddsApiResource, warehouse: Warehouse, alerting: AlertingResource) -> dict:
    """The quota left after this run, for the UI; running low (under twice the floor) raises an alert."""
    quota = oddsapi.last_quota
    if quota is None:
        return {}
    threshold = 2 * oddsapi.quota_floor
    if quota.remaining is not None and quota.remaining < threshold:
        alert = quota_low_alert(quota.remaining, threshold, datetime.now(UTC))
        alerting.raise_alerts(warehouse, alerts_frame([alert]))
    return {
        "regions": oddsapi.regions,  # what each request is billed by: markets x regions
        "quota_remaining": quota.remaining,
        "quota_used": quota.used,
        "quota_last_cost": quota.last,
    }


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    pool="oddsapi",
    metadata=table_metadata(
        "insert_missing",
        primary_key=["snapshot_ts", "event_id", "bookmaker", "outcome"],
        time_column="snapshot_ts",
    ),
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=15)),
)
def oddsapi_live_odds(
    context: dg.AssetExecutionContext,
    oddsapi: OddsApiResource,
    settings: EdgeSettings,
    lake: Lake,
    warehouse: Warehouse,
    alerting: AlertingResource,
) -> dg.Output[pd.DataFrame]:
    """Current head-to-head prices of every configured sport at every bookmaker, one row per outcome.

    Each poll is kept as a snapshot. The Odds API quota read from the response headers is shown
    here; below the configured floor, polling stops with a clear error instead of burning the key.
    """
    odds = ingest(
        lake,
        warehouse,
        "oddsapi",
        "live_odds",
        UNPARTITIONED,
        fetch=lambda: [oddsapi.fetch_odds(sport) for sport in settings.sports],
        # Each sport's response is its own snapshot, stamped when it arrived.
        parse=lambda payloads: concat_results(
            parse_odds_events(p.data, p.fetched_at, p.fetched_at, oddsapi.odds_format) for p in payloads
        ),
    )
    frame = odds.frame
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "events": frame["event_id"].nunique(),
            "bookmakers": frame["bookmaker"].nunique(),
            "ingest_lag_s": dg.MetadataValue.float(ingest_lag_seconds(frame, "book_update_ts")),
            **quarantine_metadata([odds]),
            **_quota_metadata(oddsapi, warehouse, alerting),
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    pool="oddsapi",
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    metadata=table_metadata(
        "replace_partition",
        partition_column="partition_ts",
        primary_key=["partition_ts", "event_id", "bookmaker", "outcome"],
    ),
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2)),
    retry_policy=HOURLY_FETCH_RETRY,
)
def oddsapi_historical_odds(
    context: dg.AssetExecutionContext,
    oddsapi: OddsApiResource,
    settings: EdgeSettings,
    lake: Lake,
    warehouse: Warehouse,
    alerting: AlertingResource,
) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
    """The bookmakers' head-to-head prices as they stood at the start of each hour.

    Taken from the historical endpoint (the snapshot at or before the hour; 10x quota cost), so
    past hours can be backfilled in one run and a live hour reads the same way. An hour whose
    request fails after its retries fails alone: the others land (`fail_unlanded_hours`), and
    Dagster's retry of the step fetches only the hours that did not.
    """
    hours = partition_hours(context)
    label = partition_label(context)
    key = context.asset_key

    def fetch_hour(hour: datetime) -> FetchedHour:
        ingested = _ingest_historical_hour(oddsapi, settings, lake, warehouse, label, hour)
        lag_s = lag_seconds(ingested.frame, "book_update_ts", "partition_ts")
        return FetchedHour({key: (ingested.frame, [ingested])}, lag_s)

    by_hour = fetch_each_hour(context, warehouse, "historical odds", hours, fetch_hour)
    yield from fail_unlanded_hours(context, by_hour)
    events = warehouse.read_frame(HOUR_EVENTS_SQL, {"start": hours[0], "end": hours[-1] + timedelta(hours=1)})
    yield dg.MaterializeResult(
        metadata={
            **range_metadata(by_hour, key),
            "events": int(events["events"].iloc[0]),
            "book_lag_at_hour_s": range_lag_seconds(by_hour),
            **_quota_metadata(oddsapi, warehouse, alerting),
        },
    )


def _ingest_historical_hour(
    oddsapi: OddsApiResource,
    settings: EdgeSettings,
    lake: Lake,
    warehouse: Warehouse,
    label: str,
    hour: datetime,
) -> Ingested:
    """Every sport's snapshot at `hour`, parsed as one frame; raw payloads filed under the hour."""
    return ingest(
        lake,
        warehouse,
        "oddsapi",
        "historical_odds",
        label,
        fetch=lambda: [oddsapi.fetch_historical_odds(sport, hour) for sport in settings.sports],
        parse=lambda payloads: parse_historical_snapshots(
            [(p.data, p.fetched_at) for p in payloads], hour, oddsapi.odds_format
        ),
        raw_partition=hour.strftime(HOURLY_KEY_FORMAT),
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    pool="oddsapi",
    metadata=table_metadata("upsert", primary_key=["event_id"]),
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1)),
)
def oddsapi_scores(
    oddsapi: OddsApiResource,
    settings: EdgeSettings,
    lake: Lake,
    warehouse: Warehouse,
    alerting: AlertingResource,
) -> dg.Output[pd.DataFrame]:
    """Scores and completion of recent and live games (the last three days), upserted per event."""
    scores = ingest(
        lake,
        warehouse,
        "oddsapi",
        "scores",
        UNPARTITIONED,
        fetch=lambda: [oddsapi.fetch_scores(sport) for sport in settings.sports],
        parse=lambda payloads: concat_results(parse_scores(p.data, p.fetched_at) for p in payloads),
    )
    frame = scores.frame
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "completed": int(frame["completed"].sum()),
            **quarantine_metadata([scores]),
            **_quota_metadata(oddsapi, warehouse, alerting),
        },
    )
