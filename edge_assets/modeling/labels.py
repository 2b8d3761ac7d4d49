"""Labels: what an entry at a token-hour turned out to be worth (pure).

Two views of the same entry: the realised outcome (the token paid 1 or 0) and closing-line value,
the entry's effective price (VWAP for the stake plus the taker fee) against the closing de-vigged
consensus, the last one before the game started. The close is the market's best estimate at the
moment the edge could last be taken, so it judges an entry with far less noise than one game's
result does. An edge is valid when buying at the effective price had positive EV against the close.
"""

from __future__ import annotations

import pandas as pd

from edge_assets.features import mapped_tokens, token_consensus, utc
from edge_assets.pricing import frame_fee_per_share, vwap_for_stake

COST_COLUMNS = ["quote_ts", "pm_token_id", "vwap", "fee", "effective_price", "shares", "filled"]
CLOSING_COLUMNS = ["pm_token_id", "closing_ts", "closing_fair_prob", "game_start_ts"]
LABEL_COLUMNS = [
    "effective_price",
    "filled",
    "closing_fair_prob",
    "clv",
    "closing_ev",
    "edge_valid",
    "payout",
    "realized_return",
]


def closing_consensus(consensus: pd.DataFrame, mappings: pd.DataFrame, markets: pd.DataFrame) -> pd.DataFrame:
    """Per mapped token, the last de-vigged consensus stamped strictly before its game's start.

    Returns CLOSING_COLUMNS; a token whose game has no start time or no pregame consensus is absent.
    """
    tokens = mapped_tokens(mappings)
    starts = markets[["market_id", "game_start_ts"]].rename(columns={"market_id": "pm_market_id"})
    starts = starts.assign(game_start_ts=utc(starts["game_start_ts"]))
    fair = token_consensus(consensus.assign(quote_ts=utc(consensus["quote_ts"])), tokens)
    fair = fair.merge(tokens[["pm_token_id", "pm_market_id"]], on="pm_token_id").merge(
        starts, on="pm_market_id"
    )
    pregame = fair[fair["quote_ts"] < fair["game_start_ts"]].sort_values("quote_ts")
    closing = pregame.groupby("pm_token_id", as_index=False).last()
    closing = closing.rename(columns={"quote_ts": "closing_ts", "fair_prob": "closing_fair_prob"})
    return closing[CLOSING_COLUMNS]


def entry_costs(book_levels: pd.DataFrame, markets: pd.DataFrame, stake_usdc: float) -> pd.DataFrame:
    """What buying `stake_usdc` of each token at each book snapshot costs per share: COST_COLUMNS.

    The VWAP comes from walking the asks (`vwap_for_stake`); the taker fee is charged at the VWAP
    with the market's fee schedule. `filled` is False when the book could not absorb the stake
    (the VWAP is then that of the partial fill, and NaN when nothing filled).
    """
    levels = book_levels.assign(snapshot_ts=utc(book_levels["snapshot_ts"]))
    fills = vwap_for_stake(levels, stake_usdc, side="buy")
    market_of_token = levels[["token_id", "market_id"]].drop_duplicates("token_id")
    schedules = markets[["market_id", "fee_rate", "fee_exponent"]]
    fills = fills.merge(market_of_token, on="token_id", how="left").merge(
        schedules, on="market_id", how="left"
    )
    fills["fee"] = frame_fee_per_share(fills, "vwap")
    fills["effective_price"] = fills["vwap"] + fills["fee"]
    fills = fills.rename(columns={"snapshot_ts": "quote_ts", "token_id": "pm_token_id"})
    return fills[COST_COLUMNS]


def label_edges(
    rows: pd.DataFrame,
    closing: pd.DataFrame,
    resolutions: pd.DataFrame,
    costs: pd.DataFrame,
    time_column: str = "quote_ts",
) -> pd.DataFrame:
    """`rows` (features keyed by quote_ts, or signals with time_column="created_at") with LABEL_COLUMNS.

    - `clv` = closing_fair_prob - effective_price, in probability points;
    - `closing_ev` = closing_fair_prob / effective_price - 1, EV per dollar against the close: the
      regression target;
    - `edge_valid` = the stake filled and closing_ev > 0: the classification target;
    - `payout` = 1/0 from `resolutions` (NaN while unresolved) and `realized_return` = payout /
      effective_price - 1.

    Only entries before the game's start are labelled: an in-play entry has no closing line to be
    judged against, so its CLV labels are NaN (and edge_valid False).
    """
    keyed = rows.assign(_entry_ts=utc(rows[time_column]))
    costs = costs.assign(quote_ts=utc(costs["quote_ts"]))[
        ["quote_ts", "pm_token_id", "effective_price", "filled"]
    ]
    priced = keyed.merge(
        costs.rename(columns={"quote_ts": "_entry_ts"}), on=["_entry_ts", "pm_token_id"], how="left"
    )
    # Columns the caller's rows already carried under a label's name give way to the label.
    kept = [column for column in rows.columns if column not in LABEL_COLUMNS]
    return label_entries(priced, closing, resolutions)[[*kept, *LABEL_COLUMNS]]


def label_entries(entries: pd.DataFrame, closing: pd.DataFrame, resolutions: pd.DataFrame) -> pd.DataFrame:
    """`entries` (pm_token_id, `_entry_ts`, effective_price, filled) with LABEL_COLUMNS added, as
    `label_edges` defines them; the trader's fills are labelled the same way."""
    closing = closing[["pm_token_id", "closing_fair_prob", "game_start_ts"]].rename(
        columns={"game_start_ts": "_game_start_ts"}
    )
    labelled = entries.drop(columns=["closing_fair_prob", "payout"], errors="ignore").merge(
        closing, on="pm_token_id", how="left"
    )
    pregame = labelled["_entry_ts"] < labelled["_game_start_ts"]
    labelled["closing_fair_prob"] = labelled["closing_fair_prob"].where(pregame)
    labelled["filled"] = labelled["filled"].astype("boolean").fillna(False).astype(bool)
    labelled["clv"] = labelled["closing_fair_prob"] - labelled["effective_price"]
    labelled["closing_ev"] = labelled["closing_fair_prob"] / labelled["effective_price"] - 1.0
    labelled["edge_valid"] = labelled["filled"] & (labelled["closing_ev"] > 0)
    payouts = resolutions[["token_id", "payout"]].rename(columns={"token_id": "pm_token_id"})
    labelled = labelled.merge(payouts, on="pm_token_id", how="left")
    labelled["realized_return"] = labelled["payout"] / labelled["effective_price"] - 1.0
    return labelled
