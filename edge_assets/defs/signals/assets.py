"""Signals: Polymarket asks that beat the sportsbook consensus after the taker fee."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from edge_assets.defs.common import table_metadata
from edge_assets.defs.features.store import read_feature_store
from edge_assets.defs.inputs import require_inputs
from edge_assets.defs.modeling.resources import ModelRegistryResource
from edge_assets.defs.partitions import HOURLY_PARTITIONS, SINGLE_RUN_BACKFILL, partition_label
from edge_assets.defs.quality import FOLLOW_CHECKED_INPUTS
from edge_assets.defs.settings import EdgeSettings
from edge_assets.signals.comparator import MAX_ASK_LEVELS, SIGNAL_COLUMNS, find_signals, priced_asks
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

GROUP = "signals"
# The best asks of mapped tokens' books: what a buy would walk through (see MAX_ASK_LEVELS).
ASK_LEVELS_SQL = """
SELECT b.snapshot_ts, b.token_id, b.side, b.level, b.price, b.size
FROM order_book_snapshots AS b
JOIN market_mappings AS m ON m.pm_token_id = b.token_id AND m.status = 'mapped'
WHERE b.side = 'ask' AND b.level < :max_levels AND b.snapshot_ts >= :start AND b.snapshot_ts < :end
"""
# Of all the quotes, signals need only Polymarket's best asks.
POLYMARKET_ASKS_SQL = """
SELECT quote_ts, venue, side, market_key, outcome, implied_prob, size FROM quotes
WHERE venue = 'polymarket' AND side = 'ask' AND quote_ts >= :start AND quote_ts < :end
"""
FILL_PROB_SQL = "SELECT fill_prob FROM cost_models WHERE venue = 'polymarket'"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    metadata=table_metadata("replace_partition", partition_column="created_at"),
    automation_condition=FOLLOW_CHECKED_INPUTS,
    deps=["quotes", "order_book_snapshots", "cost_models", "fee_tables", "features"],
)
def signals(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    lake: Lake,
    registry: ModelRegistryResource,
    consensus: pd.DataFrame,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    settings: EdgeSettings,
) -> dg.Output[pd.DataFrame]:
    """+EV signals: a mapped Polymarket token whose price for the configured stake (the VWAP of
    walking its book, plus the market's taker fee at that price), scaled by the venue's fill
    probability, beats the sportsbook consensus by at least the minimum EV — judged at the
    consensus's lower confidence bound, so book noise alone never fires — before the game starts,
    and, once a champion model is registered, whose champion confidence clears the gate. Each
    signal carries a capped fractional-Kelly stake, the model version and its provenance (quote,
    book snapshot, mapping, consensus). `created_at` is the hour of the quotes."""
    inputs = {
        "consensus": consensus,
        "market_mappings": market_mappings,
        "polymarket_markets": polymarket_markets,
    }
    require_inputs("signals", partition_label(context), inputs)
    rule = settings.signal_rule()
    window = context.partition_time_window
    ask_levels = warehouse.read_frame(
        ASK_LEVELS_SQL, {"start": window.start, "end": window.end, "max_levels": MAX_ASK_LEVELS}
    )
    fill_probs = warehouse.read_frame(FILL_PROB_SQL)["fill_prob"]
    fill_prob = float(fill_probs.iloc[0]) if len(fill_probs) else 0.0
    asks = warehouse.read_frame(POLYMARKET_ASKS_SQL, {"start": window.start, "end": window.end})
    priced = priced_asks(asks, consensus, market_mappings, polymarket_markets)
    candidates = find_signals(
        priced, ask_levels, rule, datetime.now(UTC), fill_prob=fill_prob, devig_method=settings.devig_method
    )
    from edge_assets.modeling.gating import gate_signals  # xgboost loads only when signals run

    champion = registry.champion()
    features = read_feature_store(lake, window.start, window.end) if champion else None
    gated = gate_signals(candidates, features, champion)
    frame = gated.signals[SIGNAL_COLUMNS]
    return dg.Output(
        frame,
        metadata={
            "signals": len(frame),
            "asks_priced": len(priced),
            "best_ev": dg.MetadataValue.float(float(frame["ev_after_costs"].max()) if len(frame) else 0.0),
            "min_ev": rule.min_ev,
            "min_size": rule.min_size,
            "fair_prob_z": rule.fair_prob_z,
            "stake_usdc": rule.stake,
            "fill_prob": dg.MetadataValue.float(fill_prob),
            "devig_method": settings.devig_method,
            "rule_candidates": len(candidates),
            "model_version": gated.model_version or "none: no champion yet, the rule runs alone",
            "gate_threshold": "none" if gated.threshold is None else gated.threshold,
        },
    )
