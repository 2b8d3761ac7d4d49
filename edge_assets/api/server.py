"""`edge-assets serve`: the API and page under uvicorn, on loopback unless a token guards it."""

from __future__ import annotations

import argparse
import ipaddress

from sqlalchemy.engine import make_url

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
TOKEN_VARIABLE = "EDGE_API_TOKEN"


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a token: the API would be open to the network."""
    if not is_loopback(host) and not token:
        raise SystemExit(f"edge-assets serve: binding {host} needs a token; set {TOKEN_VARIABLE}")


def run_serve(
    args: argparse.Namespace,
    database_url: str,
    token: str | None,
    dagster_ui_url: str | None,
    stream_url: str | None = None,
) -> int:
    """Serve until interrupted; /api/stream follows the odds stream at `stream_url` when given."""
    import uvicorn

    from edge_assets.api.app import ApiConfig, create_app
    from edge_assets.notify.logs import redact_from_logs

    check_binding(args.host, token)
    # The stream URL's credentials are registered by the stream's own connect.
    redact_from_logs([token, make_url(database_url).password])
    config = ApiConfig(
        database_url=database_url, token=token, dagster_ui_url=dagster_ui_url, stream_url=stream_url
    )
    app = create_app(config)
    print(f"API and page on http://{args.host}:{args.port}/ (spec: /openapi.json); Ctrl-C stops it")
    # log_config=None: uvicorn's records go through the JSON handler `edge-assets` configured.
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0
