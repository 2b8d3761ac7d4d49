"""Where alerts go: Slack through a bot token (dagster-slack), Slack incoming webhooks, generic webhooks.

Every sink sends one message for a batch of alerts (`send`), retrying 429s, 5xx answers, timeouts
and connection errors with exponential backoff and full jitter (a 429's Retry-After wins); any
other rejection fails at once. Failure is a `SinkError` whose text is redacted and which chains
no transport exception, because webhook URLs and bot tokens are secrets and transport errors
quote the URL they failed on.
"""

from __future__ import annotations

import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

import requests
from dagster_slack import SlackResource
from slack_sdk.errors import SlackApiError

from edge_assets.notify.formatting import slack_message, webhook_document
from edge_assets.notify.logs import redact, redact_from_logs

logger = logging.getLogger(__name__)

BODY_EXCERPT_CHARS = 200


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a sink tries before the send counts as failed (and waits for the next delivery run).

    Waits are short on purpose: delivery runs inside a sensor tick, and a failed alert is retried
    on the next run anyway.
    """

    max_attempts: int = 3
    backoff_base_s: float = 0.5
    max_backoff_s: float = 4.0
    max_retry_after_s: float = 30.0
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


class SinkError(RuntimeError):
    """A send that failed for good; the message names the sink and the reason, never a secret."""

    def __init__(self, sink: str, reason: str, status: int | None = None) -> None:
        self.sink = sink
        self.reason = reason
        self.status = status
        super().__init__(f"{sink}: {reason}")


@dataclass(frozen=True)
class _Failure:
    """One attempt that failed; `retryable` says whether another attempt may succeed."""

    reason: str
    retryable: bool
    status: int | None = None
    retry_after_s: float | None = None


# urllib3 prints each request's path, slack_sdk its request, at DEBUG.
THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "slack_sdk.web.base_client")


class AlertSink(ABC):
    """A destination for alerts. Subclasses make one attempt; this class retries and redacts."""

    def __init__(
        self,
        name: str,
        secrets: Iterable[str],
        *,
        dagster_ui_url: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.dagster_ui_url = dagster_ui_url
        self.retry = retry or RetryPolicy()
        self._secrets = tuple(secret for secret in secrets if secret)
        self._sleep = sleep
        self._rng = rng or random.Random()
        redact_from_logs(self._secrets, *THIRD_PARTY_LOGGERS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"

    def send(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Deliver the alerts as one message, or raise SinkError once the retries are spent."""
        for attempt in range(1, self.retry.max_attempts + 1):
            failure = self._attempt(alerts)
            if failure is None:
                return
            if not failure.retryable or attempt == self.retry.max_attempts:
                break
            delay = self._backoff_delay(attempt, failure.retry_after_s)
            logger.warning(
                "%s: attempt %d/%d failed (%s); retrying in %.2fs",
                self.name,
                attempt,
                self.retry.max_attempts,
                self._redact(failure.reason),
                delay,
            )
            self._sleep(delay)
        suffix = f" after {attempt} attempt{'s' if attempt > 1 else ''}"
        raise SinkError(self.name, self._redact(failure.reason) + suffix, failure.status)

    @abstractmethod
    def _attempt(self, alerts: Sequence[Mapping[str, Any]]) -> _Failure | None:
        """One delivery attempt: None on success, else why it failed."""

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _backoff_delay(self, attempt: int, retry_after_s: float | None) -> float:
        """The server's Retry-After (capped) if it gave one, else full jitter under an exponential ceiling."""
        if retry_after_s is not None:
            return min(retry_after_s, self.retry.max_retry_after_s)
        ceiling = min(self.retry.max_backoff_s, self.retry.backoff_base_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)


def _url_secrets(url: str) -> list[str]:
    """The forms in which a secret URL may be quoted: whole, and its path with and without the query.

    Transport errors quote only the path (`Max retries exceeded with url: /services/...`).
    """
    parts = urlsplit(url)
    path_and_query = parts.path + (f"?{parts.query}" if parts.query else "")
    return [url, path_and_query, parts.path] if parts.path not in ("", "/") else [url]


def _shown_url(url: str) -> str:
    """The URL as logs may show it: scheme and host, path hidden."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}/***"


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in delta seconds (what Slack sends); an HTTP date or junk means 'use backoff'."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class _JsonPostSink(AlertSink):
    """A sink that POSTs a JSON document to a secret URL with requests."""

    def __init__(self, name: str, url: str, **options: Any) -> None:
        if not url:
            raise ValueError(f"{name} needs a URL")
        super().__init__(f"{name} {_shown_url(url)}", _url_secrets(url), **options)
        self._url = url
        self._session = requests.Session()

    @abstractmethod
    def _document(self, alerts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The JSON body for these alerts."""

    def _attempt(self, alerts: Sequence[Mapping[str, Any]]) -> _Failure | None:
        try:
            response = self._session.post(
                self._url, json=self._document(alerts), timeout=self.retry.timeout_s
            )
        except requests.Timeout:
            # Only the class name: requests' messages quote the URL.
            return _Failure("timeout", retryable=True)
        except requests.RequestException as error:
            return _Failure(f"connection error ({type(error).__name__})", retryable=True)
        status = response.status_code
        if status < 300:
            return None
        excerpt = self._redact(response.text[:BODY_EXCERPT_CHARS])
        if status == 429:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            return _Failure(f"429 Too Many Requests: {excerpt}", True, status, retry_after)
        return _Failure(f"HTTP {status}: {excerpt}", retryable=status >= 500, status=status)


class SlackWebhookSink(_JsonPostSink):
    """A Slack incoming webhook (`https://hooks.slack.com/services/...`, a secret URL)."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__("slack-webhook", url, **options)

    def _document(self, alerts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return slack_message(alerts, self.dagster_ui_url)


class GenericWebhookSink(_JsonPostSink):
    """Any HTTP endpoint taking `{"source": "edge_assets", "alerts": [...]}` (see `webhook_document`)."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__("webhook", url, **options)

    def _document(self, alerts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return webhook_document(alerts, self.dagster_ui_url)


class SlackBotSink(AlertSink):
    """Slack's chat.postMessage through dagster-slack's `SlackResource` (a bot token) into one channel.

    `api_url` overrides Slack's Web API base URL (GovSlack, or a local stand-in).
    """

    def __init__(
        self, slack: SlackResource, channel: str, *, api_url: str | None = None, **options: Any
    ) -> None:
        if not channel:
            raise ValueError("SlackBotSink needs a channel")
        super().__init__(f"slack-bot #{channel.lstrip('#')}", [slack.token], **options)
        self._channel = channel
        self._client = slack.get_client()
        self._client.timeout = int(max(1, self.retry.timeout_s))
        # This class owns the retries; slack_sdk's own handlers would multiply the attempts.
        self._client.retry_handlers = []
        if api_url:
            self._client.base_url = api_url.rstrip("/") + "/"

    def _attempt(self, alerts: Sequence[Mapping[str, Any]]) -> _Failure | None:
        message = slack_message(alerts, self.dagster_ui_url)
        try:
            self._client.chat_postMessage(
                channel=self._channel, text=message["text"], blocks=message["blocks"]
            )
        except SlackApiError as error:
            status = error.response.status_code
            slack_error = error.response.get("error") if isinstance(error.response.data, dict) else None
            reason = f"Slack API {status}: {slack_error or 'no error code'}"
            if status == 429:
                retry_after = _retry_after_seconds(error.response.headers.get("Retry-After"))
                return _Failure(reason, True, status, retry_after)
            return _Failure(reason, retryable=status >= 500, status=status)
        except (URLError, OSError) as error:
            # URLError and socket timeouts; the class name only, as for the webhooks.
            return _Failure(f"connection error ({type(error).__name__})", retryable=True)
        return None
