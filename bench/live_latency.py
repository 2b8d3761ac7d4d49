"""The live detector end to end: seconds from a book change to the signal row and to the alert,
recall and precision on planted windows, false alarms in the null world, CPU and memory by tokens.

Every run is three processes on one demo home: the simulator (`edge-assets simulate`, the home's
seed and scenario), the live service (`edge-assets live --minutes N`) and this script, which stands
in for the alert webhook (`EDGE_ALERT_WEBHOOK_URL`: the wall time each POST arrives and the signal
ids it carries) and samples the service with psutil (cores = user + system CPU seconds per wall
second, from the service's first heartbeat with a consensus to its exit; peak RSS of samples every
0.5 s), its children (the local stream broker it starts) apart.

planted  a dense planted world (--plant-rate windows per market per pre-game day; by default what
         gives about 40 window starts on the home's pre-game mapped markets in --minutes) on a
         planted home. Per window of a mapped token starting while the service is ready (from the
         ground truth the simulator rewrites at exit): detected or not, seconds from its start to
         the signal row (detected_at - start_ts) and to its alert at the webhook; p50, p95, max of
         both (and from the as-of time of the change that opened the signal to its row);
         recall over windows of 2 minutes or more; precision = share of the live signals
         opened during the run whose token had a planted window in force at their as-of time.
         Each missed window of 2+ minutes gets a reason ("missed windows by reason"), judged at
         each of its minutes by the batch rule's `rejection_reasons` (EV after the fee, VWAP for
         the stake and fill probability; book depth; books) on the simulator's own world (built
         here from the same seed and knobs): the token's book that minute against (a) the truth,
         its true probability from every book with no dispersion, the best any consensus can be,
         and (b) the consensus a poll of the sportsbooks' live odds would give that minute.
           rule cannot clear it at the truth     (a) fails every minute: no detector can find it
                                                 under this rule, so `recall` leaves it out
           sportsbooks' consensus never clears   (a) passes, (b) never does: a miss, counted
           clears at its start / only later      (b) passes from its first minute / later: the
                                                 service's own miss (gate, book state) / the odds
                                                 poll came too late; both counted
         `recall` is over every window but the first kind; `recall_all` over all of them, and
         `recall_books_clear` over those (b) clears some minute (the detector's own share).
null     the null world on a null home: live signals per 1000 market-hours (markets followed x the
         hours between heartbeats at most MAX_HEARTBEAT_GAP_S apart, from the first ready one) and
         its 95% upper bound (exact Poisson). With --tokens N the home is a scaled copy of the null
         home cut to N tokens, as in load.
load     the service's cores and peak RSS at each --tokens count. Its home is a copy of --reuse's
         warehouse, re-polled and re-mapped (`poll_sources`, `mapping` jobs) against a world with
         `--scale` copies of each slate (tokens / TOKENS_PER_SLATE, rounded up), then cut to
         exactly that many mapped tokens of pre-game markets (so the set followed stays the same
         through the run); the champion is --reuse's (its MLflow database). No alert sink.

Usage (a home is built with `run_demo`, 2 days, unless --reuse names one):
  .venv/bin/python bench/live_latency.py planted [--reuse HOME] [--minutes 10] [--plant-rate R]
      [--plant-minutes 2,10] [--seed 11] [--work DIR] [--json FILE]
  .venv/bin/python bench/live_latency.py null [--reuse HOME] [--minutes 10] [--tokens N] [--json FILE]
  .venv/bin/python bench/live_latency.py load --reuse HOME [--tokens 500 5000] [--minutes 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import requests
import scipy.stats

from edge_assets.defs.settings import EdgeSettings
from edge_assets.demo import DemoOptions, demo_environment, free_port, run_demo
from edge_assets.live.evaluate import MarketContext
from edge_assets.live.planted import judge_instant
from edge_assets.live.service import read_market_context
from edge_assets.simulator.world import World
from edge_assets.storage.sql import SqlWarehouse, database_url_for_home

BIN = Path(sys.executable).parent
DAYS = 2
TARGET_STARTS = 40  # window starts the default plant rate aims at over the run
MAX_PLANT_RATE = 144  # windows per market-day: slots of at least 10 minutes, the longest window
RECALL_MIN_MINUTES = 2
TOKENS_PER_SLATE = 60  # pre-game mapped tokens per slate copy, a little under seed 11's 75
SAMPLE_EVERY_S = 0.5
END_GRACE_S = 5  # a window starting this close to the service's stop is not counted
SIGNAL_COOLDOWN = timedelta(minutes=60)  # the alerting resource's default
STATUS_SQL = "SELECT * FROM live_status WHERE service = 'live'"
SIGNALS_SQL = "SELECT signal_id, pm_token_id, created_at, detected_at, closed_at FROM live_signals"
ALERTS_SQL = "SELECT created_at, payload, delivery_status FROM alerts WHERE kind = 'signal'"
MAX_HEARTBEAT_GAP_S = 15.0  # three of the live service's 5 s heartbeats
# Why a window of 2+ minutes was missed, judged minute by minute on the simulator's own world.
UNCLEARABLE = "rule cannot clear it at the truth"
BOOKS_NEVER_CLEAR = "sportsbooks' consensus never clears it"
CLEARS_AT_START = "clears at its start on the books' consensus: service missed it"
CLEARS_LATER = "clears only once the books' consensus moves: odds poll too late"


# --- processes ---------------------------------------------------------------------------


class Webhook:
    """The alert webhook's stand-in: when each signal id first arrived (unix seconds)."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.posts = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                webhook.record(arrived, json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler

    def record(self, arrived: float, body: dict) -> None:
        """One POST of `webhook_document`: its signal alerts' ids."""
        self.posts += 1
        for alert in body.get("alerts", []):
            signal_id = (alert.get("payload") or {}).get("signal_id")
            if alert.get("kind") == "signal" and signal_id:
                self.arrivals.setdefault(signal_id, arrived)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any EDGE_ setting of its own, plus `variables`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}, **variables}


@contextmanager
def simulator(home: dict, run_dir: Path, extra: list[str]) -> Iterator[tuple[str, psutil.Process]]:
    """`edge-assets simulate` for the home's world; its ground truth is final once this exits."""
    port = free_port()
    command = [
        sys.executable, "-m", "edge_assets.cli", "simulate", "--port", str(port),
        "--seed", str(home["seed"]), "--scenario", home["scenario"], "--days", str(home["days"] + 1),
        "--ground-truth", str(run_dir / "ground_truth.csv"), *extra,
    ]  # fmt: skip
    with open(run_dir / "simulator.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_environment())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator did not start: see {run_dir / 'simulator.log'}")
            time.sleep(0.2)
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=1).ok
    except requests.RequestException:
        return False


class Sampler:
    """CPU seconds (user + system) and RSS of a process and, apart, of its children (the live
    service's local stream broker), sampled as (wall, cpu, rss, children's cpu, children's rss)."""

    def __init__(self, process: psutil.Process):
        self.process, self.samples = process, []
        self.children_cpu: dict[int, float] = {}  # each child's last CPU seconds, kept once it is gone

    def sample(self) -> None:
        try:
            cpu, rss = _cpu_rss(self.process)
            children = {child.pid: _cpu_rss(child) for child in self.process.children(recursive=True)}
        except psutil.Error:
            return
        self.children_cpu.update({pid: child_cpu for pid, (child_cpu, _) in children.items()})
        children_rss = sum(child_rss for _, child_rss in children.values())
        self.samples.append((time.time(), cpu, rss, sum(self.children_cpu.values()), children_rss))

    def footprint(self, since: float) -> dict:
        """Cores used from `since` to the last sample, and the peak RSS of the whole run."""
        steady = [sample for sample in self.samples if sample[0] >= since]
        first, last = steady[0], steady[-1]
        wall = last[0] - first[0]
        return {
            "cores": round((last[1] - first[1]) / wall, 3),
            "peak_rss_mb": round(max(sample[2] for sample in self.samples) / 2**20, 1),
            "children_cores": round((last[3] - first[3]) / wall, 3),
            "children_peak_rss_mb": round(max(sample[4] for sample in self.samples) / 2**20, 1),
        }


def _cpu_rss(process: psutil.Process) -> tuple[float, int]:
    with process.oneshot():
        times, rss = process.cpu_times(), process.memory_info().rss
    return times.user + times.system, rss


@dataclass
class LiveRun:
    """One `edge-assets live` run: wall instants (unix seconds), footprints and its last status."""

    launched: float
    ready: float  # its first heartbeat with books and a consensus
    exited: float
    service: dict
    simulator: dict
    status: dict
    judged_s: float  # heartbeat intervals after `ready` short enough that the loop was not stalled


@dataclass
class JudgedTime:
    """Seconds between consecutive heartbeats (after the ready one) no further apart than
    `MAX_HEARTBEAT_GAP_S`: the heartbeat comes from the service's event loop every 5 s, so a loop
    stalled on its backlog (which follows its tokens without judging them) shows as a long gap,
    and those hours must not count towards a null world's rate. An interval without a new
    evaluation still counts: in a quiet world most changes leave nothing to judge again."""

    seconds: float = 0.0
    last: float | None = None  # the previous heartbeat's instant

    def heartbeat(self, updated_at: float) -> None:
        if self.last is not None and 0 < updated_at - self.last <= MAX_HEARTBEAT_GAP_S:
            self.seconds += updated_at - self.last
        if self.last is None or updated_at > self.last:
            self.last = updated_at


def live_command(minutes: float) -> list[str]:
    return [str(BIN / "edge-assets"), "live", "--minutes", str(minutes)]


def run_live(
    home: Path, url: str, minutes: float, sim: psutil.Process, run_dir: Path, command: list[str], **env
) -> LiveRun:
    """Run the live service (`command`), sampling it and the simulator until it exits."""
    warehouse = SqlWarehouse(database_url_for_home(home))
    warehouse.read_frame(STATUS_SQL)  # schema upgraded now, not by two processes at once
    variables = clean_environment(EDGE_ENV="local", EDGE_HOME=str(home), EDGE_SIMULATOR_URL=url, **env)
    launched = time.time()
    with open(run_dir / "live.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=variables)
    service, simulator_ = Sampler(psutil.Process(process.pid)), Sampler(sim)
    ready, deadline, judged = None, launched + minutes * 60 + 300, JudgedTime()
    while process.poll() is None and time.time() < deadline:
        service.sample()
        simulator_.sample()
        status = warehouse.read_frame(STATUS_SQL)
        ready = ready or ready_at(status, launched)
        if ready:
            judged.heartbeat(status.iloc[0]["updated_at"].timestamp())
        time.sleep(SAMPLE_EVERY_S)
    if process.poll() is None:
        process.terminate()
        raise RuntimeError(f"the live service overran its {minutes} minutes: see {run_dir / 'live.log'}")
    if process.returncode or ready is None:
        raise RuntimeError(f"the live service failed (rc {process.returncode}): see {run_dir / 'live.log'}")
    status = warehouse.read_frame(STATUS_SQL).iloc[0].to_dict()
    return LiveRun(
        launched, ready, time.time(), service.footprint(ready), simulator_.footprint(ready), status,
        judged.seconds,
    )  # fmt: skip


def ready_at(status: pd.DataFrame, launched: float) -> float | None:
    """The wall time of the heartbeat in `status` (the `live_status` row) when it is this run's and
    has tokens and a consensus (the heartbeat comes every 5 s; `odds_polled_at` is the books' own
    instant, not the poll's)."""
    if status.empty:
        return None
    row = status.iloc[0]
    fresh = row["updated_at"].timestamp() >= launched and row["tokens"] > 0
    return row["updated_at"].timestamp() if fresh and pd.notna(row["odds_polled_at"]) else None


# --- homes -------------------------------------------------------------------------------


def demo_home(scenario: str, seed: int, work: Path, reuse: Path | None) -> Path:
    """`reuse`, or a fresh 2-day demo home of `scenario` under `work`."""
    if reuse is not None:
        return reuse.resolve()
    home = work / f"{scenario}-home"
    shutil.rmtree(home, ignore_errors=True)
    run_demo(DemoOptions(days=DAYS, seed=seed, scenario=scenario, home=home))
    return home.resolve()


def home_world(home: Path) -> dict:
    """The seed, scenario and days the home's demo ran with."""
    summary = json.loads((home / "summary.json").read_text())
    return {name: summary[name] for name in ("seed", "scenario", "days")}


def market_context(home: Path) -> MarketContext:
    return read_market_context(SqlWarehouse(database_url_for_home(home)))


def followed_markets(home: Path, at: float) -> int:
    """Markets whose mapped tokens the service follows at the unix instant `at`."""
    context = market_context(home)
    watched = context.watched_tokens(datetime.fromtimestamp(at, UTC))
    return int(context.mapped.loc[context.mapped["pm_token_id"].isin(watched), "pm_market_id"].nunique())


def default_plant_rate(home: Path, minutes: float) -> float:
    """Windows per market per pre-game day for about TARGET_STARTS starts on the followed markets."""
    markets = followed_markets(home, time.time())
    return float(min(MAX_PLANT_RATE, round(TARGET_STARTS * 1440 / (max(markets, 1) * minutes))))


def load_home(base: Path, work: Path, tokens: int, url: str, until: datetime) -> Path:
    """A copy of `base`'s warehouse mapped against the simulator at `url`, cut to `tokens` tokens."""
    home = work / f"load-{tokens}-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with (
        closing(sqlite3.connect(base / "edge.db")) as source,
        closing(sqlite3.connect(home / "edge.db")) as copy,
    ):
        source.backup(copy)
    options = DemoOptions(days=DAYS, home=home)
    env = {**clean_environment(), **demo_environment(options, url)}
    for job in ("poll_sources", "mapping"):
        with open(home / f"{job}.log", "w") as log:
            command = [str(BIN / "dagster"), "job", "execute", "-m", "edge_assets.definitions", "-j", job]
            subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    cut_mappings(home, tokens, until)
    return home


def cut_mappings(home: Path, tokens: int, until: datetime) -> None:
    """Keep the mappings of the first `tokens` mapped tokens (by market) still pre-game at `until`."""
    context = market_context(home)
    watched = context.tokens[context.tokens["token_id"].isin(context.watched_tokens(until))]
    if len(watched) < tokens:
        raise RuntimeError(
            f"only {len(watched)} pre-game mapped tokens, {tokens} asked: lower TOKENS_PER_SLATE"
        )
    keep = watched.sort_values(["market_id", "token_id"])["token_id"].head(tokens)
    mappings = context.mappings[context.mappings["pm_token_id"].isin(keep)]
    SqlWarehouse(database_url_for_home(home)).replace_all("market_mappings", mappings)


# --- figures -----------------------------------------------------------------------------


def run_signals(home: Path, since: float) -> pd.DataFrame:
    """Live signals first written by the run that started at `since`."""
    signals = SqlWarehouse(database_url_for_home(home)).read_frame(SIGNALS_SQL)
    return signals[signals["detected_at"] >= pd.Timestamp(since, unit="s", tz=UTC)]


def signal_alerts(home: Path) -> pd.DataFrame:
    """Signal alerts with their token and signal id (from the payload)."""
    alerts = SqlWarehouse(database_url_for_home(home)).read_frame(ALERTS_SQL)
    payloads = [json.loads(text) for text in alerts["payload"]]
    return alerts.assign(
        pm_token_id=[p.get("pm_token_id") for p in payloads], signal_id=[p.get("signal_id") for p in payloads]
    )


def ground_truth(path: Path) -> pd.DataFrame:
    truth = pd.read_csv(path, dtype={"pm_token_id": str, "pm_market_id": str})
    return truth.assign(
        start_ts=pd.to_datetime(truth["start_ts"], utc=True), end_ts=pd.to_datetime(truth["end_ts"], utc=True)
    )


def window_row(window: dict, signals: pd.DataFrame, alerts: pd.DataFrame, arrivals: dict) -> dict:
    """One planted window: its first signal inside it, how late that came, and its alert."""
    start, end, token = window["start_ts"], window["end_ts"], window["pm_token_id"]
    mine = signals[signals["pm_token_id"] == token]
    inside = mine[(mine["created_at"] >= start) & (mine["created_at"] < end)].sort_values("created_at")
    row = {
        "token": token, "start_ts": start.isoformat(), "minutes": (end - start).total_seconds() / 60,
        "gap": round(window["true_prob"] - window["pm_best_ask"], 3), "detected": "yes",
        "as_of_s": math.nan, "signal_s": math.nan, "alert_s": math.nan, "note": "",
    }  # fmt: skip
    if inside.empty:
        # An edge that goes on into the next window (adjacent on the token) keeps its one signal.
        earlier = mine[(mine["created_at"] < start) & ~(mine["closed_at"] <= start)]
        row["detected"], row["note"] = ("open", "signal open since before") if len(earlier) else ("no", "")
        return row
    signal = inside.iloc[0]
    # as_of_s: the change that opened it, ~0 for the window's own book, later for a new consensus.
    row["as_of_s"] = (signal["created_at"] - start).total_seconds()
    row["signal_s"] = (signal["detected_at"] - start).total_seconds()
    own = alerts[alerts["signal_id"] == signal["signal_id"]]
    cooled = alerts[
        (alerts["pm_token_id"] == token)
        & (alerts["created_at"] >= signal["detected_at"] - SIGNAL_COOLDOWN)
        & (alerts["created_at"] < signal["detected_at"])
    ]
    if signal["signal_id"] in arrivals:
        row["alert_s"], row["note"] = arrivals[signal["signal_id"]] - start.timestamp(), "alert delivered"
    elif len(own):
        row["note"] = f"alert {own['delivery_status'].iloc[0]}, not received"
    else:
        row["note"] = "token in alert cooldown" if len(cooled) else "no alert raised"
    return row


def missed_reason(world: World, window: dict, context: MarketContext) -> dict:
    """Why a missed window was missed, judged at the middle of each of its minutes by
    `judge_instant` (the batch rule on the world's book for the token, against the truth's
    consensus and the one a poll of the sportsbooks' live odds would give at that minute)."""
    settings = EdgeSettings()
    rule, consensus_rule = settings.signal_rule(), settings.consensus_rule()
    truth_minutes, books_minutes, truth_reasons, books_reasons = [], [], [], []
    start_min, end_min = int(window["start_ts"].timestamp() // 60), int(window["end_ts"].timestamp() // 60)
    for minute in range(start_min, end_min):
        judged = judge_instant(
            world, window["pm_token_id"], minute * 60 + 30.0, context, rule, consensus_rule
        )
        for verdict, cleared, rejected in (
            (judged.at_truth, truth_minutes, truth_reasons),
            (judged.at_books, books_minutes, books_reasons),
        ):
            if verdict is None:
                cleared.append(minute - start_min)
            else:
                rejected.append(verdict)
    if not truth_minutes:
        reason = UNCLEARABLE
    elif not books_minutes:
        reason = BOOKS_NEVER_CLEAR
    else:
        reason = CLEARS_AT_START if books_minutes[0] == 0 else CLEARS_LATER
    detail = f"clears at the truth in minutes {truth_minutes}, at the books' consensus in {books_minutes}"
    if reason == UNCLEARABLE:
        detail = f"at the truth: {pd.Series(truth_reasons).mode().iloc[0]}"
    elif reason == BOOKS_NEVER_CLEAR:
        detail = f"at the books' consensus: {pd.Series(books_reasons).mode().iloc[0]}; {detail}"
    return {"reason": reason, "detail": detail}


def diagnose_misses(world: World, windows: pd.DataFrame, truth: pd.DataFrame, home: Path) -> pd.DataFrame:
    """`windows` with each missed window's reason (see `missed_reason`), '' for the others."""
    context = market_context(home)
    by_key = truth.assign(start=truth["start_ts"].map(pd.Timestamp.isoformat)).set_index(
        ["pm_token_id", "start"]
    )
    reasons, details = [], []
    for row in windows.to_dict("records"):
        if row["detected"] != "no":
            reasons.append(""), details.append("")
            continue
        found = missed_reason(
            world,
            by_key.loc[(row["token"], row["start_ts"])].to_dict() | {"pm_token_id": row["token"]},
            context,
        )
        reasons.append(found["reason"]), details.append(found["detail"])
    return windows.assign(reason=reasons, reason_detail=details)


def recall_of(windows: pd.DataFrame) -> float | None:
    """Share of `windows` detected (or covered by a signal open since before)."""
    return round((windows["detected"] != "no").mean(), 3) if len(windows) else None


def spread(values: pd.Series) -> dict:
    values = values.dropna()
    if values.empty:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    p50, p95 = np.percentile(values, [50, 95])
    return {"n": len(values), "p50": round(p50, 3), "p95": round(p95, 3), "max": round(values.max(), 3)}


def precision(signals: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Share of `signals` whose as-of time lies in a planted window of their token."""
    pairs = signals.merge(truth, on="pm_token_id")
    hits = pairs[(pairs["created_at"] >= pairs["start_ts"]) & (pairs["created_at"] < pairs["end_ts"])]
    hit_ids = set(hits["signal_id"])
    misses = signals[~signals["signal_id"].isin(hit_ids)]
    return {
        "signals": len(signals),
        "in_window": len(hit_ids),
        "precision": round(len(hit_ids) / len(signals), 3) if len(signals) else None,
        "outside": [
            {"token": row["pm_token_id"], "created_at": row["created_at"].isoformat()}
            for row in misses.to_dict("records")
        ],
    }


def run_figures(run: LiveRun, minutes: float, markets: int, scale: int = 1) -> dict:
    """The run's figures; market-hours are the followed markets (not tokens: a market has two)
    times the hours the service was judging them (`JudgedTime`)."""
    status = run.status
    return {
        "minutes": minutes,
        "scale": scale,
        "startup_s": round(run.ready - run.launched, 1),
        "tokens": int(status["tokens"]),
        "markets": markets,
        "followed_hours": round((run.exited - run.ready) / 3600, 3),
        "judged_hours": round(run.judged_s / 3600, 3),
        "market_hours": round(markets * run.judged_s / 3600, 2),
        "messages_per_second": round(float(status["messages_per_second"]), 1),
        "evaluations": int(status["evaluations"]),
        "signals_opened": int(status["signals_opened"]),
        "service": run.service,
        "simulator": run.simulator,
    }


# --- runs --------------------------------------------------------------------------------


def new_run_dir(work: Path, mode: str) -> Path:
    run_dir = work / f"run-{mode}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    run_dir.mkdir(parents=True)
    return run_dir


def planted(args: argparse.Namespace) -> dict:
    home = demo_home("planted", args.seed, args.work, args.reuse)
    world = home_world(home)
    rate = args.plant_rate or default_plant_rate(home, args.minutes)
    extra = ["--plant-rate", str(rate), "--plant-minutes", args.plant_minutes]
    run_dir, webhook = new_run_dir(args.work, "planted"), Webhook()
    try:
        with simulator(world, run_dir, extra) as (url, sim):
            command = live_command(args.minutes)
            run = run_live(home, url, args.minutes, sim, run_dir, command, EDGE_ALERT_WEBHOOK_URL=webhook.url)
    finally:
        webhook.close()
    context, truth = market_context(home), ground_truth(run_dir / "ground_truth.csv")
    signals, alerts = run_signals(home, run.launched), signal_alerts(home)
    first, last = (
        pd.Timestamp(run.ready, unit="s", tz=UTC),
        pd.Timestamp(run.exited - END_GRACE_S, unit="s", tz=UTC),
    )
    starts = truth[truth["pm_token_id"].isin(context.mapped["pm_token_id"])]
    starts = starts[(starts["start_ts"] >= first) & (starts["start_ts"] < last)]
    windows = pd.DataFrame(
        [window_row(w, signals, alerts, webhook.arrivals) for w in starts.to_dict("records")],
        columns=["token", "start_ts", "minutes", "gap", "detected", "as_of_s", "signal_s", "alert_s", "note"],
    )
    lo, hi = (int(part) for part in args.plant_minutes.split(","))
    world_now = World(
        world["seed"], world["scenario"], world["days"] + 1, plant_rate=rate, plant_minutes=(lo, hi)
    )
    long = windows[windows["minutes"] >= RECALL_MIN_MINUTES]
    long = diagnose_misses(world_now, long, truth, home)
    detectable = long[long["reason"] != UNCLEARABLE]
    return {
        "mode": "planted", "home": str(home), **world, "run_dir": str(run_dir),
        "plant_rate": rate, "plant_minutes": args.plant_minutes,
        "mapped_tokens": len(context.mapped),
        **run_figures(run, args.minutes, followed_markets(home, run.ready)),
        "windows": windows.to_dict("records"), "long_windows": long.to_dict("records"),
        "missed_by_reason": long.loc[long["detected"] == "no", "reason"].value_counts().to_dict(),
        "signal_latency_s": spread(windows["signal_s"]), "alert_latency_s": spread(windows["alert_s"]),
        "change_to_signal_s": spread(windows["signal_s"] - windows["as_of_s"]),
        "recall": recall_of(detectable),
        "recall_windows": len(detectable),
        "recall_books_clear": recall_of(long[~long["reason"].isin([UNCLEARABLE, BOOKS_NEVER_CLEAR])]),
        "recall_all": recall_of(long),
        "recall_all_windows": len(long), "covered_by_open_signal": int((long["detected"] == "open").sum()),
        **precision(signals, truth), "webhook_posts": webhook.posts,
    }  # fmt: skip


def null(args: argparse.Namespace) -> dict:
    """The null home's own mapped tokens, or (--tokens N) N tokens of a scaled copy as in `load`."""
    base = demo_home("null", args.seed, args.work, args.reuse)
    world, run_dir = home_world(base), new_run_dir(args.work, "null")
    if world["scenario"] != "null":
        raise SystemExit(f"null needs a null-scenario home, {base} is {world['scenario']!r}")
    tokens = args.tokens[0] if args.tokens else None
    scale = math.ceil(tokens / TOKENS_PER_SLATE) if tokens else 1
    with simulator(world, run_dir, ["--scale", str(scale)]) as (url, sim):
        home, env = base, {}
        if tokens:
            until = datetime.now(UTC) + timedelta(minutes=args.minutes + 20)  # mapping, start-up, run
            home = load_home(base, args.work, tokens, url, until)
            env = {"EDGE_MLFLOW_TRACKING_URI": f"sqlite:///{base / 'mlflow.db'}"}
        run = run_live(home, url, args.minutes, sim, run_dir, live_command(args.minutes), **env)
    figures = run_figures(run, args.minutes, followed_markets(home, run.ready), scale)
    signals = run_signals(home, run.launched)
    return {
        "mode": "null", "home": str(home), **world, "run_dir": str(run_dir),
        "mapped_tokens": len(market_context(home).mapped), **figures, "signals": len(signals),
        "per_1000_market_hours": round(len(signals) / figures["market_hours"] * 1000, 2),
        # The 95% upper bound on the rate (exact Poisson; 3 / hours when no signal is seen).
        "bound_95_per_1000_market_hours": round(
            poisson_upper_95(len(signals)) / figures["market_hours"] * 1000, 2
        ),
    }  # fmt: skip


def poisson_upper_95(count: int) -> float:
    """The one-sided 95% upper bound on a Poisson mean after seeing `count` events."""
    return float(scipy.stats.chi2.ppf(0.95, 2 * (count + 1)) / 2)


def load(args: argparse.Namespace) -> dict:
    base = args.reuse.resolve()
    world, runs = home_world(base), []
    for tokens in args.tokens or [500, 5000]:
        scale = math.ceil(tokens / TOKENS_PER_SLATE)
        run_dir = new_run_dir(args.work, f"load-{tokens}")
        with simulator(world, run_dir, ["--scale", str(scale)]) as (url, sim):
            until = datetime.now(UTC) + timedelta(minutes=args.minutes + 20)  # mapping, start-up, run
            home = load_home(base, args.work, tokens, url, until)
            command, mlflow = live_command(args.minutes), f"sqlite:///{base / 'mlflow.db'}"
            run = run_live(home, url, args.minutes, sim, run_dir, command, EDGE_MLFLOW_TRACKING_URI=mlflow)
        figures = run_figures(run, args.minutes, followed_markets(home, run.ready), scale)
        signals = len(run_signals(home, run.launched))
        runs.append({"home": str(home), "run_dir": str(run_dir), **figures, "signals": signals})
    return {"mode": "load", "base_home": str(base), **world, "runs": runs}


# --- report ------------------------------------------------------------------------------


def _fmt(value, digits: int = 2) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def print_run(report: dict) -> None:
    service, sim = report["service"], report["simulator"]
    print(
        f"{report['tokens']} tokens ({report['markets']} markets) followed {report['followed_hours']} h,"
        f" judged {report['judged_hours']} h: {report['market_hours']} market-hours after a"
        f" {report['startup_s']} s start-up; {report['messages_per_second']} channel messages/s,"
        f" {report['evaluations']} evaluations, {report['signals_opened']} signals opened"
    )
    print(
        f"service {service['cores']} cores, peak RSS {service['peak_rss_mb']} MB (its broker"
        f" {service['children_cores']} cores, {service['children_peak_rss_mb']} MB);"
        f" simulator {sim['cores']} cores, peak RSS {sim['peak_rss_mb']} MB"
    )


def print_planted(report: dict) -> None:
    print(
        f"planted world, seed {report['seed']}, plant rate {report['plant_rate']}, windows"
        f" {report['plant_minutes']} min, {report['mapped_tokens']} mapped tokens ({report['run_dir']})"
    )
    header = ("window start", "token", "min", "gap", "detected", "as-of s", "signal s", "alert s")
    print("{:<26}{:<10}{:>4}{:>7}{:>10}{:>9}{:>10}{:>9}  note".format(*header))
    for w in report["windows"]:
        cells = (w["start_ts"], w["token"][:8], w["minutes"], w["gap"], w["detected"])
        print(
            "{:<26}{:<10}{:>4.0f}{:>7.3f}{:>10}".format(*cells)
            + f"{_fmt(w['as_of_s']):>9}{_fmt(w['signal_s']):>10}{_fmt(w['alert_s']):>9}  {w['note']}"
        )
    for name in ("signal_latency_s", "alert_latency_s", "change_to_signal_s"):
        s = report[name]
        print(f"{name:<18} n {s['n']:>3}  p50 {_fmt(s['p50'])}  p95 {_fmt(s['p95'])}  max {_fmt(s['max'])}")
    print(f"missed windows of >= {RECALL_MIN_MINUTES} min by reason:")
    for w in report["long_windows"]:
        if w["detected"] == "no":
            print(
                f"  {w['start_ts']:<26}{w['token'][:8]:<10}{w['minutes']:>3.0f} min"
                f"  {w['reason']} ({w['reason_detail']})"
            )
    for reason, count in report["missed_by_reason"].items():
        print(f"  {count:>4}  {reason}")
    recall, windows = _fmt(report["recall"], 3), report["recall_windows"]
    covered = report["covered_by_open_signal"]
    print(
        f"recall    {recall} over {windows} windows of >= {RECALL_MIN_MINUTES} min that the rule can clear"
        f" at the truth ({covered} 'open'); {_fmt(report['recall_all'], 3)} over all"
        f" {report['recall_all_windows']}; {_fmt(report['recall_books_clear'], 3)} over those the books'"
        " consensus clears"
    )
    hits, signals = report["in_window"], report["signals"]
    print(f"precision {_fmt(report['precision'], 3)} ({hits} of {signals} signals in a window)")
    print_run(report)


def print_null(report: dict) -> None:
    print(f"null world, seed {report['seed']}, {report['mapped_tokens']} mapped tokens ({report['run_dir']})")
    print(
        f"{report['signals']} signals: {report['per_1000_market_hours']} per 1000 market-hours"
        f" (95% upper bound {report['bound_95_per_1000_market_hours']})"
    )
    print_run(report)


def print_load(report: dict) -> None:
    print(f"{report['scenario']} world, seed {report['seed']}, base home {report['base_home']}")
    header = (
        "tokens",
        "scale",
        "cores",
        "RSS MB",
        "broker cores",
        "MB",
        "msg/s",
        "evals",
        "signals",
        "sim cores",
    )
    print("{:>7}{:>6}{:>7}{:>8}{:>13}{:>6}{:>8}{:>7}{:>8}{:>10}".format(*header))
    for run in report["runs"]:
        print(
            f"{run['tokens']:>7}{run['scale']:>6}{run['service']['cores']:>7.3f}"
            f"{run['service']['peak_rss_mb']:>8.0f}{run['service']['children_cores']:>13.3f}"
            f"{run['service']['children_peak_rss_mb']:>6.0f}{run['messages_per_second']:>8.1f}{run['evaluations']:>7}"
            f"{run['signals']:>8}{run['simulator']['cores']:>10.3f}"
        )


MODES = {"planted": (planted, print_planted), "null": (null, print_null), "load": (load, print_load)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--reuse", type=Path, metavar="HOME", help="a demo home to use (load: required)")
    parser.add_argument("--seed", type=int, default=11, help="seed of a home built here")
    parser.add_argument("--minutes", type=float, help="minutes live (default 10; load: 4)")
    parser.add_argument("--plant-rate", type=float, help="planted windows per market per pre-game day")
    parser.add_argument("--plant-minutes", default="2,10", metavar="LO,HI", help="planted window lengths")
    parser.add_argument(
        "--tokens", type=int, nargs="+", help="tokens followed (load: default 500 5000; null: one count)"
    )
    parser.add_argument("--work", type=Path, default=Path(".edge/bench-live"), help="homes and run logs")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the report here too")
    args = parser.parse_args()
    if args.mode == "load" and args.reuse is None:
        parser.error("load needs --reuse HOME (its warehouse is copied and re-mapped)")
    if args.mode == "null" and args.tokens and len(args.tokens) != 1:
        parser.error("null takes one --tokens count")
    args.minutes = args.minutes or (4 if args.mode == "load" else 10)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    measure, show = MODES[args.mode]
    report = measure(args)
    show(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
