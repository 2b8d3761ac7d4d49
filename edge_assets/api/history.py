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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.sql import in_list
from edge_assets.mapping.markets import priced_outcomes

RESOLUTION = re.compile(r"^(?P<count>[1-9][0-9]{0,3})(?P<unit>[mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
ORDER BY quote_ts
"""
CONSENSUS_SQL = """
SELECT quote_ts, event_id, outcome, fair_prob FROM consensus
WHERE event_id IN ({events}) AND quote_ts >= :start AND quote_ts < :end
ORDER BY quote_ts
"""
BOOK_QUOTES_SQL = """
SELECT quote_ts, market_key AS event_id, bookmaker, outcome, implied_prob FROM quotes
WHERE venue = 'oddsapi' AND market_key IN ({events}) AND quote_ts >= :start AND quote_ts < :end
ORDER BY quote_ts
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
ORDER BY timestamp
""".format(columns=", ".join(PREDICTIT_COLUMNS.values()))
PREDICTIT_EXISTS_SQL = "SELECT 1 AS found FROM predictit_market_data WHERE market_id = :market_id LIMIT 1"


class HistoryError(ValueError):
    """A request the history cannot answer; `field` names the query parameter at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Grid:
    """Buckets of `step` from `first` (aligned to the epoch), `count` of them."""

    first: datetime
    step: timedelta
    count: int

    def times(self) -> list[datetime]:
        return [self.first + index * self.step for index in range(self.count)]

    def index(self, stamp: datetime) -> int:
        return (stamp - self.first) // self.step


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    resolution: str

    def grid(self) -> Grid:
        """The buckets covering [start, end)."""
        match = RESOLUTION.match(self.resolution)
        if match is None:
            raise HistoryError(
                "resolution", "resolution must be a count and a unit m, h or d, e.g. 5m, 1h, 1d"
            )
        if self.start >= self.end:
            raise HistoryError("start", "start must be before end")
        step = timedelta(**{UNITS[match["unit"]]: int(match["count"])})
        first = EPOCH + (self.start - EPOCH) // step * step
        count = -((first - self.end) // step)  # ceiling division
        if count > MAX_POINTS:
            raise HistoryError(
                "resolution", f"{self.resolution} over this window gives {count} points, over {MAX_POINTS}"
            )
        return Grid(first, step, count)


def market_history(
    warehouse: ReadOnlyWarehouse, market_id: str, window: Window, venue: str | None
) -> dict[str, Any] | None:
    """The market's history, from Polymarket or else PredictIt (or the `venue` asked); None if unknown."""
    grid = window.grid()
    span = {"start": window.start, "end": window.end}
    if venue in (None, "polymarket"):
        tokens = warehouse.rows(TOKENS_SQL, {"market_id": market_id})
        if tokens:
            return _polymarket(warehouse, market_id, tokens, grid, span) | _described(window, market_id)
    if venue in (None, "predictit"):
        if warehouse.rows(PREDICTIT_EXISTS_SQL, {"market_id": market_id}):
            return _predictit(warehouse, market_id, grid, span) | _described(window, market_id)
    return None


def _described(window: Window, market_id: str) -> dict[str, Any]:
    return {"market_id": market_id, "start": window.start, "end": window.end, "resolution": window.resolution}


def _polymarket(
    warehouse: ReadOnlyWarehouse, market_id: str, tokens: list[dict], grid: Grid, span: dict
) -> dict[str, Any]:
    market = warehouse.rows(MARKET_SQL, {"market_id": market_id})
    tokens = _in_market_order(tokens, market[0]["clob_token_ids"] if market else None)
    names, bound = in_list("token", [token["pm_token_id"] for token in tokens])
    rows = warehouse.rows(TOKEN_QUOTES_SQL.format(tokens=names), span | bound)
    quotes = _bucketed(rows, ("market_key", "side"), "implied_prob", grid)
    events = sorted({token["event_id"] for token in tokens if token["event_id"]})
    consensus: dict[tuple, list] = {}
    books: dict[tuple, list] = {}
    if events:
        names, bound = in_list("event", events)
        rows = warehouse.rows(CONSENSUS_SQL.format(events=names), span | bound)
        consensus = _bucketed(rows, ("event_id", "outcome"), "fair_prob", grid)
        rows = warehouse.rows(BOOK_QUOTES_SQL.format(events=names), span | bound)
        books = _bucketed(rows, ("event_id", "outcome", "bookmaker"), "implied_prob", grid)
    complements, outcomes = priced_outcomes(
        pd.Series([t["sportsbook_outcome"] or "" for t in tokens], dtype=str)
    )
    histories = []
    for token, complement, outcome in zip(tokens, complements, outcomes, strict=True):
        key = token["pm_token_id"]
        series = [
            _series(f"polymarket_{side}", "polymarket", quotes, (key, side), grid) for side in ("bid", "ask")
        ]
        if token["event_id"] and token["sportsbook_outcome"]:
            event_outcome = (token["event_id"], str(outcome))
            series += _sportsbook_series(consensus, books, event_outcome, bool(complement), grid)
        histories.append(_outcome(key, token["pm_outcome"], token["sportsbook_outcome"], grid, series))
    return {
        "venue": "polymarket",
        "title": market[0]["question"] if market else market_id,
        "league": tokens[0]["sport_key"],
        "event_id": events[0] if events else None,
        "outcomes": histories,
    }


def _sportsbook_series(
    consensus: dict, books: dict, event_outcome: tuple[str, str], complement: bool, grid: Grid
) -> list[dict[str, Any]]:
    """The consensus of the token's outcome (1 - p for a "not X" token), and each book's own price
    of it (a "not X" token has none: the books quote X)."""
    fair = _series("consensus", "consensus", consensus, event_outcome, grid)
    if complement:
        fair["values"] = [None if value is None else 1.0 - value for value in fair["values"]]
        return [fair]
    quoted = sorted(key[2] for key in books if key[:2] == event_outcome)
    return [fair] + [_series(f"book:{book}", "book", books, (*event_outcome, book), grid) for book in quoted]


def _predictit(warehouse: ReadOnlyWarehouse, market_id: str, grid: Grid, span: dict) -> dict[str, Any]:
    rows = warehouse.rows(PREDICTIT_SQL, {"market_id": market_id} | span)
    for row in rows:
        # The row in force at the start counts from the start.
        row["timestamp"] = max(row["timestamp"], span["start"])
    values = {
        name: _bucketed(rows, ("data_id",), column, grid, carry_forward=True)
        for name, column in PREDICTIT_COLUMNS.items()
    }
    names = {row["data_id"]: row["contract_name"] for row in rows}
    histories = [
        _outcome(
            data_id,
            names[data_id],
            None,
            grid,
            [_series(name, "predictit", values[name], (data_id,), grid) for name in PREDICTIT_COLUMNS],
        )
        for data_id in sorted(names)
    ]
    return {
        "venue": "predictit",
        "title": rows[-1]["market_name"] if rows else market_id,
        "league": None,
        "event_id": None,
        "outcomes": histories,
    }


def _bucketed(
    rows: Sequence[dict], keys: tuple[str, ...], column: str, grid: Grid, carry_forward: bool = False
) -> dict[tuple, list[float | None]]:
    """`column` per `keys` value and bucket of `grid`: the last value seen in the bucket (rows come
    in time order); with `carry_forward`, an empty bucket keeps the value before it."""
    time_column = "timestamp" if rows and "timestamp" in rows[0] else "quote_ts"
    series: dict[tuple, list[float | None]] = {}
    for row in rows:
        index = grid.index(row[time_column])
        if row[column] is not None and 0 <= index < grid.count:
            series.setdefault(tuple(row[key] for key in keys), [None] * grid.count)[index] = float(
                row[column]
            )
    if carry_forward:
        for values in series.values():
            for index in range(1, len(values)):
                if values[index] is None:
                    values[index] = values[index - 1]
    return series


def _series(name: str, kind: str, bucketed: dict, key: tuple, grid: Grid) -> dict[str, Any]:
    """One named series; all None when the key has no rows in the window."""
    return {"name": name, "kind": kind, "values": bucketed.get(key, [None] * grid.count)}


def _outcome(key: str, outcome: str, sportsbook_outcome: str | None, grid: Grid, series: list) -> dict:
    return {
        "market_key": key,
        "outcome": outcome,
        "sportsbook_outcome": sportsbook_outcome,
        "times": grid.times(),
        "series": series,
    }


def _in_market_order(tokens: list[dict], clob_token_ids: str | None) -> list[dict]:
    """The tokens in the market's own outcome order (Yes before No), when the market is known."""
    if not clob_token_ids:
        return tokens
    order = {token: position for position, token in enumerate(json.loads(clob_token_ids))}
    return sorted(tokens, key=lambda token: order.get(token["pm_token_id"], len(order)))
