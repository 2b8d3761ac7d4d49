"""Asset checks shared by every group: each table-producing asset is validated by its Pandera
schema on the rows it most recently wrote."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from edge_assets.quality.schemas import validate
from edge_assets.storage.db import Warehouse

SCHEMA_CHECK = "pandera_schema"
# Partitioned and append-only tables are judged on their recent rows, not their whole history.
RECENT_WINDOW = timedelta(hours=48)
MAX_FAILURE_ROWS = 20


def schema_check(asset: str, table: str, recent_column: str | None = None) -> dg.AssetChecksDefinition:
    """A Pandera check of `table` (written by `asset`): types, ranges, keys, no future timestamps."""

    @dg.asset_check(
        asset=asset,
        name=SCHEMA_CHECK,
        description=f"`{table}` matches its Pandera schema: types, ranges, keys, no future timestamps.",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        frame = _recent_rows(warehouse, table, recent_column)
        failures = validate(table, frame)
        if failures is None:
            return dg.AssetCheckResult(passed=True, metadata={"rows_checked": len(frame)})
        summary = failures.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_checked": len(frame),
                "failure_cases": len(failures),
                "failed_checks": dg.MetadataValue.md(summary.head(MAX_FAILURE_ROWS).to_markdown(index=False)),
            },
        )

    return _check


def _recent_rows(warehouse: Warehouse, table: str, column: str | None):
    if column is None:
        return warehouse.read_frame(f"SELECT * FROM {table}")  # table names come from code, never input
    latest = warehouse.read_frame(f"SELECT MAX({column}) AS latest_ts FROM {table}")["latest_ts"].iloc[0]
    if latest is None or latest != latest:  # empty table: MAX is NULL
        return warehouse.read_frame(f"SELECT * FROM {table} WHERE 1 = 0")
    return warehouse.read_frame(
        f"SELECT * FROM {table} WHERE {column} >= :since", {"since": latest - RECENT_WINDOW}
    )
