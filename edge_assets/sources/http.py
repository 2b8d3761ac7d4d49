"""A small, careful HTTP client shared by every venue.

`VenueClient` wraps a `requests.Session` with connect/read timeouts and bounded retries
(exponential backoff with full jitter) on 429, 5xx, timeouts, connection errors and
undecodable bodies; any other 4xx fails at once. API keys travel as query parameters, so
every URL, body excerpt, header, log line and exception leaving this module goes through
`redact` first, and transport exceptions are never chained (their messages embed the URL).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

import requests

logger = logging.getLogger(__name__)

REDACTED = "***"
BODY_EXCERPT_CHARS = 300
USER_AGENT = "edge_assets/0.1 (+https://github.com/edge-assets)"


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
    request's full path, query string included)."""

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
    """From now on, write `secrets` as *** in the records of the named third-party loggers."""
    _LOG_REDACTION.secrets.update(secret for secret in secrets if secret)
    for name in logger_names:
        target = logging.getLogger(name)
        if _LOG_REDACTION not in target.filters:
            target.addFilter(_LOG_REDACTION)


@dataclass(frozen=True)
class Payload:
    """One decoded venue response, safe to store: nothing in it carries a secret."""

    url: str
    status: int
    fetched_at: datetime
    data: Any
    text: str
    headers: dict[str, str]
    attempts: int


@dataclass(frozen=True)
class RetryEvent:
    """What `VenueClient` tells its `on_retry` hook before it sleeps and tries again."""

    url: str
    attempt: int
    max_attempts: int
    delay_s: float
    reason: str
    status: int | None


class VenueHTTPError(RuntimeError):
    """A request that failed for good: a non-retryable status, or retries exhausted.

    `status` is None when no response arrived (timeout, connection error). `url` and
    `body_excerpt` are already redacted.
    """

    def __init__(self, message: str, *, status: int | None, url: str, body_excerpt: str = "") -> None:
        self.status = status
        self.url = url
        self.body_excerpt = body_excerpt
        detail = f"{message} [status={status}, url={url}]"
        if body_excerpt:
            detail += f" body: {body_excerpt}"
        super().__init__(detail)


@dataclass(frozen=True)
class _Failure:
    """Internal: why one attempt failed in a way worth retrying."""

    reason: str
    status: int | None
    body_excerpt: str = ""
    retry_after_s: float | None = None


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Parse a Retry-After header, given either as delta seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class VenueClient:
    """JSON-over-HTTP client for one venue base URL, with retries and secret redaction.

    `secrets` are redacted from everything this client emits; pass the API key here as
    well as in the request params. `sleep` and `rng` exist so tests can observe waits.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        max_attempts: int = 5,
        backoff_base_s: float = 0.5,
        max_backoff_s: float = 30.0,
        max_retry_after_s: float = 60.0,
        secrets: Iterable[str] = (),
        on_retry: Callable[[RetryEvent], None] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.secrets = tuple(s for s in secrets if s)
        self.on_retry = on_retry
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self._sleep = sleep
        self._rng = rng or random.Random()
        redact_from_logs(self.secrets, "urllib3.connectionpool")

    def redact(self, text: str) -> str:
        """Redact this client's secrets from `text`."""
        return redact(text, self.secrets)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Payload:
        """GET `path` (relative to the base URL) and decode its JSON body."""
        return self.request("GET", path, params=params)

    def post(self, path: str, json_body: Any, params: Mapping[str, Any] | None = None) -> Payload:
        """POST a JSON body to `path` and decode the JSON response."""
        return self.request("POST", path, params=params, json_body=json_body)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Payload:
        """Send one logical request, retrying transient failures up to `max_attempts` times.

        Failures travel as values, not exceptions, so the error finally raised has no
        `__context__` chain leading back to a requests exception (whose text holds the URL).
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        shown_url = self.redact(requests.Request(method, url, params=params).prepare().url or url)
        for attempt in range(1, self.max_attempts + 1):
            outcome = self._attempt(method, url, params, json_body, attempt)
            if isinstance(outcome, Payload):
                return outcome
            if attempt == self.max_attempts:
                break
            delay = self._backoff_delay(attempt, outcome.retry_after_s)
            logger.warning(
                "Retrying %s %s in %.2fs (attempt %d/%d failed: %s)",
                method,
                shown_url,
                delay,
                attempt,
                self.max_attempts,
                outcome.reason,
            )
            if self.on_retry is not None:
                self.on_retry(
                    RetryEvent(shown_url, attempt, self.max_attempts, delay, outcome.reason, outcome.status)
                )
            self._sleep(delay)
        raise VenueHTTPError(
            f"{method} failed after {self.max_attempts} attempts: {outcome.reason}",
            status=outcome.status,
            url=shown_url,
            body_excerpt=outcome.body_excerpt,
        )

    def _attempt(
        self, method: str, url: str, params: Mapping[str, Any] | None, json_body: Any, attempt: int
    ) -> Payload | _Failure:
        """One HTTP exchange: a Payload, a retryable `_Failure`, or a raised non-retryable error."""
        try:
            response = self.session.request(method, url, params=params, json=json_body, timeout=self.timeout)
        except requests.Timeout:
            # Only the class name: requests' messages contain the full URL, key included.
            return _Failure("timeout", status=None)
        except requests.ConnectionError as exc:
            return _Failure(f"connection error ({type(exc).__name__})", status=None)

        # JSON is UTF-8 by definition; without this, requests guesses (slowly) from the bytes.
        response.encoding = response.encoding or "utf-8"
        shown_url = self.redact(response.url or url)
        text = self.redact(response.text)
        excerpt = text[:BODY_EXCERPT_CHARS]
        status = response.status_code
        fetched_at = datetime.now(UTC)
        if status == 429:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"), fetched_at)
            return _Failure("429 Too Many Requests", status, excerpt, retry_after)
        if status >= 500:
            return _Failure(f"server error {status}", status, excerpt)
        if status >= 400:
            raise VenueHTTPError(
                f"{method} rejected with {status} (not retried)",
                status=status,
                url=shown_url,
                body_excerpt=excerpt,
            )
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            # A truncated or garbled body is usually transient (proxy hiccup, partial write).
            return _Failure("response body is not valid JSON", status, excerpt)
        headers = {name: self.redact(value) for name, value in response.headers.items()}
        return Payload(shown_url, status, fetched_at, data, text, headers, attempt)

    def _backoff_delay(self, attempt: int, retry_after_s: float | None) -> float:
        """Seconds to wait before the next attempt.

        The server's Retry-After wins (capped by `max_retry_after_s`); otherwise full
        jitter: uniform between 0 and the exponential ceiling, which spreads retries
        from many workers instead of synchronising them.
        """
        if retry_after_s is not None:
            return min(retry_after_s, self.max_retry_after_s)
        ceiling = min(self.max_backoff_s, self.backoff_base_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    def close(self) -> None:
        """Close the underlying session's connections."""
        self.session.close()
