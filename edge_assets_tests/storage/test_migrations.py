"""The migrations runner applies each file once, atomically, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from edge_assets.storage.migrations import (
    MIGRATIONS_DIR,
    current_version,
    discover_migrations,
    split_statements,
    upgrade,
)

UPGRADERS = 4


def schema_tables() -> set[str]:
    """Every table that the repository's migration files leave: created, then renamed, in order."""
    tables: set[str] = set()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        sql = path.read_text()
        tables |= set(re.findall(r"CREATE TABLE (\w+)", sql))
        for old, new in re.findall(r"ALTER TABLE (\w+) RENAME TO (\w+)", sql):
            tables = (tables - {old}) | {new}
    return tables


def upgrade_in_fresh_engine(url: str) -> list[str]:
    """Run in a separate process: its own engine and connection pool."""
    return upgrade(create_engine(url))


def test_upgrade_applies_all_migrations_once(database_url: str) -> None:
    engine = create_engine(database_url)
    versions = [migration.version for migration in discover_migrations()]

    assert current_version(engine) is None
    assert upgrade(engine) == versions
    assert upgrade(engine) == []
    assert current_version(engine) == versions[-1]
    assert schema_tables() <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        recorded = connection.execute(text("SELECT version, name FROM schema_migrations")).all()
    assert sorted(version for version, _ in recorded) == versions


def test_failing_migration_rolls_back_entirely(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE kept (id INTEGER PRIMARY KEY);\n")
    (tmp_path / "0002_bad.sql").write_text(
        "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    engine = create_engine(database_url)

    with pytest.raises(Exception, match="no_such_table"):
        upgrade(engine, tmp_path)

    tables = set(inspect(engine).get_table_names())
    assert "kept" in tables and "half_done" not in tables
    assert current_version(engine) == "0001"


def test_concurrent_upgrades_from_threads_apply_each_migration_once(database_url: str) -> None:
    start_together = threading.Barrier(UPGRADERS)

    def upgrade_when_all_ready() -> list[str]:
        engine = create_engine(database_url)
        start_together.wait()
        return upgrade(engine)

    with ThreadPoolExecutor(UPGRADERS) as pool:
        results = list(pool.map(lambda _: upgrade_when_all_ready(), range(UPGRADERS)))

    applied = sorted(version for result in results for version in result)
    assert applied == [migration.version for migration in discover_migrations()]


def test_concurrent_upgrades_from_processes_apply_each_migration_once(database_url: str) -> None:
    with ProcessPoolExecutor(UPGRADERS, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(upgrade_in_fresh_engine, [database_url] * UPGRADERS))

    applied = sorted(version for result in results for version in result)
    assert applied == [migration.version for migration in discover_migrations()]
    assert schema_tables() <= set(inspect(create_engine(database_url)).get_table_names())


def test_split_statements_ignores_semicolons_in_comments_strings_and_bodies() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (note TEXT DEFAULT 'x;y');  /* block; comment */
    INSERT INTO a VALUES ('it''s; fine');
    CREATE FUNCTION f() RETURNS INT AS $body$ SELECT 1; $body$ LANGUAGE SQL;
    -- trailing comment only
    """
    statements = split_statements(script)

    assert len(statements) == 3
    assert statements[0].endswith("CREATE TABLE a (note TEXT DEFAULT 'x;y')")
    assert statements[1].endswith("INSERT INTO a VALUES ('it''s; fine')")
    assert statements[2].endswith("$body$ SELECT 1; $body$ LANGUAGE SQL")


def test_missing_migrations_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="sql/migrations"):
        discover_migrations(tmp_path / "nowhere")
