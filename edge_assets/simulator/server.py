"""The transport: uvicorn serving one Starlette app in a daemon thread, HTTP and WebSocket on one port.

Every HTTP request goes to the synchronous `SimulatorApp` in a thread pool (its fault delays sleep
there, not on the event loop); `/ws/market` is Polymarket's market channel (`MarketChannel`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import parse_qs

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from .app import CLOB_BASE, Query, SimulatorApp
from .app import Response as AppResponse
from .faults import Faults
from .market_channel import MarketChannel
from .world import World

HTTP_WORKERS = 64  # requests answered at once: simulated timeouts hold a worker for seconds
KEEP_ALIVE_S = 300  # idle keep-alive connections live this long, so minute-by-minute pollers reuse them
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]  # all reach the app, which answers 404 for no route


class SimulatorServer:
    """A running simulator; `url` is its base URL for every venue, `ws_url` its market channel."""

    def __init__(self, world: World, faults: Faults, host: str, port: int, api_key: str | None, quota: int):
        self.app = SimulatorApp(world, faults, api_key, quota)
        self.channel = MarketChannel(world, self.app.faults)
        self._pool = ThreadPoolExecutor(HTTP_WORKERS, thread_name_prefix="edge-simulator-http")
        routes = [
            WebSocketRoute("/ws/market", self.channel.serve),
            WebSocketRoute(CLOB_BASE + "/ws/market", self.channel.serve),  # beside the CLOB base URL
            Route("/{path:path}", self._http, methods=METHODS),
        ]
        # Bound here rather than by uvicorn, so the port is known (and taken) before we return. The
        # protocol is named because asyncio sets TCP_NODELAY only on sockets that say they are TCP:
        # without it each small response waits ~40 ms on delayed ACKs.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(2048)
        self.host = host
        self.port = listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.ws_url = f"ws://{host}:{self.port}/ws/market"
        self.app.base_url = self.url
        config = uvicorn.Config(
            Starlette(routes=routes, lifespan=self._lifespan),
            log_config=None,  # leave the process's logging as it is; uvicorn's warnings still surface
            log_level="warning",
            access_log=False,  # thousands of requests per backfill would drown the logs
            ws="websockets-sansio",
            ws_ping_interval=None,  # the channel's heartbeat is the client's text PING, as on Polymarket
            ws_per_message_deflate=False,  # on loopback compression only costs CPU: ~3x a minute's push
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=2,
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [listener]}, name="edge-simulator", daemon=True
        )
        self._thread.start()
        self._wait_until_started(listener)

    def _wait_until_started(self, listener: socket.socket) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                listener.close()
                raise RuntimeError(f"the simulator did not start on {self.url}")
            time.sleep(0.005)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette):
        await self.channel.start()
        try:
            yield
        finally:
            await self.channel.stop()

    async def _http(self, request: Request) -> Response:
        body = await request.body()
        scope = request.scope
        headers = dict(request.headers)  # lower-case names
        status, data, headers = await asyncio.get_running_loop().run_in_executor(
            self._pool, self._answer, scope["method"], scope["path"], scope["query_string"], body, headers
        )
        return Response(data, status, headers, media_type="application/json")

    def _answer(
        self, method: str, path: str, query: bytes, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        try:
            response = self.app.handle(method, path, Query(parse_qs(query.decode())), body, headers)
        except Exception as error:  # a bug must answer 500, not hang the client
            response = AppResponse(500, {"error": f"simulator error: {error!r}"})
        if response.strings_only:  # the books: orjson is several times faster and writes the same bytes
            return response.status, orjson.dumps(response.body), response.headers
        data = json.dumps(response.body, separators=(",", ":"), ensure_ascii=False).encode()
        return response.status, data, response.headers

    @property
    def world(self) -> World:
        return self.app.world

    def set_now(self, now: datetime) -> None:
        """Pin the world's clock at `now` and push what the move changed to the market channel's
        subscribers before returning: how tests cross minute boundaries without waiting for them."""
        self.world.pin(now)
        self.channel.tick_from_thread()

    def shutdown(self) -> None:
        """Stop serving (open WebSockets are closed with 1012) and release the port."""
        self._uvicorn.should_exit = True
        self._thread.join(timeout=STOP_TIMEOUT_S)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()


def start_server(
    world: World,
    faults: Faults | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    quota: int = 500_000,
) -> SimulatorServer:
    """Serve `world` on host:port (0 picks a free port) in a daemon thread.

    `api_key=None` accepts any non-empty Odds API key; `quota` is the Odds API credit allowance.
    """
    return SimulatorServer(world, faults or Faults(), host, port, api_key, quota)
