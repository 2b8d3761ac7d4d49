"""The /api endpoints: thin shells that check parameters and call the readers."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.feed import QUOTE, SIGNAL, Change, ChangeFeed, InvalidEventId
from edge_assets.api.health import health_report
from edge_assets.api.history import RESOLUTION, HistoryError, Window, market_history
from edge_assets.api.latest import LatestCache, LatestFilter
from edge_assets.api.models import (
    Health,
    LatestPage,
    MarketHistory,
    Problem,
    QuoteChange,
    Signal,
    SignalPage,
    SignalStatus,
    SignalTrail,
    Venue,
)
from edge_assets.api.signals import SignalReader

# Instants outside these years are mistakes, and past pandas' range (1677-2262) they would fail.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
HISTORY_WINDOW = timedelta(days=7)
# No NUL: PostgreSQL text cannot hold it, and no id or name contains one.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")]
NOT_FOUND = {404: {"model": Problem, "description": "no such market or signal"}}


@dataclass(frozen=True)
class Services:
    warehouse: ReadOnlyWarehouse
    signals: SignalReader
    latest: LatestCache
    feed: ChangeFeed
    clock: Callable[[], datetime]
    trading_table: bool


def latest_json(page: dict) -> bytes:
    """A /api/latest page as its response body, validated as FastAPI would a returned dict."""
    return LatestPage.model_validate(page).model_dump_json().encode()


def services(request: Request) -> Services:
    return request.app.state.services


Deps = Annotated[Services, Depends(services)]
router = APIRouter()


@router.get("/latest", response_model=LatestPage, summary="The newest quote of every outcome on every venue")
def latest(
    deps: Deps,
    venue: Venue | None = None,
    league: Text = None,
    category: Literal["sports", "politics"] | None = None,
    market: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="a market_id")] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="text in title or outcome")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    where = LatestFilter(venue=venue, league=league, category=category, market=market, search=q)
    return Response(deps.latest.page(where, limit, offset), media_type="application/json")


@router.get(
    "/markets/{market_id}/history",
    response_model=MarketHistory,
    responses=NOT_FOUND,
    summary="One market's outcomes over time: Polymarket against the consensus and each book, or PredictIt",
)
def history(
    deps: Deps,
    market_id: Annotated[str, Path(max_length=200, pattern=NO_NUL)],
    start: Annotated[datetime | None, Query(description="default: a week before end")] = None,
    end: Annotated[datetime | None, Query(description="default: now")] = None,
    resolution: Annotated[
        str, Query(pattern=RESOLUTION.pattern, description="bucket: 5m, 1h, 1d, ...")
    ] = "1h",
    venue: Literal["polymarket", "predictit"] | None = None,
) -> dict:
    end = _instant(end, "end") if end else deps.clock()
    start = _instant(start, "start") if start else end - HISTORY_WINDOW
    try:
        found = market_history(deps.warehouse, market_id, Window(start, end, resolution), venue)
    except HistoryError as error:
        raise _invalid(error.field, str(error)) from None
    if found is None:
        raise HTTPException(404, f"no market {market_id!r} on Polymarket or PredictIt")
    return found


@router.get("/signals", response_model=SignalPage, summary="Signals with their lifecycle, newest first")
def signals(
    deps: Deps,
    status: SignalStatus | None = None,
    since: Annotated[datetime | None, Query(description="created at or after")] = None,
    market_id: Text = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict:
    since = _instant(since, "since") if since else None
    return deps.signals.page(deps.clock(), limit, offset, status=status, since=since, market_id=market_id)


@router.get(
    "/signals/{signal_id}",
    response_model=SignalTrail,
    responses=NOT_FOUND,
    summary="A signal and the quotes, book snapshot, mapping and consensus behind it",
)
def signal(deps: Deps, signal_id: Annotated[str, Path(max_length=200, pattern=NO_NUL)]) -> dict:
    found = deps.signals.trail(signal_id, deps.clock())
    if found is None:
        raise HTTPException(404, f"no signal {signal_id!r}")
    return found


def _changes(
    deps: Deps, last_event_id: Annotated[str | None, Header(max_length=2000, pattern=NO_NUL)] = None
) -> AsyncIterator[Change]:
    try:
        return deps.feed.changes(last_event_id or None)
    except InvalidEventId as error:
        raise _invalid("Last-Event-ID", str(error), where="header") from None


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    summary="Server-sent events: `signal` (a Signal) and `quote` (a QuoteChange); resumes from Last-Event-ID",
)
async def stream(
    changes: Annotated[AsyncIterator[Change], Depends(_changes)],
) -> AsyncIterable[ServerSentEvent]:
    async for change in changes:
        data = {SIGNAL: Signal, QUOTE: QuoteChange}.get(change.event)
        payload = data(**change.data) if data else change.data
        yield ServerSentEvent(data=payload, event=change.event, id=change.id)


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "the database cannot be read"}},
    summary="Database, change stream and the last ingest time",
)
def health(deps: Deps) -> JSONResponse:
    report = health_report(deps.warehouse, deps.feed, deps.signals.live, deps.trading_table)
    return JSONResponse(
        Health(**report).model_dump(mode="json"), status_code=200 if report["database"]["ok"] else 503
    )


def _instant(value: datetime, name: str) -> datetime:
    """`value` in UTC (naive is taken as UTC), or a 422 when it lies outside the years served."""
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # an offset pushing year 1 or 9999 out of range
        value = EARLIEST - timedelta(days=1)
    if not EARLIEST <= value <= LATEST:
        raise _invalid(name, f"{name} must lie between {EARLIEST.year} and {LATEST.year}")
    return value


def _invalid(name: str, message: str, where: str = "query") -> RequestValidationError:
    """A 422 in FastAPI's own format, for checks that span parameters or need the data."""
    return RequestValidationError([{"loc": (where, name), "msg": message, "type": "value_error"}])
