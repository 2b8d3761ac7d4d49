"""Pricing: canonical quotes across venues and the de-vigged sportsbook consensus, per hour."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import table_metadata
from edge_assets.defs.partitions import HOURLY_PARTITIONS, SINGLE_RUN_BACKFILL, partition_hours
from edge_assets.defs.settings import EdgeSettings
from edge_assets.pricing import (
    LiquidityCutoff,
    fee_table,
    venue_cost_model,
)
from edge_assets.pricing.canonical import (
    canonical_quotes,
    polymarket_quotes,
    predictit_quotes,
    sportsbook_quotes,
)
from edge_assets.sources.universe import market_tokens
from edge_assets.storage.db import Warehouse

GROUP = "pricing"
# Only the columns a quote needs: a month of odds with team names in every row is a lot of memory.
SPORTSBOOK_PRICES_SQL = """
SELECT partition_ts, event_id, bookmaker, outcome, decimal_odds, book_update_ts
FROM oddsapi_historical_odds WHERE partition_ts >= :start AND partition_ts < :end
"""
BOOK_QUOTES_SQL = """
SELECT quote_ts, event_id, bookmaker, outcome, decimal_odds, source_ts FROM quotes
WHERE venue = 'oddsapi' AND side = 'back' AND quote_ts >= :start AND quote_ts < :end
"""
BEST_LEVELS_SQL = """
SELECT snapshot_ts, token_id, side, level, price, size, book_ts
FROM order_book_snapshots
WHERE level = 0 AND snapshot_ts >= :start AND snapshot_ts < :end
"""
# Polled sources change every minute; the hourly pricing chain follows its hourly inputs only.
# Stale or broken sources fail blocking checks; then pricing waits rather than price on them.
FOLLOW_HOURLY_INPUTS = (
    dg.AutomationCondition.eager().ignore(
        dg.AssetSelection.assets("polymarket_markets", "predictit_market_data", "market_mappings")
    )
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    metadata=table_metadata(
        "replace_partition",
        partition_column="quote_ts",
        primary_key=["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"],
    ),
    automation_condition=FOLLOW_HOURLY_INPUTS,
    # Inputs are read by query (only the best book level, only the price columns), not loaded whole.
    deps=["order_book_snapshots", "oddsapi_historical_odds"],
)
def quotes(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    predictit_market_data: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Every venue's prices for every outcome at each hour in one schema: sportsbook back prices,
    Polymarket best ask and bid with the size there, PredictIt Yes/No costs; each with decimal odds
    and implied probability."""
    window = context.partition_time_window
    span = {"start": window.start, "end": window.end}
    best_levels = warehouse.read_frame(BEST_LEVELS_SQL, span)
    frame = canonical_quotes(
        [
            sportsbook_quotes(warehouse.read_frame(SPORTSBOOK_PRICES_SQL, span)),
            polymarket_quotes(best_levels, market_tokens(polymarket_markets)),
            predictit_quotes(predictit_market_data, partition_hours(context)),
        ]
    )
    by_venue = frame["venue"].value_counts()
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            **{f"rows_{venue}": int(n) for venue, n in by_venue.items()},
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    metadata=table_metadata(
        "replace_partition",
        partition_column="quote_ts",
        primary_key=["quote_ts", "event_id", "outcome"],
    ),
    automation_condition=dg.AutomationCondition.eager(),
    deps=["quotes"],
)
def consensus(
    context: dg.AssetExecutionContext, warehouse: Warehouse, settings: EdgeSettings
) -> dg.Output[pd.DataFrame]:
    """The sportsbooks' fair probability of each outcome per hour: each book de-vigged (Shin by
    default), stale quotes and outlier books dropped, then the median across books weighted
    towards the sharp book, with how many books and how far apart they were."""
    window = context.partition_time_window
    frame = settings.consensus_rule().apply(
        warehouse.read_frame(BOOK_QUOTES_SQL, {"start": window.start, "end": window.end})
    )
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "events": frame["event_id"].nunique(),
            "median_books": dg.MetadataValue.float(float(frame["n_books"].median()) if len(frame) else 0.0),
            "median_dispersion": dg.MetadataValue.float(
                float(frame["dispersion"].median()) if len(frame) else 0.0
            ),
            "devig_method": settings.devig_method,
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("replace_all"),
    automation_condition=dg.AutomationCondition.eager(),
)
def fee_tables(polymarket_markets: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """The fee each venue charges: every Polymarket market's taker-fee schedule (rate, exponent,
    taker-only, maker rebate) and PredictIt's share of profits. Sportsbooks charge through vig."""
    frame = fee_table(polymarket_markets, datetime.now(UTC))
    polymarket = frame[frame["venue"] == "polymarket"]
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "median_polymarket_rate": dg.MetadataValue.float(float(polymarket["rate"].median() or 0.0)),
        },
    )


# The hour's best asks and, a horizon later, what the recheck found at those prices or better.
BOOK_HISTORY_SQL = """
SELECT snapshot_ts, token_id, side, level, price, size FROM order_book_snapshots
WHERE side = 'ask' AND level = 0 AND snapshot_ts >= :start
UNION ALL
SELECT snapshot_ts, token_id, side, level, price, size FROM order_book_rechecks
WHERE side = 'ask' AND snapshot_ts >= :start
"""


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("upsert", primary_key=["venue"]),
    deps=["order_book_snapshots", "order_book_rechecks", "oddsapi_historical_odds"],
    automation_condition=dg.AutomationCondition.on_cron("15 * * * *"),
)
def cost_models(warehouse: Warehouse, settings: EdgeSettings) -> dg.Output[pd.DataFrame]:
    """Execution costs per venue from recent book history: how often the depth quoted at the best
    ask was still there at its recheck `fill_horizon_seconds` later (the fill probability that
    scales a signal's EV), the median depth there, and the liquidity cut-off below which a quote is
    not acted on."""
    now = datetime.now(UTC)
    history = warehouse.read_frame(
        BOOK_HISTORY_SQL, {"start": now - timedelta(days=settings.cost_model_days)}
    )
    horizon = timedelta(seconds=settings.fill_horizon_seconds)
    frame = venue_cost_model("polymarket", history, LiquidityCutoff(), now, horizon=horizon)
    row = frame.iloc[0]
    return dg.Output(
        frame,
        metadata={
            "fill_prob": dg.MetadataValue.float(float(row["fill_prob"])),
            "observations": int(row["observations"]),
            "horizon_s": horizon.total_seconds(),
            "median_depth_usdc": dg.MetadataValue.float(float(row["median_depth_usdc"] or 0.0)),
        },
    )
