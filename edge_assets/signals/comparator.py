"""The comparator: Polymarket asks that beat the sportsbook consensus after fees (pure)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from edge_assets.mapping.markets import priced_outcomes
from edge_assets.pricing import capped_kelly_stake, ev_after_costs, frame_fee_per_share, vwap_for_stake

# A stake that needs more than this many ask levels is too big for the book: it counts as not filled.
MAX_ASK_LEVELS = 5
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
    "vwap",
    "stake",
    "fill_prob",
    "devig_method",
    "model_confidence",
    "provenance",
]

# Why an ask is no signal: the rule's conditions by name, in the order `rejection_reasons` tries them.
PRICE_GAP_TOO_WIDE = "price_gap_too_wide"
NOT_PREGAME = "not_pregame"
TOO_FEW_BOOKS = "too_few_books"
SIZE_BELOW_MIN_SIZE = "size_below_min_size"
EV_BELOW_MIN_EV = "ev_below_min_ev"
# Not a condition on a price: the book's asks run out before the stake is spent.
BOOK_CANNOT_FILL_STAKE = "book_cannot_fill_stake"


@dataclass(frozen=True)
class SignalRule:
    """When an ask is worth a signal.

    The consensus is an estimate: with seven books its standard error is still most of a point,
    enough to fake a 3% edge on a longshot. So EV must clear `min_ev` at the consensus's lower
    confidence bound, fair - fair_prob_z * se, from at least `min_books`, for a `stake` (USDC)
    walked through the book. The standard error se = dispersion / sqrt(n_books), but never below
    `min_fair_prob_se`: books copy each other and share a de-vig model's bias, so their agreeing
    closely does not make the consensus exact. The suggested stake is `kelly_fraction` Kelly of
    `bankroll`, capped at `kelly_cap` of it and at `stake`.
    """

    min_ev: float = 0.03
    min_size: float = 50.0
    pregame_only: bool = True
    fair_prob_z: float = 2.0
    min_fair_prob_se: float = 0.005
    min_books: int = 3
    # A gap this wide between venues is a wrong mapping, not an edge (see mapping's guard).
    max_price_gap: float = 0.35
    stake: float = 100.0
    bankroll: float = 10_000.0
    kelly_fraction: float = 0.25
    kelly_cap: float = 0.05


def priced_asks(
    quotes: pd.DataFrame, consensus: pd.DataFrame, mappings: pd.DataFrame, markets: pd.DataFrame
) -> pd.DataFrame:
    """Every mapped Polymarket best ask with its fair probability, taker fee and EV after costs."""
    asks = quotes[(quotes["venue"] == "polymarket") & (quotes["side"] == "ask")]
    asks = asks.rename(
        columns={"market_key": "pm_token_id", "implied_prob": "pm_price", "size": "size_available"}
    )
    mapped = mappings.loc[
        mappings["status"] == "mapped",
        ["pm_token_id", "pm_market_id", "event_id", "sportsbook_outcome", "confidence"],
    ].rename(columns={"confidence": "mapping_confidence"})
    frame = asks[["quote_ts", "pm_token_id", "outcome", "pm_price", "size_available"]].merge(
        mapped, on="pm_token_id", how="inner"
    )
    frame["complement"], frame["consensus_outcome"] = priced_outcomes(frame["sportsbook_outcome"])
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
    frame["fee"] = frame_fee_per_share(frame, "pm_price")
    frame["ev_after_costs"] = ev_after_costs(
        frame["fair_prob"].to_numpy(float), frame["pm_price"].to_numpy(float), frame["fee"].to_numpy(float)
    )
    return frame


def find_signals(
    priced: pd.DataFrame,
    ask_levels: pd.DataFrame,
    rule: SignalRule,
    detected_at: datetime,
    fill_prob: float = 1.0,
    devig_method: str | None = None,
) -> pd.DataFrame:
    """Keep the priced asks that clear the rule at the configured stake, as `signals` rows.

    Top-of-book EV bounds the EV of any larger fill, so asks that fail at the best price are
    dropped before the book is walked. Survivors are priced at the VWAP of `rule.stake` USDC
    walked through `ask_levels` (level rows: snapshot_ts, token_id, side, price, size), plus the
    taker fee at that price, scaled by the venue's fill probability; the book must fill the
    stake completely. The suggested stake is capped fractional Kelly, never above `rule.stake`.
    """
    candidates = priced[_passes_rule(priced, priced["pm_price"], priced["fee"], rule, 1.0)]
    if candidates.empty:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    walked = _walk_the_book(candidates, ask_levels, rule)
    hits = walked[walked["filled"]]
    hits = hits[_passes_rule(hits, hits["vwap"], hits["fee"], rule, fill_prob)]
    effective_odds = 1.0 / (hits["vwap"] + hits["fee"])
    stake = capped_kelly_stake(
        _fair_prob_lcb(hits, rule).to_numpy(float),
        effective_odds.to_numpy(float),
        rule.bankroll,
        fraction=rule.kelly_fraction,
        cap=rule.kelly_cap,
    )
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
            "ev_after_costs": ev_after_costs(
                hits["fair_prob"].to_numpy(float),
                hits["vwap"].to_numpy(float),
                hits["fee"].to_numpy(float),
                fill_prob,
            ),
            "size_available": hits["size_available"],
            "model_version": None,
            "detected_at": detected_at,
            "vwap": hits["vwap"],
            "stake": np.minimum(stake, rule.stake),
            "fill_prob": fill_prob,
            "devig_method": devig_method,
            "model_confidence": np.nan,
            "provenance": [_provenance(row, devig_method) for row in hits.itertuples(index=False)],
        }
    )
    return signals[SIGNAL_COLUMNS].reset_index(drop=True)


def rejection_reasons(
    priced: pd.DataFrame, ask_levels: pd.DataFrame, rule: SignalRule, fill_prob: float = 1.0
) -> pd.Series:
    """Why each priced ask (a `priced_asks` row; its index must be unique) is not a signal.

    The first condition of the rule it fails, by the names above, judged as `find_signals` judges
    it: at the best ask first, then, for the stake, at the VWAP of walking the book scaled by
    `fill_prob` (where the book may also be too thin). None for an ask `find_signals` keeps.
    """
    reasons = _first_failed(_rule_conditions(priced, priced["pm_price"], priced["fee"], rule, 1.0))
    candidates = priced[reasons.isna()]
    if candidates.empty:
        return reasons
    walked = _walk_the_book(candidates, ask_levels, rule)
    reasons[walked.index[~walked["filled"]]] = BOOK_CANNOT_FILL_STAKE
    hits = walked[walked["filled"]]
    reasons[hits.index] = _first_failed(_rule_conditions(hits, hits["vwap"], hits["fee"], rule, fill_prob))
    return reasons


def _provenance(row, devig_method: str | None) -> str:
    """Where a signal came from, enough to find every input row again (JSON)."""
    as_of = row.quote_ts.isoformat()
    return json.dumps(
        {
            "polymarket_quote": {
                "quote_ts": as_of,
                "venue": "polymarket",
                "market_key": row.pm_token_id,
                "side": "ask",
            },
            "book_snapshot": {"snapshot_ts": as_of, "token_id": row.pm_token_id},
            "mapping": {
                "pm_token_id": row.pm_token_id,
                "event_id": row.event_id,
                "sportsbook_outcome": row.sportsbook_outcome,
                "confidence": float(row.mapping_confidence),
            },
            "consensus": {
                "quote_ts": as_of,
                "event_id": row.event_id,
                "outcome": row.consensus_outcome,
                "n_books": int(row.n_books),
                "dispersion": float(row.dispersion),
                "method": devig_method,
            },
        },
        sort_keys=True,
    )


def _fair_prob_lcb(priced: pd.DataFrame, rule: SignalRule) -> pd.Series:
    standard_error = np.maximum(priced["dispersion"] / np.sqrt(priced["n_books"]), rule.min_fair_prob_se)
    return (priced["fair_prob"] - rule.fair_prob_z * standard_error).clip(lower=0.0)


def _rule_conditions(
    priced: pd.DataFrame, price: pd.Series, fee: pd.Series, rule: SignalRule, fill_prob: float
) -> dict[str, pd.Series]:
    """The rule's tests on rows priced at `price` plus `fee` per share, each True where a row
    passes it, keyed by the reason a row failing it is rejected."""
    ev_at_lcb = ev_after_costs(
        _fair_prob_lcb(priced, rule).to_numpy(float), price.to_numpy(float), fee.to_numpy(float), fill_prob
    )
    conditions = {
        # A gap this wide is a wrong mapping, so it is named before anything judged from the price.
        PRICE_GAP_TOO_WIDE: (priced["pm_price"] - priced["fair_prob"]).abs() <= rule.max_price_gap,
    }
    if rule.pregame_only:
        conditions[NOT_PREGAME] = priced["game_start_ts"].notna() & (
            priced["game_start_ts"] > priced["quote_ts"]
        )
    conditions[TOO_FEW_BOOKS] = priced["n_books"] >= rule.min_books
    conditions[SIZE_BELOW_MIN_SIZE] = priced["size_available"] >= rule.min_size
    conditions[EV_BELOW_MIN_EV] = pd.Series(ev_at_lcb >= rule.min_ev, index=priced.index)
    return conditions


def _passes_rule(
    priced: pd.DataFrame, price: pd.Series, fee: pd.Series, rule: SignalRule, fill_prob: float
) -> pd.Series:
    """Rows priced at `price` plus `fee` per share that pass every test of the rule."""
    keep = pd.Series(True, index=priced.index)
    for passed in _rule_conditions(priced, price, fee, rule, fill_prob).values():
        keep &= passed
    return keep


def _first_failed(conditions: dict[str, pd.Series]) -> pd.Series:
    """Per row, the name of the first condition it fails (None when it passes them all)."""
    index = next(iter(conditions.values())).index
    reasons = pd.Series([None] * len(index), index=index, dtype=object)
    for reason, passed in conditions.items():
        reasons[~passed & reasons.isna()] = reason
    return reasons


def _walk_the_book(candidates: pd.DataFrame, ask_levels: pd.DataFrame, rule: SignalRule) -> pd.DataFrame:
    """`candidates` (index kept) with the VWAP of `rule.stake` walked through their ask levels,
    whether the book `filled` the stake (False without levels), and the taker fee at the VWAP."""
    fills = vwap_for_stake(_levels_of(ask_levels, candidates), rule.stake).rename(
        columns={"snapshot_ts": "quote_ts", "token_id": "pm_token_id"}
    )
    walked = candidates.merge(
        fills[["quote_ts", "pm_token_id", "vwap", "filled"]], on=["quote_ts", "pm_token_id"], how="left"
    )
    walked.index = candidates.index  # a left merge on unique book keys keeps the rows in order
    walked["filled"] = walked["filled"].eq(True)
    walked["fee"] = frame_fee_per_share(walked, "vwap")
    return walked


def _levels_of(ask_levels: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    keys = candidates[["quote_ts", "pm_token_id"]].drop_duplicates()
    keys = keys.rename(columns={"quote_ts": "snapshot_ts", "pm_token_id": "token_id"})
    return ask_levels.merge(keys, on=["snapshot_ts", "token_id"], how="inner")


def _signal_id(token_id: str, as_of: pd.Timestamp) -> str:
    """Stable per token and as-of time, so re-materialising an hour yields the same ids."""
    return hashlib.sha256(f"{token_id}|{as_of.isoformat()}".encode()).hexdigest()[:24]
