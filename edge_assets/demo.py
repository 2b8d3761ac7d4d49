"""`edge-assets demo`: the whole lineage, end to end, against a freshly started simulator.

Starts the simulator on a free loopback port, points the code location at it, then runs the
jobs a deployment would run (poll, a single-run backfill of the hourly partitions, mapping, a
live tick) through a real Dagster instance under ``HOME/dagster`` so `make dev` shows the runs.
"""

from __future__ import annotations

import ctypes
import gc
import json
import math
import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from edge_assets.cli.preflight import OperatorError, redacted_url, require_database, require_writable_folder

SCENARIOS = ("realistic", "planted", "null")
# The modes the demo trades in: dry decides and records, paper fills on the simulator's CLOB.
DEMO_TRADING_MODES = ("dry", "paper")
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Jobs whose assets are independent run their steps in parallel processes (Dagster's multiprocess
# executor); the rest run in process, where a step costs no interpreter start-up.
MULTIPROCESS_JOBS = {"hourly_sources"}
# Days of features the demo builds for training: the settings' default training window.
TRAINING_DAYS = 14
# Tags of the demo's runs: that the demo ran it, and the PID of the demo process running it.
DEMO_TAG, DEMO_PID_TAG = "edge/demo", "edge/demo_pid"
MULTIPROCESS_CONFIG = {**QUIET_LOGS, "execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
SIMULATOR_START_TIMEOUT_S = 60
PLANNED_EVENTS_VARIABLE = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
# Jobs whose runs plan one event per hour: with one per asset, Dagster marks no hour of a failed
# run failed, and the hourly sources fail per hour (defs.hourly_fetch). For the other jobs one per
# asset: a 14-day run of hourly_pricing is created in 4 s instead of 72 s (bench/planned_events.py).
PER_HOUR_PLANNED_JOBS = {"hourly_sources"}
# The demo's and `dev`'s Dagster instance. Run monitoring (the daemon, under `dev`) fails a run
# that never started and cancels one past its maximum runtime, so a run whose process was killed
# does not stay STARTED; run retries rerun a run whose worker crashed (an asset's own failure is
# retried by its RetryPolicy, not by a new run). The checkout's dagster.yaml holds the same
# sections (a test keeps them equal).
INSTANCE_SETTINGS = {
    "telemetry": {"enabled": False},
    "run_monitoring": {
        "enabled": True,
        "start_timeout_seconds": 180,
        "cancel_timeout_seconds": 180,
        "max_runtime_seconds": 6 * 3600,
        "poll_interval_seconds": 60,
    },
    "run_retries": {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False},
}
# The trading figures of the summary, as `settlement.pnl_summary` names them.
TRADING_FIGURES = ("realised_pnl", "mtm_pnl", "max_drawdown", "hit_rate", "mean_clv")
# How messages name the demo's database: EDGE_DATABASE_URL when set, else the SQLite file in the home.
DATABASE_OPTION = "the database (EDGE_DATABASE_URL, or edge.db under --home)"


@dataclass
class DemoOptions:
    days: int = 14
    seed: int = 7
    scenario: str = "realistic"
    home: Path = Path(".edge/demo")
    simulator_args: list[str] = field(default_factory=list)
    # After the batch runs, the live detector runs this long against the same simulator.
    live_minutes: float = 0.0
    trading: str = "dry"


@dataclass
class RunTally:
    """What the demo's runs did, for the summary."""

    runs: int = 0
    failed_runs: list[str] = field(default_factory=list)
    # Runs a failed blocking check stopped on purpose: bad data held back, not a broken pipeline.
    stopped_by_checks: list[str] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)
    materializations: int = 0
    checks_passed: int = 0
    # Each failed check ("asset:check") once, with the evaluations that failed it.
    checks_failed: dict[str, list[dict]] = field(default_factory=dict)
    # Each blocking check ("asset:check") whose latest evaluation failed with an error, with its asset
    # and the partitions it judged: runs downstream of that asset wait.
    blocking_failures: dict[str, dict] = field(default_factory=dict)
    # Runs not started because an upstream blocking check failed: job, partitions, checks.
    waited: list[dict] = field(default_factory=list)

    def add(self, name: str, result) -> None:
        from edge_assets.defs.alerting.sensors import evaluated_partition, what_failed
        from edge_assets.defs.quality import holds_back

        self.runs += 1
        evaluations = result.get_asset_check_evaluations()
        if not result.success:
            blocked = any(holds_back(e) for e in evaluations)
            (self.stopped_by_checks if blocked else self.failed_runs).append(name)
        for evaluation in evaluations:
            if evaluation.blocking:
                key = evaluation.asset_check_key
                check = f"{key.asset_key.to_user_string()}:{key.name}"
                if holds_back(evaluation):
                    partition = evaluated_partition(evaluation, result.dagster_run.tags)
                    self.blocking_failures[check] = {"asset": key.asset_key, "partition": partition}
                else:
                    self.blocking_failures.pop(check, None)
        for event in result.get_asset_materialization_events():
            self.materializations += 1
            self.assets.add(event.asset_key.to_user_string())
        for evaluation in evaluations:
            if evaluation.passed:
                self.checks_passed += 1
            else:
                key = evaluation.asset_check_key
                self.checks_failed.setdefault(f"{key.asset_key.to_user_string()}:{key.name}", []).append(
                    {
                        "job": name,
                        "run_id": result.run_id,
                        "partition": evaluated_partition(evaluation, result.dagster_run.tags),
                        "severity": evaluation.severity.value,
                        "what_failed": what_failed(evaluation),
                    }
                )


def checks_holding_back(defs, job_name: str, failures: dict[str, dict]) -> list[str]:
    """The failed blocking checks ("asset:check") upstream of an asset of `job_name`: while any
    holds, the job's run would price, train or signal on the data the check refused."""
    from edge_assets.defs.quality import checks_upstream_of

    job_assets = defs.resolve_job_def(job_name).asset_layer.selected_asset_keys
    failed = {check: failure["asset"] for check, failure in failures.items()}
    return checks_upstream_of(defs.resolve_asset_graph(), failed, job_assets)


def _partitions(tags: dict[str, str]) -> str:
    """The partitions a demo run covers, as its tags name them."""
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    if "dagster/asset_partition_range_start" in tags:
        return f"{tags['dagster/asset_partition_range_start']} .. {tags['dagster/asset_partition_range_end']}"
    return "unpartitioned"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(options: DemoOptions, log: Callable[[str], None]) -> tuple[subprocess.Popen, str]:
    """Start the demo's simulator as a child process and wait until it answers."""
    ground_truth = options.home / "ground_truth" / "planted_edges.csv"
    ground_truth.parent.mkdir(parents=True, exist_ok=True)
    simulator_args = [
        "--seed", str(options.seed), "--scenario", options.scenario,
        "--days", str(options.days + 1), "--ground-truth", str(ground_truth),
        *options.simulator_args,
    ]  # fmt: skip
    process, url = launch_simulator(simulator_args)
    log(f"simulator ({options.scenario}, seed {options.seed}) listening on {url}")
    return process, url


def launch_simulator(simulator_args: Sequence[str]) -> tuple[subprocess.Popen, str]:
    """Start `edge-assets simulate <simulator_args>` on a free loopback port as a child process and
    wait until it answers; return the process and its URL."""
    port = free_port()
    command = [sys.executable, "-m", "edge_assets.cli", "simulate", "--port", str(port), *simulator_args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SIMULATOR_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the simulator exited early: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the simulator did not answer on {url} within {SIMULATOR_START_TIMEOUT_S} s")


def write_instance_yaml(dagster_home: Path) -> None:
    """The demo's Dagster instance settings, as DAGSTER_HOME/dagster.yaml."""
    import yaml

    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(INSTANCE_SETTINGS, sort_keys=False))


def demo_environment(options: DemoOptions, simulator_url: str) -> dict[str, str]:
    """The variables pointing the code location and the Dagster instance at the demo's home."""
    home = options.home.resolve()
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    write_instance_yaml(dagster_home)
    return {
        "EDGE_ENV": "local",
        "EDGE_HOME": str(home),
        "EDGE_SIMULATOR_URL": simulator_url,
        "DAGSTER_HOME": str(dagster_home),
        # One planned event per asset for a single-run backfill instead of one per hour, except
        # for the jobs in PER_HOUR_PLANNED_JOBS (see there).
        PLANNED_EVENTS_VARIABLE: "true",
        # The demo replays history, so every replayed signal counts as news for its alerts.
        "EDGE_SIGNAL_ALERT_MAX_AGE_HOURS": str(options.days * 24 + 1),
        "EDGE_TRADING_MODE": options.trading,
    }


@contextmanager
def environment_set(variables: dict[str, str]) -> Iterator[None]:
    """Set variables for the demo's duration and put the caller's environment back afterwards."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def hour_keys(days: int, now: datetime) -> tuple[str, str]:
    """First and last hourly partition keys of the demo's history, the current hour last."""
    from edge_assets.defs.partitions import HOURLY_KEY_FORMAT

    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    return start.strftime(HOURLY_KEY_FORMAT), end.strftime(HOURLY_KEY_FORMAT)


def run_demo(options: DemoOptions, log: Callable[[str], None] = print) -> dict:
    """Run the demo and return its summary (also written to HOME/summary.json)."""
    if options.scenario not in SCENARIOS:
        raise ValueError(f"--scenario must be one of {', '.join(SCENARIOS)}")
    if options.trading not in DEMO_TRADING_MODES:
        raise ValueError(f"--trading must be one of {', '.join(DEMO_TRADING_MODES)}")
    started = time.monotonic()
    require_writable_folder(options.home, "--home")
    process, url = start_simulator(options, log)
    try:
        with environment_set(demo_environment(options, url)):
            summary = _materialize_everything(options, log, started)
            if options.live_minutes > 0:
                summary["live"] = _run_live(options, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
    (options.home / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _run_live(options: DemoOptions, log: Callable[[str], None]) -> dict:
    """The live detector for `options.live_minutes` with its own broker; what it saw, for the summary."""
    from edge_assets.definitions import build_live_service
    from edge_assets.environment import Environment
    from edge_assets.live.service import run_service
    from edge_assets.storage.broker import start_local_broker, stop_local_broker

    log(f"live: the detector follows the market channel for {options.live_minutes:g} minute(s) ...")
    env = Environment.from_env()
    url, broker = start_local_broker(options.home / "broker")
    try:
        service = build_live_service(env, stream_url=url)
        run_service(service, minutes=options.live_minutes)
    finally:
        stop_local_broker(broker)
    status = service.status().iloc[0]
    figures = {
        "minutes": options.live_minutes,
        "tokens": int(status["tokens"]),
        "messages": int(status["messages"]),
        "evaluations": int(status["evaluations"]),
        "signals_opened": int(status["signals_opened"]),
        "open_signals": int(status["open_signals"]),
        "quote_changes_published": service.state.published,
    }
    log("      " + ", ".join(f"{name} {value}" for name, value in figures.items()))
    return figures


def _materialize_everything(options: DemoOptions, log: Callable[[str], None], started: float) -> dict:
    # Imported here: the code location reads the environment the demo has just set.
    import dagster as dg

    from edge_assets.definitions import build_definitions
    from edge_assets.defs.polymarket.listing import unlisted_tag
    from edge_assets.environment import Environment
    from edge_assets.storage.db import Warehouse

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    env = Environment.from_env()
    require_database(env.database_url, DATABASE_OPTION)
    defs = build_definitions(env)
    warehouse = Warehouse(url=env.database_url)
    instance = dg.DagsterInstance.get()
    for run_id in fail_orphaned_runs(instance):
        log(f"      run {run_id} was left started by a demo that died: marked failed")
    tally = RunTally()
    steps = _demo_steps(*hour_keys(options.days, datetime.now(UTC)))
    total_steps = len(steps) + 1  # and the alert sensors
    for i, (title, job_names, tags) in enumerate(steps, start=1):
        step_start = time.monotonic()
        log(f"[{i}/{total_steps}] {title} ...")
        for job_name in job_names:
            holding = checks_holding_back(defs, job_name, tally.blocking_failures)
            if holding:
                partitions = _partitions(tags)
                tally.waited.append({"job": job_name, "partitions": partitions, "checks": holding})
                log(f"      {job_name}: WAITS ({partitions}): blocking check(s) failed: {', '.join(holding)}")
                continue
            runs = _runs_of(instance, warehouse, job_name, tags)
            if not runs:
                log(f"      {job_name}: every hour landed already")
            for run_tags in runs:
                demo_tags = {DEMO_TAG: "true", DEMO_PID_TAG: str(os.getpid())}
                if job_name == "hourly_sources":
                    demo_tags |= unlisted_tag(warehouse)
                result = run_job(defs, instance, job_name, {**run_tags, **demo_tags})
                tally.add(job_name, result)
                success, run_id = result.success, result.run_id
                # An in-process result holds every output of its run (Dagster captures them for
                # `output_for_node`): kept, a month's quotes lived on through features and training.
                del result
                _release_memory()
                status = "ok" if success else "FAILED"
                log(f"      {job_name}: {status} ({_partitions(run_tags)}, run {run_id[:8]})")
                if not success:
                    _stop_if_database_gone(env.database_url, job_name)
        log(f"      done in {time.monotonic() - step_start:.1f} s (total {time.monotonic() - started:.1f} s)")
    step_start = time.monotonic()
    log(f"[{total_steps}/{total_steps}] alerts: evaluate the alert sensors, deliver to the sinks ...")
    for line in _evaluate_alert_sensors(defs, instance):
        log(f"      {line}")
    log(f"      done in {time.monotonic() - step_start:.1f} s (total {time.monotonic() - started:.1f} s)")
    summary = _summarize(env, tally, options, started)
    summary["failed_hours"] = failed_hours(instance, *hour_keys(options.days, datetime.now(UTC)))
    summary["books_waiting_on_listing"] = books_waiting(
        instance, warehouse, *hour_keys(options.days, datetime.now(UTC))
    )
    _print_summary(summary, log)
    return summary


def _runs_of(instance, warehouse, job_name: str, tags: dict[str, str]) -> list[dict[str, str]]:
    """The runs a step makes of `job_name`: a backfill of the hourly sources covers only the
    stretches of hours not landed yet and those whose books missed a market listed since, so a demo
    run again on the same home fetches only the hours that failed or waited; any other job, one run
    with `tags`."""
    import dagster as dg

    from edge_assets.defs.hourly_fetch import key_stretches, unlanded_hours
    from edge_assets.defs.jobs import HOURLY_SOURCES
    from edge_assets.defs.partitions import HOURLY_PARTITIONS

    start = tags.get("dagster/asset_partition_range_start")
    if job_name != "hourly_sources" or start is None:
        return [tags]
    keys = [dg.AssetKey(name) for name in HOURLY_SOURCES]
    end = tags["dagster/asset_partition_range_end"]
    wanted = unlanded_hours(instance, keys, start, end)
    wanted |= {
        hour
        for books in books_waiting(instance, warehouse, start, end).values()
        if books["listed"]
        for hour in books["hours"]
    }
    in_range = HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(start, end))
    return [
        {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        for first, last in key_stretches(in_range, wanted)
    ]


def books_waiting(instance, warehouse, first: str, last: str) -> dict[str, dict]:
    """Each market whose books hours `first` .. `last` (partition keys) did not ask for, its
    listing quarantined then: why, whether a poll has listed it since (then a rerun of the demo
    captures them) and those hours."""
    from edge_assets.defs.partitions import HOURLY_PARTITIONS
    from edge_assets.defs.polymarket.listing import books_waiting_on_listing

    start = HOURLY_PARTITIONS.time_window_for_partition_key(first).start
    end = HOURLY_PARTITIONS.time_window_for_partition_key(last).start
    return {
        books.market_id: {"reason": books.reason, "listed": books.listed, "hours": books.hour_keys}
        for books in books_waiting_on_listing(instance, warehouse, start, end)
    }


def failed_hours(instance, first: str, last: str) -> dict[str, list[str]]:
    """Each hourly source's hours first .. last whose partition failed (a fetch that ran out of
    retries), as the UI shows them; a rerun of the demo on the same home fetches them again."""
    import dagster as dg

    from edge_assets.defs.jobs import HOURLY_SOURCES
    from edge_assets.defs.partitions import HOURLY_PARTITIONS

    keys = HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(first, last))
    failed = {}
    for name in HOURLY_SOURCES:
        status = instance.get_status_by_partition(dg.AssetKey(name), keys, HOURLY_PARTITIONS) or {}
        hours = [key for key in keys if status.get(key) == dg.AssetPartitionStatus.FAILED]
        if hours:
            failed[name] = hours
    return failed


def _stop_if_database_gone(url: str, job_name: str) -> None:
    """After a failed run: when the database no longer answers, every later run would fail the same."""
    try:
        require_database(url, DATABASE_OPTION)
    except OperatorError as error:
        raise OperatorError(f"stopped after {job_name} failed: {error}") from None


def _demo_steps(first: str, last: str) -> list[tuple[str, list[str], dict[str, str]]]:
    """The demo's runs in order over the hours `first` .. `last`: a title, the jobs, their tags."""
    range_tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    # Models train on the days before today and gate today's hours: walk-forward, no look-ahead.
    today = max(first, last[:10] + "-00:00")
    yesterday = (datetime.strptime(last[:10], "%Y-%m-%d") - timedelta(days=1)).strftime("%Y-%m-%d")
    today_tags = {"dagster/asset_partition_range_start": today, "dagster/asset_partition_range_end": last}
    # Features (and so training) cover the trailing training window, not the whole history.
    features_from = max(first, hour_keys(TRAINING_DAYS, datetime.now(UTC))[0])
    features_tags = {
        "dagster/asset_partition_range_start": features_from,
        "dagster/asset_partition_range_end": last,
    }
    hour = {"dagster/partition": last}
    return [
        ("poll sources (markets, live odds, PredictIt, scores)", ["poll_sources", "poll_scores"], {}),
        (f"backfill hourly sources {first} .. {last} in one run", ["hourly_sources"], range_tags),
        ("map markets to sportsbook events; fee tables and cost models", ["mapping"], {}),
        (f"backfill quotes, consensus and signals {first} .. {last}", ["hourly_pricing"], range_tags),
        (f"features {features_from} .. {last}", ["hourly_features"], features_tags),
        (
            f"train and register models on the days up to {yesterday}",
            ["modeling"],
            {"dagster/partition": yesterday},
        ),
        (f"model-gated signals for today's hours {today} .. {last}", ["hourly_signals"], today_tags),
        ("live tick: poll again and refresh the current hour", ["poll_sources", "mapping"], {}),
        (
            f"live tick: hour {last}",
            ["hourly_sources", "hourly_pricing", "hourly_features", "hourly_signals"],
            hour,
        ),
        ("latest features", ["latest_features"], {}),
        (f"trade the signals {first} .. {last}, each at its hour", ["hourly_trading"], range_tags),
        ("settle the fills: positions, daily P&L and closing-line value", ["trading"], {}),
    ]


def _evaluate_alert_sensors(defs, instance) -> list[str]:
    """Tick the alert sensors once, as the daemon would: raise alerts, then deliver them."""
    import dagster as dg

    from edge_assets.defs.alerting.sensors import alert_on_check_failures, alert_on_signals, deliver_alerts

    resources = {"warehouse": defs.resources["warehouse"], "alerting": defs.resources["alerting"]}
    lines = []
    for sensor in (alert_on_signals, alert_on_check_failures, deliver_alerts):
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = sensor(context)
        reason = result.skip_reason if isinstance(result, dg.SensorResult) else result
        lines.append(f"{sensor.name}: {getattr(reason, 'skip_message', reason)}")
    return lines


def _release_memory() -> None:
    """Hand a finished run's freed heap back to the OS, so in-process runs do not stack their peaks."""
    gc.collect()
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def resolve_job(name: str):
    """The named job of the code location; how multiprocess steps rebuild it in their process."""
    from edge_assets.definitions import defs

    return defs.resolve_job_def(name)


def fail_orphaned_runs(instance) -> list[str]:
    """Mark failed the demo's runs left started or starting by a demo process that is gone (killed,
    say, by SIGKILL), and return their ids. Its runs run inside the demo's own process tree, so a run
    whose demo PID no longer exists will never finish; Dagster's run monitor would only fail it
    past its maximum runtime, since the default run launcher cannot see a worker's health."""
    import dagster as dg

    unfinished = dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING], tags={DEMO_TAG: "true"}
    )
    orphans = [run for run in instance.get_runs(filters=unfinished) if not _alive(run.tags.get(DEMO_PID_TAG))]
    for run in orphans:
        instance.report_run_failed(run, message="the demo process running it is gone (killed?)")
    return [run.run_id for run in orphans]


def _alive(pid: str | None) -> bool:
    if pid is None or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def run_job(defs, instance, job_name: str, tags: dict, resolver: tuple[str, str] = (__name__, "resolve_job")):
    """Run one of the demo's jobs with `tags` (a `dagster/partition` tag becomes the run's partition
    key). Multiprocess steps rebuild the job in their own processes through `resolver`, a module
    and a function of the job's name (the floor bench passes its no-op twin)."""
    import dagster as dg

    tags = dict(tags)
    with environment_set({PLANNED_EVENTS_VARIABLE: "false"} if job_name in PER_HOUR_PLANNED_JOBS else {}):
        # Processes pay off for a long range; for one hour their start-up costs more than they save.
        if job_name in MULTIPROCESS_JOBS and "dagster/partition" not in tags:
            job = dg.build_reconstructable_job(*resolver, reconstructable_args=(job_name,))
            return dg.execute_job(job, instance, run_config=MULTIPROCESS_CONFIG, tags=tags)
        partition_key = tags.pop("dagster/partition", None)
        return defs.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            run_config=QUIET_LOGS,
            tags=tags,
            partition_key=partition_key,
            raise_on_error=False,
        )


def trading_summary(warehouse, lake, mode: str) -> dict:
    """The trader's figures in `mode`: P&L (realised, marked to market), maximum drawdown, hit rate
    and mean closing-line value of its fills as pnl_daily judges them (None where nothing was there
    to measure, or the fills were not settled), and its decisions by the limit or check that stopped
    them, else by their status."""
    from edge_assets.storage.lake import asset_location
    from edge_assets.trading.settlement import pnl_summary

    figures: dict[str, float] = {}
    if asset_location(["pnl_daily"]) in lake.list_keys(asset_location(["pnl_daily"])):
        settled, days = lake.read_asset(["settled_fills"]), lake.read_asset(["pnl_daily"])
        figures = pnl_summary(settled, days).get(mode, {})
    decisions = warehouse.read_frame(
        "SELECT COALESCE(stopped_by, status) AS outcome, COUNT(*) AS decisions FROM executions "
        "WHERE mode = :mode GROUP BY COALESCE(stopped_by, status)",
        {"mode": mode},
    )
    measured = {name: figures.get(name, math.nan) for name in TRADING_FIGURES}
    return {
        "mode": mode,
        **{name: None if math.isnan(value) else value for name, value in measured.items()},
        "fills": int(figures.get("fills", 0)),
        "decisions": {str(row.outcome): int(row.decisions) for row in decisions.itertuples()},
    }


def _summarize(env, tally: RunTally, options: DemoOptions, started: float) -> dict:
    from edge_assets.storage.db import Warehouse
    from edge_assets.storage.lake import Lake

    warehouse = Warehouse(url=env.database_url)
    counts = warehouse.read_frame(
        """
        SELECT
          (SELECT COUNT(DISTINCT event_id) FROM oddsapi_historical_odds) AS events,
          (SELECT COUNT(*) FROM polymarket_markets) AS markets,
          (SELECT COUNT(*) FROM quotes) AS quotes,
          (SELECT COUNT(*) FROM consensus) AS consensus_rows,
          (SELECT COUNT(*) FROM signals) AS signals,
          (SELECT COUNT(*) FROM market_mappings WHERE status = 'mapped') AS mapped_tokens,
          (SELECT COUNT(*) FROM quarantine) AS quarantined,
          (SELECT COUNT(*) FROM alerts) AS alerts,
          (SELECT COUNT(*) FROM alerts WHERE delivery_status = 'sent') AS alerts_sent,
          (SELECT COUNT(*) FROM alerts WHERE delivery_status = 'failed') AS alerts_failed
        """
    ).iloc[0]
    return {
        "scenario": options.scenario,
        "seed": options.seed,
        "days": options.days,
        "home": str(options.home.resolve()),
        "database_url": redacted_url(env.database_url),
        "runs": tally.runs,
        "failed_runs": tally.failed_runs,
        "runs_stopped_by_checks": tally.stopped_by_checks,
        "runs_waiting_on_checks": tally.waited,
        "assets_materialized": len(tally.assets),
        "materializations": tally.materializations,
        "checks_passed": tally.checks_passed,
        "checks_failed": len(tally.checks_failed),
        "failed_checks": dict(sorted(tally.checks_failed.items())),
        **{name: int(value) for name, value in counts.items()},
        "trading": trading_summary(warehouse, Lake(url=env.lake_url), options.trading),
        "wall_s": round(time.monotonic() - started, 1),
    }


def exit_status(summary: dict) -> int:
    """1 when a run failed, a blocking check stopped a run or held one back, or books waited on a
    market's listing; else 0."""
    held_back = summary["runs_stopped_by_checks"] or summary["runs_waiting_on_checks"]
    return 1 if summary["failed_runs"] or held_back or summary.get("books_waiting_on_listing") else 0


def _print_summary(summary: dict, log: Callable[[str], None]) -> None:
    log("")
    log(f"edge_assets demo: {summary['scenario']} world, seed {summary['seed']}, {summary['days']} days")
    log(
        f"  runs               {summary['runs']} ({len(summary['failed_runs'])} failed,"
        f" {len(summary['runs_stopped_by_checks'])} stopped by a blocking check,"
        f" {len(summary['runs_waiting_on_checks'])} waiting on one)"
    )
    for waiting in summary["runs_waiting_on_checks"]:
        log(f"    waited: {waiting['job']} ({waiting['partitions']}) on {', '.join(waiting['checks'])}")
    log(
        f"  assets             {summary['assets_materialized']}"
        f" ({summary['materializations']} materializations)"
    )
    log(f"  checks             {summary['checks_passed']} passed, {summary['checks_failed']} failed")
    for check, evaluations in summary["failed_checks"].items():
        log(f"    failed: {check} ({len(evaluations)} evaluation(s))")
    failed_hours = summary["failed_hours"]
    log(f"  failed hours       {len({hour for hours in failed_hours.values() for hour in hours})}")
    for asset, hours in failed_hours.items():
        log(f"    {asset}: {', '.join(hours)}")
    if failed_hours:
        log("    run the demo again with the same --home to fetch only these hours")
    waiting = summary.get("books_waiting_on_listing", {})
    log(
        f"  books waiting      {sum(len(books['hours']) for books in waiting.values())} market-hours of"
        f" {len(waiting)} market(s) whose listing was quarantined when their hours were captured"
    )
    for market_id, books in waiting.items():
        hours = books["hours"]
        since = "listed since: a rerun captures them" if books["listed"] else "not listed yet"
        span = f"{len(hours)} hour(s) {hours[0]} .. {hours[-1]}"
        log(f"    market {market_id}: {span} ({books['reason']}; {since})")
    log(f"  sportsbook events  {summary['events']}")
    log(f"  polymarket markets {summary['markets']} ({summary['mapped_tokens']} tokens mapped)")
    log(f"  quotes             {summary['quotes']}")
    log(f"  signals            {summary['signals']}")
    log(f"  quarantined        {summary['quarantined']}")
    log(
        f"  alerts             {summary['alerts']} ({summary['alerts_sent']} sent,"
        f" {summary['alerts_failed']} failed to send)"
    )
    trading = summary["trading"]
    shown = {name: "n/a" if trading[name] is None else f"{trading[name]:.3f}" for name in TRADING_FIGURES}
    log(
        f"  trading            {trading['mode']}: {trading['fills']} fills;"
        f" P&L realised {shown['realised_pnl']}, marked to market {shown['mtm_pnl']},"
        f" max drawdown {shown['max_drawdown']} USDC;"
        f" hit rate {shown['hit_rate']}, mean CLV {shown['mean_clv']}"
    )
    decided = ", ".join(f"{outcome} {count}" for outcome, count in sorted(trading["decisions"].items()))
    log(f"    decisions        {decided or 'none'}")
    log(f"  wall time          {summary['wall_s']} s")
    log(f"  summary            {Path(summary['home']) / 'summary.json'}")
    log("  open the UI with   make dev")
