"""Signals: Polymarket asks that beat the sportsbook consensus after the taker fee."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from edge_assets.comparator import SignalRule, find_signals, priced_asks
from edge_assets.defs.common import HOURLY_PARTITIONS, SINGLE_RUN_BACKFILL, table_metadata
from edge_assets.settings import EdgeSettings

GROUP = "signals"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    metadata=table_metadata("signals", "replace_partition", partition_column="created_at"),
    automation_condition=dg.AutomationCondition.eager(),
)
def signals(
    quotes: pd.DataFrame,
    consensus: pd.DataFrame,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    settings: EdgeSettings,
) -> dg.Output[pd.DataFrame]:
    """+EV signals: a mapped Polymarket token whose best ask plus the market's taker fee is below
    the sportsbook consensus by at least the minimum EV (judged at the consensus's lower
    confidence bound, so book noise alone never fires), with enough size at that ask, before the
    game starts. `created_at` is the hour of the quotes behind the signal."""
    rule = SignalRule(
        min_ev=settings.min_ev,
        min_size=settings.min_size,
        pregame_only=settings.pregame_only,
        fair_prob_z=settings.fair_prob_z,
        min_books=settings.min_books,
        max_price_gap=settings.max_price_gap,
    )
    priced = priced_asks(quotes, consensus, market_mappings, polymarket_markets)
    frame = find_signals(priced, rule, detected_at=datetime.now(UTC))
    return dg.Output(
        frame,
        metadata={
            "signals": len(frame),
            "asks_priced": len(priced),
            "best_ev": dg.MetadataValue.float(float(frame["ev_after_costs"].max()) if len(frame) else 0.0),
            "min_ev": rule.min_ev,
            "min_size": rule.min_size,
            "fair_prob_z": rule.fair_prob_z,
            "model_version": "none (rule only)",
        },
    )
