"""Features per mapped Polymarket token and hour, from quotes, consensus and order books (pure).

Every feature of the row for hour t is computed from data stamped at or before t: changes and
rolling windows look backwards only, and the trailing histories a lookback needs come from the
input frames, which reach 24 hours before the first hour asked for.

The history-dependent series (mid, consensus, their gap, depth) are laid out wide, one column per
token on a complete hourly index, so shifts and rolling windows count hours rather than rows and a
missing hour stays missing instead of silently pulling an older value forward.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from edge_assets.mapping.markets import priced_outcomes
from edge_assets.pricing import ev_after_costs, frame_fee_per_share

KEY_COLUMNS = ["quote_ts", "pm_token_id"]
CONTEXT_COLUMNS = ["pm_market_id", "event_id", "outcome", "sport_key", "game_start_ts", "ask_size"]
LOOKBACK_HOURS = (1, 6, 24)
HISTORY_HOURS = max(LOOKBACK_HOURS)
DEPTH_CENTS = (1, 5)
# The leagues a model tells apart, coded by position (append only: a trained model knows these
# codes); any other league is missing (NaN), which XGBoost routes down its learned default branch.
LEAGUES = ("americanfootball_nfl", "basketball_nba", "icehockey_nhl", "baseball_mlb", "soccer_epl")
LEAGUE_CODES = {sport: float(code) for code, sport in enumerate(LEAGUES)}
# A z-score or decay ratio needs a few past hours to mean anything.
MIN_HISTORY_HOURS = 6
_PRICE_SLACK = 1e-9  # float slack when testing "within n cents of the best price"

FEATURE_COLUMNS = [
    "bid",
    "ask",
    "mid",
    "spread",
    *[f"{side}_depth_{cents}c" for side in ("ask", "bid") for cents in DEPTH_CENTS],
    "fair_prob",
    "pm_minus_consensus",
    "fee",
    "ev_after_costs",
    "n_books",
    "dispersion",
    *[f"consensus_change_{h}h" for h in LOOKBACK_HOURS],
    *[f"pm_change_{h}h" for h in LOOKBACK_HOURS],
    *[f"gap_drift_{h}h" for h in LOOKBACK_HOURS],
    *[f"pm_volatility_{h}h" for h in LOOKBACK_HOURS],
    *[f"consensus_volatility_{h}h" for h in LOOKBACK_HOURS],
    "gap_zscore_24h",
    "liquidity_decay_24h",
    "hours_to_start",
    "league_code",
]
OUTPUT_COLUMNS = [*KEY_COLUMNS, *CONTEXT_COLUMNS, *FEATURE_COLUMNS]


def utc(stamps: pd.Series) -> pd.Series:
    """Timestamps as nanosecond UTC, so frames read from different stores merge on equal keys."""
    return pd.to_datetime(stamps, utc=True).dt.as_unit("ns")


def mapped_tokens(mappings: pd.DataFrame) -> pd.DataFrame:
    """Mapped tokens with the consensus outcome they price and whether they price its complement.

    A mapped "No" token of a three-way market points at "not <outcome>" and is priced as
    1 - p(outcome), as the comparator does.
    """
    mapped = mappings.loc[
        mappings["status"] == "mapped",
        ["pm_token_id", "pm_market_id", "event_id", "sportsbook_outcome", "sport_key"],
    ].copy()
    mapped["complement"], mapped["consensus_outcome"] = priced_outcomes(mapped["sportsbook_outcome"])
    return mapped


def token_consensus(consensus: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    """The de-vigged consensus seen from each mapped token: quote_ts, pm_token_id, fair_prob,
    n_books, dispersion (fair_prob complemented for "not <outcome>" tokens)."""
    joined = tokens[["pm_token_id", "event_id", "consensus_outcome", "complement"]].merge(
        consensus[["quote_ts", "event_id", "outcome", "fair_prob", "n_books", "dispersion"]].rename(
            columns={"outcome": "consensus_outcome"}
        ),
        on=["event_id", "consensus_outcome"],
        how="inner",
    )
    joined["fair_prob"] = np.where(joined["complement"], 1.0 - joined["fair_prob"], joined["fair_prob"])
    return joined[["quote_ts", "pm_token_id", "fair_prob", "n_books", "dispersion"]]


def book_depth(book_levels: pd.DataFrame, cents: Iterable[int] = DEPTH_CENTS) -> pd.DataFrame:
    """USDC resting within `cents` of the best price on each side, per snapshot and token.

    Returns snapshot_ts, token_id and `{side}_depth_{n}c` columns; the best level itself counts
    (so `ask_depth_1c` is the best ask plus the next cent up).
    """
    book = book_levels[["snapshot_ts", "token_id", "side", "price", "size"]]
    book = book[book["size"] > 0]
    # Rank on a signed price so that "better" is "smaller" on both sides.
    distance = np.where(book["side"] == "ask", book["price"], -book["price"])
    best = (
        pd.Series(distance, index=book.index)
        .groupby([book["snapshot_ts"], book["token_id"], book["side"]])
        .transform("min")
    )
    away = distance - best.to_numpy()
    notional = (book["price"] * book["size"]).to_numpy()
    columns = {}
    for n in cents:
        columns[n] = np.where(away <= n / 100 + _PRICE_SLACK, notional, 0.0)
    depth = pd.DataFrame(
        {"snapshot_ts": book["snapshot_ts"], "token_id": book["token_id"], "side": book["side"]}
        | {f"depth_{n}c": values for n, values in columns.items()}
    )
    summed = depth.groupby(["snapshot_ts", "token_id", "side"]).sum().unstack("side", fill_value=0.0)
    summed.columns = [f"{side}_{name}" for name, side in summed.columns]
    for side in ("ask", "bid"):
        for n in cents:
            if f"{side}_depth_{n}c" not in summed.columns:
                summed[f"{side}_depth_{n}c"] = 0.0
    return summed.reset_index()


def build_features(
    quotes: pd.DataFrame,
    consensus: pd.DataFrame,
    depth: pd.DataFrame,
    mappings: pd.DataFrame,
    markets: pd.DataFrame,
    hours: Iterable[datetime],
) -> pd.DataFrame:
    """One row per mapped Polymarket token with a quote at one of `hours`, with OUTPUT_COLUMNS.

    `depth` is `book_depth` of the order_book_snapshots levels: per snapshot, so a long range can
    be reduced a piece at a time. `quotes` (canonical), `consensus` and `depth` must reach
    HISTORY_HOURS before the first of `hours` for the lookback features to be
    complete; rows are emitted for `hours` only. `mappings` and `markets` are the market_mappings
    and markets tables (a market's game start and fee schedule are known in advance, so using
    them is no lookahead). Features that lack data (no bid, no consensus, too little history) are
    NaN.
    """
    hour_index = pd.DatetimeIndex(pd.to_datetime(list(hours), utc=True)).as_unit("ns").unique().sort_values()
    tokens = mapped_tokens(mappings)
    pm = _polymarket_top(quotes, tokens)
    if hour_index.empty or pm.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    # Data after the last hour asked for can never feed a row: drop it before anything looks back.
    last_hour = hour_index.max()
    pm = pm[pm["quote_ts"] <= last_hour]
    fair = token_consensus(consensus.assign(quote_ts=utc(consensus["quote_ts"])), tokens)
    fair = fair[fair["quote_ts"] <= last_hour]
    depth = depth.assign(snapshot_ts=utc(depth["snapshot_ts"]))
    depth = depth[depth["snapshot_ts"] <= last_hour].rename(
        columns={"snapshot_ts": "quote_ts", "token_id": "pm_token_id"}
    )

    rows = pm.merge(fair, on=KEY_COLUMNS, how="left").merge(depth, on=KEY_COLUMNS, how="left")
    rows["mid"] = (rows["bid"] + rows["ask"]) / 2
    rows["spread"] = rows["ask"] - rows["bid"]
    rows["pm_minus_consensus"] = rows["mid"] - rows["fair_prob"]
    grid = pd.date_range(min(rows["quote_ts"].min(), hour_index.min()), last_hour, freq="h", name="quote_ts")
    wide = _History(rows, grid)
    series = _lookback_series(wide)

    rows = rows[rows["quote_ts"].isin(hour_index)].reset_index(drop=True)
    for name, frame in series.items():
        rows[name] = wide.lookup(frame, rows)
    rows = _with_market_terms(rows, tokens, markets)
    return rows[OUTPUT_COLUMNS].sort_values(KEY_COLUMNS, ignore_index=True)


def _lookback_series(wide: _History) -> dict[str, pd.DataFrame]:
    """The features that look back over the hourly grid, by name: moves, drift and volatility per
    lookback, the gap's z-score and the liquidity decay (hours x tokens each)."""
    mid, fair_wide = wide.pivot("mid"), wide.pivot("fair_prob")
    gap = mid - fair_wide
    series = {}
    for h in LOOKBACK_HOURS:
        series[f"consensus_change_{h}h"] = fair_wide - fair_wide.shift(h)
        series[f"pm_change_{h}h"] = mid - mid.shift(h)
        series[f"gap_drift_{h}h"] = gap - gap.shift(h)
        series[f"pm_volatility_{h}h"] = _realised_volatility(mid, h)
        series[f"consensus_volatility_{h}h"] = _realised_volatility(fair_wide, h)
    # Mean reversion: how far the gap stands from its own trailing 24 hours (excluding now).
    past_gap = gap.shift(1).rolling(HISTORY_HOURS, min_periods=MIN_HISTORY_HOURS)
    series["gap_zscore_24h"] = (gap - past_gap.mean()) / past_gap.std().where(lambda s: s > 0)
    # Liquidity decay: depth near the ask now against its trailing 24-hour average.
    ask_depth = wide.pivot("ask_depth_5c")
    past_depth = ask_depth.shift(1).rolling(HISTORY_HOURS, min_periods=MIN_HISTORY_HOURS).mean()
    series["liquidity_decay_24h"] = ask_depth / past_depth.where(past_depth > 0)
    return series


class _History:
    """Per-token series laid out on a complete hourly grid (rows: hours, columns: tokens)."""

    def __init__(self, rows: pd.DataFrame, grid: pd.DatetimeIndex):
        self.rows = rows
        self.grid = grid
        self.tokens = pd.Index(rows["pm_token_id"].unique())

    def pivot(self, column: str) -> pd.DataFrame:
        values = self.rows.pivot(index="quote_ts", columns="pm_token_id", values=column)
        return values.reindex(index=self.grid, columns=self.tokens).astype(float)

    def lookup(self, wide: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
        """The value of `wide` at each row's hour and token."""
        at_hour = self.grid.get_indexer(rows["quote_ts"])
        at_token = self.tokens.get_indexer(rows["pm_token_id"])
        return wide.to_numpy()[at_hour, at_token]


def _polymarket_top(quotes: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    """Best ask, its size and best bid per mapped token and hour (a side may be missing: NaN)."""
    pm = quotes[(quotes["venue"] == "polymarket") & quotes["side"].isin(["ask", "bid"])]
    pm = pm[pm["market_key"].isin(tokens["pm_token_id"])]
    top = pm.pivot_table(
        index=["quote_ts", "market_key"], columns="side", values=["implied_prob", "size"], aggfunc="first"
    )
    frame = pd.DataFrame(index=top.index)
    for side in ("ask", "bid"):
        frame[side] = top["implied_prob"][side] if side in top["implied_prob"] else np.nan
    frame["ask_size"] = top["size"]["ask"] if "ask" in top["size"] else np.nan
    frame = frame.reset_index().rename(columns={"market_key": "pm_token_id"})
    frame["quote_ts"] = utc(frame["quote_ts"])
    return frame


def _realised_volatility(wide: pd.DataFrame, hours: int) -> pd.DataFrame:
    """Root mean square of the hourly changes over the trailing `hours` (|change| for one hour)."""
    return (wide.diff() ** 2).rolling(hours, min_periods=1).mean() ** 0.5


def _with_market_terms(rows: pd.DataFrame, tokens: pd.DataFrame, markets: pd.DataFrame) -> pd.DataFrame:
    """Add the token's market, event, league, game start, taker fee and EV at the ask."""
    rows = rows.merge(
        tokens[["pm_token_id", "pm_market_id", "event_id", "sportsbook_outcome", "sport_key"]],
        on="pm_token_id",
        how="left",
    ).rename(columns={"sportsbook_outcome": "outcome"})
    terms = markets[["market_id", "game_start_ts", "fee_rate", "fee_exponent"]].rename(
        columns={"market_id": "pm_market_id"}
    )
    rows = rows.merge(terms, on="pm_market_id", how="left")
    rows["game_start_ts"] = utc(rows["game_start_ts"])
    rows["hours_to_start"] = (rows["game_start_ts"] - rows["quote_ts"]) / pd.Timedelta(hours=1)
    rows["league_code"] = rows["sport_key"].map(LEAGUE_CODES).astype(float)

    # The pricing functions refuse NaN, so they see only the rows that have what they need.
    rows["fee"] = frame_fee_per_share(rows, "ask")
    rows["ev_after_costs"] = np.nan
    priced = rows["ask"].notna() & rows["fair_prob"].notna()
    rows.loc[priced, "ev_after_costs"] = ev_after_costs(
        rows.loc[priced, "fair_prob"].to_numpy(float),
        rows.loc[priced, "ask"].to_numpy(float),
        rows.loc[priced, "fee"].to_numpy(float),
    )
    return rows
