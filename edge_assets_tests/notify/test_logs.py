"""The JSON log lines `configure_logging` writes, read back from its stream."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Callable, Iterator

import pytest
from structlog.contextvars import bound_contextvars

from edge_assets.notify.logs import configure_logging, get_logger, redact_from_logs
from edge_assets.sources import VenueClient

SECRET = "l0g/secret+key=1"
ENCODED = ["l0g%2Fsecret%2Bkey%3D1", "l0g/secret%2Bkey%3D1"]


@pytest.fixture
def log_output() -> Iterator[Callable[..., str]]:
    """`configure(**options)` installs the handler on a string stream and returns what it holds so far."""
    root, ours = logging.getLogger(), logging.getLogger("edge_assets")
    levels = root.level, ours.level
    stream = io.StringIO()
    handlers: list[logging.Handler] = []

    def configure(**options) -> Callable[[], str]:
        handlers.append(configure_logging(stream=stream, **options))
        return stream.getvalue

    yield configure
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def parsed(text: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        assert {"timestamp", "level", "component", "event"} <= line.keys()
    return lines


def assert_no_secret(text: str) -> None:
    assert SECRET not in text and not any(form in text for form in ENCODED)


def test_every_line_is_json_with_context_and_no_secret(log_output):
    output = log_output()
    redact_from_logs([SECRET])
    log = get_logger("edge_assets.signals").bind(token="0xabc")
    with bound_contextvars(run_id="run-42"):
        log.info("signal emitted", ev=0.04, url=f"http://venue/book?key={SECRET}")
        logging.getLogger("urllib3.connectionpool").warning("GET /odds?apiKey=%s", ENCODED[0])
    logging.getLogger("urllib3.connectionpool").info("dropped: third parties log from WARNING up")
    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError:
        log.exception("fetch failed", params={"apiKey": SECRET})

    signal, third_party, failure = parsed(output())
    assert signal["event"] == "signal emitted" and signal["level"] == "info"
    assert signal["component"] == "edge_assets.signals"
    assert (signal["token"], signal["run_id"], signal["ev"]) == ("0xabc", "run-42", 0.04)
    assert signal["url"] == "http://venue/book?key=***"
    assert third_party["component"] == "urllib3.connectionpool" and third_party["level"] == "warning"
    assert third_party["event"] == "GET /odds?apiKey=***" and third_party["run_id"] == "run-42"
    assert failure["level"] == "error" and failure["params"] == {"apiKey": "***"} and "run_id" not in failure
    assert "RuntimeError: failed with ***" in failure["exception"]
    assert_no_secret(output())


def test_a_venue_retry_is_one_json_warning_without_the_key(log_output):
    output = log_output()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = VenueClient(f"http://127.0.0.1:{port}", max_attempts=2, secrets=[SECRET], sleep=lambda _: None)
    with pytest.raises(RuntimeError):
        client.get("/v4/sports", params={"apiKey": SECRET})
    (retry,) = parsed(output())
    assert retry["event"] == "retrying request" and retry["level"] == "warning"
    assert retry["component"] == "edge_assets.sources.http"
    assert retry["reason"].startswith("connection error") and retry["attempt"] == 1
    assert retry["url"] == f"http://127.0.0.1:{port}/v4/sports?apiKey=***"
    assert_no_secret(output())


def test_levels_and_plain_text(log_output):
    output = log_output(level="DEBUG", json=False)
    get_logger("edge_assets.demo").debug("step done", step=3)
    logging.getLogger("alembic").info("below the third-party level")
    (line,) = output().splitlines()
    assert "[debug" in line and "step done" in line and "step=3" in line
    assert "component=edge_assets.demo" in line
