"""The comparator: Polymarket asks that beat the sportsbook consensus after fees (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from edge_assets.pricing import ev_after_costs, fee_per_share

SIGNAL_COLUMNS = [
    "signal_id",
    "created_at",
    "pm_market_id",
    "pm_token_id",
    "outcome",
    "event_id",
    "pm_price",
    "fee",
    "fair_prob",
    "ev_after_costs",
    "size_available",
    "model_version",
    "detected_at",
]
# Mapped "No" tokens of three-way markets point at "not <outcome>": priced as 1 - p(outcome).
NOT_PREFIX = "not "


@dataclass(frozen=True)
class SignalRule:
    """When an ask is worth a signal.

    The consensus is an estimate: with seven books its standard error is still most of a point,
    enough to fake a 3% edge on a longshot. So EV must clear `min_ev` at the consensus's lower
    confidence bound, fair - fair_prob_z * dispersion / sqrt(n_books), from at least `min_books`.
    """

    min_ev: float = 0.03
    min_size: float = 50.0
    pregame_only: bool = True
    fair_prob_z: float = 2.0
    min_books: int = 3
    # A gap this wide between venues is a wrong mapping, not an edge (see mapping's guard).
    max_price_gap: float = 0.35


def priced_asks(
    quotes: pd.DataFrame, consensus: pd.DataFrame, mappings: pd.DataFrame, markets: pd.DataFrame
) -> pd.DataFrame:
    """Every mapped Polymarket best ask with its fair probability, taker fee and EV after costs."""
    asks = quotes[(quotes["venue"] == "polymarket") & (quotes["side"] == "ask")]
    asks = asks.rename(
        columns={"market_key": "pm_token_id", "implied_prob": "pm_price", "size": "size_available"}
    )
    mapped = mappings.loc[
        mappings["status"] == "mapped", ["pm_token_id", "pm_market_id", "event_id", "sportsbook_outcome"]
    ]
    frame = asks[["quote_ts", "pm_token_id", "outcome", "pm_price", "size_available"]].merge(
        mapped, on="pm_token_id", how="inner"
    )
    frame["complement"] = frame["sportsbook_outcome"].str.startswith(NOT_PREFIX)
    frame["consensus_outcome"] = np.where(
        frame["complement"],
        frame["sportsbook_outcome"].str.slice(len(NOT_PREFIX)),
        frame["sportsbook_outcome"],
    )
    consensus_columns = ["quote_ts", "event_id", "outcome", "fair_prob", "n_books", "dispersion"]
    frame = frame.merge(
        consensus[consensus_columns].rename(columns={"outcome": "consensus_outcome"}),
        on=["quote_ts", "event_id", "consensus_outcome"],
        how="inner",
    )
    frame["fair_prob"] = np.where(frame["complement"], 1.0 - frame["fair_prob"], frame["fair_prob"])
    fees = markets[["market_id", "game_start_ts", "fee_rate", "fee_exponent"]].rename(
        columns={"market_id": "pm_market_id"}
    )
    frame = frame.merge(fees, on="pm_market_id", how="left")
    frame["fee"] = fee_per_share(
        frame["pm_price"].to_numpy(float),
        frame["fee_rate"].fillna(0.0).to_numpy(float),
        frame["fee_exponent"].fillna(1.0).to_numpy(float),
    )
    frame["ev_after_costs"] = ev_after_costs(
        frame["fair_prob"].to_numpy(float), frame["pm_price"].to_numpy(float), frame["fee"].to_numpy(float)
    )
    return frame


def find_signals(priced: pd.DataFrame, rule: SignalRule, detected_at: datetime) -> pd.DataFrame:
    """Keep the priced asks that clear the rule and shape them as rows of the `signals` table."""
    fair_prob_lcb = priced["fair_prob"] - rule.fair_prob_z * priced["dispersion"] / np.sqrt(priced["n_books"])
    ev_at_lcb = ev_after_costs(
        fair_prob_lcb.clip(lower=0.0).to_numpy(float),
        priced["pm_price"].to_numpy(float),
        priced["fee"].to_numpy(float),
    )
    keep = (
        ((priced["pm_price"] - priced["fair_prob"]).abs() <= rule.max_price_gap)
        & (ev_at_lcb >= rule.min_ev)
        & (priced["n_books"] >= rule.min_books)
        & (priced["size_available"] >= rule.min_size)
    )
    if rule.pregame_only:
        keep &= priced["game_start_ts"].notna() & (priced["game_start_ts"] > priced["quote_ts"])
    hits = priced[keep]
    signals = pd.DataFrame(
        {
            "signal_id": [
                _signal_id(token, ts) for token, ts in zip(hits["pm_token_id"], hits["quote_ts"], strict=True)
            ],
            "created_at": hits["quote_ts"],
            "pm_market_id": hits["pm_market_id"],
            "pm_token_id": hits["pm_token_id"],
            "outcome": hits["outcome"],
            "event_id": hits["event_id"],
            "pm_price": hits["pm_price"],
            "fee": hits["fee"],
            "fair_prob": hits["fair_prob"],
            "ev_after_costs": hits["ev_after_costs"],
            "size_available": hits["size_available"],
            "model_version": None,
            "detected_at": detected_at,
        }
    )
    return signals[SIGNAL_COLUMNS].reset_index(drop=True)


def _signal_id(token_id: str, as_of: pd.Timestamp) -> str:
    """Stable per token and as-of time, so re-materialising an hour yields the same ids."""
    return hashlib.sha256(f"{token_id}|{as_of.isoformat()}".encode()).hexdigest()[:24]
