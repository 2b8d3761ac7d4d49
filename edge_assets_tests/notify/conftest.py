"""A real HTTP server on loopback standing in for Slack (webhooks and Web API) and generic webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pandas as pd
import pytest

from edge_assets.notify import RetryPolicy

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SLACK_WEBHOOK_PATH = "/services/T0EDGE/B0EDGE/s3cr3tWebhookT0ken"
GENERIC_WEBHOOK_PATH = "/hooks/alerts?token=g3nericS3cret"
SECRETS = ("s3cr3tWebhookT0ken", "g3nericS3cret")
# Short waits keep the suite fast; two attempts still exercise the retry path.
FAST_RETRY = RetryPolicy(max_attempts=2, backoff_base_s=0.01, max_backoff_s=0.02, timeout_s=2.0)


@dataclass
class Received:
    """One request the stand-in server got."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandInServer:
    """Records every POST; answers `status` (200 by default), with an optional Retry-After on 429."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    status: int = 200
    retry_after: str | None = None
    # Statuses to answer before falling back to `status`, one per request.
    script: list[int] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def bodies(self, path_prefix: str) -> list[Any]:
        return [request.body for request in self.received if request.path.startswith(path_prefix)]


def _handler(state: StandInServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            body = json.loads(raw) if raw.startswith("{") else raw
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.script.pop(0) if state.script else state.status
            if self.path.startswith("/api/"):
                # Slack's Web API answers JSON; a 200 means ok.
                payload = json.dumps({"ok": status == 200, "error": None if status == 200 else "fatal_error"})
                content_type = "application/json"
            else:
                payload = "ok" if status == 200 else f"failure {status}"
                content_type = "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if status == 429 and state.retry_after is not None:
                self.send_header("Retry-After", state.retry_after)
            encoded = payload.encode()
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `received` instead."""

    return Handler


@pytest.fixture
def stand_in() -> Iterator[StandInServer]:
    """The stand-in server, started on a free loopback port and stopped after the test."""
    state = StandInServer("127.0.0.1", 0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    # A short poll interval makes shutdown quick (the default waits up to half a second).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def signals_frame(*rows: tuple[str, str, float], priced: bool = True) -> pd.DataFrame:
    """Rows of the `signals` table from (token, as-of ISO time, EV after costs).

    `priced` adds the execution-cost columns of schema version 2 (VWAP, stake, fill probability).
    """
    records = []
    for token, as_of, ev in rows:
        record = {
            "signal_id": f"{token}@{as_of}",
            "created_at": pd.Timestamp(as_of, tz="UTC"),
            "pm_market_id": f"market-{token}",
            "pm_token_id": token,
            "outcome": f"Team {token}",
            "event_id": f"event-{token}",
            "pm_price": 0.40,
            "fee": 0.01,
            "fair_prob": 0.41 + ev,
            "ev_after_costs": ev,
            "size_available": 120.0,
            "model_version": None,
            "detected_at": NOW,
        }
        if priced:
            record |= {"vwap": 0.405, "stake": 100.0, "fill_prob": 0.9, "devig_method": "multiplicative"}
        records.append(record)
    return pd.DataFrame(records)
