"""Who may read: the bearer token, loopback-only binding without one, the read-only connection, and
an unreadable database answered with 503s that name no secret."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from edge_assets import cli
from edge_assets.api.app import ApiConfig, create_app
from edge_assets.api.database import ReadOnlyWarehouse
from edge_assets.api.server import check_binding
from edge_assets_tests.api.conftest import free_port

TOKEN = "tok-3f9c1a"


@pytest.fixture
def guarded(sqlite_world) -> TestClient:
    url, _ = sqlite_world
    with TestClient(create_app(ApiConfig(database_url=url, token=TOKEN))) as client:
        yield client


@pytest.mark.parametrize(
    "path", ["/api/latest", "/api/signals", "/api/health", "/api/markets/pm-nba-1/history"]
)
def test_with_a_token_every_api_path_needs_it_as_a_bearer_header(guarded, path):
    assert guarded.get(path).status_code == 401
    assert guarded.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get(path, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    missing = guarded.get(path)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_page_and_spec_load_without_the_token_and_hold_no_data(guarded):
    assert guarded.get("/").status_code == 200
    assert guarded.get("/static/app.js").status_code == 200
    spec = guarded.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_without_a_token_the_api_is_open_and_says_no_security(sqlite_world):
    url, _ = sqlite_world
    with TestClient(create_app(ApiConfig(database_url=url))) as client:
        assert client.get("/api/signals").status_code == 200
        assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_token(host):
    check_binding(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_any_other_address_needs_a_token(host):
    with pytest.raises(SystemExit, match="EDGE_API_TOKEN"):
        check_binding(host, None)
    check_binding(host, TOKEN)


def test_serve_refuses_a_public_bind_without_a_token_before_listening(monkeypatch, tmp_path):
    monkeypatch.delenv("EDGE_API_TOKEN", raising=False)
    monkeypatch.setenv("EDGE_HOME", str(tmp_path))
    with pytest.raises(SystemExit, match="needs a token"):
        cli.main(["serve", "--host", "0.0.0.0", "--port", "1"])


def test_the_api_connection_cannot_write(world):
    url, _ = world
    engine = ReadOnlyWarehouse(url).engine()
    with pytest.raises(SQLAlchemyError, match="read-only|readonly|permission denied"):
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM signals"))


def test_an_unreachable_database_is_a_503_that_names_no_secret(postgres_server):
    # A closed port on loopback, with a password that must not appear anywhere in the answer.
    url = f"postgresql+psycopg2://edge_api:hunter2-secret@127.0.0.1:{free_port()}/edge"
    with TestClient(create_app(ApiConfig(database_url=url))) as client:
        for path in ["/api/latest", "/api/signals", "/api/health"]:
            response = client.get(path)
            assert response.status_code == 503
            assert "hunter2" not in response.text
        assert client.get("/api/health").json()["database"]["ok"] is False


def test_the_api_package_imports_no_dagster():
    code = (
        "import importlib, pkgutil, sys, edge_assets.api as package\n"
        "for info in pkgutil.walk_packages(package.__path__, 'edge_assets.api.'):\n"
        "    importlib.import_module(info.name)\n"
        "print('dagster' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
