"""Simulator CPU per served order book: POST /books for every open token, hour after hour.

An in-process World serves the hourly captures the demo makes: at each hour mark, and again the
minute after (the recheck), POST /books for both tokens of every market Gamma lists and still
trades, in batches of the CLOB client's default size. Each request goes through the simulator
app and the server's encoding of the answer (`SimulatorServer._answer`, without the socket), so
the figures are the simulator's CPU per book (process time, steadier than the wall clock on a
shared machine), not the transport's. Each timed pass starts from a fresh World, so it includes the
games' price paths the books are read from. With `--baseline REV` the
same measurement also runs at REV (in a temporary git worktree, in a subprocess) and the ratio
is printed.

Usage: python bench/simulator_books.py [--hours N] [--seed S] [--scenario realistic|planted]
                                       [--repeats R] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BATCH = 200  # token ids per POST /books: the CLOB resource's default batch_size
REPO = Path(__file__).resolve().parent.parent


def measure(hours: int, seed: int, scenario: str, repeats: int) -> dict:
    """Books, levels and the best of `repeats` timings of serving `hours` hourly captures."""
    from edge_assets.simulator import polymarket
    from edge_assets.simulator.app import SimulatorApp
    from edge_assets.simulator.faults import Faults
    from edge_assets.simulator.server import SimulatorServer
    from edge_assets.simulator.world import World

    instants = [(NOW - timedelta(hours=h)).timestamp() for h in range(hours, 0, -1)]

    def fresh_server() -> types.SimpleNamespace:
        # A fresh world each pass: its caches start cold, as in a demo's first pass.
        world = World(seed, scenario, now=NOW)
        return types.SimpleNamespace(app=SimulatorApp(world, Faults(), None, 500_000))

    listing = fresh_server().app.world
    requests = []
    for hour_ts in instants:
        tokens = [
            token
            for market in polymarket.listed_markets(listing, hour_ts)
            if polymarket.market_state(listing, market, hour_ts) == "open"
            for token in market.token_ids
        ]
        body = [
            json.dumps([{"token_id": t} for t in tokens[i : i + BATCH]]).encode()
            for i in range(0, len(tokens), BATCH)
        ]
        requests += [(f"ts={ts}".encode(), batch) for ts in (hour_ts, hour_ts + 60) for batch in body]

    server = fresh_server()
    served = []
    for query, body in requests:
        status, data, _ = SimulatorServer._answer(server, "POST", "/books", query, body, {})
        assert status == 200, data
        served.append(json.loads(data))
    books = sum(len(answer) for answer in served)
    levels = sum(len(book["bids"]) + len(book["asks"]) for answer in served for book in answer)
    timings = []
    for _ in range(repeats):
        server = fresh_server()
        start = time.process_time()
        for query, body in requests:
            SimulatorServer._answer(server, "POST", "/books", query, body, {})
        timings.append(time.process_time() - start)
    return {"books": books, "levels": levels, "seconds": min(timings)}


def at_revision(rev: str, args: argparse.Namespace) -> dict:
    """`measure` run against the code of `rev`, checked out in a temporary worktree."""
    with tempfile.TemporaryDirectory(prefix="simulator_books_") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev], check=True)
        try:
            command = [sys.executable, str(Path(__file__).resolve()), "--json"]
            command += ["--hours", str(args.hours), "--seed", str(args.seed)]
            command += ["--scenario", args.scenario, "--repeats", str(args.repeats)]
            # cwd and PYTHONPATH point at the worktree, so its edge_assets shadows the installed one.
            env = os.environ | {"PYTHONPATH": str(tree)}
            done = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True)
            return json.loads(done.stdout)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True)


def report(label: str, result: dict) -> None:
    seconds = result["seconds"]
    print(
        f"{label}: {result['books']:,} books, {result['levels']:,} levels in {seconds:.2f} CPU s: "
        f"{result['books'] / seconds:,.0f} books/s, {result['levels'] / seconds:,.0f} levels/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=24, help="hourly captures to serve")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenario", default="realistic", choices=("realistic", "planted"))
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--baseline", metavar="REV", help="also measure at this git revision")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # at_revision's child
    args = parser.parse_args()
    result = measure(args.hours, args.seed, args.scenario, args.repeats)
    if args.json:
        print(json.dumps(result))
        return
    report("this tree", result)
    if args.baseline:
        base = at_revision(args.baseline, args)
        report(args.baseline, base)
        if (base["books"], base["levels"]) != (result["books"], result["levels"]):
            print("note: the two revisions served different books")
        print(f"speed-up: {base['seconds'] / result['seconds']:.2f}x books/s")


if __name__ == "__main__":
    main()
