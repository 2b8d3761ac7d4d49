"""Dagster's own cost for the demo: the demo's runs, in order and with the same tags, over no-op
assets of the same shape (the same keys, steps, checks, deps, partitions and backfill policies, the
same jobs), on a fresh instance with the demo's settings. What is left is runs, steps, partitions
and event writes: the floor the demo's wall time cannot go below.

    python bench/dagster_floor.py --days 30 --home /tmp/floor    (prints JSON)
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

BENCH = Path(__file__).resolve().parent


def _noop_definitions():
    from edge_assets.definitions import build_definitions
    from edge_assets.environment import Environment

    real = build_definitions(Environment.from_env())
    shells: list = []
    for assets_def in real.resolve_asset_graph().assets_defs:
        if not assets_def.is_executable:
            shells.extend(assets_def.specs)
        elif isinstance(assets_def, dg.AssetChecksDefinition):
            shells.append(_noop_checks(assets_def))
        else:
            shells.append(_noop_assets(assets_def))
    return dg.Definitions(assets=[s for s in shells if not isinstance(s, dg.AssetChecksDefinition)],
                          asset_checks=[s for s in shells if isinstance(s, dg.AssetChecksDefinition)],
                          jobs=list(real.jobs))  # fmt: skip


def _noop_assets(assets_def):
    @dg.multi_asset(
        name=assets_def.node_def.name,
        specs=[spec.replace_attributes(partitions_def=None) for spec in assets_def.specs],
        partitions_def=assets_def.partitions_def,
        check_specs=list(assets_def.check_specs),
        backfill_policy=assets_def.backfill_policy,
        can_subset=assets_def.can_subset,
    )
    def noop(context: dg.AssetExecutionContext):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)
        for check in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def _noop_checks(checks_def):
    @dg.multi_asset_check(name=checks_def.node_def.name, specs=list(checks_def.check_specs))
    def noop(context: dg.AssetCheckExecutionContext):
        for check in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def resolve_noop_job(name: str):
    """How a multiprocess step rebuilds its job in its own process."""
    return _noop_definitions().resolve_job_def(name)


def run_floor(days: int, home: Path) -> dict:
    from edge_assets.demo import DemoOptions, _demo_steps, demo_environment, hour_keys, run_job

    os.environ.update(demo_environment(DemoOptions(days=days, home=home), "http://127.0.0.1:9"))
    # The multiprocess steps rebuild their job from this module, in processes of their own.
    os.environ["PYTHONPATH"] = os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(BENCH))
    started = time.monotonic()
    defs = _noop_definitions()
    instance = dg.DagsterInstance.get()
    runs = steps = 0
    for _title, job_names, tags in _demo_steps(*hour_keys(days, datetime.now(UTC))):
        for job_name in job_names:
            result = run_job(defs, instance, job_name, tags, resolver=("dagster_floor", "resolve_noop_job"))
            runs += 1
            steps += len(result.get_step_success_events())
            if not result.success:
                raise RuntimeError(f"no-op run of {job_name} failed")
    return {"days": days, "runs": runs, "steps": steps, "wall_s": round(time.monotonic() - started, 1)}


def measure_floor(days: int, home: Path) -> dict:
    """`run_floor` in a process of its own (it sets the demo's environment variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGE_", "DAGSTER_"))}
    output = subprocess.run(
        [sys.executable, str(Path(__file__)), "--days", str(days), "--home", str(home)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if output.returncode != 0:
        return {"days": days, "error": output.stderr.strip().splitlines()[-1:]}
    return json.loads(output.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Dagster's own cost of the demo's runs")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args()
    args.home.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run_floor(args.days, args.home.resolve())))
