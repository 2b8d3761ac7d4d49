"""The comparator on live books and odds (pure): the batch path's functions on in-memory state.

A book change or a new consensus for an event asks for its tokens to be judged again. The books are
laid out as `order_book_snapshots` rows, the asks become canonical quotes, and `priced_asks`,
`find_signals` and (with a champion) `gate_signals` judge them exactly as the hourly `signals`
asset judges an hour, with the as-of time of the change standing for the hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd

from edge_assets.features.as_of import FeatureInputs, features_as_of
from edge_assets.live.books import OrderBooks
from edge_assets.mapping import MAPPED
from edge_assets.pricing.canonical import polymarket_quotes, sportsbook_quotes
from edge_assets.pricing.consensus import ConsensusRule
from edge_assets.signals.comparator import MAX_ASK_LEVELS, SignalRule, find_signals, priced_asks
from edge_assets.sources.universe import market_tokens


@dataclass(frozen=True)
class MarketContext:
    """What the comparator needs besides prices: mappings, markets, the venue's fill probability,
    and the hourly history the gate's features look back over."""

    mappings: pd.DataFrame
    markets: pd.DataFrame
    fill_prob: float
    history: FeatureInputs | None = None

    @cached_property
    def tokens(self) -> pd.DataFrame:
        return market_tokens(self.markets)

    @cached_property
    def token_labels(self) -> dict[str, tuple[str, str]]:
        """Each token's (market id, outcome), looked up per book message: a dict, not a frame."""
        tokens = self.tokens
        return dict(
            zip(tokens["token_id"], zip(tokens["market_id"], tokens["outcome"], strict=True), strict=True)
        )

    @cached_property
    def mapped(self) -> pd.DataFrame:
        return self.mappings[self.mappings["status"] == MAPPED]

    @cached_property
    def tokens_by_event(self) -> dict[str, list[str]]:
        return self.mapped.groupby("event_id")["pm_token_id"].agg(list).to_dict()

    def trade_labels(self, signal: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The league (the mapping's Odds API sport key) and the market type that the trader's
        blacklists judge of a `signals` or `live_signals` row."""
        mapping = self.mapped[self.mapped["pm_token_id"] == signal["pm_token_id"]]
        market = self.markets[self.markets["market_id"].astype(str) == str(signal["pm_market_id"])]
        return _first(mapping, "sport_key"), _first(market, "sports_market_type")

    def watched_tokens(self, at: datetime) -> list[str]:
        """Mapped tokens of markets still open at `at` whose game has not started."""
        open_markets = self.markets[~self.markets["closed"].astype(bool)]
        starts = pd.to_datetime(open_markets["game_start_ts"], utc=True)
        pregame = open_markets[starts.isna() | (starts > pd.Timestamp(at))]
        return sorted(set(self.mapped["pm_token_id"]) & set(market_tokens(pregame)["token_id"]))


def live_consensus(odds: pd.DataFrame, rule: ConsensusRule) -> pd.DataFrame:
    """The consensus of one poll of live odds (`oddsapi_live_odds` rows), stamped at the poll."""
    return rule.apply(sportsbook_quotes(odds.rename(columns={"snapshot_ts": "partition_ts"})))


def judge(
    tokens: list[str],
    books: OrderBooks,
    consensus: pd.DataFrame,
    context: MarketContext,
    rule: SignalRule,
    as_of: datetime,
    detected_at: datetime,
    devig_method: str,
    champion=None,
) -> pd.DataFrame:
    """The signals of `tokens` at `as_of`: the rule's, then, with a champion, those it vouches for."""
    levels = books.levels(tokens, as_of)
    quotes = polymarket_quotes(levels, context.tokens)
    asks = quotes[quotes["side"] == "ask"]
    now_consensus = consensus.assign(quote_ts=pd.Timestamp(as_of))
    priced = priced_asks(asks, now_consensus, context.mapped, context.markets)
    candidates = find_signals(
        priced, walkable_asks(levels), rule, detected_at, context.fill_prob, devig_method
    )
    if champion is None or candidates.empty:
        return candidates.assign(model_confidence=float("nan"), model_version=None)
    from edge_assets.modeling.gating import gate_signals  # xgboost loads only once a champion gates

    now = FeatureInputs(quotes, now_consensus, levels)
    history = context.history or FeatureInputs(quotes.iloc[:0], now_consensus.iloc[:0], levels.iloc[:0])
    features = features_as_of(as_of, history, now, context.mapped, context.markets)
    return gate_signals(candidates, features, champion).signals


def _first(frame: pd.DataFrame, column: str) -> str | None:
    values = frame[column].dropna()
    return str(values.iloc[0]) if len(values) else None


def walkable_asks(levels: pd.DataFrame) -> pd.DataFrame:
    """The ask levels a buy walks through, as the batch `signals` asset reads them."""
    return levels[(levels["side"] == "ask") & (levels["level"] < MAX_ASK_LEVELS)]
