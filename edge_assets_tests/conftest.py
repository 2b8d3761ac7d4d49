"""Shared fixtures: real servers started once per test session."""

import os

from hypothesis import settings

# Dagster's pause before retrying a failed hourly fetch step (read once, when edge_assets' definitions
# load, so set before any test module imports them): the retry itself still runs, without 5 s of
# waiting in every fault test.
os.environ.setdefault("EDGE_HOURLY_RETRY_DELAY_S", "0.2")

pytest_plugins = [
    "edge_assets_tests.fixtures.broker",
    "edge_assets_tests.fixtures.demos",
    "edge_assets_tests.fixtures.postgres",
    "edge_assets_tests.fixtures.s3",
    "edge_assets_tests.fixtures.simulator",
]

# Wall-clock deadlines make property tests flaky on a loaded 2-core CI machine; keep them off.
settings.register_profile("edge", deadline=None)
settings.load_profile("edge")
