"""Pricing: canonical quotes across venues and the de-vigged sportsbook consensus, per hour."""

import dagster as dg
import pandas as pd

from edge_assets.canonical import canonical_quotes, polymarket_quotes, predictit_quotes, sportsbook_quotes
from edge_assets.defs.common import HOURLY_PARTITIONS, SINGLE_RUN_BACKFILL, partition_hours, table_metadata
from edge_assets.pricing import consensus_fair_prob
from edge_assets.storage.db import Warehouse
from edge_assets.universe import market_tokens

GROUP = "pricing"
BEST_LEVELS_SQL = """
SELECT snapshot_ts, token_id, side, level, price, size, book_ts
FROM order_books_hourly_snapshots
WHERE level = 0 AND snapshot_ts >= :start AND snapshot_ts < :end
"""
# Polled sources change every minute; the hourly pricing chain follows its hourly inputs only.
FOLLOW_HOURLY_INPUTS = dg.AutomationCondition.eager().ignore(
    dg.AssetSelection.assets("polymarket_markets", "predictit_market_data", "market_mappings")
)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    metadata=table_metadata(
        "quotes",
        "replace_partition",
        partition_column="quote_ts",
        primary_key=["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"],
    ),
    automation_condition=FOLLOW_HOURLY_INPUTS,
    # Only the best level of each book is a quote, so books are read by query, not loaded whole.
    deps=["order_book_snapshots"],
)
def quotes(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    oddsapi_historical_odds: pd.DataFrame,
    predictit_market_data: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Every venue's prices for every outcome at each hour in one schema: sportsbook back prices,
    Polymarket best ask and bid with the size there, PredictIt Yes/No costs; each with decimal odds
    and implied probability."""
    window = context.partition_time_window
    best_levels = warehouse.read_frame(BEST_LEVELS_SQL, {"start": window.start, "end": window.end})
    frame = canonical_quotes(
        [
            sportsbook_quotes(oddsapi_historical_odds),
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
        "consensus",
        "replace_partition",
        partition_column="quote_ts",
        primary_key=["quote_ts", "event_id", "outcome"],
    ),
    automation_condition=dg.AutomationCondition.eager(),
)
def consensus(quotes: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """The sportsbooks' fair probability of each outcome per hour: each book de-vigged
    (multiplicative), then the median across books, with how many books and how far apart."""
    books = quotes[quotes["side"] == "back"]
    frame = consensus_fair_prob(books[["quote_ts", "event_id", "bookmaker", "outcome", "decimal_odds"]])
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "events": frame["event_id"].nunique(),
            "median_books": dg.MetadataValue.float(float(frame["n_books"].median()) if len(frame) else 0.0),
            "median_dispersion": dg.MetadataValue.float(
                float(frame["dispersion"].median()) if len(frame) else 0.0
            ),
        },
    )
