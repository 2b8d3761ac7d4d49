"""A small, careful HTTP client shared by every venue.

`VenueClient` wraps a `requests.Session` with connect/read timeouts and bounded retries
(tenacity: exponential backoff with full jitter, a 429's Retry-After winning) on 429, 5xx,
timeouts, connection errors and undecodable bodies; any other 4xx fails at once. Tenacity
rather than urllib3's `Retry` on the session's adapter, because urllib3 retries before the body
is read and so cannot retry a truncated JSON body. API keys travel as query parameters, so
every URL, body excerpt, header, log line and exception leaving this module goes through
`redact` first, and transport exceptions are never chained (their messages embed the URL).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
import tenacity
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from edge_assets.notify.logs import get_logger, redact, redact_from_logs

logger = get_logger(__name__)

BODY_EXCERPT_CHARS = 300
USER_AGENT = "edge_assets/0.1 (+https://github.com/edge-assets)"
# Only its header parser is used: delta seconds or an HTTP date, never negative.
_RETRY_AFTER = Retry()
# orjson reads an integer beyond 64 bits as a float where json keeps it exact; such a literal has
# 19 digits or more, found as a run of zeros once every digit is mapped to a zero.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19
_ZEROS = re.compile(rb"0*")


def _may_hold_long_integer(text: str) -> bool:
    """Whether `text` has a run of 19+ digits where a JSON number can start (at the document's
    start or after `[`, `:` or `,`, a minus and whitespace); runs inside strings (token ids, hashes)
    are preceded by a quote or a letter instead. A string such as "a:1234...", read as such a
    number, only costs the slower decoder."""
    digits = text.encode().translate(_DIGITS_AS_ZEROS)
    start = digits.find(_LONG_DIGIT_RUN)
    while start != -1:
        before = start - 1
        if before >= 0 and digits[before] == ord("-"):
            before -= 1
        while before >= 0 and digits[before] in b" \t\r\n":
            before -= 1
        if before < 0 or digits[before] in b"[:,":
            return True
        start = digits.find(_LONG_DIGIT_RUN, _ZEROS.match(digits, start).end())
    return False


def decode_json(text: str) -> Any:
    """`json.loads(text)`, read by orjson wherever the two agree (simulator book batches and
    odds snapshots in about 0.75 of json's time, the digit-run check included).

    json also reads what orjson refuses (NaN and Infinity literals, numbers beyond a double's
    range, lone surrogate escapes): those bodies fall back to it, as do bodies that may hold an
    integer beyond 64 bits. So every body decodes as it did with json, and an invalid one raises
    json's ValueError.
    """
    if not _may_hold_long_integer(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


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


def _retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds; None when absent or unreadable (then backoff applies)."""
    if not value:
        return None
    try:
        return _RETRY_AFTER.parse_retry_after(value)
    except InvalidHeader:
        return None


def _is_failure(outcome: Payload | _Failure) -> bool:
    return isinstance(outcome, _Failure)


def _last_failure(state: tenacity.RetryCallState) -> _Failure:
    """Retries spent: hand the last failure back as a value, to be raised without a chain."""
    return state.outcome.result()


class VenueClient:
    """JSON-over-HTTP client for one venue base URL, with retries and secret redaction.

    `secrets` are redacted from everything this client emits; pass the API key here as
    well as in the request params. `sleep` exists so tests can observe waits.
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
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_attempts = max_attempts
        self.max_retry_after_s = max_retry_after_s
        self.secrets = tuple(s for s in secrets if s)
        self.on_retry = on_retry
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self._sleep = sleep
        self._backoff = tenacity.wait_random_exponential(multiplier=backoff_base_s, max=max_backoff_s)
        redact_from_logs(self.secrets, "urllib3.connectionpool")

    def redact(self, text: str) -> str:
        """Redact this client's secrets from `text`."""
        return redact(text, self.secrets)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Payload:
        """GET `path` (relative to the base URL) and decode its JSON body."""
        return self.request("GET", path, params=params)

    def post(self, path: str, json_body: Any, params: Mapping[str, Any] | None = None) -> Payload:
        """POST a JSON body to `path` and decode the JSON response.

        Retried like a GET: every venue POST (the CLOB's `/books`) is a read.
        """
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
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_result(_is_failure),
            before_sleep=functools.partial(self._report_retry, method, shown_url),
            retry_error_callback=_last_failure,
            sleep=self._sleep,
        )
        outcome = retrying(self._attempt, method, url, params, json_body)
        if isinstance(outcome, _Failure):
            raise VenueHTTPError(
                f"{method} failed after {self.max_attempts} attempts: {outcome.reason}",
                status=outcome.status,
                url=shown_url,
                body_excerpt=outcome.body_excerpt,
            )
        return dataclasses.replace(outcome, attempts=retrying.statistics["attempt_number"])

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """The server's Retry-After (capped by `max_retry_after_s`) if it sent one, else full
        jitter: uniform under a doubling ceiling, which spreads retries from many workers."""
        retry_after_s = state.outcome.result().retry_after_s
        if retry_after_s is not None:
            return min(retry_after_s, self.max_retry_after_s)
        return self._backoff(state)

    def _report_retry(self, method: str, shown_url: str, state: tenacity.RetryCallState) -> None:
        failure: _Failure = state.outcome.result()
        attempt, delay_s = state.attempt_number, state.upcoming_sleep
        event = RetryEvent(shown_url, attempt, self.max_attempts, delay_s, failure.reason, failure.status)
        logger.warning(
            "retrying request",
            method=method,
            url=event.url,
            attempt=event.attempt,
            max_attempts=event.max_attempts,
            delay_s=round(event.delay_s, 3),
            reason=event.reason,
            status=event.status,
        )
        if self.on_retry is not None:
            self.on_retry(event)

    def _attempt(
        self, method: str, url: str, params: Mapping[str, Any] | None, json_body: Any
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
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
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
            data = decode_json(text) if text.strip() else None
        except ValueError:
            # A truncated or garbled body is usually transient (proxy hiccup, partial write).
            return _Failure("response body is not valid JSON", status, excerpt)
        headers = {name: self.redact(value) for name, value in response.headers.items()}
        return Payload(shown_url, status, fetched_at, data, text, headers, attempts=1)

    def close(self) -> None:
        """Close the underlying session's connections."""
        self.session.close()
