"""A single-run backfill of the hourly sources, to be killed by a test mid-run: the fault
catalogue's resources and storage, on a Dagster instance configured as the demo's (run monitoring).

    python -m edge_assets_tests.hourly_backfill_process ROOT SIMULATOR_URL FIRST_KEY LAST_KEY
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg

from edge_assets_tests.test_fault_catalogue import Deployment, storage_under

# Only the test's own monitoring call judges this run (no daemon runs): past a second without an
# end, the run counts as out of time, so that one call can find the orphan.
MAX_RUNTIME_TAG = {"dagster/max_runtime": "1"}


def main(root: str, simulator_url: str, first: str, last: str) -> None:
    with dg.DagsterInstance.from_config(str(Path(root) / "dagster")) as instance:
        deployment = Deployment(instance, *storage_under(Path(root)))
        # the simulator runs in the test's process: only its address is needed here
        deployment.backfill(SimpleNamespace(url=simulator_url), first, last, tags=MAX_RUNTIME_TAG)


if __name__ == "__main__":
    main(*sys.argv[1:])
