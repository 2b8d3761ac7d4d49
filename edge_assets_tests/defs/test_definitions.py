"""The code location loads, every group is present, and the production instance config works."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
from sqlalchemy.engine import make_url

from edge_assets.definitions import build_definitions
from edge_assets.defs.partitions import HOURLY_PARTITIONS
from edge_assets.defs.quality import SCHEMA_CHECK
from edge_assets.environment import Environment
from edge_assets_tests.fixtures.paths import REPO_ROOT

GROUPS = {
    "polymarket",
    "oddsapi",
    "predictit",
    "mapping",
    "pricing",
    "features",
    "modeling",
    "signals",
    "live",
    "trading",
}


@pytest.fixture
def defs(tmp_path):
    return build_definitions(Environment.from_env({"EDGE_HOME": str(tmp_path)}))


def test_definitions_validate_and_show_every_group(defs):
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == GROUPS


def test_every_table_asset_has_a_schema_check(defs):
    graph = defs.resolve_asset_graph()
    schema_checked = {key.asset_key for key in graph.asset_check_keys if key.name == SCHEMA_CHECK}
    tables = {key for key in graph.get_all_asset_keys() if "write_mode" in (graph.get(key).metadata or {})}
    assert tables and schema_checked == tables


def test_hourly_assets_backfill_in_a_single_run(defs):
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.partitions_def == HOURLY_PARTITIONS:
            assert node.backfill_policy == dg.BackfillPolicy.single_run(), key


def test_production_environment_never_holds_the_api_key_in_code():
    env = Environment.from_env(
        {"EDGE_ENV": "production", "EDGE_DATABASE_URL": "postgresql+psycopg2://u@h/db"}
    )
    assert isinstance(env.odds_api_key(), dg.EnvVar)
    assert env.venue_urls["oddsapi"] == "https://api.the-odds-api.com"
    assert env.historical_books is False


def test_production_dagster_yaml_runs_on_postgres(tmp_path, postgres_url, monkeypatch):
    url = make_url(postgres_url)
    for name, value in {
        "EDGE_DAGSTER_PG_USER": url.username,
        "EDGE_DAGSTER_PG_PASSWORD": url.password or "",
        "EDGE_DAGSTER_PG_HOST": url.host,
        "EDGE_DAGSTER_PG_DB": url.database,
        "EDGE_DAGSTER_PG_PORT": str(url.port),
    }.items():
        monkeypatch.setenv(name, value)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_runs() == []
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"


def test_checkout_dagster_yaml_gives_a_local_instance_without_any_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_runs() == []
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


def test_settings_take_the_signal_rules_defaults_and_only_what_the_environment_sets(tmp_path):
    from edge_assets.defs.settings import EdgeSettings
    from edge_assets.signals.comparator import SignalRule

    assert EdgeSettings().signal_rule() == SignalRule()
    env = Environment.from_env(
        {"EDGE_HOME": str(tmp_path), "EDGE_MIN_EV": "0.05", "EDGE_SPORTS": "soccer_epl,"}
    )
    assert env.fields_of("settings") == {"min_ev": 0.05, "sports": ["soccer_epl"]}
    assert env.fields_of("alerting") == {}
    resources = build_definitions(env).resources
    assert resources["settings"].signal_rule() == SignalRule(min_ev=0.05)
    assert resources["settings"].sports == ["soccer_epl"]


def test_the_odds_api_asks_for_the_sharp_books_region_unless_told_otherwise(tmp_path):
    # Pinnacle, the consensus's sharpest book, is listed only in the eu region.
    default = build_definitions(Environment.from_env({"EDGE_HOME": str(tmp_path)})).resources
    assert default["oddsapi"].regions == "us,eu"
    env = Environment.from_env({"EDGE_HOME": str(tmp_path), "EDGE_ODDS_API_REGIONS": " us ,"})
    assert build_definitions(env).resources["oddsapi"].regions == "us"


def test_an_environment_variable_that_does_not_parse_names_itself():
    with pytest.raises(ValueError, match="EDGE_MIN_SIZE='lots' is not a valid min_size"):
        Environment.from_env({"EDGE_MIN_SIZE": "lots"})
