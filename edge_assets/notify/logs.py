"""Structured logs, configured in one place, and the secret redaction every log line goes through.

`configure_logging` (the `edge-assets` command calls it) puts one handler on the root logger that
writes every record, ours and third parties', as one JSON line: `timestamp`, `level`, `component`
(the logger's name), `event` (the message) and its context: the keyword arguments given to a
`get_logger` logger, the `extra=` of a stdlib one, and whatever is bound with
`structlog.contextvars.bound_contextvars(run_id=..., token=...)`. Secrets registered with
`redact_from_logs` are written as *** in every value of every line.

structlog is not configured globally: Dagster configures it for its own loggers unless it is
configured already, and Dagster's logging is left as it is.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any
from urllib.parse import quote, quote_plus

import structlog

REDACTED = "***"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Return `text` with every secret, raw or URL-encoded, replaced by `***`.

    Encoded forms cover query strings (`quote_plus`), paths (`quote`) and fully escaped
    values; matching ignores case because percent-escapes may be written `%2f` or `%2F`.
    A match must stand alone (not inside a longer word), so a short key such as a test's
    "k" cannot mangle `sport_key` in a response body while `apiKey=k` is still caught.
    """
    forms = {
        form
        for secret in secrets
        if secret
        for form in (secret, quote(secret), quote(secret, safe=""), quote_plus(secret))
    }
    if not forms:
        return text
    # Longest first, so a raw secret inside an encoded form cannot leave a tail behind.
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])(?:{alternatives})(?![\w-])", REDACTED, text, flags=re.IGNORECASE)


class _SecretRedactingFilter(logging.Filter):
    """Redacts known secrets from third-party log lines (urllib3's DEBUG lines print each
    request's full path, query string included), whichever handler writes them."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = redact(record.getMessage(), self.secrets)
            record.args = None
        return True


_LOG_REDACTION = _SecretRedactingFilter()


def redact_from_logs(secrets: Iterable[str | None], *logger_names: str) -> None:
    """From now on, write `secrets` as *** in JSON lines and in the records of the named loggers."""
    _LOG_REDACTION.secrets.update(secret for secret in secrets if secret)
    for name in logger_names:
        target = logging.getLogger(name)
        if _LOG_REDACTION not in target.filters:
            target.addFilter(_LOG_REDACTION)


def get_logger(component: str) -> structlog.stdlib.BoundLogger:
    """A logger for `component` (pass `__name__`) whose keyword arguments become fields of the line.

    It hands plain stdlib records (message plus `extra`) to the logger named `component`, so
    pytest's caplog, Dagster's captured logs and `configure_logging`'s handler all see them.
    """
    return structlog.wrap_logger(
        logging.getLogger(component),
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def _add_component(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    event_dict.setdefault("component", event_dict["_record"].name)
    return event_dict


def _redacted(value: Any, secrets: set[str]) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {key: _redacted(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item, secrets) for item in value]
    return redact(str(value), secrets)


def _redact_secrets(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Redact every value, after exceptions are formatted, so a traceback's text is covered too."""
    secrets = _LOG_REDACTION.secrets
    if not secrets:
        return event_dict
    return {key: _redacted(value, secrets) for key, value in event_dict.items()}


def _formatter(json: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.ExtraAdder(),
            structlog.stdlib.add_log_level,
            _add_component,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_secrets,
            renderer,
        ],
    )


_handler: logging.Handler | None = None


def configure_logging(
    level: int | str = "INFO",
    *,
    json: bool = True,
    stream: IO[str] | None = None,
    third_party_level: int | str = "WARNING",
) -> logging.Handler:
    """Write log records to `stream` (stderr by default) as JSON lines, or as aligned text.

    `level` applies to the `edge_assets` loggers, `third_party_level` to everything else, so a
    run's output is not buried in the INFO lines of libraries. Calling it again replaces the
    handler it installed before; it returns the handler it installs.
    """
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(stream or sys.stderr)
    _handler.setFormatter(_formatter(json))
    root.addHandler(_handler)
    root.setLevel(third_party_level)
    logging.getLogger("edge_assets").setLevel(level)
    return _handler
