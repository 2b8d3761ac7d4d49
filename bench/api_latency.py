"""p50 and p95 of `GET /api/latest` and of a 7-day market history, on SQLite and PostgreSQL, while a
second process loads the same server on loopback.

The data is a demo home's warehouse (`edge-assets demo --days 30 --home /tmp/demo30`: about 800k
quote rows). Its SQLite file gets the schema's indexes (migration 0008) if it lacks them; for
PostgreSQL the API's tables are copied into a throwaway server this script starts (initdb + pg_ctl,
as the `postgres` user when run as root) unless --postgres-url names one. Each backend is served by
`edge-assets serve` on a free loopback port. Bounded: every loop stops after its count or duration.
The warehouse is not written during a run, so `/api/latest` is answered from its page cache after
the first request (one marker query); a page read afresh costs about 14 ms in the handler and 5 ms
to serialise on the 30-day demo (SQLite, in-process, no load).

Usage: python bench/api_latency.py --home /tmp/demo30 [--requests 200] [--load-clients 2] [--load-rate 20]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np

from edge_assets.storage.sql import SqlWarehouse, database_url_for_home

# The tables the two benchmarked endpoints read.
API_TABLES = [
    "quotes",
    "consensus",
    "market_mappings",
    "polymarket_markets",
    "predictit_market_data",
    "oddsapi_historical_odds",
    "signals",
]
LOAD_SECONDS_MAX = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server on a free loopback port, removed afterwards; yields a database URL."""
    bindir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))[-1])
    as_root = os.geteuid() == 0
    workdir = Path(tempfile.mkdtemp(prefix="edge-bench-pg-", dir="/tmp"))
    if as_root:
        shutil.chown(workdir, user="postgres")
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    port, data = free_port(), workdir / "data"
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -h 127.0.0.1 -k {workdir} -c fsync=off -c synchronous_commit=off"
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(workdir / "log"),
            "-w",
            "start",
            "-o",
            options,
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*run_as, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "edge"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/edge"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with throwaway_postgres() as throwaway:
        yield throwaway


def copy_tables(source: SqlWarehouse, target: SqlWarehouse) -> None:
    for table in API_TABLES:
        started = time.monotonic()
        frame = source.read_table(table)
        target.replace_all(table, frame)
        print(f"  copied {table}: {len(frame):,} rows in {time.monotonic() - started:.1f} s", flush=True)
    with target.engine().begin() as connection:
        connection.exec_driver_sql("ANALYZE")


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """`edge-assets serve` on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "EDGE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "edge_assets.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/api/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def history_targets(warehouse: SqlWarehouse, end) -> list[str]:
    """Mapped Polymarket markets quoted in the week before `end`, the most quoted first."""
    frame = warehouse.read_frame(
        "SELECT mm.pm_market_id AS market_id, COUNT(*) AS n FROM quotes q "
        "JOIN market_mappings mm ON mm.pm_token_id = q.market_key "
        "WHERE q.venue = 'polymarket' AND q.quote_ts >= :start AND mm.status = 'mapped' "
        "GROUP BY mm.pm_market_id ORDER BY n DESC LIMIT 20",
        {"start": end - timedelta(days=7)},
    )
    return frame["market_id"].tolist()


def requests_for(base: str, markets: list[str], end) -> dict[str, list[str]]:
    window = f"start={(end - timedelta(days=7)).isoformat()}&end={end.isoformat()}&resolution=1h"
    window = window.replace("+", "%2B")
    return {
        "/api/latest": [f"{base}/api/latest?limit=100"],
        "history 7 days": [f"{base}/api/markets/{market}/history?{window}" for market in markets],
    }


def timed(urls: list[str], count: int) -> list[float]:
    with httpx.Client(timeout=30) as client:
        client.get(urls[0]).raise_for_status()  # warm the server's caches and pools
        seconds = []
        for i in range(count):
            started = time.perf_counter()
            client.get(urls[i % len(urls)]).raise_for_status()
            seconds.append(time.perf_counter() - started)
    return seconds


def load_main(urls: list[str], clients: int, rate: float, seconds: float) -> None:
    """The load process: `clients` threads requesting `urls` in turn, together `rate` requests a
    second (as fast as answered when 0), until `seconds` have passed; prints the rate it reached."""
    stop = [time.monotonic() + min(seconds, LOAD_SECONDS_MAX)]
    gap = clients / rate if rate else 0.0
    done = [0] * clients

    def hammer(offset: int) -> None:
        with httpx.Client(timeout=30) as client:
            next_at = time.monotonic()
            while time.monotonic() < stop[0]:
                client.get(urls[(offset + done[offset] * clients) % len(urls)])
                done[offset] += 1
                next_at += gap
                time.sleep(max(0.0, next_at - time.monotonic()))

    started = time.monotonic()
    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:  # the measuring process is done: finish the requests in flight
        stop[0] = 0.0
        for thread in threads:
            thread.join()
    print(f"  load: {sum(done) / (time.monotonic() - started):.1f} requests/s", flush=True)


@contextmanager
def loaded(urls: list[str], clients: int, rate: float) -> Iterator[None]:
    """A second process loading the server for as long as the block runs (and at most 10 minutes)."""
    spec = json.dumps([urls, clients, rate, LOAD_SECONDS_MAX])
    load = subprocess.Popen([sys.executable, __file__, "--load", spec, "--home", "-"])
    time.sleep(1.0)  # let the load reach the server first
    try:
        yield
    finally:
        load.send_signal(signal.SIGINT)
        load.wait(timeout=30)


def measure(name: str, database_url: str, args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    warehouse = SqlWarehouse(database_url)
    end = warehouse.read_frame("SELECT MAX(quote_ts) AS quote_ts FROM quotes")["quote_ts"].iloc[0]
    end = end + timedelta(hours=1)
    rows = []
    with serving(database_url) as base:
        targets = requests_for(base, history_targets(warehouse, end), end)
        everything = [url for urls in targets.values() for url in urls]
        with loaded(everything, args.load_clients, args.load_rate):
            for endpoint, urls in targets.items():
                seconds = np.array(timed(urls, args.requests)) * 1000
                rows.append(
                    (name, endpoint, float(np.percentile(seconds, 50)), float(np.percentile(seconds, 95)))
                )
                print(
                    f"  {name:10s} {endpoint:15s} p50 {rows[-1][2]:6.1f} ms  p95 {rows[-1][3]:6.1f} ms",
                    flush=True,
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", required=True, help="a demo home holding edge.db")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--load-clients", type=int, default=2, help="concurrent clients in the load process")
    parser.add_argument(
        "--load-rate",
        type=float,
        default=20.0,
        help="their requests a second together (0: as fast as answered)",
    )
    parser.add_argument("--postgres-url", help="copy into this database instead of a throwaway server")
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the load process's own entry
    args = parser.parse_args()
    if args.load:
        load_main(*json.loads(args.load))
        return 0
    sqlite_url = database_url_for_home(Path(args.home))
    source = SqlWarehouse(sqlite_url)
    source.engine()  # applies pending migrations: the API's indexes
    quotes = source.read_frame("SELECT COUNT(*) AS n FROM quotes")["n"].iloc[0]
    print(
        f"{args.home}: {quotes:,} quote rows; {args.requests} timed requests per endpoint, "
        f"{args.load_clients} load clients in a second process at {args.load_rate or 'max'} requests/s",
        flush=True,
    )
    rows = measure("sqlite", sqlite_url, args)
    with postgres(args.postgres_url) as pg:
        print("copying the API's tables into PostgreSQL", flush=True)
        copy_tables(source, SqlWarehouse(pg))
        rows += measure("postgresql", pg, args)
    print("\nbackend     endpoint          p50 ms   p95 ms")
    for name, endpoint, p50, p95 in rows:
        print(f"{name:11s} {endpoint:15s} {p50:8.1f} {p95:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
