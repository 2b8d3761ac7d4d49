"""The local broker: nats-server from the wheel on 127.0.0.1, its store surviving a restart, and
`edge-assets broker` in the foreground until TERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from edge_assets.storage.broker import (
    BrokerError,
    nats_server_binary,
    start_local_broker,
    stop_local_broker,
)
from edge_assets.storage.stream import QuoteChange, QuoteStream
from edge_assets_tests.fixtures.paths import REPO_ROOT

CHANGES = [
    QuoteChange(
        venue="polymarket",
        market_id="512345",
        outcome="Yes",
        side="ask",
        price=0.40 + step / 100,
        source_ts=datetime(2026, 11, 20, 13, step, tzinfo=UTC),
    )
    for step in range(6)
]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def read(url: str, durable: str, count: int) -> list[str]:
    """The ids of the next `count` changes the durable consumer is handed (fewer after 20 s idle)."""
    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(changes: list[QuoteChange]) -> None:
        seen.extend(change.change_id for change in changes)
        if len(seen) >= count:
            stop.set()

    async with await QuoteStream.connect(url) as stream:
        await stream.consume(durable, handler, batch=2, idle_timeout=20, stop=stop)
    return seen


def test_the_binary_comes_from_the_installed_wheel():
    binary = nats_server_binary()
    assert binary.is_file() and binary.name == "nats-server"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("nats-server: v")


def test_the_store_and_consumer_positions_survive_a_broker_restart(tmp_path):
    url, process = start_local_broker(tmp_path)
    try:
        assert url.startswith("nats://127.0.0.1:")

        async def publish() -> int:
            async with await QuoteStream.connect(url) as stream:
                return await stream.publish_many(CHANGES)

        assert asyncio.run(publish()) == len(CHANGES)
        first = asyncio.run(read(url, "writer", 2))
    finally:
        assert stop_local_broker(process) == 0
    assert not accepts_connections(port_of(url))

    url, process = start_local_broker(tmp_path, port=port_of(url))
    try:
        rest = asyncio.run(read(url, "writer", len(CHANGES) - 2))
    finally:
        stop_local_broker(process)
    assert first + rest == [change.change_id for change in CHANGES]
    assert len(first) == 2


def test_a_taken_port_is_an_error_that_says_so(nats_server, tmp_path):
    with pytest.raises(BrokerError, match="address already in use"):
        start_local_broker(tmp_path, port=port_of(nats_server))


def test_the_broker_command_runs_until_term(tmp_path):
    command = [sys.executable, "-m", "edge_assets.cli", "broker", "--port", "0", "--home", str(tmp_path)]
    cli = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        banner = cli.stdout.readline()
        url = banner.split()[3].rstrip(",")
        assert url.startswith("nats://127.0.0.1:"), banner
        assert (tmp_path / "broker" / "store" / "jetstream").is_dir()

        async def publish_one() -> bool:
            async with await QuoteStream.connect(url) as stream:
                return await stream.publish(CHANGES[0])

        assert asyncio.run(publish_one())
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(timeout=30) == 0
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        cli.stdout.close()
    assert not accepts_connections(port_of(url))
