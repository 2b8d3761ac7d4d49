"""The API's test worlds: the seeded warehouse on SQLite and on PostgreSQL (read as a read-only role),
clients over the app, and a real uvicorn server on loopback for the stream and the browser."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from edge_assets.api.app import ApiConfig, create_app
from edge_assets.storage.sql import SqlWarehouse
from edge_assets_tests.api.seed import World, seed
from edge_assets_tests.fixtures.postgres import PostgresServer, administer

DAGSTER_UI = "http://dagster.test:3000"
READ_ONLY_ROLE = "edge_api"
# What the lead's README documents for a production read-only role, run here as written. The role
# is cluster-wide, so it is created once; the grants are per database. FOR ROLE names the role that
# runs the migrations, so tables added later are readable too.
CREATE_ROLE_SQL = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READ_ONLY_ROLE}') THEN
        CREATE ROLE {READ_ONLY_ROLE} LOGIN PASSWORD 'not-a-secret' NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END $$;
ALTER ROLE {READ_ONLY_ROLE} SET default_transaction_read_only = on;
"""
GRANT_SQL = """
GRANT CONNECT ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT ON TABLES TO {role};
"""


def session_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory) -> tuple[str, World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'edge.db'}"
    return url, seed(SqlWarehouse(url), session_now())


def postgres_database(server: PostgresServer) -> tuple[str, str, Callable[[], None]]:
    """A new database: (owner URL, read-only role URL, drop)."""
    database = f"edge_api_{uuid.uuid4().hex[:12]}"
    administer(server, "CREATE DATABASE {}", database)
    owner_url = server.url(database)
    reader_url = make_url(owner_url).set(username=READ_ONLY_ROLE, password="not-a-secret")

    def drop() -> None:
        administer(server, "DROP DATABASE {} WITH (FORCE)", database)

    return owner_url, reader_url.render_as_string(hide_password=False), drop


def grant_read_only(server: PostgresServer, database_url: str) -> None:
    database = make_url(database_url).database
    connection = server.connect(database)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_ROLE_SQL)
        cursor.execute(GRANT_SQL.format(database=database, role=READ_ONLY_ROLE, owner="postgres"))
    connection.close()


@pytest.fixture(scope="session")
def postgres_world(postgres_server: PostgresServer) -> Iterator[tuple[str, World]]:
    owner_url, reader_url, drop = postgres_database(postgres_server)
    try:
        world = seed(SqlWarehouse(owner_url), session_now())
        grant_read_only(postgres_server, owner_url)
        yield reader_url, world
    finally:
        drop()


@pytest.fixture(params=["sqlite", "postgres"])
def world(request) -> tuple[str, World]:
    """(URL the API reads, the seeded world), on each dialect."""
    return request.getfixturevalue(f"{request.param}_world")


@pytest.fixture
def writer(world) -> SqlWarehouse:
    """The seeded warehouse with write access (the API's URL is read-only on PostgreSQL)."""
    url, _ = world
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(username="postgres", password=None)
    return SqlWarehouse(parsed.render_as_string(hide_password=False))


@pytest.fixture
def client(world) -> Iterator[TestClient]:
    url, seeded = world
    app = create_app(ApiConfig(database_url=url, dagster_ui_url=DAGSTER_UI, clock=lambda: seeded.now))
    with TestClient(app) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """The app under a real uvicorn server on loopback, in a thread; `url` is its base URL."""

    def __init__(self, config: ApiConfig):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = uvicorn.Config(create_app(config), host="127.0.0.1", port=self.port, log_config=None)
        self._server = uvicorn.Server(settings)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info) -> None:
        # Streams never end by themselves: ask uvicorn to stop, then force it past open streams.
        self._server.should_exit = True
        self._thread.join(timeout=3)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=10)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_world(request, tmp_path: Path) -> Iterator[tuple[str, str, World]]:
    """A seeded warehouse of this test's own, for tests that write: (API URL, writer URL, world)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'edge.db'}"
        yield url, url, seed(SqlWarehouse(url), session_now())
        return
    server = request.getfixturevalue("postgres_server")
    owner_url, reader_url, drop = postgres_database(server)
    try:
        world = seed(SqlWarehouse(owner_url), session_now())
        grant_read_only(server, owner_url)
        yield reader_url, owner_url, world
    finally:
        drop()
