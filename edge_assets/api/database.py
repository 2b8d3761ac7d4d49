"""The warehouse as the API reads it: read-only, never migrated.

`SqlWarehouse` upgrades the schema on first use, which a read-only role cannot do (and a read-only
server should not). `ReadOnlyWarehouse` shares its reads (`read_frame`: bound parameters, UTC
timestamps on both dialects) over an engine that refuses writes: PostgreSQL sessions start
read-only (besides the role having SELECT only), SQLite connections are `query_only`. `rows` reads
the same way into plain dicts, for results that need no frame (a page of rows costs a third of the
time without pandas in between).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from edge_assets.storage.sql import SQLITE_BUSY_TIMEOUT_SECONDS, WarehouseTables, is_timestamp_column

# How the warehouse stores an instant on SQLite (see storage/sql.py): fixed-width UTC text.
SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"

# A query slower than this is a bug or an overload; it must not hold a pooled connection forever.
POSTGRES_STATEMENT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class ReadOnlyWarehouse(WarehouseTables):
    """The warehouse at `url`, read through a read-only engine."""

    url: str

    def engine(self) -> Engine:
        return read_only_engine(self.url)

    def tables(self) -> set[str]:
        """The names of the tables that exist now."""
        return set(inspect(self.engine()).get_table_names())

    def dialect(self) -> str:
        return self.engine().dialect.name

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run parameterised SQL; the rows as dicts, timestamp columns as UTC datetimes."""
        engine = self.engine()
        on_sqlite = engine.dialect.name == "sqlite"
        bound = {name: _bound(value, on_sqlite) for name, value in (params or {}).items()}
        with engine.connect() as connection:
            result = connection.execute(text(sql), bound)
            names = list(result.keys())
            stamps = [index for index, name in enumerate(names) if is_timestamp_column(name)]
            rows = []
            for row in result.fetchall():  # one driver call, not one per row
                values = list(row)
                for index in stamps:
                    values[index] = _instant(values[index])
                rows.append(dict(zip(names, values, strict=True)))
        return rows


@functools.cache
def read_only_engine(url: str) -> Engine:
    """One read-only engine per URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        options = (
            "-c timezone=UTC -c default_transaction_read_only=on "
            f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}"
        )
        return create_engine(url, pool_pre_ping=True, connect_args={"options": options})
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _sqlite_query_only)
        return engine
    raise ValueError(f"The API reads sqlite and postgresql databases, not {backend}")


def _bound(value: Any, on_sqlite: bool) -> Any:
    if not isinstance(value, datetime):
        return value
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime(SQLITE_TIMESTAMP_FORMAT) if on_sqlite else value


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
