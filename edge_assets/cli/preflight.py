"""Checks a command makes before it starts work, and the one error type the CLI turns into one line.

An `OperatorError` is a failure the operator can fix (a bad option, a folder that cannot be written,
a database that does not answer); `edge-assets` prints its message, which names the input and says
what to do, and exits 2 without a traceback.
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import NoReturn

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

# A database that does not answer within this long counts as unreachable.
CONNECT_TIMEOUT_S = 5


class OperatorError(Exception):
    """A failure the operator can fix; its message is one line naming the input and what to do."""


def redacted_url(url: str) -> str:
    """A database URL without its password, fit for a message or a summary file."""
    return make_url(url).render_as_string(hide_password=True)


def require_writable_folder(path: Path, option: str) -> None:
    """Create `path` if needed and prove a file can be written in it, or raise an OperatorError."""
    probe = path / f".write-probe-{uuid.uuid4().hex}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        raise OperatorError(
            f"{option} {path} is not a writable folder ({reason}); choose one you can write to"
        ) from None


def require_database(url: str, option: str) -> None:
    """Open one connection to `url` and run a trivial query, or raise an OperatorError naming it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise OperatorError(f"{option}: {url!r} is not a SQLAlchemy database URL") from None
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    engine = create_engine(parsed, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise OperatorError(
            f"{option} {redacted_url(url)}: the database does not answer ({cause}); "
            "start it or point the option at a running one"
        ) from None
    finally:
        engine.dispose()


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (how many days, copies, ...)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")
