"""The HTTP transport: a threaded HTTP/1.1 keep-alive server in a daemon thread."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .app import Query, SimulatorApp
from .faults import Faults
from .world import World


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections across a backfill
    disable_nagle_algorithm = True  # else each small response waits ~40 ms on delayed ACKs
    app: SimulatorApp

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve("GET", b"")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", self.rfile.read(length) if length else b"")

    def _serve(self, method: str, body: bytes) -> None:
        url = urlsplit(self.path)
        try:
            response = self.app.handle(method, url.path, Query(parse_qs(url.query)), body)
            status, payload, headers = response.status, response.body, response.headers
        except Exception as error:  # a bug must answer 500, not hang the client
            status, payload, headers = 500, {"error": f"simulator error: {error!r}"}, {}
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. on a simulated timeout)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Silent: thousands of requests per backfill would drown the logs."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class SimulatorServer:
    """A running simulator; `url` is its base URL for every venue."""

    def __init__(self, world: World, faults: Faults, host: str, port: int, api_key: str | None, quota: int):
        self.app = SimulatorApp(world, faults, api_key, quota)
        handler = type("SimulatorHandler", (_Handler,), {"app": self.app})
        self._httpd = _Server((host, port), handler)
        self.host = host
        self.port = self._httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="edge-simulator", daemon=True)
        self._thread.start()

    @property
    def world(self) -> World:
        return self.app.world

    def shutdown(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

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
