"""Cost tables: the fee each venue charges and how reliably its quoted depth can be taken."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from edge_assets.pricing.book import LiquidityCutoff, fill_probability

FEE_TABLE_COLUMNS = [
    "venue",
    "market_key",
    "fee_model",
    "rate",
    "exponent",
    "taker_only",
    "rebate_rate",
    "updated_at",
]
COST_MODEL_COLUMNS = [
    "venue",
    "fill_prob",
    "observations",
    "median_depth_usdc",
    "min_depth_usdc",
    "min_fill_prob",
    "window_start_ts",
    "window_end_ts",
    "computed_at",
]
# PredictIt takes 10% of the profit on a winning contract (its withdrawal fee is left out: it
# depends on the account, not the trade), with no maker rebate. Market key "*" means every contract.
PREDICTIT_FEE = {"venue": "predictit", "market_key": "*", "fee_model": "profit_share", "rate": 0.10}


def fee_table(markets: pd.DataFrame, updated_at: datetime) -> pd.DataFrame:
    """One row per Polymarket market with its own taker-fee schedule, plus PredictIt's profit fee.

    Sportsbooks carry their margin in the price (the vig the consensus removes), so they have no row.
    """
    polymarket = pd.DataFrame(
        {
            "venue": "polymarket",
            "market_key": markets["market_id"],
            "fee_model": "taker_p_one_minus_p",
            "rate": markets["fee_rate"].fillna(0.0).astype(float),
            "exponent": markets["fee_exponent"].fillna(1.0).astype(float),
            "taker_only": markets["fee_taker_only"].fillna(True).astype(bool),
            "rebate_rate": markets["fee_rebate_rate"].astype(float),
        }
    )
    predictit = pd.DataFrame([{**PREDICTIT_FEE, "exponent": 1.0, "taker_only": False, "rebate_rate": 0.0}])
    frame = pd.concat([polymarket, predictit], ignore_index=True).assign(updated_at=updated_at)
    return frame[FEE_TABLE_COLUMNS]


def venue_cost_model(
    venue: str,
    levels_history: pd.DataFrame,
    cutoff: LiquidityCutoff,
    computed_at: datetime,
    horizon: timedelta | None = None,
) -> pd.DataFrame:
    """The venue's pooled fill probability of best-ask depth over the history, and its cut-off.

    With a `horizon`, only snapshot pairs at most that far apart count (an hourly book and its
    recheck a minute later): the chance the depth a signal saw is still there when it is acted on.
    """
    pooled = fill_probability(levels_history.assign(venue=venue), by="venue", max_gap=horizon)
    if pooled.empty:
        pooled = pd.DataFrame(
            [{"venue": venue, "fill_prob": 0.0, "observations": 0, "median_depth_usdc": None}]
        )
    # No pair observed yet: assume nothing fills rather than everything.
    pooled["fill_prob"] = pooled["fill_prob"].fillna(0.0)
    stamps = levels_history["snapshot_ts"]
    frame = pooled.assign(
        min_depth_usdc=cutoff.min_depth_usdc,
        min_fill_prob=cutoff.min_fill_prob,
        window_start_ts=stamps.min() if len(stamps) else None,
        window_end_ts=stamps.max() if len(stamps) else None,
        computed_at=computed_at,
    )
    return frame[COST_MODEL_COLUMNS]
