"""`GET /api/latest`: the newest quote of every outcome on every venue, filtered and paginated in SQL.

Polymarket tokens and sportsbook events are read at their venue's newest hour in `quotes` and
`consensus`; PredictIt contracts are their newest `predictit_market_data` row per `data_id` (rows
are stored only on change, so a contract's newest row is its price now). Each page is then priced
against the consensus and the books of that newest hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.sql import in_list
from edge_assets.mapping.markets import priced_outcomes

# The newest hour of each venue and the newest PredictIt row: what a page is read at, and what a
# cached page is kept for. One seek each (quotes (venue, quote_ts), consensus's and
# predictit_market_data (fetched_at)'s indexes).
NEWEST_WRITES_SQL = """
SELECT (SELECT MAX(quote_ts) FROM quotes WHERE venue = 'polymarket') AS polymarket_ts,
    (SELECT MAX(quote_ts) FROM consensus) AS oddsapi_ts,
    (SELECT MAX(fetched_at) FROM predictit_market_data) AS predictit_fetched_at
"""
# How long a cached page may be served while the newest writes stay the same: it bounds how late
# a change they do not show (a mapping or a market's title rewritten within the hour) appears.
LATEST_CACHE_SECONDS = 5.0
LATEST_CACHE_PAGES = 256

# `contracts` walks the distinct data_ids through the primary key, one seek each (a loose index
# scan), so the newest row per contract costs a few seeks per contract, not a scan of its history.
# PostgreSQL types a UNION's columns pairwise from the left, so the first branch's NULLs are typed.
LATEST_CTE = """
WITH RECURSIVE contracts(data_id) AS (
    SELECT MIN(data_id) FROM predictit_market_data
    UNION ALL
    SELECT (SELECT MIN(p.data_id) FROM predictit_market_data p WHERE p.data_id > contracts.data_id)
    FROM contracts WHERE contracts.data_id IS NOT NULL
),
latest AS (
    SELECT 'polymarket' AS venue, mm.pm_market_id AS market_id, q.market_key AS market_key,
        COALESCE(m.question, mm.pm_market_id) AS title, q.outcome AS outcome, mm.sport_key AS league,
        mm.event_id AS event_id, mm.sportsbook_outcome AS sportsbook_outcome, q.quote_ts AS quote_ts,
        MAX(CASE WHEN q.side = 'bid' THEN q.implied_prob END) AS bid,
        MAX(CASE WHEN q.side = 'ask' THEN q.implied_prob END) AS ask,
        MAX(CASE WHEN q.side = 'bid' THEN q.size END) AS bid_size,
        MAX(CASE WHEN q.side = 'ask' THEN q.size END) AS ask_size,
        CAST(NULL AS DOUBLE PRECISION) AS no_bid, CAST(NULL AS DOUBLE PRECISION) AS no_ask,
        CAST(NULL AS DOUBLE PRECISION) AS last_price, CAST(NULL AS DOUBLE PRECISION) AS consensus,
        CAST(NULL AS INTEGER) AS n_books
    FROM quotes q
    JOIN market_mappings mm ON mm.pm_token_id = q.market_key
    LEFT JOIN polymarket_markets m ON m.market_id = mm.pm_market_id
    WHERE q.quote_ts = :polymarket_hour AND q.venue = 'polymarket'
    GROUP BY mm.pm_market_id, q.market_key, m.question, q.outcome, mm.sport_key, mm.event_id,
        mm.sportsbook_outcome, q.quote_ts
    UNION ALL
    SELECT 'predictit', p.market_id, p.data_id, p.market_name, p.contract_name, NULL, NULL, NULL,
        p.timestamp, p.best_sell_yes_cost, p.best_buy_yes_cost, NULL, NULL, p.best_sell_no_cost,
        p.best_buy_no_cost, p.last_trade_price, NULL, NULL
    FROM contracts
    JOIN predictit_market_data p ON p.data_id = contracts.data_id
    WHERE p.timestamp = (
        SELECT MAX(x.timestamp) FROM predictit_market_data x WHERE x.data_id = contracts.data_id
    )
    UNION ALL
    SELECT 'oddsapi', c.event_id, c.event_id, e.title, c.outcome, e.sport_key, c.event_id, c.outcome,
        c.quote_ts, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.fair_prob, c.n_books
    FROM consensus c
    JOIN (
        SELECT event_id, MIN(sport_key) AS sport_key, MIN(away_team) || ' @ ' || MIN(home_team) AS title
        FROM oddsapi_historical_odds WHERE partition_ts = :oddsapi_hour GROUP BY event_id
    ) e ON e.event_id = c.event_id
    WHERE c.quote_ts = :oddsapi_hour
)
"""
# Sports first, by league and game, then politics.
ORDER = (
    "ORDER BY CASE WHEN league IS NULL THEN 1 ELSE 0 END, COALESCE(league, ''), title, venue, outcome, "
    "market_key"
)
# Filter fragments are constants; only their values are bound.
FILTERS = {
    "venue": "venue = :venue",
    "league": "league = :league",
    "market": "market_id = :market",
    "search": "(LOWER(title) LIKE :search ESCAPE '\\' OR LOWER(outcome) LIKE :search ESCAPE '\\')",
}
CATEGORY_FILTERS = {"sports": "league IS NOT NULL", "politics": "league IS NULL"}
BOOKS_SQL = """
SELECT market_key AS event_id, outcome, bookmaker, decimal_odds, implied_prob FROM quotes
WHERE quote_ts = :hour AND venue = 'oddsapi' AND market_key IN ({events})
ORDER BY bookmaker
"""
CONSENSUS_SQL = """
SELECT event_id, outcome, fair_prob, n_books FROM consensus
WHERE quote_ts = :hour AND event_id IN ({events})
"""


@dataclass(frozen=True)
class LatestFilter:
    venue: str | None = None
    league: str | None = None
    category: str | None = None
    market: str | None = None
    search: str | None = None


class LatestCache:
    """Pages of /api/latest, as JSON, kept while the warehouse's newest writes (`NEWEST_WRITES_SQL`)
    stay the same and at most `seconds`: a request then costs one small query instead of the page's
    five, and its serialisation. `clock` is monotonic seconds."""

    def __init__(
        self,
        warehouse: ReadOnlyWarehouse,
        serialise: Callable[[dict[str, Any]], bytes],
        seconds: float = LATEST_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._warehouse, self._serialise, self._seconds, self._clock = warehouse, serialise, seconds, clock
        self._pages: dict[tuple, tuple[tuple, float, bytes]] = {}

    def page(self, where: LatestFilter, limit: int, offset: int) -> bytes:
        newest = self._warehouse.rows(NEWEST_WRITES_SQL)[0]
        written = tuple(newest.values())
        key, now = (where, limit, offset), self._clock()
        cached = self._pages.get(key)
        if cached is not None and cached[0] == written and now < cached[1]:
            return cached[2]
        body = self._serialise(latest_page(self._warehouse, where, limit, offset, newest))
        if len(self._pages) >= LATEST_CACHE_PAGES:
            self._pages.clear()  # many filters in use: start again rather than track which is old
        self._pages[key] = (written, now + self._seconds, body)
        return body


def latest_page(
    warehouse: ReadOnlyWarehouse,
    where: LatestFilter,
    limit: int,
    offset: int,
    newest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One page of the latest quotes matching `where`, with the total and the newest hours read;
    `newest` is a `NEWEST_WRITES_SQL` row when the caller has read it already."""
    newest = newest or warehouse.rows(NEWEST_WRITES_SQL)[0]
    hours = {"polymarket_hour": newest["polymarket_ts"], "oddsapi_hour": newest["oddsapi_ts"]}
    clauses, params = _where(where)
    page = warehouse.rows(
        f"{LATEST_CTE} SELECT latest.*, COUNT(*) OVER () AS total FROM latest {clauses} {ORDER} "
        "LIMIT :limit OFFSET :offset",
        {**hours, **params, "limit": limit, "offset": offset},
    )
    if page:
        total = page[0]["total"]
    else:
        total = warehouse.rows(f"{LATEST_CTE} SELECT COUNT(*) AS n FROM latest {clauses}", hours | params)[0][
            "n"
        ]
    leagues = warehouse.rows(
        f"{LATEST_CTE} SELECT DISTINCT league FROM latest WHERE league IS NOT NULL ORDER BY league", hours
    )
    return {
        "total": int(total),
        "limit": limit,
        "offset": offset,
        "as_of": {"polymarket": hours["polymarket_hour"], "oddsapi": hours["oddsapi_hour"]},
        "leagues": [row["league"] for row in leagues],
        "items": _priced(warehouse, page, hours["oddsapi_hour"]),
    }


def _where(where: LatestFilter) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for name, fragment in FILTERS.items():
        value = getattr(where, name)
        if value:
            clauses.append(fragment)
            params[name] = _like_pattern(value) if name == "search" else value
    if where.category:
        clauses.append(CATEGORY_FILTERS[where.category])
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _like_pattern(text: str) -> str:
    """`text` anywhere, case-insensitively, with LIKE's wildcards in it taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _priced(warehouse: ReadOnlyWarehouse, page: list[dict], hour: datetime | None) -> list[dict[str, Any]]:
    """The page's rows with the consensus and each book's price of their outcome at `hour`."""
    rows = [{name: value for name, value in row.items() if name != "total"} | {"books": []} for row in page]
    events = sorted({row["event_id"] for row in rows if row["event_id"]})
    if not events or hour is None:
        return rows
    names, bound = in_list("event", events)
    books_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for book in warehouse.rows(BOOKS_SQL.format(events=names), {"hour": hour, **bound}):
        books_of.setdefault((book["event_id"], book["outcome"]), []).append(book)
    consensus = warehouse.rows(CONSENSUS_SQL.format(events=names), {"hour": hour, **bound})
    fair_of = {(row["event_id"], row["outcome"]): row for row in consensus}
    complements, outcomes = priced_outcomes(
        pd.Series([row["sportsbook_outcome"] or "" for row in rows], dtype=str)
    )
    for row, complement, outcome in zip(rows, complements, outcomes, strict=True):
        key = (row["event_id"], str(outcome))
        if row["venue"] == "polymarket" and key in fair_of:
            fair = float(fair_of[key]["fair_prob"])
            row["consensus"] = 1.0 - fair if complement else fair
            row["n_books"] = int(fair_of[key]["n_books"])
        # The books quote the outcome itself; a "not X" token has no book price of its own.
        if row["sportsbook_outcome"] and not complement:
            row["books"] = [
                {name: book[name] for name in ("bookmaker", "decimal_odds", "implied_prob")}
                for book in books_of.get(key, [])
            ]
    return rows
