"""Throughput of the two hourly source parsers on simulator payloads: rows parsed per second.

The simulator (`edge-assets simulate`, --seed and fault knobs) serves --hours hours of past CLOB
books and Odds API historical snapshots; they are fetched once, the way the hourly assets fetch
them (`POST /books` in batches of 200 open tokens at the hour, one historical odds request per
default sport), then parsed --repeats times, the best time kept:

books   `parse_book_payloads` over each hour's batches (order_book_snapshots rows)
odds    `parse_historical_snapshots` over each hour's responses (oddsapi_historical_odds rows)
decode  the JSON decoding of every fetched body as `VenueClient` does it (MB/s)

With --baseline REV the same payloads are parsed by the parsers of git revision REV too (checked
out in a temporary git worktree and run in a child process with it on PYTHONPATH), and the ratio
of this tree's speed to REV's is printed; rows and quarantined counts are printed for both, so a
parser that drops rows shows.

Usage: python bench/parser_throughput.py [--seed S] [--hours H] [--repeats R] [--baseline REV]
                                         [--rate-malformed P] [--rate-stale P] [--rate-empty-side P]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The default sports of EdgeSettings (edge_assets.defs.settings, not imported: it loads Dagster).
SPORTS = ["americanfootball_nfl", "basketball_nba", "icehockey_nhl", "baseball_mlb", "soccer_epl"]
BATCH = 200


def start_simulator(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    from edge_assets.demo import launch_simulator  # this tree's: the baseline's child never starts one

    simulator_args = [
        "--seed", str(args.seed), "--days", str(args.hours // 24 + 2),
        "--rate-malformed", str(args.rate_malformed), "--rate-stale", str(args.rate_stale),
        "--rate-empty-side", str(args.rate_empty_side),
    ]  # fmt: skip
    return launch_simulator(simulator_args)


def fetch_payloads(url: str, hours: int) -> dict:
    """Every hour's book batches and odds responses as (fetched_at, body text), and the token map."""
    from edge_assets.sources.http import VenueClient
    from edge_assets.sources.polymarket import (
        gamma_page_records,
        market_by_token,
        parse_gamma_markets,
        plan_book_capture,
    )

    # The simulator serves Gamma and the Odds API at its root, the CLOB under /clob.
    simulator, clob = VenueClient(url, backoff_base_s=0.05), VenueClient(url + "/clob", backoff_base_s=0.05)
    pages, cursor = [], None
    while cursor or not pages:
        page = simulator.get(
            "/markets/keyset", params={"limit": 500, **({"after_cursor": cursor} if cursor else {})}
        )
        pages.append(page)
        cursor = page.data.get("next_cursor")
    records = [market for page in pages for market in gamma_page_records(page.data, "markets")]
    markets = parse_gamma_markets(records, pages[-1].fetched_at).frame
    last_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    books, odds = [], []
    for back in range(hours, 0, -1):
        hour = last_hour - timedelta(hours=back)
        plan = plan_book_capture(markets, hour, timedelta(minutes=5), 0.0)
        tokens = plan.tokens if plan else []
        batches = [
            clob.post(
                "/books",
                [{"token_id": t} for t in tokens[i : i + BATCH]],
                params={"ts": int(hour.timestamp())},
            )
            for i in range(0, len(tokens), BATCH)
        ]
        if batches:
            books.append((hour.isoformat(), [(p.fetched_at.isoformat(), p.text) for p in batches]))
        params = {"regions": "us,eu", "markets": "h2h", "oddsFormat": "american", "dateFormat": "iso"}
        params |= {"date": hour.strftime("%Y-%m-%dT%H:%M:%SZ"), "apiKey": "bench"}
        responses = [simulator.get(f"/v4/historical/sports/{sport}/odds", params=params) for sport in SPORTS]
        odds.append((hour.isoformat(), [(p.fetched_at.isoformat(), p.text) for p in responses]))
    return {"by_token": market_by_token(markets), "books": books, "odds": odds}


def best_of(repeats: int, task: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of `repeats` runs of `task` in seconds, and what its last run returned."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = task()
        best = min(best, time.perf_counter() - start)
    return best, result


def time_parsers(payload_file: str, repeats: int) -> dict:
    """Best-of-`repeats` seconds, rows and quarantined records of each parser of the imported tree."""
    from edge_assets.sources import http
    from edge_assets.sources.http import Payload
    from edge_assets.sources.oddsapi import parse_historical_snapshots
    from edge_assets.sources.polymarket import parse_book_payloads

    fetched = json.loads(Path(payload_file).read_text())
    bodies = [text for hours in (fetched["books"], fetched["odds"]) for _, ps in hours for _, text in ps]
    # Decoding is timed first, before the decoded payloads of the parse runs fill the heap.
    decode = getattr(http, "decode_json", json.loads)  # what this tree's VenueClient decodes with
    seconds, _ = best_of(repeats, lambda: [decode(text) for text in bodies])
    results = {
        "decode": {"seconds": seconds, "megabytes": sum(map(len, bodies)) / 1e6, "bodies": len(bodies)}
    }

    instant = datetime.fromisoformat

    def payload(fetched_at: str, text: str) -> Payload:
        return Payload("", 200, instant(fetched_at), json.loads(text), text, {}, 1)

    book_hours = [(instant(hour), [payload(*p) for p in ps]) for hour, ps in fetched["books"]]
    odds_hours = [
        (instant(hour), [(json.loads(text), instant(at)) for at, text in ps]) for hour, ps in fetched["odds"]
    ]
    tasks = {
        "books": lambda: [parse_book_payloads(ps, hour, fetched["by_token"]) for hour, ps in book_hours],
        "odds": lambda: [parse_historical_snapshots(rs, hour, "american") for hour, rs in odds_hours],
    }
    for name, task in tasks.items():
        seconds, parsed = best_of(repeats, task)
        results[name] = {
            "seconds": seconds,
            "rows": sum(len(result.frame) for result in parsed),
            "quarantined": sum(len(result.quarantined) for result in parsed),
            "sets": len(parsed),
        }
    return results


def time_in_tree(tree: Path, payload_file: str, repeats: int) -> dict:
    """`time_parsers` in a child process importing edge_assets from `tree`."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--time-payloads",
        payload_file,
        "--repeats",
        str(repeats),
    ]
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=tree)
    if done.returncode:
        raise RuntimeError(f"timing in {tree} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def report(label: str, results: dict) -> None:
    for name in ("books", "odds"):
        r = results[name]
        print(
            f"{label:>10} {name:6} {r['rows']:>9,} rows in {r['sets']} hours, {r['quarantined']:,}"
            f" quarantined: {r['seconds']:.3f} s, {r['rows'] / r['seconds']:>12,.0f} rows/s"
        )
    d = results["decode"]
    speed = d["megabytes"] / d["seconds"]
    print(
        f"{label:>10} decode {d['bodies']} bodies, {d['megabytes']:.1f} MB:"
        f" {d['seconds']:.3f} s, {speed:.0f} MB/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="simulator world seed")
    parser.add_argument("--hours", type=int, default=24, help="past hours of books and odds fetched")
    parser.add_argument("--repeats", type=int, default=5, help="parses of the payloads; the best is kept")
    parser.add_argument("--baseline", metavar="REV", help="also time the parsers of this git revision")
    parser.add_argument(
        "--rate-malformed", type=float, default=0.0, help="simulator: share of records corrupted"
    )
    parser.add_argument("--rate-stale", type=float, default=0.0, help="simulator: share of stale records")
    parser.add_argument(
        "--rate-empty-side", type=float, default=0.0, help="simulator: share of one-sided books"
    )
    parser.add_argument("--time-payloads", metavar="FILE", help=argparse.SUPPRESS)  # the child's mode
    args = parser.parse_args()
    if args.time_payloads:
        print(json.dumps(time_parsers(args.time_payloads, args.repeats)))
        return

    with tempfile.TemporaryDirectory(prefix="parser_throughput_") as scratch:
        process, url = start_simulator(args)
        try:
            fetched = fetch_payloads(url, args.hours)
        finally:
            process.terminate()
            process.wait()
        payload_file = str(Path(scratch) / "payloads.json")
        Path(payload_file).write_text(json.dumps(fetched))
        print(f"seed {args.seed}, {args.hours} hours fetched; best of {args.repeats} parses")
        current = time_parsers(payload_file, args.repeats)
        report("this tree", current)
        if args.baseline:
            tree = Path(scratch) / "baseline"
            git = ["git", "-C", str(REPO)]
            subprocess.run(
                [*git, "worktree", "add", "--detach", "--quiet", str(tree), args.baseline], check=True
            )
            try:
                baseline = time_in_tree(tree, payload_file, args.repeats)
            finally:
                subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=True)
            report(args.baseline[:10], baseline)
            for name in ("books", "odds", "decode"):
                ratio = baseline[name]["seconds"] / current[name]["seconds"]
                print(f"{'ratio':>10} {name:6} {ratio:.2f}x the speed of {args.baseline}")


if __name__ == "__main__":
    main()
