"""`edge-assets simulate`: run the simulator until interrupted (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

from edge_assets.cli.preflight import OperatorError, positive_int

from .faults import Faults
from .server import start_server
from .world import SCENARIOS, World


def minutes_range(text: str) -> tuple[int, int]:
    """`LO,HI` minutes, as --plant-minutes takes them."""
    try:
        low, high = (int(part) for part in text.split(","))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected LO,HI in whole minutes, got {text!r}") from error
    if not 1 <= low <= high:
        raise argparse.ArgumentTypeError(f"expected 1 <= LO <= HI, got {text!r}")
    return low, high


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `simulate` options to `parser`."""
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--seed", type=int, default=7, help="world seed: same seed, same world")
    parser.add_argument("--scenario", choices=SCENARIOS, default="realistic")
    parser.add_argument("--days", type=positive_int, default=14, help="days of history served before now")
    parser.add_argument(
        "--ground-truth", metavar="FILE", help="write the planted windows to this CSV (again at exit)"
    )
    parser.add_argument("--api-key", help="the only Odds API key accepted (default: any non-empty key)")
    parser.add_argument("--rate-429", type=float, default=0.0, help="share of requests answered 429")
    parser.add_argument("--rate-5xx", type=float, default=0.0, help="share of requests answered 500/502/503")
    parser.add_argument("--rate-timeout", type=float, default=0.0, help="share of requests answered late")
    parser.add_argument("--rate-malformed", type=float, default=0.0, help="share of records corrupted")
    parser.add_argument("--rate-stale", type=float, default=0.0, help="share of records with old timestamps")
    parser.add_argument(
        "--rate-empty-side", type=float, default=0.0, help="share of CLOB books served with one side empty"
    )
    parser.add_argument(
        "--rate-silent",
        type=float,
        default=0.0,
        help="share of market-channel connections sent nothing once subscribed (PONG still answered)",
    )
    parser.add_argument(
        "--rate-drop",
        type=float,
        default=0.0,
        help="chance per world minute that the server drops a market-channel connection",
    )
    parser.add_argument(
        "--rate-order-timeout",
        type=float,
        default=0.0,
        help="share of CLOB orders matched and logged whose answer then times out",
    )
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429")
    parser.add_argument("--quota", type=int, default=500_000, help="Odds API credits before 429")
    parser.add_argument(
        "--plant-rate",
        type=float,
        help="planted windows per Polymarket market per pre-game day (default: 30%% of markets get one)",
    )
    parser.add_argument(
        "--plant-minutes", type=minutes_range, metavar="LO,HI", help="planted window lengths (default 10,120)"
    )
    parser.add_argument(
        "--scale", type=int, default=1, help="copies of each league's daily slate (more markets and tokens)"
    )


def world_from_args(args: argparse.Namespace) -> World:
    knobs = {"plant_minutes": args.plant_minutes} if args.plant_minutes else {}
    return World(
        args.seed, args.scenario, days=args.days, plant_rate=args.plant_rate, scale=args.scale, **knobs
    )


def faults_from_args(args: argparse.Namespace) -> Faults:
    return Faults(
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        rate_timeout=args.rate_timeout,
        rate_malformed=args.rate_malformed,
        rate_stale=args.rate_stale,
        rate_empty_side=args.rate_empty_side,
        rate_silent=args.rate_silent,
        rate_drop=args.rate_drop,
        rate_order_timeout=args.rate_order_timeout,
        retry_after_s=args.retry_after,
        seed=args.seed,
    )


def write_ground_truth(world: World, path: str) -> None:
    """The planted windows that have started by now, replaced at once so a reader never sees half."""
    partial = Path(f"{path}.partial")
    world.planted_edges().to_csv(partial, index=False)
    os.replace(partial, path)


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt  # a TERM (how the demo stops us) ends the run like Ctrl-C does


def run(args: argparse.Namespace) -> int:
    """Start the simulator and serve until interrupted; with --ground-truth, write the planted windows
    at the start and again at exit, when they include every window that started while serving."""
    world = world_from_args(args)
    world.served_games()  # generate the history now rather than on the first request
    if args.ground_truth:
        try:
            write_ground_truth(world, args.ground_truth)  # before serving: it exists once /health answers
        except OSError as error:
            raise OperatorError(
                f"--ground-truth {args.ground_truth} cannot be written ({error.strerror or error}); "
                "choose a file in an existing, writable folder"
            ) from None
    server = start_server(
        world,
        faults_from_args(args),
        host="127.0.0.1",
        port=args.port,
        api_key=args.api_key,
        quota=args.quota,
    )
    signal.signal(signal.SIGTERM, _terminated)
    try:
        venues = ", ".join(f"{venue} {url}" for venue, url in server.app.venues().items())
        print(f"simulator listening on {server.url} ({venues}; market channel {server.ws_url})", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.shutdown()
        if args.ground_truth:
            write_ground_truth(world, args.ground_truth)
