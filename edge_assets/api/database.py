"""The warehouse as the API reads it: read-only, never migrated.

`SqlWarehouse` upgrades the schema on first use, which a read-only role cannot do (and a read-only
server should not). `ReadOnlyWarehouse` shares its reads (`read_frame`: bound parameters, UTC
timestamps on both dialects) over an engine that refuses writes: PostgreSQL sessions start
read-only (besides the role having SELECT only), SQLite connections are `query_only`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from edge_assets.storage.sql import SQLITE_BUSY_TIMEOUT_SECONDS, WarehouseTables

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


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
