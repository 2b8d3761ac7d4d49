"""Storage tests run against both dialects: a SQLite file and the session's real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each dialect in turn (PostgreSQL is started only when needed)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'edge.db'}"
    return request.getfixturevalue("postgres_url")
