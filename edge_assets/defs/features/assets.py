"""Features: per mapped Polymarket token and hour, kept as parquet in the lake (the feature store),
with the latest row per token in SQL."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import read_reduced_by_day, table_metadata
from edge_assets.defs.features.store import latest_feature_hour
from edge_assets.defs.partitions import HOURLY_PARTITIONS, SINGLE_RUN_BACKFILL, partition_hours
from edge_assets.defs.quality import FOLLOW_CHECKED_INPUTS
from edge_assets.features import HISTORY_HOURS, OUTPUT_COLUMNS, book_depth, build_features
from edge_assets.features.build import DEPTH_CENTS
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

GROUP = "features"
POLYMARKET_QUOTES_SQL = """
SELECT * FROM quotes WHERE venue = 'polymarket' AND quote_ts >= :start AND quote_ts < :end
"""
CONSENSUS_SQL = "SELECT * FROM consensus WHERE quote_ts >= :start AND quote_ts < :end"
# Depth features need only the levels within their widest reach of the best price (level 0). The
# reach is in price, not in levels: at a 0.001 tick five cents can span fifty levels.
NEAR_BOOK_SQL = """
SELECT b.snapshot_ts, b.token_id, b.market_id, b.side, b.level, b.price, b.size
FROM order_book_snapshots b
JOIN order_book_snapshots best
  ON best.snapshot_ts = b.snapshot_ts AND best.token_id = b.token_id AND best.side = b.side
 AND best.level = 0
WHERE b.snapshot_ts >= :start AND b.snapshot_ts < :end AND ABS(b.price - best.price) <= :reach
"""
DEPTH_REACH = max(DEPTH_CENTS) / 100 + 1e-6  # slack for float prices


@dg.asset(
    group_name=GROUP,
    kinds={"python", "parquet"},
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    io_manager_key="lake_io_manager",
    metadata={"partition_column": "quote_ts"},
    deps=["quotes", "consensus", "order_book_snapshots"],
    automation_condition=FOLLOW_CHECKED_INPUTS,
)
def features(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Per mapped token and hour: bid, ask, mid, spread, depth within 1 and 5 cents, the
    de-vigged consensus and Polymarket's gap to it, book count and dispersion, 1h/6h/24h line moves,
    drift and volatility, the gap's z-score against its own 24h history, liquidity decay, time to
    start and league. Only data stamped at or before a row's hour feeds it (tested)."""
    window = context.partition_time_window
    span = {"start": window.start - timedelta(hours=HISTORY_HOURS), "end": window.end}
    depth = read_reduced_by_day(
        warehouse, NEAR_BOOK_SQL, span["start"], span["end"], book_depth, reach=DEPTH_REACH
    )
    frame = build_features(
        warehouse.read_frame(POLYMARKET_QUOTES_SQL, span),
        warehouse.read_frame(CONSENSUS_SQL, span),
        depth,
        market_mappings,
        polymarket_markets,
        partition_hours(context),
    )
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "tokens": frame["pm_token_id"].nunique(),
            "rows_with_consensus": int(frame["fair_prob"].notna().sum()),
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("replace_all"),
    deps=["features"],
    automation_condition=dg.AutomationCondition.eager(),
)
def features_latest(lake: Lake) -> dg.Output[pd.DataFrame]:
    """The newest feature row of every token quoted in the latest hour the feature store holds,
    queryable in SQL. (The latest hour written, not the partitions' last key: the hour in progress
    has no features until its quotes are in.)"""
    latest = latest_feature_hour(lake)
    if latest is None:
        return dg.Output(pd.DataFrame(columns=OUTPUT_COLUMNS), metadata={"tokens": 0, "hour": "none yet"})
    hour, features = latest
    frame = features.sort_values("quote_ts").drop_duplicates("pm_token_id", keep="last")[OUTPUT_COLUMNS]
    return dg.Output(frame, metadata={"tokens": len(frame), "hour": hour.isoformat()})
