"""The Dagster instances the checkout and the demo use monitor runs and retry crashed ones."""

import dagster as dg
import pytest
import yaml

from edge_assets.demo import INSTANCE_SETTINGS, write_instance_yaml
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
