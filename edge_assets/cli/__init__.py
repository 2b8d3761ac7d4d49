"""The `edge-assets` command."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from edge_assets.cli.preflight import OneLineArgumentParser, OperatorError, positive_int

# The simulator's fault options, which `demo` and `dev` pass through to it.
FAULT_OPTIONS = {
    "--rate-429": "share of requests answered 429 with Retry-After",
    "--rate-5xx": "share of requests answered with a 5xx",
    "--rate-timeout": "share of requests answered too late",
    "--rate-malformed": "share of records corrupted",
    "--rate-stale": "share of payloads with timestamps hours old",
    "--rate-empty-side": "share of order books served with one side empty",
    "--rate-silent": "share of market-channel connections sent nothing once subscribed",
    "--rate-drop": "chance per minute that the simulator drops a market-channel connection",
}
# The simulator's world knobs, passed through the same way when given (its defaults otherwise).
WORLD_OPTIONS = {
    "--plant-rate": "planted windows per Polymarket market per pre-game day",
    "--plant-minutes": "LO,HI lengths of planted windows in minutes",
    "--scale": "copies of each league's daily slate of games",
}


def _add_fault_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("simulator faults")
    for flag, help_text in FAULT_OPTIONS.items():
        group.add_argument(flag, type=float, default=0.0, help=help_text)
    group = parser.add_argument_group("simulator world")
    for flag, help_text in WORLD_OPTIONS.items():
        group.add_argument(flag, help=help_text)  # checked by `simulate` itself


def _fault_args(args: argparse.Namespace) -> list[str]:
    forwarded = []
    for flag in [*FAULT_OPTIONS, *WORLD_OPTIONS]:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value:
            forwarded += [flag, str(value)]
    return forwarded


def _cmd_simulate(args: argparse.Namespace) -> int:
    from edge_assets import simulator

    return simulator.run(args)


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from edge_assets.cli.preflight import require_database, require_writable_folder
    from edge_assets.environment import Environment
    from edge_assets.storage.migrations import upgrade

    env = Environment.from_env()
    url = args.url or env.database_url
    option = "--url" if args.url else "the database (EDGE_DATABASE_URL or EDGE_HOME)"
    if url.startswith("sqlite:///"):
        require_writable_folder(Path(url.removeprefix("sqlite:///")).parent, option)
    require_database(url, option)
    applied = upgrade(create_engine(url))
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none, already current'}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from edge_assets.demo import DemoOptions, exit_status, run_demo

    summary = run_demo(
        DemoOptions(
            days=args.days,
            seed=args.seed,
            scenario=args.scenario,
            home=Path(args.home),
            simulator_args=_fault_args(args),
            live_minutes=args.live_minutes,
            trading=args.trading,
        )
    )
    return exit_status(summary)


def _cmd_live(args: argparse.Namespace) -> int:
    from edge_assets.definitions import build_live_service
    from edge_assets.environment import Environment
    from edge_assets.live.service import run_service

    env = Environment.from_env()
    if env.stream_url is not None or env.name != "local":
        run_service(build_live_service(env), minutes=args.minutes)
        return 0
    from edge_assets.storage.broker import start_local_broker, stop_local_broker

    # Locally the service brings its own broker, its store under the home so offsets survive restarts.
    url, broker = start_local_broker(env.home / "broker")
    try:
        run_service(build_live_service(env, stream_url=url), minutes=args.minutes)
    finally:
        stop_local_broker(broker)
    return 0


def _cmd_trading(args: argparse.Namespace) -> int:
    """Halt, resume or show the kill switch that every trading process reads before each decision."""
    import getpass
    import socket
    from datetime import UTC, datetime

    from edge_assets.environment import Environment
    from edge_assets.storage.sql import SqlWarehouse
    from edge_assets.trading.store import TradingStore

    store = TradingStore(SqlWarehouse(args.url or Environment.from_env().database_url))
    by = f"{getpass.getuser()}@{socket.gethostname()}"
    if args.trading_command == "halt":
        store.set_kill_switch(True, args.reason, by, datetime.now(UTC))
    elif args.trading_command == "resume":
        store.set_kill_switch(False, None, by, datetime.now(UTC))
    switch = store.kill_switch()
    state = "halted" if switch.halted else "running"
    since = f" since {switch.updated_at.isoformat()} by {switch.changed_by}" if switch.updated_at else ""
    reason = f": {switch.reason}" if switch.reason else ""
    print(f"trading {state}{since}{reason}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from edge_assets.api.server import run_serve
    from edge_assets.environment import Environment

    env = Environment.from_env()
    return run_serve(args, env.database_url, env.api_token, env.dagster_ui_url, env.stream_url)


def _default_sigint() -> None:
    """In a child: take SIGINT's default back, which a shell's background job has ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def _cmd_dev(args: argparse.Namespace) -> int:
    """Start the simulator, the live detector, the odds API and page and the Dagster UI; stop them (only
    them) on exit."""
    home = Path(args.home).resolve()
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    if not (dagster_home / "dagster.yaml").exists():
        from edge_assets.demo import write_instance_yaml

        write_instance_yaml(dagster_home)
    simulator_url = f"http://127.0.0.1:{args.simulator_port}"
    env = {
        **os.environ,
        "EDGE_ENV": "local",
        "EDGE_HOME": str(home),
        "EDGE_SIMULATOR_URL": simulator_url,
        "DAGSTER_HOME": str(dagster_home),
    }
    simulate = [
        sys.executable, "-m", "edge_assets.cli", "simulate", "--port", str(args.simulator_port),
        "--seed", str(args.seed), "--scenario", args.scenario, "--days", str(args.days), *_fault_args(args),
    ]  # fmt: skip
    webserver = [
        sys.executable, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port),
        "-w", str(Path(__file__).resolve().parents[1] / "workspace.yaml"),
    ]  # fmt: skip
    live = [sys.executable, "-m", "edge_assets.cli", "live"]
    api = [sys.executable, "-m", "edge_assets.cli", "serve", "--port", str(args.api_port)]
    # Ctrl-C or a TERM (also when started in the background) stops the children we started, by PID.
    previous = {sig: signal.signal(sig, _interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[subprocess.Popen] = []
    broker = None
    try:
        if not env.get("EDGE_STREAM_URL"):
            from edge_assets.storage.broker import start_local_broker

            # One broker for the live detector and the API: the page follows the quotes it publishes.
            env["EDGE_STREAM_URL"], broker = start_local_broker(home / "broker")
        children.append(subprocess.Popen(simulate, env=env, preexec_fn=_default_sigint))
        children.append(subprocess.Popen(live, env=env, preexec_fn=_default_sigint))
        children.append(subprocess.Popen(api, env=env, preexec_fn=_default_sigint))
        children.append(subprocess.Popen(webserver, env=env, preexec_fn=_default_sigint))
        print(
            f"Dagster UI on http://127.0.0.1:{args.port}, odds page and API on "
            f"http://127.0.0.1:{args.api_port}, simulator on {simulator_url}, live detector running; "
            "Ctrl-C stops them all"
        )
        return children[-1].wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in reversed(children):
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        if broker is not None:
            from edge_assets.storage.broker import stop_local_broker

            stop_local_broker(broker)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _cmd_broker(args: argparse.Namespace) -> int:
    """Run the local stream broker (NATS with JetStream) in the foreground until INT or TERM."""
    from edge_assets.storage.broker import start_local_broker, stop_local_broker

    data_dir = Path(args.home).resolve() / "broker"
    # Handlers first, so a signal during start-up also stops the server (start_local_broker does).
    previous = {sig: signal.signal(sig, _interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    process = None
    try:
        url, process = start_local_broker(data_dir, port=args.port)
        print(f"stream broker on {url}, JetStream store in {data_dir}; Ctrl-C stops it", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if process is not None:
            stop_local_broker(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _latest_quota_remaining() -> float | None:
    """The Odds API requests left, as the latest odds materialization in the Dagster instance saw it."""
    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        return None
    with dg.DagsterInstance.get() as instance:
        for asset in ("oddsapi_live_odds", "oddsapi_historical_odds", "oddsapi_scores"):
            event = instance.get_latest_materialization_event(dg.AssetKey(asset))
            value = event and event.asset_materialization.metadata.get("quota_remaining")
            if value is not None:
                return float(value.value)
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="edge-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="serve the offline market world over HTTP")
    from edge_assets import simulator

    simulator.add_arguments(simulate)
    simulate.set_defaults(handler=_cmd_simulate)

    db = commands.add_parser("db", help="operational database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply pending sql/ migrations")
    upgrade.add_argument("--url", help="SQLAlchemy URL (default: EDGE_DATABASE_URL or the local SQLite file)")
    upgrade.set_defaults(handler=_cmd_db_upgrade)

    demo = commands.add_parser("demo", help="run the whole lineage against a fresh simulator")
    demo.add_argument(
        "--days", type=positive_int, default=14, help="days of history to backfill (default 14)"
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--scenario", choices=["realistic", "planted", "null"], default="realistic")
    demo.add_argument("--home", default=".edge/demo", help="where the database, lake and Dagster runs go")
    demo.add_argument(
        "--live-minutes", type=float, default=0.0, help="then run the live detector this long (default 0)"
    )
    from edge_assets.demo import DEMO_TRADING_MODES

    demo.add_argument(
        "--trading",
        choices=DEMO_TRADING_MODES,
        default="dry",
        help="trade the signals: dry decides and records, paper fills on the simulator's CLOB (default dry)",
    )
    _add_fault_options(demo)
    demo.set_defaults(handler=_cmd_demo)

    devig_eval = commands.add_parser(
        "devig-eval", help="calibration of each de-vig method on real closing moneylines (nflverse games)"
    )
    from edge_assets.pricing.evaluation import add_devig_eval_arguments, run_devig_eval

    add_devig_eval_arguments(devig_eval)
    devig_eval.set_defaults(handler=run_devig_eval)

    match = commands.add_parser(
        "match", help="map Polymarket tokens to sportsbook outcomes from two JSON files"
    )
    from edge_assets.mapping.cli import add_match_arguments, run_match

    add_match_arguments(match)
    match.set_defaults(handler=run_match)

    metrics = commands.add_parser("metrics", help="serve monitoring figures in Prometheus format")
    from edge_assets.notify.metrics import add_metrics_arguments, run_metrics

    add_metrics_arguments(metrics)
    metrics.set_defaults(handler=lambda args: run_metrics(args, quota_remaining=_latest_quota_remaining))

    live = commands.add_parser(
        "live", help="the live detector: market channel, live odds, signals in seconds"
    )
    live.add_argument("--minutes", type=float, default=None, help="stop after this many minutes")
    live.set_defaults(handler=_cmd_live)

    serve = commands.add_parser("serve", help="the read-only API and its web page")
    from edge_assets.api.server import add_serve_arguments

    add_serve_arguments(serve)
    serve.set_defaults(handler=_cmd_serve)

    broker = commands.add_parser("broker", help="the local stream broker (NATS JetStream) on 127.0.0.1")
    broker.add_argument("--port", type=int, default=4222, help="0 picks a free port (default 4222)")
    broker.add_argument("--home", default=".edge/demo", help="its store goes in HOME/broker")
    broker.set_defaults(handler=_cmd_broker)

    trading = commands.add_parser("trading", help="the kill switch every trader obeys")
    trading_commands = trading.add_subparsers(dest="trading_command", required=True)
    halt = trading_commands.add_parser("halt", help="stop every trader before its next decision")
    halt.add_argument("--reason", help="why, kept with the switch")
    trading_commands.add_parser("resume", help="let the traders decide again")
    trading_commands.add_parser("status", help="show whether trading is halted")
    for command in trading_commands.choices.values():
        command.add_argument("--url", help="SQLAlchemy URL (default: EDGE_DATABASE_URL or the local SQLite)")
        command.set_defaults(handler=_cmd_trading)

    dev = commands.add_parser("dev", help="the Dagster UI with the simulator running beside it")
    dev.add_argument("--home", default=".edge/demo")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--api-port", type=int, default=8000, help="the odds API and page")
    dev.add_argument("--simulator-port", type=int, default=8765)
    dev.add_argument("--seed", type=int, default=7)
    dev.add_argument("--scenario", choices=["realistic", "planted", "null"], default="realistic")
    dev.add_argument("--days", type=positive_int, default=14)
    _add_fault_options(dev)
    dev.set_defaults(handler=_cmd_dev)
    return parser


def main(argv: list[str] | None = None) -> int:
    from edge_assets.notify.logs import configure_logging

    configure_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except OperatorError as error:
        print(f"{parser.prog} {args.command}: {error}", file=sys.stderr)
        return 2
