"""Versioned SQL migrations: `sql/migrations/NNNN_name.sql`, applied in order, each in one transaction.

The files are the one schema source and are written in portable SQL, so the same file runs on SQLite
and PostgreSQL. Applied versions are recorded in `schema_migrations(version, name, applied_at)`, which
makes `upgrade` idempotent. Two processes upgrading the same database at once are serialised: on
PostgreSQL by a transaction-scoped advisory lock, on SQLite by `BEGIN IMMEDIATE` (the database write
lock); each process re-checks what is applied after taking the lock, so every migration runs once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "migrations"

# Arbitrary constant shared by every process that upgrades an edge_assets database ("edgeasst").
_POSTGRES_ADVISORY_LOCK_KEY = 0x6564676561737374

_MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[A-Za-z0-9_]+)\.sql$")

_CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    """One migration file: its version (`0001`), name (`initial`) and SQL statements."""

    version: str
    name: str
    path: Path

    def statements(self) -> list[str]:
        return split_statements(self.path.read_text(encoding="utf-8"))


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `directory`, ordered by version; other files are ignored."""
    if not directory.is_dir():
        raise FileNotFoundError(
            f"SQL migrations directory not found: {directory}. It lives at the repository top level "
            "(sql/migrations); install the package from a checkout (pip install -e .)."
        )
    migrations: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise ValueError(f"Migration file name must look like NNNN_name.sql: {path}")
        version = match["version"]
        if version in migrations:
            raise ValueError(f"Two migrations share version {version}: {migrations[version].path}, {path}")
        migrations[version] = Migration(version=version, name=match["name"], path=path)
    return [migrations[version] for version in sorted(migrations)]


def split_statements(sql: str) -> list[str]:
    """Split a SQL script on top-level semicolons.

    Semicolons inside '-- comments', '/* comments */', 'string literals', "quoted identifiers" and
    PostgreSQL $tag$ dollar-quoted bodies do not end a statement. Statements consisting only of
    comments are dropped (SQLite's driver runs one statement per call, so the script must be split).
    """
    statements: list[str] = []
    start = 0
    i = 0
    length = len(sql)
    while i < length:
        char = sql[i]
        if sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = length if newline == -1 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            if close == -1:
                raise ValueError("Unterminated /* comment in SQL script")
            i = close + 2
        elif char in ("'", '"'):
            i = _end_of_quoted(sql, i, char)
        elif char == "$" and (tag := re.match(r"\$[A-Za-z_]*\$", sql[i:])):
            close = sql.find(tag.group(), i + len(tag.group()))
            if close == -1:
                raise ValueError(f"Unterminated dollar-quoted string {tag.group()} in SQL script")
            i = close + len(tag.group())
        elif char == ";":
            statements.append(sql[start:i])
            i += 1
            start = i
        else:
            i += 1
    statements.append(sql[start:])
    return [statement.strip() for statement in statements if _has_code(statement)]


def _end_of_quoted(sql: str, opening: int, quote: str) -> int:
    """Index just past the quoted token starting at `opening`; a doubled quote is an escaped quote."""
    i = opening + 1
    while True:
        close = sql.find(quote, i)
        if close == -1:
            raise ValueError(f"Unterminated {quote} quote in SQL script")
        if sql.startswith(quote * 2, close):
            i = close + 2
            continue
        return close + 1


def _has_code(statement: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.DOTALL)
    return bool(without_comments.strip())


def upgrade(engine: Engine, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration in `directory` not yet recorded; return the versions applied now."""
    applied_now: list[str] = []
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # The driver's implicit transactions neither start before DDL nor take the write lock up
            # front, so turn them off and issue BEGIN IMMEDIATE / COMMIT explicitly (see below).
            connection.execution_options(isolation_level="AUTOCOMMIT")
        for migration in discover_migrations(directory):
            with _locked_transaction(connection):
                connection.exec_driver_sql(_CREATE_SCHEMA_MIGRATIONS)
                if migration.version in _applied_versions(connection):
                    continue
                for statement in migration.statements():
                    connection.exec_driver_sql(statement)
                connection.execute(
                    text(
                        "INSERT INTO schema_migrations (version, name, applied_at) "
                        "VALUES (:version, :name, :applied_at)"
                    ),
                    {
                        "version": migration.version,
                        "name": migration.name,
                        "applied_at": datetime.now(UTC).isoformat(timespec="microseconds"),
                    },
                )
                applied_now.append(migration.version)
    return applied_now


def current_version(engine: Engine) -> str | None:
    """The highest applied migration version, or None for a database never upgraded."""
    with engine.connect() as connection:
        connection.exec_driver_sql(_CREATE_SCHEMA_MIGRATIONS)
        versions = _applied_versions(connection)
        connection.commit()
    return max(versions, default=None)


def _applied_versions(connection: Connection) -> set[str]:
    return set(connection.execute(text("SELECT version FROM schema_migrations")).scalars())


@contextmanager
def _locked_transaction(connection: Connection) -> Iterator[None]:
    """One transaction holding the database-wide migration lock; commits on success, else rolls back."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        with connection.begin():
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _POSTGRES_ADVISORY_LOCK_KEY})
            yield
    elif dialect == "sqlite":
        # The connection is in driver autocommit mode; BEGIN IMMEDIATE waits (busy timeout) for the
        # write lock, so concurrent upgraders queue up instead of interleaving.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")
    else:
        raise NotImplementedError(f"Migrations support SQLite and PostgreSQL, not {dialect}")
