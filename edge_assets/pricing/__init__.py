"""Pure pricing maths: odds conversions, de-vig, sportsbook consensus, fees and EV (no Dagster)."""

from edge_assets.pricing.consensus import (
    CONSENSUS_COLUMNS,
    SHARP_BOOK_WEIGHTS,
    consensus_fair_prob,
    weighted_median,
)
from edge_assets.pricing.devig import DEVIG_METHODS, devig, devig_frame
from edge_assets.pricing.ev import ev_after_costs
from edge_assets.pricing.fees import fee_per_share, polymarket_taker_fee
from edge_assets.pricing.odds import american_to_decimal, decimal_to_american, implied_probability

__all__ = [
    "CONSENSUS_COLUMNS",
    "DEVIG_METHODS",
    "SHARP_BOOK_WEIGHTS",
    "american_to_decimal",
    "consensus_fair_prob",
    "decimal_to_american",
    "devig",
    "devig_frame",
    "ev_after_costs",
    "fee_per_share",
    "implied_probability",
    "polymarket_taker_fee",
    "weighted_median",
]
