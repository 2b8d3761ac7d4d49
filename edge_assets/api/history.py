"""`GET /api/markets/{market_id}/history`: one market's outcomes over a window, resampled.

A Polymarket market gives, per token, its best bid and ask, the de-vigged consensus of the outcome
it maps to and each book's implied probability; a PredictIt market gives, per contract, its Yes and
No buy and sell costs and last trade. Each bucket of `resolution` holds the last value seen in it
(its close, so no bucket looks ahead). PredictIt stores a row only when a contract's quote changes,
so its values carry forward, from the row in force at the window's start; hourly quotes do not (a
missing hour is a gap).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.sql import in_list, records
from edge_assets.mapping.markets import priced_outcomes

RESOLUTION = re.compile(r"^(?P<count>[1-9][0-9]{0,3})(?P<unit>[mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# A chart has no use for more points than pixels; this also bounds the work of one request.
MAX_POINTS = 5000
TOKENS_SQL = """
SELECT pm_token_id, pm_outcome, sport_key, event_id, sportsbook_outcome FROM market_mappings
WHERE pm_market_id = :market_id ORDER BY pm_outcome
"""
MARKET_SQL = "SELECT question, clob_token_ids FROM polymarket_markets WHERE market_id = :market_id"
TOKEN_QUOTES_SQL = """
SELECT quote_ts, market_key, side, implied_prob FROM quotes
WHERE venue = 'polymarket' AND market_key IN ({tokens}) AND quote_ts >= :start AND quote_ts < :end
"""
CONSENSUS_SQL = """
SELECT quote_ts, event_id, outcome, fair_prob FROM consensus
WHERE event_id IN ({events}) AND quote_ts >= :start AND quote_ts < :end
"""
BOOK_QUOTES_SQL = """
SELECT quote_ts, market_key AS event_id, bookmaker, outcome, implied_prob FROM quotes
WHERE venue = 'oddsapi' AND market_key IN ({events}) AND quote_ts >= :start AND quote_ts < :end
"""
PREDICTIT_COLUMNS = {
    "yes_bid": "best_sell_yes_cost",
    "yes_ask": "best_buy_yes_cost",
    "no_bid": "best_sell_no_cost",
    "no_ask": "best_buy_no_cost",
    "last_trade": "last_trade_price",
}
# The rows inside the window, and each contract's row in force at its start.
PREDICTIT_SQL = """
SELECT data_id, contract_name, market_name, timestamp, {columns} FROM predictit_market_data p
WHERE market_id = :market_id AND (
    (timestamp >= :start AND timestamp < :end)
    OR timestamp = (
        SELECT MAX(x.timestamp) FROM predictit_market_data x
        WHERE x.data_id = p.data_id AND x.timestamp < :start
    )
)
""".format(columns=", ".join(PREDICTIT_COLUMNS.values()))
PREDICTIT_EXISTS_SQL = "SELECT 1 AS found FROM predictit_market_data WHERE market_id = :market_id LIMIT 1"


class HistoryError(ValueError):
    """A request the history cannot answer; `field` names the query parameter at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    resolution: str

    @property
    def step(self) -> pd.Timedelta:
        match = RESOLUTION.match(self.resolution)
        if match is None:
            raise HistoryError(
                "resolution", "resolution must be a count and a unit m, h or d, e.g. 5m, 1h, 1d"
            )
        return pd.Timedelta(**{UNITS[match["unit"]]: int(match["count"])})

    def grid(self) -> pd.DatetimeIndex:
        """The bucket starts covering [start, end)."""
        if self.start >= self.end:
            raise HistoryError("start", "start must be before end")
        step = self.step
        first = pd.Timestamp(self.start).floor(step)
        points = (pd.Timestamp(self.end) - first) / step
        if points > MAX_POINTS:
            raise HistoryError(
                "resolution",
                f"{self.resolution} over this window gives {int(points)} points, over {MAX_POINTS}",
            )
        return pd.date_range(first, self.end, freq=step, inclusive="left")


def market_history(
    warehouse: ReadOnlyWarehouse, market_id: str, window: Window, venue: str | None
) -> dict[str, Any] | None:
    """The market's history, from Polymarket or else PredictIt (or the `venue` asked); None if unknown."""
    grid = window.grid()
    span = {"start": window.start, "end": window.end}
    if venue in (None, "polymarket"):
        tokens = warehouse.read_frame(TOKENS_SQL, {"market_id": market_id})
        if len(tokens):
            return _polymarket(warehouse, market_id, tokens, grid, span) | _described(window, market_id)
    if venue in (None, "predictit"):
        if len(warehouse.read_frame(PREDICTIT_EXISTS_SQL, {"market_id": market_id})):
            return _predictit(warehouse, market_id, grid, span) | _described(window, market_id)
    return None


def _described(window: Window, market_id: str) -> dict[str, Any]:
    return {"market_id": market_id, "start": window.start, "end": window.end, "resolution": window.resolution}


def _polymarket(
    warehouse: ReadOnlyWarehouse, market_id: str, tokens: pd.DataFrame, grid: pd.DatetimeIndex, span: dict
) -> dict[str, Any]:
    market = records(warehouse.read_frame(MARKET_SQL, {"market_id": market_id}))
    tokens = _in_market_order(tokens, market[0]["clob_token_ids"] if market else None)
    names, bound = in_list("token", tokens["pm_token_id"].tolist())
    quotes = _wide(
        warehouse.read_frame(TOKEN_QUOTES_SQL.format(tokens=names), span | bound),
        ["market_key", "side"], "implied_prob", grid,
    )  # fmt: skip
    events = sorted(tokens["event_id"].dropna().unique())
    consensus = books = pd.DataFrame(index=grid)
    if events:
        names, bound = in_list("event", events)
        consensus_rows = warehouse.read_frame(CONSENSUS_SQL.format(events=names), span | bound)
        consensus = _wide(consensus_rows, ["event_id", "outcome"], "fair_prob", grid)
        book_rows = warehouse.read_frame(BOOK_QUOTES_SQL.format(events=names), span | bound)
        books = _wide(book_rows, ["event_id", "outcome", "bookmaker"], "implied_prob", grid)
    complements, outcomes = priced_outcomes(tokens["sportsbook_outcome"].fillna("").astype(str))
    histories = []
    for token, complement, outcome in zip(records(tokens), complements, outcomes, strict=True):
        key = token["pm_token_id"]
        series = [
            _series(f"polymarket_{side}", "polymarket", _column(quotes, (key, side)))
            for side in ("bid", "ask")
        ]
        if token["event_id"] and token["sportsbook_outcome"]:
            event_outcome = (token["event_id"], str(outcome))
            series += _sportsbook_series(consensus, books, event_outcome, bool(complement))
        histories.append(_outcome(key, token["pm_outcome"], token["sportsbook_outcome"], grid, series))
    first = records(tokens)[0]
    return {
        "venue": "polymarket",
        "title": market[0]["question"] if market else market_id,
        "league": first["sport_key"],
        "event_id": events[0] if events else None,
        "outcomes": histories,
    }


def _sportsbook_series(
    consensus: pd.DataFrame, books: pd.DataFrame, event_outcome: tuple[str, str], complement: bool
) -> list[dict[str, Any]]:
    """The consensus of the token's outcome (1 - p for a "not X" token), and each book's own price
    of it (a "not X" token has none: the books quote X)."""
    fair = _column(consensus, event_outcome)
    if complement:
        return [_series("consensus", "consensus", [None if value is None else 1.0 - value for value in fair])]
    series = [_series("consensus", "consensus", fair)]
    quoted = sorted(column[2] for column in books.columns if tuple(column[:2]) == event_outcome)
    for bookmaker in quoted:
        series.append(_series(f"book:{bookmaker}", "book", _column(books, (*event_outcome, bookmaker))))
    return series


def _predictit(
    warehouse: ReadOnlyWarehouse, market_id: str, grid: pd.DatetimeIndex, span: dict
) -> dict[str, Any]:
    rows = warehouse.read_frame(PREDICTIT_SQL, {"market_id": market_id} | span)
    # The row in force at the start counts from the start.
    rows["timestamp"] = rows["timestamp"].clip(lower=pd.Timestamp(span["start"]))
    wide = {
        name: _wide(rows, ["data_id"], column, grid, carry_forward=True)
        for name, column in PREDICTIT_COLUMNS.items()
    }
    histories = []
    for data_id, contract in rows.groupby("data_id", sort=True):
        series = [_series(name, "predictit", _column(wide[name], data_id)) for name in PREDICTIT_COLUMNS]
        histories.append(_outcome(str(data_id), contract["contract_name"].iloc[-1], None, grid, series))
    return {
        "venue": "predictit",
        "title": rows["market_name"].iloc[-1] if len(rows) else market_id,
        "league": None,
        "event_id": None,
        "outcomes": histories,
    }


def _wide(
    frame: pd.DataFrame, keys: list[str], column: str, grid: pd.DatetimeIndex, carry_forward: bool = False
) -> pd.DataFrame:
    """`column` by bucket of `grid` (rows) and `keys` (columns): the last value seen in each bucket."""
    if frame.empty or grid.empty:
        return pd.DataFrame(index=grid)
    time_column = "timestamp" if "timestamp" in frame.columns else "quote_ts"
    ordered = frame.sort_values(time_column, kind="stable")
    buckets = ordered[time_column].dt.floor(grid.freq).rename("bucket")
    last = ordered[column].astype(float).groupby([*(ordered[key] for key in keys), buckets]).last()
    wide = last.unstack(keys).reindex(grid)
    return wide.ffill() if carry_forward else wide


def _column(wide: pd.DataFrame, key: Any) -> list[float | None]:
    """One column of a `_wide` frame as JSON values; all None when the key has no rows."""
    if key not in wide.columns:
        return [None] * len(wide)
    return [None if pd.isna(value) else float(value) for value in wide[key]]


def _series(name: str, kind: str, values: list[float | None]) -> dict[str, Any]:
    return {"name": name, "kind": kind, "values": values}


def _outcome(
    key: str, outcome: str, sportsbook_outcome: str | None, grid: pd.DatetimeIndex, series: list
) -> dict:
    return {
        "market_key": key,
        "outcome": outcome,
        "sportsbook_outcome": sportsbook_outcome,
        "times": [stamp.to_pydatetime() for stamp in grid],
        "series": series,
    }


def _in_market_order(tokens: pd.DataFrame, clob_token_ids: str | None) -> pd.DataFrame:
    """The tokens in the market's own outcome order (Yes before No), when the market is known."""
    if not clob_token_ids:
        return tokens
    order = {token: position for position, token in enumerate(json.loads(clob_token_ids))}
    return tokens.assign(_order=tokens["pm_token_id"].map(order)).sort_values("_order").drop(columns="_order")


def default_window(now: datetime) -> tuple[datetime, datetime]:
    """A week to now."""
    return now - timedelta(days=7), now
