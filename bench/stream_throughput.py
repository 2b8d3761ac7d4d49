"""Odds stream throughput and publish-to-consume latency on a local NATS JetStream broker.

Two runs over the same kind of change (Polymarket asks spread over 500 markets, so 500 subjects):

- throughput: publish N changes as fast as the publisher's acks come back, then drain them with a
  durable consumer (explicit acks, batches of --batch): messages per second for each side;
- latency: publish at a steady --rate while a durable consumer reads, and time each change from
  its `published_at` stamp to the moment the consumer's handler gets it: p50, p95 and max.

Publisher and consumer run in one process, on two connections. Each run has a fresh nats-server
from the wheel with its file store in a temporary directory, so the latency consumer, which starts
at the stream's first message, meets no backlog from the throughput run.

Usage: python bench/stream_throughput.py [--changes N] [--latency-changes N] [--rate PER_S] [--batch B]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_assets.storage.broker import start_local_broker, stop_local_broker
from edge_assets.storage.stream import QuoteChange, QuoteStream

MARKETS = 500
PUBLISH_CHUNK = 1_000
T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def changes(count: int) -> list[QuoteChange]:
    return [
        QuoteChange(
            venue="polymarket",
            market_id=str(100_000 + index % MARKETS),
            token_id=f"token-{index % MARKETS}",
            outcome="Yes",
            side="ask",
            price=0.30 + (index % 400) / 1_000,
            size=float(50 + index % 500),
            source_ts=T0 + timedelta(milliseconds=index),
        )
        for index in range(count)
    ]


async def throughput(url: str, count: int, batch: int) -> tuple[float, float]:
    """(published per second, consumed per second) for `count` changes."""
    quotes = changes(count)
    async with await QuoteStream.connect(url) as stream:
        started = time.perf_counter()
        for first in range(0, count, PUBLISH_CHUNK):
            await stream.publish_many(quotes[first : first + PUBLISH_CHUNK])
        published_s = time.perf_counter() - started

        done = asyncio.Event()
        seen = 0

        async def handler(batch_changes: list[QuoteChange]) -> None:
            nonlocal seen
            seen += len(batch_changes)
            if seen >= count:
                done.set()

        started = time.perf_counter()
        await stream.consume("bench_throughput", handler, batch=batch, stop=done)
        consumed_s = time.perf_counter() - started
    return count / published_s, count / consumed_s


async def latency(url: str, count: int, rate: float, batch: int) -> list[float]:
    """Milliseconds from each change's publish stamp to its handler, at a steady publish rate."""
    quotes = changes(count)
    delays: list[float] = []
    done = asyncio.Event()

    async def handler(batch_changes: list[QuoteChange]) -> None:
        received = datetime.now(UTC)
        delays.extend((received - change.published_at).total_seconds() * 1_000 for change in batch_changes)
        if len(delays) >= count:
            done.set()

    async def publish_steadily(stream: QuoteStream) -> None:
        started = time.perf_counter()
        for index, change in enumerate(quotes):
            # Publish in step with the wall clock: a change is due index / rate seconds in.
            await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            await stream.publish(change)

    async with await QuoteStream.connect(url) as publisher, await QuoteStream.connect(url) as reader:
        consumer = asyncio.create_task(reader.consume("bench_latency", handler, batch=batch, stop=done))
        await publish_steadily(publisher)
        await asyncio.wait_for(consumer, timeout=60)
    return delays


@contextmanager
def fresh_broker() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as home:
        url, process = start_local_broker(Path(home))
        try:
            yield url
        finally:
            stop_local_broker(process)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=20_000, help="changes in the throughput run")
    parser.add_argument("--latency-changes", type=int, default=5_000, help="changes in the latency run")
    parser.add_argument("--rate", type=float, default=1_000, help="publishes per second in the latency run")
    parser.add_argument("--batch", type=int, default=100, help="consumer fetch batch")
    args = parser.parse_args()
    with fresh_broker() as url:
        published, consumed = asyncio.run(throughput(url, args.changes, args.batch))
    with fresh_broker() as url:
        delays = asyncio.run(latency(url, args.latency_changes, args.rate, args.batch))
    print(f"{args.changes:,} changes over {MARKETS} subjects, consumer batch {args.batch}")
    print(f"publish  {published:>10,.0f} msg/s (async, acked)")
    print(f"consume  {consumed:>10,.0f} msg/s (durable pull, explicit acks)")
    p50, p95 = percentile(delays, 0.50), percentile(delays, 0.95)
    print(f"latency at {args.rate:,.0f} msg/s over {len(delays):,} changes: ", end="")
    print(f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {max(delays):.2f} ms")


if __name__ == "__main__":
    main()
