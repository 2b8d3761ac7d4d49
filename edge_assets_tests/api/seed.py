"""A small world written into a real warehouse with its own writes, for the API's tests.

Two days of hours up to `now`: an NBA game and an EPL game with three books each, Polymarket markets
on both (the EPL one a Yes/No market whose No maps to "not Arsenal") and a political one, a PredictIt
market whose contracts change every seven hours, and batch (and live, when the table exists)
signals whose provenance names rows that exist. Quotes and consensus come from the pipeline's own
pure functions, so they have the shapes the assets write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import inspect

from edge_assets.pricing.canonical import canonical_quotes, polymarket_quotes, sportsbook_quotes
from edge_assets.pricing.consensus import ConsensusRule
from edge_assets.signals.comparator import SIGNAL_COLUMNS
from edge_assets.sources.universe import market_tokens
from edge_assets.storage.sql import SqlWarehouse

HOURS = 48
BOOKS = ["pinnacle", "draftkings", "fanduel"]
EVENTS = {
    "ev-nba-1": ("basketball_nba", "Boston Celtics", "Los Angeles Lakers", {"Los Angeles Lakers": 0.45}),
    "ev-epl-1": ("soccer_epl", "Arsenal", "Chelsea", {"Chelsea": 0.25, "Draw": 0.25}),
}
MARKETS = [
    # market_id, question, outcomes, tokens, sport, event, sportsbook outcomes
    (
        "pm-nba-1",
        "Lakers vs. Celtics",
        ["Lakers", "Celtics"],
        ["tok-lal", "tok-bos"],
        "basketball_nba",
        "ev-nba-1",
        ["Los Angeles Lakers", "Boston Celtics"],
    ),
    (
        "pm-epl-1",
        "Will Arsenal win on 2026-11-22?",
        ["Yes", "No"],
        ["tok-ars-yes", "tok-ars-no"],
        "soccer_epl",
        "ev-epl-1",
        ["Arsenal", "not Arsenal"],
    ),
    (
        "pm-pol-1",
        "Will the Democrats win the House in 2026?",
        ["Yes", "No"],
        ["tok-dem-yes", "tok-dem-no"],
        None,
        None,
        [None, None],
    ),
]
PREDICTIT_MARKET = "7001"
CONTRACTS = {"c-dem": "Democratic", "c-rep": "Republican"}
PREDICTIT_EVERY = timedelta(hours=7)


@dataclass(frozen=True)
class World:
    now: datetime
    hour: datetime  # the newest hour
    hours: list[datetime]
    open_signal: str
    closed_signal: str
    live_open: str | None
    live_closed: str | None


def seed(warehouse: SqlWarehouse, now: datetime) -> World:
    hour = pd.Timestamp(now).floor("h").to_pydatetime()
    hours = [hour - timedelta(hours=HOURS - 1 - i) for i in range(HOURS)]
    odds = _odds(hours)
    warehouse.upsert("oddsapi_historical_odds", odds, ["partition_ts", "event_id", "bookmaker", "outcome"])
    markets = _markets(now)
    warehouse.upsert("polymarket_markets", markets, ["market_id"])
    warehouse.upsert("market_mappings", _mappings(now), ["pm_token_id"])
    books = _books(hours, now)
    warehouse.upsert("order_book_snapshots", books, ["snapshot_ts", "token_id", "side", "level"])
    quotes = canonical_quotes([sportsbook_quotes(odds), polymarket_quotes(books, market_tokens(markets))])
    warehouse.upsert("quotes", quotes, ["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"])
    book_quotes = quotes[quotes["venue"] == "oddsapi"]
    consensus = ConsensusRule().apply(
        book_quotes[["quote_ts", "event_id", "bookmaker", "outcome", "decimal_odds", "source_ts"]]
    )
    warehouse.upsert("consensus", consensus, ["quote_ts", "event_id", "outcome"])
    warehouse.upsert("predictit_market_data", _predictit(hours, now), ["data_id", "timestamp"])
    batch = _signals(hour, now)
    warehouse.upsert("signals", batch, ["signal_id"])
    live = "live_signals" in inspect(warehouse.engine()).get_table_names()
    if live:
        warehouse.upsert("live_signals", _live(batch, now), ["signal_id"])
    return World(
        now=now,
        hour=hour,
        hours=hours,
        open_signal="sig-open",
        closed_signal="sig-closed",
        live_open="live-open" if live else None,
        live_closed="live-closed" if live else None,
    )


def _odds(hours: list[datetime]) -> pd.DataFrame:
    rows = []
    for i, at in enumerate(hours):
        for event_id, (sport, home, away, probs) in EVENTS.items():
            outcomes = dict(probs)
            outcomes[home] = 1.0 - sum(probs.values())
            for b, book in enumerate(BOOKS):
                for outcome, prob in outcomes.items():
                    drift = 0.02 * np.sin(i / 6 + b) + 0.01 * b
                    fair = min(max(prob + drift * (1 if outcome == away else -0.5), 0.05), 0.9)
                    rows.append(
                        {
                            "partition_ts": at,
                            "snapshot_ts": at,
                            "event_id": event_id,
                            "sport_key": sport,
                            "commence_ts": hours[-1] + timedelta(days=1),
                            "home_team": home,
                            "away_team": away,
                            "bookmaker": book,
                            "book_update_ts": at,
                            "outcome": outcome,
                            "decimal_odds": round(1.0 / (fair * 1.04), 3),
                            "fetched_at": at,
                        }
                    )
    return pd.DataFrame(rows)


def _markets(now: datetime) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "market_id": market_id,
                "question": question,
                "event_title": question,
                "active": True,
                "closed": False,
                "neg_risk": False,
                "outcomes": json.dumps(outcomes),
                "clob_token_ids": json.dumps(tokens),
                "fetched_at": now,
                "game_start_ts": now + timedelta(days=1) if sport else None,
            }
            for market_id, question, outcomes, tokens, sport, _, _ in MARKETS
        ]
    )


def _mappings(now: datetime) -> pd.DataFrame:
    rows = []
    for market_id, _, outcomes, tokens, sport, event, book_outcomes in MARKETS:
        for outcome, token, book_outcome in zip(outcomes, tokens, book_outcomes, strict=True):
            mapped = book_outcome is not None
            rows.append(
                {
                    "pm_token_id": token,
                    "pm_market_id": market_id,
                    "pm_outcome": outcome,
                    "sport_key": sport,
                    "event_id": event,
                    "sportsbook_outcome": book_outcome,
                    "confidence": 0.95 if mapped else 0.0,
                    "status": "mapped" if mapped else "unmapped",
                    "reason": None if mapped else "not a sports moneyline",
                    "mapped_at": now,
                }
            )
    return pd.DataFrame(rows)


def _books(hours: list[datetime], now: datetime) -> pd.DataFrame:
    """Three levels a side per token and hour; the ask wanders around a base price per token."""
    rows = []
    for t, token in enumerate(token for market in MARKETS for token in market[3]):
        base = [0.44, 0.54, 0.48, 0.50, 0.30, 0.68][t]
        for i, at in enumerate(hours):
            ask = round(base + 0.03 * np.sin(i / 5 + t), 2)
            for level in range(3):
                for side, price in (("ask", ask + 0.01 * level), ("bid", ask - 0.02 - 0.01 * level)):
                    rows.append(
                        {
                            "snapshot_ts": at,
                            "token_id": token,
                            "market_id": MARKETS[t // 2][0],
                            "side": side,
                            "level": level,
                            "price": round(price, 2),
                            "size": 100.0 + 10 * i + level,
                            "book_ts": at,
                            "fetched_at": now,
                        }
                    )
    return pd.DataFrame(rows)


def _predictit(hours: list[datetime], now: datetime) -> pd.DataFrame:
    """A row per contract every seven hours from before the window: PredictIt rows mean a change."""
    rows = []
    at = hours[0] - PREDICTIT_EVERY + timedelta(minutes=13)
    step = 0
    while at <= now:
        for c, (data_id, name) in enumerate(CONTRACTS.items()):
            yes = round(0.55 - 0.1 * c + 0.01 * (step % 5), 2)
            rows.append(
                {
                    "data_id": data_id,
                    "timestamp": at,
                    "market_id": PREDICTIT_MARKET,
                    "market_name": "Which party will win the House in 2026?",
                    "contract_name": name,
                    "status": "Open",
                    "last_trade_price": yes,
                    "best_buy_yes_cost": round(yes + 0.01, 2),
                    "best_buy_no_cost": round(1.02 - yes, 2),
                    "best_sell_yes_cost": round(yes - 0.01, 2),
                    "best_sell_no_cost": round(0.99 - yes, 2),
                    "fetched_at": at,
                }
            )
        at += PREDICTIT_EVERY
        step += 1
    return pd.DataFrame(rows)


def provenance(token: str, at: datetime, event_id: str, outcome: str) -> str:
    """The comparator's provenance document (see `comparator._provenance`) for a signal at `at`."""
    stamp = pd.Timestamp(at).isoformat()
    return json.dumps(
        {
            "polymarket_quote": {
                "quote_ts": stamp,
                "venue": "polymarket",
                "market_key": token,
                "side": "ask",
            },
            "book_snapshot": {"snapshot_ts": stamp, "token_id": token},
            "mapping": {
                "pm_token_id": token,
                "event_id": event_id,
                "sportsbook_outcome": outcome,
                "confidence": 0.95,
            },
            "consensus": {
                "quote_ts": stamp,
                "event_id": event_id,
                "outcome": outcome,
                "n_books": 3,
                "dispersion": 0.01,
                "method": "shin",
            },
        },
        sort_keys=True,
    )


def signal_row(
    signal_id: str, created_at: datetime, detected_at: datetime, as_of: datetime, ev: float
) -> dict:
    """A batch signal on the Lakers token whose provenance points at the rows of hour `as_of`."""
    return {
        "signal_id": signal_id,
        "created_at": created_at,
        "pm_market_id": "pm-nba-1",
        "pm_token_id": "tok-lal",
        "outcome": "Lakers",
        "event_id": "ev-nba-1",
        "pm_price": 0.44,
        "fee": 0.01,
        "fair_prob": 0.49,
        "ev_after_costs": ev,
        "size_available": 120.0,
        "model_version": "3",
        "detected_at": detected_at,
        "vwap": 0.445,
        "stake": 100.0,
        "fill_prob": 0.9,
        "devig_method": "shin",
        "model_confidence": 0.7,
        "provenance": provenance("tok-lal", as_of, "ev-nba-1", "Los Angeles Lakers"),
    }


def _signals(hour: datetime, now: datetime) -> pd.DataFrame:
    older = hour - timedelta(hours=10)
    rows = [
        signal_row("sig-open", now - timedelta(minutes=1), now, hour, 0.05),
        signal_row("sig-closed", older, older + timedelta(minutes=2), older, 0.04),
    ]
    return pd.DataFrame(rows)[SIGNAL_COLUMNS]


def _live(batch: pd.DataFrame, now: datetime) -> pd.DataFrame:
    live = batch.copy()
    live["signal_id"] = ["live-open", "live-closed"]
    live["created_at"] = [now - timedelta(minutes=30), now - timedelta(hours=5)]
    live["last_seen_at"] = [now - timedelta(minutes=2), now - timedelta(hours=4)]
    live["closed_at"] = [None, now - timedelta(hours=3, minutes=59)]
    live["updated_at"] = [now - timedelta(minutes=2), now - timedelta(hours=3, minutes=59)]
    live["best_ev"] = [0.07, 0.06]
    live["source"] = "live"
    live["model_version"] = None
    return live
