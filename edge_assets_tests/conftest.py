"""Shared fixtures: real servers started once per test session."""

from hypothesis import settings

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
