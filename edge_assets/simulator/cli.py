"""`edge-assets simulate`: run the simulator until interrupted."""

from __future__ import annotations

import argparse
import time

from .faults import Faults
from .server import start_server
from .world import SCENARIOS, World


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `simulate` options to `parser`."""
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--seed", type=int, default=7, help="world seed: same seed, same world")
    parser.add_argument("--scenario", choices=SCENARIOS, default="realistic")
    parser.add_argument("--days", type=int, default=14, help="days of history served before now")
    parser.add_argument("--ground-truth", metavar="FILE", help="write the planted windows to this CSV")
    parser.add_argument("--api-key", help="the only Odds API key accepted (default: any non-empty key)")
    parser.add_argument("--rate-429", type=float, default=0.0, help="share of requests answered 429")
    parser.add_argument("--rate-5xx", type=float, default=0.0, help="share of requests answered 500/502/503")
    parser.add_argument("--rate-timeout", type=float, default=0.0, help="share of requests answered late")
    parser.add_argument("--rate-malformed", type=float, default=0.0, help="share of records corrupted")
    parser.add_argument("--rate-stale", type=float, default=0.0, help="share of records with old timestamps")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429")
    parser.add_argument("--quota", type=int, default=500_000, help="Odds API credits before 429")


def run(args: argparse.Namespace) -> int:
    """Start the simulator, write the ground truth if asked, and serve until Ctrl-C."""
    world = World(args.seed, args.scenario, days=args.days)
    faults = Faults(
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        rate_timeout=args.rate_timeout,
        rate_malformed=args.rate_malformed,
        rate_stale=args.rate_stale,
        retry_after_s=args.retry_after,
        seed=args.seed,
    )
    server = start_server(
        world, faults, host="127.0.0.1", port=args.port, api_key=args.api_key, quota=args.quota
    )
    try:
        world.served_games()  # generate the history now rather than on the first request
        if args.ground_truth:
            world.planted_edges().to_csv(args.ground_truth, index=False)
        print(f"simulator listening on {server.url}", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.shutdown()
