"""Shared fixtures: real servers started once per test session."""

pytest_plugins = [
    "edge_assets_tests.fixtures.postgres",
    "edge_assets_tests.fixtures.s3",
    "edge_assets_tests.fixtures.simulator",
]
