"""The FastAPI app: the read-only API under /api, its OpenAPI spec, and the web page at /."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.feed import ChangeFeed, JetStreamFeed, WarehousePollFeed, WarehouseSignals
from edge_assets.api.latest import LATEST_CACHE_SECONDS, LatestCache
from edge_assets.api.models import Problem
from edge_assets.api.routes import Services, latest_json, router
from edge_assets.api.signals import SignalReader

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
LIVE_SIGNALS_TABLE, EXECUTIONS_TABLE = "live_signals", "executions"
_bearer = HTTPBearer(auto_error=False, description="EDGE_API_TOKEN, required when the server has one")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApiConfig:
    """What the app is given by its caller (the cli reads the environment, tests pass their own)."""

    database_url: str
    # Required as a bearer token on every /api request when set.
    token: str | None = None
    dagster_ui_url: str | None = None
    # The odds stream's broker (`nats://...`): /api/stream follows its quote changes when set.
    stream_url: str | None = None
    # The change source behind /api/stream; None: the odds stream at `stream_url`, or without one
    # the warehouse polled. Signals are read from the warehouse every `poll_interval` s either way.
    feed: ChangeFeed | None = None
    poll_interval: float = 1.0
    # How long a /api/latest page may be served again while the newest hours stay the same.
    latest_cache_seconds: float = LATEST_CACHE_SECONDS
    clock: Callable[[], datetime] = field(default=_utc_now)


def create_app(config: ApiConfig) -> FastAPI:
    """The app over the warehouse at `config.database_url`, which optional tables it reads decided now."""
    warehouse = ReadOnlyWarehouse(config.database_url)
    tables = _tables(warehouse)
    signals = SignalReader(warehouse, live=LIVE_SIGNALS_TABLE in tables, dagster_ui_url=config.dagster_ui_url)
    feed = config.feed or _feed(config, warehouse, signals)

    @asynccontextmanager
    async def following(_: FastAPI) -> AsyncIterator[None]:
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()

    app = FastAPI(
        title="edge_assets API",
        version="1",
        description="Read-only: latest odds, odds over time, signals and their provenance, a change stream.",
        lifespan=following,
    )
    app.state.services = Services(
        warehouse=warehouse,
        signals=signals,
        latest=LatestCache(warehouse, latest_json, config.latest_cache_seconds),
        feed=feed,
        clock=config.clock,
        trading_table=EXECUTIONS_TABLE in tables,
    )
    guard = [Depends(_token_check(config.token))] if config.token else []
    responses = {503: {"model": Problem, "description": "the database cannot be read"}}
    if config.token:
        responses[401] = {"model": Problem, "description": "missing or wrong bearer token"}
    app.include_router(router, prefix="/api", dependencies=guard, responses=responses)
    app.add_exception_handler(SQLAlchemyError, _database_unavailable)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", _page, include_in_schema=False)
    return app


def _feed(config: ApiConfig, warehouse: ReadOnlyWarehouse, signals: SignalReader) -> ChangeFeed:
    changes = WarehouseSignals(signals, config.clock)
    if config.stream_url:
        return JetStreamFeed(config.stream_url, changes, config.poll_interval)
    return WarehousePollFeed(warehouse, changes, config.poll_interval)


def _tables(warehouse: ReadOnlyWarehouse) -> set[str]:
    try:
        return warehouse.tables()
    except SQLAlchemyError as error:
        logger.warning(
            "Cannot list the warehouse's tables (%s); optional tables are not read", type(error).__name__
        )
        return set()


def _token_check(token: str) -> Callable[[HTTPAuthorizationCredentials | None], None]:
    expected = token.encode()

    def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        given = credentials.credentials.encode() if credentials else b""
        # compare_digest takes as long for a near miss as for a wild guess.
        if not hmac.compare_digest(given, expected):
            raise HTTPException(
                401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )

    return check


async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
    # The class name only: driver messages can quote connection details.
    logger.warning("Database error on %s: %s", request.url.path, type(error).__name__)
    return JSONResponse({"detail": f"the database cannot be read ({type(error).__name__})"}, status_code=503)


def _page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")
