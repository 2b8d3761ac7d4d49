"""The Dagster instances the checkout and the demo use monitor runs and retry crashed ones, and a
new demo fails the runs a killed one left started."""

import os
import subprocess
import sys

import dagster as dg
import pytest
import yaml

from edge_assets.demo import (
    DEMO_PID_TAG,
    DEMO_TAG,
    INSTANCE_SETTINGS,
    fail_orphaned_runs,
    write_instance_yaml,
)
from edge_assets_tests.fixtures.paths import REPO_ROOT


def test_the_demo_instance_monitors_runs_and_retries_crashed_ones(tmp_path):
    write_instance_yaml(tmp_path)
    # Dagster validates dagster.yaml against its schema as it loads: a misspelled key fails here.
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_runtime_seconds == 6 * 3600
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
        # A failed asset is retried by its RetryPolicy in the same run, not by a new run.
        assert not instance.run_retries_retry_on_asset_or_op_failure


@pytest.mark.parametrize("config", ["dagster.yaml", "deploy/dagster.yaml"])
def test_the_checkout_and_production_instances_have_the_same_monitoring_and_retries(config):
    checkout = yaml.safe_load((REPO_ROOT / config).read_text())
    for section in ("run_monitoring", "run_retries"):
        assert checkout[section] == INSTANCE_SETTINGS[section], section


@dg.op
def _nothing() -> None:
    pass


@dg.job
def _step() -> None:
    _nothing()


def test_a_run_left_started_by_a_dead_demo_is_failed_and_one_of_a_live_demo_is_not(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a demo process that is no longer there (as after a SIGKILL)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        runs = {}
        for name, pid in (("orphaned", gone.pid), ("running", os.getpid())):
            run = instance.create_run_for_job(_step, tags={DEMO_TAG: "true", DEMO_PID_TAG: str(pid)})
            instance.handle_run_event(
                run.run_id,
                dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=_step.name, message="started"),
            )
            runs[name] = run.run_id
        assert fail_orphaned_runs(instance) == [runs["orphaned"]]
        status = {name: instance.get_run_by_id(run_id).status for name, run_id in runs.items()}
    assert status == {"orphaned": dg.DagsterRunStatus.FAILURE, "running": dg.DagsterRunStatus.STARTED}
