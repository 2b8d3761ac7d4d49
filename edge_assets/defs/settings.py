"""Tunable parameters of the pipeline, as a resource so each deployment can set its own.

The signal rule's and the consensus rule's defaults are `SignalRule`'s and `ConsensusRule`'s own:
the resource's fields default to them, so a rule default is written once, beside the rule.
"""

import dagster as dg

from edge_assets.mapping.markets import DEFAULT_START_TOLERANCE
from edge_assets.pricing.consensus import ConsensusRule
from edge_assets.signals.comparator import SignalRule

DEFAULT_SPORTS = [
    "americanfootball_nfl",
    "basketball_nba",
    "icehockey_nhl",
    "baseball_mlb",
    "soccer_epl",
]
_RULE = SignalRule()
_CONSENSUS = ConsensusRule()


class EdgeSettings(dg.ConfigurableResource):
    """What to ingest and when an edge is worth a signal."""

    sports: list[str] = DEFAULT_SPORTS
    min_ev: float = _RULE.min_ev
    min_size: float = _RULE.min_size
    pregame_only: bool = _RULE.pregame_only
    fair_prob_z: float = _RULE.fair_prob_z
    min_fair_prob_se: float = _RULE.min_fair_prob_se
    min_books: int = _RULE.min_books
    max_price_gap: float = _RULE.max_price_gap
    stake_usdc: float = _RULE.stake
    bankroll_usdc: float = _RULE.bankroll
    kelly_fraction: float = _RULE.kelly_fraction
    kelly_cap: float = _RULE.kelly_cap
    start_tolerance_hours: float = DEFAULT_START_TOLERANCE.total_seconds() / 3600
    devig_method: str = _CONSENSUS.method
    quote_max_age_minutes: float = _CONSENSUS.max_age_minutes
    outlier_z: float = _CONSENSUS.outlier_z
    cost_model_days: int = 7
    # How soon after seeing a book a taker can act on it: the recheck that measures fill probability.
    fill_horizon_seconds: int = 60
    # Share of each hour's books rechecked: the venue-wide fill probability needs no more.
    fill_recheck_share: float = 0.25
    training_days: int = 14

    def signal_rule(self) -> SignalRule:
        """The comparator's rule as these settings configure it."""
        return SignalRule(
            min_ev=self.min_ev,
            min_size=self.min_size,
            pregame_only=self.pregame_only,
            fair_prob_z=self.fair_prob_z,
            min_fair_prob_se=self.min_fair_prob_se,
            min_books=self.min_books,
            max_price_gap=self.max_price_gap,
            stake=self.stake_usdc,
            bankroll=self.bankroll_usdc,
            kelly_fraction=self.kelly_fraction,
            kelly_cap=self.kelly_cap,
        )

    def consensus_rule(self) -> ConsensusRule:
        """The consensus rule as these settings configure it."""
        return ConsensusRule(
            method=self.devig_method, max_age_minutes=self.quote_max_age_minutes, outlier_z=self.outlier_z
        )
