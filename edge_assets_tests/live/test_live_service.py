"""The live service against the simulator over real sockets: a window planted a minute ahead gives
one signal and one alert within seconds, a restart does not give a second one, and a world with no
mispricing stays quiet. The world's clock is pinned and moved minute by minute, as a market would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from edge_assets.definitions import build_live_service
from edge_assets.defs.settings import EdgeSettings
from edge_assets.environment import Environment
from edge_assets.live.planted import judge_instant
from edge_assets.live.service import LiveService, read_market_context
from edge_assets.simulator import World, start_server
from edge_assets.storage.broker import start_local_broker, stop_local_broker
from edge_assets.storage.sql import SqlWarehouse
from edge_assets_tests.fixtures.demos import DEMO_DAYS
from edge_assets_tests.notify.conftest import stand_in  # noqa: F401 (the webhook stand-in fixture)

pytestmark = pytest.mark.slow

SEED = 11
SECONDS_TO_SIGNAL = 5.0


class Running:
    """A live service running in a thread of its own until `stop()`."""

    def __init__(self, service: LiveService):
        self.service = service
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(30)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await self.service.run(self._stop)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()


def _copy_home(demo_home: Path, home: Path) -> Path:
    """A private copy of a demo's warehouse (the demo homes are shared by the session)."""
    home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(demo_home / "edge.db") as source, sqlite3.connect(home / "edge.db") as copy:
        source.backup(copy)
    return home


def _service(home: Path, server, webhook_url: str, stream_url: str | None = None) -> LiveService:
    variables = {
        "EDGE_HOME": str(home),
        "EDGE_SIMULATOR_URL": server.url,
        "EDGE_ALERT_WEBHOOK_URL": webhook_url,
    }
    with pytest.MonkeyPatch.context() as patch:  # the sink's URL is a secret: read from the environment
        for name, value in variables.items():
            patch.setenv(name, value)
        service = build_live_service(Environment.from_env(), stream_url=stream_url)
    service.venues.channel.heartbeat_s = 1.0
    # Poll the sportsbooks every few seconds, not every minute, so the pinned minutes see fresh odds.
    service.settings = dataclasses.replace(service.settings, odds_interval_s=2.0)
    return service


def _wait_for(condition, timeout: float) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def _next_window(world: World, warehouse: SqlWarehouse, after: datetime) -> pd.Series:
    """The first planted window of a mapped token that starts after `after`, lasts 3+ minutes, and
    that the rule clears at the sportsbooks' consensus at its start and a minute on (judged on the
    world itself: a window's size alone does not say, e.g. a longshot's book may not fill the stake)."""
    context = read_market_context(warehouse)
    settings = EdgeSettings()
    rule, consensus_rule = settings.signal_rule(), settings.consensus_rule()
    world.pin(after + timedelta(hours=2))
    edges = world.planted_edges()
    starts, ends = pd.to_datetime(edges["start_ts"], utc=True), pd.to_datetime(edges["end_ts"], utc=True)
    edges = edges[
        edges["pm_token_id"].isin(set(context.mapped["pm_token_id"]))
        & (starts > after)
        & (ends - starts >= timedelta(minutes=3))
    ]
    for window in edges.sort_values("start_ts").itertuples(index=False):
        start = pd.Timestamp(window.start_ts).timestamp()
        if all(
            judge_instant(world, window.pm_token_id, start + offset, context, rule, consensus_rule).at_books
            is None
            for offset in (0.0, 60.0)
        ):
            return pd.Series(window._asdict())
    raise AssertionError("no planted window of a mapped token in the next two hours clears the rule")


def _signals(home: Path) -> pd.DataFrame:
    return SqlWarehouse(f"sqlite:///{home / 'edge.db'}").read_frame("SELECT * FROM live_signals")


def test_a_window_planted_a_minute_ahead_gives_one_signal_and_one_alert_within_seconds(
    planted_demo,
    tmp_path,
    stand_in,  # noqa: F811
):
    home = _copy_home(planted_demo[0], tmp_path / "home")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    world = World(seed=SEED, scenario="planted", days=DEMO_DAYS, plant_rate=24, plant_minutes=(3, 8))
    window = _next_window(world, SqlWarehouse(f"sqlite:///{home / 'edge.db'}"), now)
    start = pd.Timestamp(window["start_ts"]).to_pydatetime()
    world.pin(start - timedelta(minutes=1))
    broker_url, broker = start_local_broker(tmp_path / "broker")
    with start_server(world) as server:
        try:
            running = Running(_service(home, server, stand_in.url("/hook"), broker_url))
            _wait_for(lambda: running.service.state.evaluations > 0, 30)  # books and a consensus in hand
            server.set_now(start)
            seconds = _wait_for(lambda: window["pm_token_id"] in set(_signals(home)["pm_token_id"]), 5)
            hits = _signals(home).query("pm_token_id == @window.pm_token_id")
            assert len(hits) == 1 and hits["created_at"].iloc[0] == pd.Timestamp(start)
            assert seconds < SECONDS_TO_SIGNAL
            signal_id = hits["signal_id"].iloc[0]
            _wait_for(lambda: signal_id in str(stand_in.bodies("/hook")), SECONDS_TO_SIGNAL)
            running.stop()

            # A restart while the edge lasts continues the open signal: no second signal, no second alert.
            running = Running(_service(home, server, stand_in.url("/hook"), broker_url))
            server.set_now(start + timedelta(minutes=1))
            _wait_for(lambda: running.service.state.evaluations > 1, 30)
            running.stop()
        finally:
            stop_local_broker(broker)
    hits = _signals(home).query("pm_token_id == @window.pm_token_id")
    assert hits["signal_id"].tolist() == [signal_id]
    assert hits["last_seen_at"].iloc[0] == pd.Timestamp(start + timedelta(minutes=1))
    assert str(stand_in.bodies("/hook")).count(signal_id) == 1
    changes = SqlWarehouse(f"sqlite:///{home / 'edge.db'}").read_frame(
        "SELECT venue, COUNT(*) AS n, COUNT(DISTINCT change_id) AS ids FROM quote_changes GROUP BY venue"
    )
    assert set(changes["venue"]) == {"polymarket", "sportsbook"}
    assert (changes["n"] == changes["ids"]).all()  # the stream's warehouse copy repeats nothing


def test_a_world_without_mispricing_stays_quiet(null_demo, tmp_path, stand_in):  # noqa: F811
    home = _copy_home(null_demo[0], tmp_path / "home")
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    world = World(seed=SEED, scenario="null", days=DEMO_DAYS, now=start)
    with start_server(world) as server:
        running = Running(_service(home, server, stand_in.url("/hook")))
        _wait_for(lambda: running.service.state.evaluations > 0, 30)
        for minute in range(1, 11):
            server.set_now(start + timedelta(minutes=minute))
            time.sleep(0.5)
        judged = running.service.state.evaluations
        running.stop()
    assert judged > 10
    assert _signals(home).empty
    assert stand_in.bodies("/hook") == []
