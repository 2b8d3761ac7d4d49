"""Pure pricing maths: odds conversions, de-vig, sportsbook consensus, fees, order-book fills, EV and
sizing (no Dagster)."""

from edge_assets.pricing.book import (
    FILL_PROBABILITY_COLUMNS,
    VWAP_COLUMNS,
    BookFill,
    LiquidityCutoff,
    fill_probability,
    off_tick,
    vwap_for_stake,
    walk_book,
)
from edge_assets.pricing.consensus import (
    CONSENSUS_COLUMNS,
    SHARP_BOOK_WEIGHTS,
    ConsensusRule,
    consensus_fair_prob,
    weighted_median,
)
from edge_assets.pricing.costs import COST_MODEL_COLUMNS, FEE_TABLE_COLUMNS, fee_table, venue_cost_model
from edge_assets.pricing.devig import (
    DEVIG_METHODS,
    devig,
    devig_additive,
    devig_frame,
    devig_markets,
    devig_multiplicative,
    devig_odds_ratio,
    devig_power,
    devig_shin,
)
from edge_assets.pricing.ev import ev_after_costs
from edge_assets.pricing.fees import fee_per_share, frame_fee_per_share, polymarket_taker_fee
from edge_assets.pricing.odds import (
    american_to_decimal,
    decimal_to_american,
    fractional_to_decimal,
    implied_probability,
)
from edge_assets.pricing.sizing import capped_kelly_stake, kelly_fraction

__all__ = [
    "CONSENSUS_COLUMNS",
    "ConsensusRule",
    "COST_MODEL_COLUMNS",
    "FEE_TABLE_COLUMNS",
    "DEVIG_METHODS",
    "FILL_PROBABILITY_COLUMNS",
    "SHARP_BOOK_WEIGHTS",
    "VWAP_COLUMNS",
    "BookFill",
    "LiquidityCutoff",
    "american_to_decimal",
    "capped_kelly_stake",
    "consensus_fair_prob",
    "decimal_to_american",
    "devig",
    "devig_additive",
    "devig_frame",
    "devig_markets",
    "devig_multiplicative",
    "devig_odds_ratio",
    "devig_power",
    "devig_shin",
    "ev_after_costs",
    "fee_table",
    "fee_per_share",
    "frame_fee_per_share",
    "fill_probability",
    "fractional_to_decimal",
    "implied_probability",
    "kelly_fraction",
    "off_tick",
    "polymarket_taker_fee",
    "venue_cost_model",
    "vwap_for_stake",
    "walk_book",
    "weighted_median",
]
