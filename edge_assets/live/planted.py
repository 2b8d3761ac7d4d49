"""Planted windows of a simulated world judged by the rule the live service runs (pure, no
Dagster): at one instant, does the batch rule clear a token's ask at the truth, and at the
sportsbooks' consensus a poll of their live odds would give? The live bench explains its misses
with this, and the live tests choose with it a window the detector must find, rather than guessing
from a window's size (a wide window on a 4-cent longshot has a book too thin for the stake).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import numpy as np
import pandas as pd

from edge_assets.live.books import OrderBooks
from edge_assets.live.evaluate import MarketContext, live_consensus, walkable_asks
from edge_assets.mapping.markets import priced_outcomes
from edge_assets.pricing.canonical import polymarket_quotes
from edge_assets.pricing.consensus import ConsensusRule
from edge_assets.signals.comparator import SignalRule, priced_asks, rejection_reasons
from edge_assets.simulator import oddsapi as simulated_oddsapi
from edge_assets.simulator.leagues import LEAGUES_BY_KEY
from edge_assets.simulator.polymarket import clob_book
from edge_assets.simulator.world import World
from edge_assets.sources.oddsapi import parse_odds_events

ODDS_REGIONS = {"us", "eu"}  # the Odds API resource's default regions, as the service polls them
NO_PRICED_ASK = "no priced ask"


@dataclass(frozen=True)
class Judgement:
    """Why the rule rejects the token's ask at one instant, at the truth and at the books'
    consensus (None: it clears)."""

    at_truth: str | None
    at_books: str | None


def judge_instant(
    world: World,
    token: str,
    ts: float,
    context: MarketContext,
    rule: SignalRule,
    consensus_rule: ConsensusRule,
) -> Judgement:
    """The rule's verdict on `token`'s ask at unix instant `ts`, on the world's own book. The
    truth's consensus is the token's true probability from every book with no dispersion: the best
    any consensus can do. `context.fill_prob` is the venue's fill probability."""
    mapping = context.mapped[context.mapped["pm_token_id"] == token].iloc[0]
    league = LEAGUES_BY_KEY[mapping["sport_key"]]
    complement, consensus_outcome = priced_outcomes(pd.Series([mapping["sportsbook_outcome"]]))
    as_of = pd.Timestamp(ts, unit="s", tz=UTC)
    books = OrderBooks()
    books.apply_book(clob_book(world, token, ts, world.history_start_ts(ts)))
    levels = books.levels([token], as_of.to_pydatetime())
    asks = polymarket_quotes(levels, context.tokens).query("side == 'ask'")
    events = simulated_oddsapi.odds_events(world, league, ts, ODDS_REGIONS, "american")
    odds = parse_odds_events(events, as_of.to_pydatetime(), as_of.to_pydatetime(), "american").frame
    consensus = live_consensus(odds, consensus_rule)
    consensus = consensus[consensus["event_id"] == mapping["event_id"]].assign(quote_ts=as_of)
    true_prob = world.true_prob(token, ts)
    truth = consensus.assign(
        fair_prob=np.where(
            consensus["outcome"] == consensus_outcome[0], 1 - true_prob if complement[0] else true_prob, 0.0
        ),
        dispersion=0.0,
        n_books=max(rule.min_books, int(consensus["n_books"].max()) if len(consensus) else 0),
    )
    verdicts = []
    for frame in (truth, consensus):
        priced = priced_asks(asks, frame, context.mapped, context.markets)
        reasons = rejection_reasons(
            priced.reset_index(drop=True), walkable_asks(levels), rule, context.fill_prob
        )
        if len(priced) and reasons.isna().any():
            verdicts.append(None)
        else:
            verdicts.append(reasons.iloc[0] if len(reasons) else NO_PRICED_ASK)
    return Judgement(*verdicts)
