"""Polymarket: Gamma markets (polled), their resolutions, and hourly CLOB order-book snapshots."""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import ingest_lag_seconds, land_raw, quarantine, table_metadata
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
    PolymarketClobResource,
    PolymarketGammaResource,
    parse_clob_books,
    parse_gamma_markets,
    parse_resolutions,
)
from edge_assets.sources.universe import market_tokens, recheck_sample, tokens_open_at
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

GROUP = "polymarket"
# A taker walks a few levels at most (signals read five), so a recheck keeps only those.
RECHECK_LEVELS = 5
SNAPSHOT_FETCHED_SQL = (
    "SELECT MAX(fetched_at) AS fetched_at FROM order_book_snapshots WHERE snapshot_ts = :hour"
)


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
    payloads = gamma.fetch_markets()
    raw_uri = land_raw(lake, "polymarket", "markets", UNPARTITIONED, payloads)
    records = [market for payload in payloads for market in payload.data]
    fetched_at = max(p.fetched_at for p in payloads)
    parsed = parse_gamma_markets(records, fetched_at)
    n_bad = quarantine(warehouse, "polymarket", "markets", UNPARTITIONED, parsed.quarantined)
    frame = parsed.frame
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "open_markets": int((~frame["closed"]).sum()),
            "closed_markets": int(frame["closed"].sum()),
            "quarantined": n_bad,
            "pages": len(payloads),
            "raw_uri": raw_uri,
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
    only the current one, so live the recheck waits out the horizon after the hour's fetch."""
    horizon = timedelta(seconds=settings.fill_horizon_seconds)
    hours = partition_hours(context)
    label = partition_label(context)
    market_by_token = _market_by_token(polymarket_markets)
    captured = {"order_book_snapshots": [], "order_book_rechecks": []}
    counts = {name: {"books": 0, "quarantined": 0} for name in captured}

    def capture(name: str, tokens: list[str], hour: datetime, stamp: datetime, live: bool) -> datetime:
        payloads = clob.fetch_books(tokens, at=None if live else stamp)
        land_raw(lake, "polymarket", name, hour.strftime(HOURLY_KEY_FORMAT), payloads)
        books = [book for payload in payloads for book in payload.data]
        fetched_at = max(p.fetched_at for p in payloads)
        parsed = parse_clob_books(books, stamp, fetched_at, market_by_token)
        counts[name]["quarantined"] += quarantine(warehouse, "polymarket", name, label, parsed.quarantined)
        counts[name]["books"] += len(books)
        captured[name].append(parsed.frame)
        return fetched_at

    for i, hour in enumerate(hours):
        tokens = tokens_open_at(polymarket_markets, hour)
        if not tokens:
            continue
        live = _is_now(hour) and not clob.historical_books
        fetched_at = capture("order_book_snapshots", tokens, hour, hour, live)
        if live:
            time.sleep(max(0.0, (fetched_at + horizon - datetime.now(UTC)).total_seconds()))
        capture(
            "order_book_rechecks",
            recheck_sample(tokens, hour, settings.fill_recheck_share),
            hour,
            hour + horizon,
            live,
        )
        if (i + 1) % 24 == 0:
            context.log.info(f"order books: {i + 1}/{len(hours)} hours captured")

    empty = parse_clob_books([], hours[0], hours[0], {}).frame
    books = _concat(captured["order_book_snapshots"], empty)
    rechecks = _concat(captured["order_book_rechecks"], empty)
    rechecks = rechecks[rechecks["level"] < RECHECK_LEVELS].reset_index(drop=True)
    yield dg.Output(
        books,
        output_name="order_book_snapshots",
        metadata={
            "rows": len(books),
            "hours": len(hours),
            **counts["order_book_snapshots"],
            "book_lag_at_hour_s": dg.MetadataValue.float(ingest_lag_seconds(books, "book_ts", "snapshot_ts")),
        },
    )
    yield dg.Output(
        rechecks,
        output_name="order_book_rechecks",
        metadata={
            "rows": len(rechecks),
            "horizon_s": horizon.total_seconds(),
            **counts["order_book_rechecks"],
        },
    )


def _market_by_token(markets: pd.DataFrame) -> dict[str, str]:
    tokens = market_tokens(markets)
    return dict(zip(tokens["token_id"], tokens["market_id"], strict=True))


def _is_now(hour: datetime) -> bool:
    """True while `hour` is the hour in progress, the only one a live-only CLOB can serve."""
    now = datetime.now(UTC)
    return hour <= now < hour + timedelta(hours=1)


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else empty
