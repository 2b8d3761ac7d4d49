"""Settlement of the trader's fills (pure): per-fill P&L and closing-line value, positions, daily P&L.

A fill is judged the way the batch labels judge an entry (`modeling.labels.label_entries`): its
effective price is the fill price plus the market's taker fee, its CLV is the closing de-vigged
consensus minus that price. A resolved token's fill is realised at its payout; an open one is
marked to market at its latest best bid (what selling would fetch), or at its own price without a
book. Each fill's P&L counts on the UTC day it was filled, so the days add up to the total.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from edge_assets.features import utc
from edge_assets.modeling.labels import label_entries
from edge_assets.pricing import frame_fee_per_share

FILL_COLUMNS = [
    "fill_id",
    "order_id",
    "filled_at",
    "mode",
    "pm_market_id",
    "pm_token_id",
    "outcome",
    "price",
    "size",
]
SETTLED_FILL_COLUMNS = [
    *FILL_COLUMNS,
    "fee",
    "effective_price",
    "closing_fair_prob",
    "clv",
    "payout",
    "mark_price",
    "marked_at",
    "settled",
    "hit",
    "realised_pnl",
    "mtm_pnl",
]
# Stands in for a mark's missing time: older than any.
_NO_TIME = pd.Timestamp.min.tz_localize("UTC")
POSITION_COLUMNS = [
    "mode",
    "pm_token_id",
    "pm_market_id",
    "outcome",
    "size",
    "cost",
    "mark_price",
    "marked_at",
    "updated_at",
]
DAILY_PNL_COLUMNS = [
    "mode",
    "day",
    "fills",
    "stake",
    "fees",
    "realised_pnl",
    "mtm_pnl",
    "pnl",
    "cumulative_pnl",
    "drawdown",
    "settled_fills",
    "hits",
    "hit_rate",
    "mean_clv",
]


def settle_fills(
    fills: pd.DataFrame,
    markets: pd.DataFrame,
    closing: pd.DataFrame,
    resolutions: pd.DataFrame,
    bids: pd.DataFrame,
) -> pd.DataFrame:
    """Each fill with its fee, effective price, CLV, payout, mark and P&L: SETTLED_FILL_COLUMNS.

    `markets` carries each market's fee schedule (market_id, fee_rate, fee_exponent), `closing` is
    `closing_consensus`'s frame, `resolutions` the polymarket_resolutions rows and `bids` the latest
    best bid per token (token_id, bid, bid_at: the book's time). `mark_price` is the payout once
    resolved, else the bid, `marked_at` the bid's time (None at a payout, which no mark overrides);
    `realised_pnl` = size * (payout - effective price) once resolved, `mtm_pnl` = size * (mark -
    effective price) while open; `hit` = resolved and paid more than it cost.
    """
    schedules = markets[["market_id", "fee_rate", "fee_exponent"]].rename(
        columns={"market_id": "pm_market_id"}
    )
    priced = with_fees(fills[FILL_COLUMNS].merge(schedules, on="pm_market_id", how="left"))
    priced = priced.assign(filled=True, _entry_ts=utc(priced["filled_at"]))
    labelled = label_entries(priced, closing, resolutions)
    marks = bids[["token_id", "bid", "bid_at"]].rename(columns={"token_id": "pm_token_id"})
    valued = value_fills(labelled.merge(marks, on="pm_token_id", how="left"))
    valued["marked_at"] = utc(valued["bid_at"]).where(~valued["settled"])
    return valued[SETTLED_FILL_COLUMNS].sort_values(["filled_at", "fill_id"]).reset_index(drop=True)


def with_fees(fills: pd.DataFrame) -> pd.DataFrame:
    """`fills` (price, fee_rate, fee_exponent) with the taker `fee` per share at the fill price and the
    `effective_price` paid (price plus fee)."""
    fee = frame_fee_per_share(fills, "price")
    return fills.assign(fee=fee, effective_price=fills["price"] + fee)


def value_fills(fills: pd.DataFrame) -> pd.DataFrame:
    """`fills` (size, price, effective_price, payout, bid) valued: `settled` (a payout is known), `hit`,
    `mark_price` (the payout once resolved, else the bid), `realised_pnl` and `mtm_pnl`. The one rule
    of a fill's worth, read by the daily figures and by the risk guard's daily loss limit."""
    valued = fills.assign(settled=fills["payout"].notna())
    valued["hit"] = valued["settled"] & (valued["payout"] > valued["effective_price"])
    valued["mark_price"] = valued["payout"].fillna(valued["bid"])
    # Without a book or a resolution a fill is worth its price: only its fee is lost so far.
    worth = valued["mark_price"].fillna(valued["price"])
    value = valued["size"] * (worth - valued["effective_price"])
    valued["realised_pnl"] = value.where(valued["settled"], 0.0)
    valued["mtm_pnl"] = value.where(~valued["settled"], 0.0)
    return valued


def positions(settled: pd.DataFrame, previous: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Holdings per mode and token from settled fills: POSITION_COLUMNS, the `positions` table's rows.

    `size` is the net shares and `cost` what they cost at the fill prices; the trader's store and the
    `positions` asset both build the table by this rule. `mark_price` is the payout once resolved,
    else the newer of the fills' mark (the latest best bid, at `marked_at`) and the mark the table
    holds already (`previous`: mode, pm_token_id, mark_price, marked_at; the trader's live book may
    be fresher than the newest snapshot), else None.
    """
    if settled.empty:
        return pd.DataFrame(columns=POSITION_COLUMNS)
    held = settled.assign(cost=settled["size"] * settled["price"], marked_at=utc(settled["marked_at"]))
    grouped = held.groupby(["mode", "pm_token_id"], as_index=False).agg(
        pm_market_id=("pm_market_id", "first"),
        outcome=("outcome", "first"),
        size=("size", "sum"),
        cost=("cost", "sum"),
        settled=("settled", "any"),
        mark_price=("mark_price", "last"),
        marked_at=("marked_at", "last"),
    )
    kept = previous[["mode", "pm_token_id", "mark_price", "marked_at"]].rename(
        columns={"mark_price": "_kept_mark", "marked_at": "_kept_at"}
    )
    grouped = grouped.merge(kept, on=["mode", "pm_token_id"], how="left")
    marks = grouped["mark_price"].astype(float)
    kept_marks = grouped["_kept_mark"].astype(float)
    marked_at, kept_at = utc(grouped["marked_at"]), utc(grouped["_kept_at"])
    # A mark without a time is older than any timed one; a payout is final.
    kept_newer = kept_at.fillna(_NO_TIME) > marked_at.fillna(_NO_TIME)
    keep = ~grouped["settled"] & kept_marks.notna() & (marks.isna() | kept_newer)
    marks = marks.where(~keep, kept_marks)
    grouped["marked_at"] = marked_at.where(~keep, kept_at)
    grouped["mark_price"] = marks.astype(object).where(marks.notna(), None)
    return grouped.assign(updated_at=now)[POSITION_COLUMNS]


def daily_pnl(settled: pd.DataFrame) -> pd.DataFrame:
    """Per mode and UTC day of filling: DAILY_PNL_COLUMNS.

    `pnl` is realised plus marked-to-market; `drawdown` is how far the running total stands below
    its best so far (starting from zero); `hit_rate` the share of the day's resolved fills that paid
    more than they cost; `mean_clv` the mean CLV of its fills that had a closing line.
    """
    if settled.empty:
        return pd.DataFrame(columns=DAILY_PNL_COLUMNS)
    frame = settled.assign(
        day=utc(settled["filled_at"]).dt.floor("D"),
        stake=settled["size"] * settled["price"],
        fees=settled["size"] * settled["fee"],
    )
    days = frame.groupby(["mode", "day"], as_index=False).agg(
        fills=("fill_id", "count"),
        stake=("stake", "sum"),
        fees=("fees", "sum"),
        realised_pnl=("realised_pnl", "sum"),
        mtm_pnl=("mtm_pnl", "sum"),
        settled_fills=("settled", "sum"),
        hits=("hit", "sum"),
        mean_clv=("clv", "mean"),
    )
    days["pnl"] = days["realised_pnl"] + days["mtm_pnl"]
    days["cumulative_pnl"] = days.groupby("mode")["pnl"].cumsum()
    peak = days.groupby("mode")["cumulative_pnl"].cummax().clip(lower=0.0)
    days["drawdown"] = peak - days["cumulative_pnl"]
    days["hit_rate"] = days["hits"] / days["settled_fills"].where(days["settled_fills"] > 0)
    return days[DAILY_PNL_COLUMNS]


def pnl_summary(settled: pd.DataFrame, days: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per mode, the figures over all fills: realised and MTM P&L, maximum drawdown, hit rate, mean
    CLV and the fill count (NaN where nothing was there to measure)."""
    summary = {}
    for mode, fills in settled.groupby("mode"):
        resolved = fills[fills["settled"]]
        summary[str(mode)] = {
            "realised_pnl": float(fills["realised_pnl"].sum()),
            "mtm_pnl": float(fills["mtm_pnl"].sum()),
            "max_drawdown": float(days.loc[days["mode"] == mode, "drawdown"].max()),
            "hit_rate": float(resolved["hit"].mean()) if len(resolved) else float("nan"),
            "mean_clv": float(fills["clv"].mean()) if fills["clv"].notna().any() else float("nan"),
            "fills": float(len(fills)),
        }
    return summary
