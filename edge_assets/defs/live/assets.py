"""The live path in the lineage: the per-market odds stream and the live signals, written by the
`edge-assets live` service, not by Dagster runs. Dagster observes them (see sensors.py)."""

from datetime import timedelta

import dagster as dg

GROUP = "live"
# The service writes its heartbeat every few seconds; minutes of silence is a stalled detector.
LIVE_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=5))

odds_stream = dg.AssetSpec(
    "odds_stream",
    group_name=GROUP,
    kinds={"nats"},
    deps=["polymarket_markets", "market_mappings", "oddsapi_live_odds"],
    freshness_policy=LIVE_FRESHNESS,
    description="Every normalized quote change (Polymarket books from the market channel, sportsbook "
    "live odds, PredictIt contracts) on a subject per market, with bounded retention. Observed: "
    "messages per second, consumer lag and the last message time.",
)

live_signals = dg.AssetSpec(
    "live_signals",
    group_name=GROUP,
    kinds={"python", "sql"},
    deps=["odds_stream", "cost_models", "fee_tables", "edge_classifier"],
    freshness_policy=LIVE_FRESHNESS,
    metadata={"dagster/table_name": "live_signals"},
    description="Signals found within seconds of a book or consensus change, by the batch path's "
    "comparator, costs and champion gate: one per token while its edge lasts (created, detected, "
    "last seen, closed, best EV). Observed: open signals and the detector's evaluations.",
)
