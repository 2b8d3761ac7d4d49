"""The API's response bodies: they are its OpenAPI schema, and every response is checked against them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Venue = Literal["polymarket", "predictit", "oddsapi"]
SignalStatus = Literal["open", "closed"]


class BookPrice(BaseModel):
    bookmaker: str
    decimal_odds: float
    implied_prob: float = Field(description="1 / decimal odds, vig included")


class LatestQuote(BaseModel):
    """The newest quote of one outcome on one venue. Prices are probabilities (0-1)."""

    venue: Venue
    market_id: str = Field(description="Polymarket market, PredictIt market or sportsbook event id")
    market_key: str = Field(description="the outcome's key: Polymarket token, PredictIt contract, event id")
    title: str
    outcome: str
    league: str | None = Field(description="Odds API sport key; null for politics")
    event_id: str | None = Field(description="the sportsbook event this outcome is mapped to")
    sportsbook_outcome: str | None
    quote_ts: datetime
    bid: float | None
    ask: float | None
    bid_size: float | None
    ask_size: float | None
    no_bid: float | None = Field(description="PredictIt: the No side's sell price")
    no_ask: float | None = Field(description="PredictIt: the No side's buy price")
    last_price: float | None = Field(description="PredictIt: last trade")
    consensus: float | None = Field(description="de-vigged sportsbook fair probability of this outcome")
    n_books: int | None
    books: list[BookPrice]


class LatestPage(BaseModel):
    total: int
    limit: int
    offset: int
    as_of: dict[str, datetime | None] = Field(description="the newest hour read per venue")
    leagues: list[str] = Field(description="every league among the latest quotes, for filters")
    items: list[LatestQuote]


class Series(BaseModel):
    name: str = Field(description="polymarket_bid, polymarket_ask, consensus, book:<bookmaker>, ...")
    kind: Literal["polymarket", "consensus", "book", "predictit"]
    values: list[float | None]


class OutcomeHistory(BaseModel):
    market_key: str
    outcome: str
    sportsbook_outcome: str | None
    times: list[datetime] = Field(description="bucket starts; every series has one value per bucket")
    series: list[Series]


class MarketHistory(BaseModel):
    market_id: str
    venue: Literal["polymarket", "predictit"]
    title: str
    league: str | None
    event_id: str | None
    start: datetime
    end: datetime
    resolution: str
    outcomes: list[OutcomeHistory]


class Signal(BaseModel):
    signal_id: str
    source: str = Field(description="batch (the hourly signals asset) or live")
    status: SignalStatus
    created_at: datetime
    detected_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None = Field(description="when the edge went; null while open")
    pm_market_id: str
    pm_token_id: str
    title: str | None
    league: str | None
    outcome: str
    event_id: str
    pm_price: float
    vwap: float | None
    fee: float
    fair_prob: float
    ev_after_costs: float
    best_ev: float
    stake: float | None
    fill_prob: float | None
    size_available: float
    model_version: str | None
    model_confidence: float | None
    devig_method: str | None
    provenance: dict[str, Any] | None
    dagster_url: str | None = Field(description="the signal's asset (partition) in the Dagster UI")


class SignalPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Signal]


class SignalTrail(BaseModel):
    """A signal and the rows its provenance names, read again from the warehouse."""

    signal: Signal
    quotes: list[dict[str, Any]] = Field(description="the Polymarket quote rows and the books' at its hour")
    book_snapshot: list[dict[str, Any]] = Field(description="the order book levels it was priced on")
    mapping: dict[str, Any] | None = Field(description="the token's market_mappings row (current)")
    consensus: dict[str, Any] | None


class Component(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Component
    stream: Component
    last_ingest_at: datetime | None = Field(description="the newest row of any source table")
    last_ingest: dict[str, datetime | None]
    live_signals: bool = Field(description="whether the live_signals table is read")
    paper_trading: bool = Field(description="whether the trader has recorded a decision (an executions row)")


class QuoteChange(BaseModel):
    """New quotes. From the odds stream: one price of one outcome's side (`outcome`, `side`, `price`,
    `size`, `bookmaker` set; `market_key` the Polymarket token, PredictIt contract or event). Without
    a stream: a venue's new hour in `quotes`, or one PredictIt contract's new row (those fields null)."""

    venue: Venue
    quote_ts: datetime
    market_id: str | None
    market_key: str | None
    rows: int
    outcome: str | None = None
    side: Literal["ask", "bid", "back"] | None = None
    price: float | None = Field(
        None, description="a share's cost (0-1) on Polymarket and PredictIt, decimal odds for a book"
    )
    size: float | None = None
    bookmaker: str | None = None


class Problem(BaseModel):
    detail: Any
