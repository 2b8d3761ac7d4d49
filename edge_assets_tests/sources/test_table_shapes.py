"""The parsers' table shapes must match the SQL migrations, the one schema source."""

from __future__ import annotations

import re

import pytest

from edge_assets.sources import TABLE_SHAPES
from edge_assets_tests.fixtures.paths import REPO_ROOT

SQL_KINDS = {
    "TEXT": "text",
    "DOUBLE PRECISION": "float",
    "INTEGER": "int",
    "BOOLEAN": "bool",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
}
COLUMN = re.compile(r"^\s+([a-z_]+)\s+(" + "|".join(SQL_KINDS) + r")\b(.*)$")
ADDED_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN ([a-z_]+) (" + "|".join(SQL_KINDS) + r")\b([^;]*);")


def sql_tables() -> dict[str, tuple[dict[str, str], set[str]]]:
    """{table: (column kinds in order, NOT NULL columns incl. primary keys)} from CREATE TABLEs
    and ADD COLUMNs, under the names later migrations rename them to."""
    tables = {}
    for path in sorted((REPO_ROOT / "sql" / "migrations").glob("*.sql")):
        sql = path.read_text()
        for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", sql, re.S):
            columns, not_null = {}, set()
            for line in body.splitlines():
                if match := COLUMN.match(line):
                    column, kind, rest = match.groups()
                    columns[column] = SQL_KINDS[kind]
                    if "NOT NULL" in rest or "PRIMARY KEY" in rest:
                        not_null.add(column)
                elif key := re.match(r"\s+PRIMARY KEY \((.*)\)", line):
                    not_null.update(part.strip() for part in key.group(1).split(","))
            tables[name] = (columns, not_null)
        for old, new in re.findall(r"ALTER TABLE (\w+) RENAME TO (\w+)", sql):
            tables[new] = tables.pop(old)
        for name, column, kind, rest in ADDED_COLUMN.findall(sql):  # appended after the others
            tables[name][0][column] = SQL_KINDS[kind]
            if "NOT NULL" in rest:
                tables[name][1].add(column)
    return tables


@pytest.mark.parametrize("table", sorted(TABLE_SHAPES))
def test_shape_matches_sql(table):
    columns, not_null = sql_tables()[table]
    shape = TABLE_SHAPES[table]
    assert shape.columns == columns
    assert list(shape.columns) == list(columns)
    assert shape.not_null == not_null
