"""Polymarket: Gamma markets (polled), their resolutions, and hourly CLOB order-book snapshots."""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import Ingested, ingest, lag_seconds, quarantine_metadata, table_metadata
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
from edge_assets.sources.polymarket import (
    RECHECK_LEVELS,
    BookCapture,
    fetches_live,
    market_by_token,
    parse_book_payloads,
    parse_market_pages,
    parse_resolutions,
    plan_book_capture,
    recheck_wait_s,
    stack_books,
    stack_rechecks,
)
from edge_assets.sources.resources import PolymarketClobResource, PolymarketGammaResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

GROUP = "polymarket"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    pool="polymarket",
    metadata=table_metadata("upsert", primary_key=["market_id"]),
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=15)),
)
def polymarket_markets(
    context: dg.AssetExecutionContext, gamma: PolymarketGammaResource, lake: Lake, warehouse: Warehouse
) -> dg.Output[pd.DataFrame]:
    """Every Polymarket market from the Gamma API, open and closed, upserted on each poll.

    One row per market with its outcomes, CLOB token ids, fee schedule, best bid and ask and, for
    sports, the game start time. Raw pages land in the lake first; a record that fails to parse is
    quarantined with its reason and the rest are kept.
    """
    pages = ingest(
        lake,
        warehouse,
        "polymarket",
        "markets",
        UNPARTITIONED,
        fetch=gamma.fetch_markets,
        parse=parse_market_pages,
    )
    frame = pages.frame
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "open_markets": int((~frame["closed"]).sum()),
            "closed_markets": int(frame["closed"].sum()),
            **quarantine_metadata([pages]),
            "pages": pages.requests,
            "raw_uri": pages.raw_uri,
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("upsert", primary_key=["token_id"]),
    automation_condition=dg.AutomationCondition.eager(),
)
def polymarket_resolutions(polymarket_markets: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """How each closed Polymarket market resolved: one row per token, payout 1 or 0."""
    frame = parse_resolutions(polymarket_markets)
    return dg.Output(frame, metadata={"rows": len(frame), "markets": frame["market_id"].nunique()})


BOOK_KEY = ["snapshot_ts", "token_id", "side", "level"]
SNAPSHOTS, RECHECKS = dg.AssetKey("order_book_snapshots"), dg.AssetKey("order_book_rechecks")


@dg.multi_asset(
    group_name=GROUP,
    pool="polymarket",
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    outs={
        "order_book_snapshots": dg.AssetOut(
            kinds={"python", "sql"},
            description="The CLOB order book of every open Polymarket token at the start of each hour: "
            "one row per price level, level 0 the best, whatever order the API sent.",
            metadata=table_metadata(
                "replace_partition",
                partition_column="snapshot_ts",
                primary_key=BOOK_KEY,
            ),
            freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2)),
        ),
        "order_book_rechecks": dg.AssetOut(
            kinds={"python", "sql"},
            description="A sample (`fill_recheck_share`) of each hour's books taken again "
            f"`fill_horizon_seconds` later (a minute by default), the first {RECHECK_LEVELS} levels a "
            "side: whether the depth quoted at the hour was still "
            "there when a taker could have acted on it. The cost model's fill probability comes from "
            "these pairs.",
            metadata=table_metadata(
                "replace_partition",
                partition_column="snapshot_ts",
                primary_key=BOOK_KEY,
            ),
        ),
    },
    ins={"polymarket_markets": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    retry_policy=HOURLY_FETCH_RETRY,
)
def order_books(
    context: dg.AssetExecutionContext,
    clob: PolymarketClobResource,
    lake: Lake,
    warehouse: Warehouse,
    settings: EdgeSettings,
    polymarket_markets: pd.DataFrame,
):
    """Per hour, every open token's book and its recheck a horizon later, in one step so that a
    failed check on the books never leaves the fill measure without its second half.

    A single run covers a whole backfill range; the simulator serves past books, the real CLOB
    only the current one, so live the recheck waits out the horizon after the hour's fetch. An
    hour whose requests fail after their retries fails alone: the others land
    (`fail_unlanded_hours`), and Dagster's retry of the step fetches only the hours that did not."""
    horizon = timedelta(seconds=settings.fill_horizon_seconds)
    hours = partition_hours(context)
    label = partition_label(context)
    by_token = market_by_token(polymarket_markets)

    def fetch_hour(hour: datetime) -> FetchedHour:
        plan = plan_book_capture(polymarket_markets, hour, horizon, settings.fill_recheck_share)
        books, again = [], []
        if plan is not None:
            captured, recaptured = _capture_books(clob, lake, warehouse, label, plan, by_token)
            books, again = [captured], [recaptured]
        books_frame = stack_books(capture.frame for capture in books)
        outputs = {SNAPSHOTS: (books_frame, books), RECHECKS: (stack_rechecks(a.frame for a in again), again)}
        return FetchedHour(outputs, lag_seconds(books_frame, "book_ts", "snapshot_ts"))

    by_hour = fetch_each_hour(context, warehouse, "order books", hours, fetch_hour)
    yield from fail_unlanded_hours(context, by_hour)
    yield dg.MaterializeResult(
        asset_key=SNAPSHOTS,
        metadata={**range_metadata(by_hour, SNAPSHOTS), "book_lag_at_hour_s": range_lag_seconds(by_hour)},
    )
    yield dg.MaterializeResult(
        asset_key=RECHECKS,
        metadata={**range_metadata(by_hour, RECHECKS), "horizon_s": horizon.total_seconds()},
    )


def _capture_books(
    clob: PolymarketClobResource,
    lake: Lake,
    warehouse: Warehouse,
    label: str,
    plan: BookCapture,
    by_token: dict[str, str],
) -> tuple[Ingested, Ingested]:
    """One hour's books, then their recheck; from a live CLOB the recheck first waits until a
    horizon has passed since the books were fetched."""
    live = fetches_live(plan.hour, datetime.now(UTC), clob.historical_books)

    def capture(asset: str, tokens: list[str], stamp: datetime) -> Ingested:
        return ingest(
            lake,
            warehouse,
            "polymarket",
            asset,
            label,
            fetch=lambda: clob.fetch_books(tokens, at=None if live else stamp),
            parse=lambda payloads: parse_book_payloads(payloads, stamp, by_token),
            raw_partition=plan.hour.strftime(HOURLY_KEY_FORMAT),
        )

    books = capture("order_book_snapshots", plan.tokens, plan.hour)
    if live:
        time.sleep(recheck_wait_s(books.fetched_at, plan.horizon, datetime.now(UTC)))
    return books, capture("order_book_rechecks", plan.recheck_tokens, plan.recheck_at)
