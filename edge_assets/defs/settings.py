"""Tunable parameters of the pipeline, as a resource so each deployment can set its own."""

import dagster as dg

from edge_assets.signals.comparator import SignalRule


class EdgeSettings(dg.ConfigurableResource):
    """What to ingest and when an edge is worth a signal."""

    sports: list[str]
    min_ev: float = 0.03
    min_size: float = 50.0
    pregame_only: bool = True
    fair_prob_z: float = 2.0
    min_fair_prob_se: float = 0.005
    min_books: int = 3
    start_tolerance_hours: float = 3.0
    max_price_gap: float = 0.35
    devig_method: str = "shin"
    quote_max_age_minutes: float = 30.0
    outlier_z: float = 3.5
    stake_usdc: float = 100.0
    bankroll_usdc: float = 10_000.0
    kelly_fraction: float = 0.25
    kelly_cap: float = 0.05
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
