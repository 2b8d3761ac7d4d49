"""What per-hour planned events cost a single-run backfill: the time to create a run of a
partitioned job over a range, and the planned events it writes, with
DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS on (one event per asset) and off (one per hour,
which the hourly sources need for a failed hour to show failed).

    .venv/bin/python bench/planned_events.py [--days 14] [--job hourly_pricing]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg


def create_run_cost(job_name: str, days: int, subset_events: bool) -> tuple[float, int]:
    """Seconds to create one run over `days` of hours, and the planned events it wrote."""
    from edge_assets.definitions import build_definitions
    from edge_assets.demo import hour_keys
    from edge_assets.environment import Environment

    with tempfile.TemporaryDirectory() as home:
        os.environ["DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"] = "true" if subset_events else ""
        defs = build_definitions(Environment.from_env({"EDGE_HOME": home}))
        job = defs.resolve_job_def(job_name)
        first, last = hour_keys(days, datetime.now(UTC))
        tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        (Path(home) / "dagster").mkdir()
        with dg.instance_for_test(temp_dir=str(Path(home) / "dagster")) as instance:
            started = time.perf_counter()
            run = instance.create_run_for_job(job, tags=tags)
            elapsed = time.perf_counter() - started
            planned = instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, limit=100_000
            ).records
            return elapsed, len(planned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--job", default="hourly_pricing")
    args = parser.parse_args()
    for subset_events in (True, False):
        elapsed, events = create_run_cost(args.job, args.days, subset_events)
        label = "one per asset" if subset_events else "one per hour "
        print(f"{args.job}, {args.days} days, planned events {label}: {events:5d} events, {elapsed:.2f} s")


if __name__ == "__main__":
    main()
