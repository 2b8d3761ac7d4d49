"""The operational SQL warehouse (SQLite locally, PostgreSQL in production), without Dagster.

Frames go in and out as pandas DataFrames. Timestamp columns (names ending in `_ts`/`_at`, or
`timestamp`) are tz-aware UTC on the way out on both dialects. On SQLite they are stored as fixed-width
ISO 8601 text in UTC (`2026-11-20T13:00:00.000000+00:00`), so text order is time order and window
deletes compare correctly; on PostgreSQL they are `TIMESTAMP WITH TIME ZONE`. Every write is one
transaction; NaN/NaT/None become NULL; values are always bound as parameters.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable, bindparam, column, select, sqltypes, table
from sqlalchemy.sql.expression import TableClause

from edge_assets.storage.migrations import upgrade

# Rows per executemany call: large enough to amortise round trips, small enough to bound memory.
INSERT_CHUNK_ROWS = 50_000
# A single-run backfill writes a month of order books in one transaction: tens of seconds in which
# a parallel step's write must wait rather than fail.
SQLITE_BUSY_TIMEOUT_SECONDS = 120
_SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"

_engines: dict[str, tuple[int, Engine]] = {}
_engines_lock = threading.Lock()


def database_url_for_home(home: Path) -> str:
    """The SQLite URL of the warehouse file `edge.db` under an edge_assets home directory."""
    return f"sqlite:///{Path(home).resolve() / 'edge.db'}"


def is_timestamp_column(name: str) -> bool:
    """Whether a column holds UTC instants by the naming convention of the schema."""
    return name.endswith(("_ts", "_at")) or name == "timestamp"


class WarehouseTables:
    """SQL tables of edge_assets: read frames, and write them idempotently in one transaction each.

    A mixin over `self.url`: the Dagster resource `Warehouse` and the plain `SqlWarehouse` (for
    code that knows no Dagster, such as the live service) share every method.
    """

    url: str

    def engine(self) -> Engine:
        """The process-wide engine for `url`, created on first use with the schema upgraded."""
        return _engine_for(self.url)

    def read_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run parameterised SQL (`:name` placeholders) and return the rows as a DataFrame.

        Datetime parameters are converted to the dialect's stored form, so
        `WHERE quote_ts >= :start` compares instants on both dialects.
        """
        engine = self.engine()
        bound = {key: _to_db_value(value, engine.dialect.name) for key, value in (params or {}).items()}
        return self._read(text(sql), bound)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one parameterised write statement in its own transaction; return the rows it touched.
        Datetime parameters are bound in the dialect's stored form, as `read_frame` binds them."""
        engine = self.engine()
        bound = {key: _to_db_value(value, engine.dialect.name) for key, value in (params or {}).items()}
        with engine.begin() as connection:
            return connection.execute(text(sql), bound).rowcount

    def read_table(
        self,
        table_name: str,
        ts_column: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """All rows of a table, or only those with start <= ts_column < end when a window is given."""
        with self.engine().connect() as connection:
            target = _table(table_name, _table_columns(connection, table_name))
        statement = select(target)
        params: dict[str, Any] = {}
        if ts_column is not None:
            if start is None or end is None:
                raise ValueError("read_table with ts_column needs both start and end")
            statement = _where_in_window(statement, target, ts_column)
            params = _window_params(start, end, self.engine().dialect.name)
        return self._read(statement, params)

    def replace_window(
        self, table_name: str, frame: pd.DataFrame, ts_column: str, start: datetime, end: datetime
    ) -> int:
        """Replace the rows with start <= ts_column < end by `frame`; return the rows inserted.

        Re-running with the same frame leaves the same rows (idempotent partition materialisation).
        Every frame row must lie inside the window, or a re-run could not remove it.
        """
        if ts_column not in frame.columns:
            raise ValueError(f"Frame for {table_name} has no column {ts_column!r}")
        stamps = _as_utc(frame[ts_column])
        outside = stamps.isna() | (stamps < _utc(start)) | (stamps >= _utc(end))
        if outside.any():
            raise ValueError(
                f"{int(outside.sum())} rows of {table_name} have {ts_column} outside "
                f"[{_utc(start).isoformat()}, {_utc(end).isoformat()})"
            )
        engine = self.engine()
        with engine.begin() as connection:
            target = _target(connection, table_name, frame)
            delete = _where_in_window(target.delete(), target, ts_column)
            connection.execute(delete, _window_params(start, end, engine.dialect.name))
            return _write_rows(connection, target, frame)

    def upsert(self, table_name: str, frame: pd.DataFrame, key_columns: Sequence[str]) -> int:
        """Insert rows, or update the non-key columns of rows whose key exists; return rows written.

        Within the frame, the last row of a duplicated key wins.
        """
        keys = list(key_columns)
        frame = frame.drop_duplicates(subset=keys, keep="last")

        def update_on_conflict(statement: Any) -> Any:
            updates = {name: statement.excluded[name] for name in frame.columns if name not in keys}
            if not updates:
                return statement.on_conflict_do_nothing(index_elements=keys)
            return statement.on_conflict_do_update(index_elements=keys, set_=updates)

        with self.engine().begin() as connection:
            target = _target(connection, table_name, frame)
            return _write_rows(connection, target, frame, update_on_conflict)

    def insert_missing(self, table_name: str, frame: pd.DataFrame, key_columns: Sequence[str]) -> int:
        """Insert only rows whose key is not in the table yet; return the rows inserted."""
        keys = list(key_columns)
        frame = frame.drop_duplicates(subset=keys, keep="first")
        with self.engine().begin() as connection:
            target = _target(connection, table_name, frame)
            return _write_rows(
                connection,
                target,
                frame,
                lambda statement: statement.on_conflict_do_nothing(index_elements=keys),
            )

    def replace_all(self, table_name: str, frame: pd.DataFrame) -> int:
        """Replace the whole table's contents by `frame`; return the rows inserted."""
        with self.engine().begin() as connection:
            target = _target(connection, table_name, frame)
            connection.execute(target.delete())
            return _write_rows(connection, target, frame)

    def _read(self, statement: Executable, params: Mapping[str, Any]) -> pd.DataFrame:
        with self.engine().connect() as connection:
            result = connection.execute(statement, dict(params))
            # The columns are untyped, so SQLAlchemy's rows add no conversion to the driver's
            # tuples, only their cost (40% of a 200,000-row read on SQLite): fetch from the cursor.
            cursor = result.cursor
            frame = pd.DataFrame(cursor.fetchall(), columns=[entry[0] for entry in cursor.description])
            result.close()
        for name in frame.columns:
            if is_timestamp_column(name):
                frame[name] = _as_utc(frame[name])
        return frame


@dataclass(frozen=True)
class SqlWarehouse(WarehouseTables):
    """The warehouse at `url`, outside Dagster."""

    url: str


def _engine_for(url: str) -> Engine:
    """One engine per URL and process (a forked child must not share its parent's pooled sockets)."""
    with _engines_lock:
        cached = _engines.get(url)
        if cached is not None and cached[0] == os.getpid():
            return cached[1]
        if cached is not None:
            cached[1].dispose(close=False)
        engine = _create_engine(url)
        upgrade(engine)
        _engines[url] = (os.getpid(), engine)
        return engine


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

        @event.listens_for(engine, "connect")
        def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers run beside the single writer; NORMAL sync is durable enough with WAL.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        # Session time zone UTC so timestamps come back in UTC regardless of the server's setting.
        return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"})
    raise ValueError(f"Warehouse supports sqlite and postgresql URLs, not {parsed.get_backend_name()}")


def _target(connection: Connection, table_name: str, frame: pd.DataFrame) -> TableClause:
    """The table to write `frame` into, after checking that every frame column exists in it."""
    columns = _table_columns(connection, table_name)
    unknown = [name for name in frame.columns if name not in columns]
    if unknown:
        raise ValueError(f"Columns {unknown} are not in table {table_name}")
    return _table(table_name, columns)


def _table_columns(connection: Connection, table_name: str) -> list[str]:
    columns = [info["name"] for info in inspect(connection).get_columns(table_name)]
    if not columns:
        raise ValueError(f"Unknown table {table_name!r}")
    return columns


def _table(table_name: str, columns: Iterable[str]) -> TableClause:
    """A lightweight table whose untyped columns bind values exactly as they were prepared."""
    return table(table_name, *(column(name) for name in columns))


def _where_in_window(statement: Any, target: TableClause, ts_column: str) -> Any:
    if ts_column not in target.c:
        raise ValueError(f"Table {target.name} has no column {ts_column!r}")
    stamp = target.c[ts_column]
    return statement.where(stamp >= bindparam("window_start"), stamp < bindparam("window_end"))


def _window_params(start: datetime, end: datetime, dialect: str) -> dict[str, Any]:
    return {"window_start": _to_db_value(start, dialect), "window_end": _to_db_value(end, dialect)}


def _write_rows(
    connection: Connection,
    target: TableClause,
    frame: pd.DataFrame,
    on_conflict: Callable[[Any], Any] | None = None,
) -> int:
    """INSERT the frame's rows (with an optional ON CONFLICT clause); return the rows inserted or updated."""
    if frame.empty:
        return 0
    names = [str(name) for name in frame.columns]
    if connection.dialect.name == "sqlite":
        statement = sqlite.insert(target)
        statement = on_conflict(statement) if on_conflict else statement
        # Core's per-row parameter processing costs more than SQLite's own insert work, so bind
        # positionally through the driver; the SQL is still compiled from the Core statement.
        compiled = statement.compile(dialect=connection.dialect, column_keys=names)
        order = [names.index(key) for key in compiled.positiontup]
        written = 0
        for first in range(0, len(frame), INSERT_CHUNK_ROWS):
            columns = _sqlite_columns(frame.iloc[first : first + INSERT_CHUNK_ROWS])
            rows = list(zip(*(columns[index] for index in order), strict=True))
            written += connection.exec_driver_sql(compiled.string, rows).rowcount
        return written
    # PostgreSQL: executemany is a round trip per row (or per page), so COPY the rows into a
    # transaction-local staging table and INSERT ... SELECT from it in one statement.
    staging = _copy_to_staging(connection, target, frame)
    statement = postgresql.insert(target).from_select(names, select(*(staging.c[name] for name in names)))
    statement = on_conflict(statement) if on_conflict else statement
    return connection.execute(statement).rowcount


def _sqlite_columns(frame: pd.DataFrame) -> list[list[Any]]:
    """The frame's columns as value lists for SQLite: None for missing values, timestamps as UTC text."""
    columns: list[list[Any]] = []
    for name in frame.columns:
        series = frame[name]
        if _holds_timestamps(series):
            columns.append(_utc_iso_texts(_as_utc(series)))
        elif series.hasnans:
            columns.append(series.astype(object).where(series.notna(), None).tolist())
        else:
            columns.append(series.tolist())  # no missing values: no per-value replacement to make
    return columns


def _copy_to_staging(connection: Connection, target: TableClause, frame: pd.DataFrame) -> TableClause:
    """COPY the frame into a temporary table, dropped at commit, with the frame's columns of `target`.

    The staging table copies the column types but no constraints or defaults: those apply when the
    rows move into `target`, where a column absent from the frame takes its default.
    """
    quote = connection.dialect.identifier_preparer.quote
    staging_name = f"staging_{uuid.uuid4().hex[:12]}"
    column_list = ", ".join(quote(str(name)) for name in frame.columns)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {quote(staging_name)} ON COMMIT DROP AS "
        f"SELECT {column_list} FROM {quote(target.name)} WITH NO DATA"
    )
    integer_columns = {
        info["name"]
        for info in inspect(connection).get_columns(target.name)
        if isinstance(info["type"], sqltypes.Integer)
    }
    cursor = connection.connection.driver_connection.cursor()
    try:
        for first in range(0, len(frame), INSERT_CHUNK_ROWS):
            chunk = _copy_text(frame.iloc[first : first + INSERT_CHUNK_ROWS], integer_columns)
            cursor.copy_expert(f"COPY {quote(staging_name)} ({column_list}) FROM STDIN", io.StringIO(chunk))
    finally:
        cursor.close()
    return _table(staging_name, frame.columns)


def _copy_text(frame: pd.DataFrame, integer_columns: set[str]) -> str:
    """The frame in COPY text format: tab-separated, backslash-escaped, \\N for NULL."""
    frame = frame.reset_index(drop=True)  # the columns are joined on the index below
    fields: list[pd.Series] = []
    for name in frame.columns:
        series = frame[name]
        if _holds_timestamps(series):
            texts = pd.Series(_utc_iso_texts(_as_utc(series)), index=series.index, dtype=object)
        elif name in integer_columns and pd.api.types.is_float_dtype(series):
            # NaN made pandas store integers as floats; "3.0" is not valid integer input.
            texts = series.astype("Int64").astype(str)
        else:
            texts = series.astype(str)
            if not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                texts = (
                    texts.str.replace("\\", "\\\\", regex=False)
                    .str.replace("\t", "\\t", regex=False)
                    .str.replace("\n", "\\n", regex=False)
                    .str.replace("\r", "\\r", regex=False)
                )
        fields.append(texts.where(series.notna(), "\\N"))
    lines = fields[0].str.cat(fields[1:], sep="\t") if len(fields) > 1 else fields[0]
    return "\n".join(lines) + "\n"


def _holds_timestamps(series: pd.Series) -> bool:
    return is_timestamp_column(str(series.name)) or pd.api.types.is_datetime64_any_dtype(series)


def _utc_iso_texts(stamps: pd.Series) -> list[str | None]:
    """UTC stamps as fixed-width `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` text, None for NaT.

    Each distinct instant is formatted once: a month of book levels holds millions of rows but
    only an instant per hour (or per book) in each timestamp column."""
    codes, instants = pd.factorize(stamps, use_na_sentinel=True)
    naive_utc = instants.tz_localize(None).to_numpy(dtype="datetime64[us]")
    texts = np.char.add(np.datetime_as_string(naive_utc, unit="us"), "+00:00").astype(object)
    return np.append(texts, None)[codes].tolist()  # NaT's code -1 picks the trailing None


def _as_utc(values: pd.Series) -> pd.Series:
    """Timestamps (datetimes or ISO text) as tz-aware UTC; naive values are taken to be UTC."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _utc(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _to_db_value(value: Any, dialect: str) -> Any:
    if isinstance(value, datetime):
        stamp = _utc(value)
        return stamp.strftime(_SQLITE_TIMESTAMP_FORMAT) if dialect == "sqlite" else stamp.to_pydatetime()
    return value
