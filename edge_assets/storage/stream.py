"""The per-market odds stream: normalised quote changes on NATS JetStream (no Dagster here).

Every change is one JSON message on the subject `odds.<venue>.<market>`, all in one JetStream
stream (`ODDS` by default) that keeps each subject's newest messages up to a count and an age.
Publishing sets the `Nats-Msg-Id` header to the change's id, a hash of its content, so the server
stores a change published again within the duplicate window once.

Writers' consumers are durable pull consumers with explicit acks. Each has its own name and position and sees
every message of its subjects; a batch is acked only after the handler returned, so a consumer
restarted under the same name resumes at the first message it had not acked. Delivery is at least
once: a consumer that dies after its handler ran but before its acks reached the server is given
that batch again, so handlers must be idempotent (the warehouse writer is, by primary key).

Readers that keep no position in the broker (the API's change stream) `follow` the stream instead:
an ordered consumer, ephemeral and unacked, from a stream sequence the reader keeps itself; the
client library recreates it from the last sequence seen when it misses heartbeats or a message.

The broker URL may carry a user and password or a token; they never appear in a log line or an
exception raised here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import string
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from edge_assets.notify.logs import get_logger, redact, redact_from_logs

SCHEMA_VERSION = 1
VENUES = frozenset({"polymarket", "sportsbook", "predictit"})
# The canonical quotes' sides: a book's `back` price; a prediction market's best `ask` and `bid`.
SIDES = frozenset({"ask", "bid", "back"})
SUBJECT_ROOT = "odds"
ALL_SUBJECTS = f"{SUBJECT_ROOT}.>"
MSG_ID_HEADER = "Nats-Msg-Id"
CONNECT_TIMEOUT_SECONDS = 10.0
# How long one fetch waits for messages: bounds how late a consumer notices `stop`.
FETCH_WAIT_SECONDS = 0.5
# How long a batch's acks wait for the broker's confirmation. nats-py's 1 s default timed out under
# load (a 5,000-token live service on a busy 2-core machine: 9 failed warehouse-copy steps in 20
# minutes), failing the consumer's step and bringing the whole batch back after the ack wait.
ACK_TIMEOUT_SECONDS = 10.0
# An ordered consumer's heartbeat: two missed ones make the client recreate it.
FOLLOW_HEARTBEAT_SECONDS = 2.0
# How long a follower waits for a message before it asks whether its consumer still exists.
FOLLOW_CHECK_SECONDS = 3 * FOLLOW_HEARTBEAT_SECONDS
_SUBJECT_SAFE = frozenset(string.ascii_letters + string.digits + "-_")
# nats-server's error code for "stream name already in use with a different configuration".
_STREAM_NAME_IN_USE = 10058
# PredictIt legs as the canonical quotes read them: (outcome, side) -> predictit_market_data column.
PREDICTIT_LEGS = {
    ("Yes", "ask"): "best_buy_yes_cost",
    ("No", "ask"): "best_buy_no_cost",
    ("Yes", "bid"): "best_sell_yes_cost",
    ("No", "bid"): "best_sell_no_cost",
}

_LOG = get_logger(__name__)

JsonScalar = str | int | float | bool | None


class StreamError(RuntimeError):
    """The broker could not be reached or refused a request (the message carries no secret)."""


def subject_token(value: str) -> str:
    """`value` as one subject token: letters, digits, `-` and `_` kept, every other byte as `~XX`.

    NATS splits subjects on dots and treats `*` and `>` as wildcards, so ids must be encoded; the
    encoding is one-to-one, so two markets never share a subject.
    """
    if not value:
        raise ValueError("an empty id cannot name a subject")
    return "".join(
        char if char in _SUBJECT_SAFE else "".join(f"~{byte:02X}" for byte in char.encode()) for char in value
    )


def market_subject(venue: str, market_id: str) -> str:
    """The subject of one market's changes, e.g. `odds.polymarket.512345`."""
    return f"{SUBJECT_ROOT}.{venue}.{subject_token(market_id)}"


def venue_subjects(venue: str) -> str:
    """The filter matching every market of one venue, e.g. `odds.predictit.>`."""
    return f"{SUBJECT_ROOT}.{venue}.>"


@dataclass(frozen=True)
class QuoteChange:
    """One venue price that changed, as it travels on the stream.

    `price` is the venue's own number: the cost of one share (0-1) on Polymarket and PredictIt,
    decimal odds for a sportsbook's `back`; None when the side has no offer any more. `token_id` is
    the tradeable instrument (Polymarket CLOB token, PredictIt contract `data_id`; None for books).
    `details` holds venue fields the common ones do not cover, as JSON scalars: for PredictIt, the
    contract's whole `predictit_market_data` row. `change_id` defaults to a hash of everything but
    `published_at`, so the same change built twice has the same id.
    """

    venue: str
    market_id: str
    outcome: str
    side: str
    price: float | None
    source_ts: datetime
    size: float | None = None
    bookmaker: str = ""
    token_id: str | None = None
    event_id: str | None = None
    details: Mapping[str, JsonScalar] = field(default_factory=dict)
    change_id: str = ""
    published_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.venue not in VENUES:
            raise ValueError(f"venue must be one of {sorted(VENUES)}, not {self.venue!r}")
        if self.side not in SIDES:
            raise ValueError(f"side must be one of {sorted(SIDES)}, not {self.side!r}")
        if not self.market_id or not self.outcome:
            raise ValueError("a quote change needs a market_id and an outcome")
        for name in ("price", "size"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite non-negative number or None, not {value!r}")
        if self.venue == "sportsbook" and not self.bookmaker:
            raise ValueError("a sportsbook quote change needs its bookmaker")
        object.__setattr__(self, "bookmaker", self.bookmaker or self.venue)
        object.__setattr__(self, "source_ts", _utc(self.source_ts, "source_ts"))
        if self.published_at is not None:
            object.__setattr__(self, "published_at", _utc(self.published_at, "published_at"))
        object.__setattr__(self, "details", dict(self.details))
        if not self.change_id:
            object.__setattr__(self, "change_id", self._content_hash())

    @property
    def subject(self) -> str:
        return market_subject(self.venue, self.market_id)

    def to_message(self) -> dict[str, Any]:
        """The message body as a dict: the fields, timestamps as ISO 8601 UTC, and the schema version."""
        # Shallow: dataclasses.asdict deep-copies every value, which is most of a publish's cost.
        body = {item.name: getattr(self, item.name) for item in fields(self)}
        body["details"] = dict(self.details)
        body["source_ts"] = _iso(self.source_ts)
        body["published_at"] = _iso(self.published_at) if self.published_at else None
        return {"schema": SCHEMA_VERSION, **body}

    def encode(self) -> bytes:
        return json.dumps(self.to_message(), allow_nan=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> QuoteChange:
        """Read a message body; ValueError or TypeError when it is not this schema's."""
        body = json.loads(data)
        if not isinstance(body, dict) or body.pop("schema", None) != SCHEMA_VERSION:
            raise ValueError(f"not a version {SCHEMA_VERSION} quote change")
        body["source_ts"] = datetime.fromisoformat(body["source_ts"])
        if body.get("published_at"):
            body["published_at"] = datetime.fromisoformat(body["published_at"])
        return cls(**body)

    def _content_hash(self) -> str:
        body = self.to_message()
        del body["change_id"], body["published_at"]
        canonical = json.dumps(body, sort_keys=True, allow_nan=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def predictit_quote_changes(row: Mapping[str, Any]) -> list[QuoteChange]:
    """The four legs (Yes/No, ask/bid) of one `predictit_market_data` row, each carrying the whole
    row in `details`, so any one leg lets a consumer restore the row. A leg without an offer has
    price None: the offer going away is a change too."""
    details = {
        name: json_scalar(value) for name, value in row.items() if name not in ("data_id", "timestamp")
    }
    return [
        QuoteChange(
            venue="predictit",
            market_id=str(row["market_id"]),
            token_id=str(row["data_id"]),
            outcome=outcome,
            side=side,
            price=details[column],
            source_ts=row["timestamp"],
            details=details,
        )
        for (outcome, side), column in PREDICTIT_LEGS.items()
    ]


def predictit_row(change: QuoteChange) -> dict[str, JsonScalar | datetime]:
    """The `predictit_market_data` row a PredictIt leg carries (see `predictit_quote_changes`)."""
    return {**change.details, "data_id": change.token_id, "timestamp": change.source_ts}


def json_scalar(value: Any) -> JsonScalar:
    """A table value as a JSON scalar: numpy scalars unwrapped, NaN/NaT as None, instants as ISO text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # pandas' NaT is a datetime that is not equal to itself.
        return None if value != value else _iso(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} is not a JSON scalar")


@dataclass(frozen=True)
class StreamSettings:
    """The stream's name and bounds, and how long a consumer may hold a batch before redelivery."""

    name: str = "ODDS"
    max_msgs_per_subject: int = 10_000
    max_age: timedelta | None = timedelta(days=7)
    duplicate_window: timedelta = timedelta(minutes=2)
    ack_wait: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if self.max_msgs_per_subject <= 0 and not self.max_age:
            raise ValueError("the stream needs a bound: max_msgs_per_subject > 0 or a max_age")

    def stream_config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=[ALL_SUBJECTS],
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_msgs_per_subject=self.max_msgs_per_subject if self.max_msgs_per_subject > 0 else -1,
            max_age=self.max_age.total_seconds() if self.max_age else None,
            duplicate_window=self.duplicate_window.total_seconds(),
        )


Handler = Callable[[list[QuoteChange]], Awaitable[None]]


class QuoteStream:
    """One connection to the broker, with the odds stream ensured: created, or its bounds updated."""

    def __init__(self, client: Client, settings: StreamSettings) -> None:
        self._client = client
        self._jetstream = client.jetstream()
        self.settings = settings

    @classmethod
    async def connect(
        cls,
        url: str,
        settings: StreamSettings | None = None,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        ensure: bool = True,
    ) -> QuoteStream:
        """Connect to `url` (`nats://[user:password@|token@]host:port`) and, with `ensure`, ensure the
        stream (a reader passes False: the stream's bounds are its writers' to set)."""
        secrets = url_secrets(url)
        # nats-py logs connection trouble itself; its lines must not carry the credentials either.
        redact_from_logs(secrets, "nats.aio.client")

        async def log_error(error: Exception) -> None:
            _LOG.warning("stream_connection_error", error=redact(f"{type(error).__name__}: {error}", secrets))

        client = Client()
        try:
            # Reconnects never stop once connected (a live service rides out a broker restart), and
            # nats-py applies that to the first connect too, so the first connect has a deadline.
            await asyncio.wait_for(
                client.connect(url, name="edge-assets", error_cb=log_error, max_reconnect_attempts=-1),
                timeout=connect_timeout,
            )
        except Exception as error:
            await client.close()
            # The client's own message may quote the URL it was given, so only a redacted copy leaves.
            reason = redact(f"{type(error).__name__}: {error}", secrets)
            raise StreamError(
                f"cannot connect to the stream broker at {redact(url, secrets)}: {reason}"
            ) from None
        stream = cls(client, settings or StreamSettings())
        if not ensure:
            return stream
        try:
            await stream.ensure_stream()
        except BaseException:
            await client.close()
            raise
        return stream

    async def close(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> QuoteStream:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def is_connected(self) -> bool:
        """Whether the connection is up now (it reconnects by itself after a broker outage)."""
        return self._client.is_connected

    async def last_sequence(self) -> int:
        """The stream sequence of the newest message (0 for an empty stream or none yet)."""
        try:
            return (await self._jetstream.stream_info(self.settings.name)).state.last_seq
        except NotFoundError:
            return 0

    async def follow(
        self, after: int, *, subjects: Sequence[str] = (ALL_SUBJECTS,)
    ) -> AsyncIterator[tuple[int, QuoteChange]]:
        """The changes on `subjects` after stream sequence `after`, in stream order, each with its
        sequence, without end. Nothing is acked or kept in the broker; a message this schema cannot
        read is logged and skipped. Raises StreamError when the stream does not exist or the
        consumer is lost (a broker restart), nats' errors when the broker cannot be asked: the
        caller follows again from the last sequence it got."""
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            filter_subjects=list(subjects),
        )
        try:
            subscription = await self._jetstream.subscribe(
                subjects[0], stream=self.settings.name, config=config, ordered_consumer=True,
                idle_heartbeat=FOLLOW_HEARTBEAT_SECONDS,
            )  # fmt: skip
        except NotFoundError:
            raise StreamError(f"the stream {self.settings.name} does not exist yet") from None
        last = after
        try:
            while True:
                try:
                    message = await subscription.next_msg(timeout=FOLLOW_CHECK_SECONDS)
                except nats.errors.TimeoutError:
                    # Quiet: is the consumer still there? A restarted broker has lost it, and the
                    # client's own recreation gives up when it fails once.
                    await _consumer_exists(subscription)
                    continue
                except nats.errors.ConnectionClosedError:
                    raise StreamError("the connection to the stream broker was closed") from None
                sequence = message.metadata.sequence.stream
                # The client recreates a consumer that went quiet from the last sequence it saw, or
                # from the stream's start when it saw none: what came already is skipped here.
                if sequence <= last:
                    continue
                last = sequence
                try:
                    change = QuoteChange.decode(message.data)
                except (ValueError, TypeError, KeyError) as error:
                    _log_unreadable(message, error)
                    continue
                yield sequence, change
        finally:
            await _unsubscribe_quietly(subscription)

    async def publish(self, change: QuoteChange) -> bool:
        """Publish one change and wait for the broker; False when it was a duplicate it already had."""
        return await self.publish_many([change]) == 1

    async def publish_many(self, changes: Iterable[QuoteChange]) -> int:
        """Publish changes without waiting for each ack in turn; return how many the broker stored
        (duplicates of a change it holds within the duplicate window are not)."""
        pending = []
        for change in changes:
            stamped = replace(change, published_at=datetime.now(UTC))
            pending.append(
                await self._jetstream.publish_async(
                    stamped.subject,
                    stamped.encode(),
                    stream=self.settings.name,
                    headers={MSG_ID_HEADER: stamped.change_id},
                )
            )
        acks = await asyncio.gather(*pending)
        return sum(not ack.duplicate for ack in acks)

    async def consume(
        self,
        durable: str,
        handler: Handler,
        *,
        subjects: Sequence[str] = (ALL_SUBJECTS,),
        batch: int = 100,
        idle_timeout: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> int:
        """Hand the durable consumer `durable`'s messages on `subjects` to `handler`, in batches of
        up to `batch` in stream order, until `stop` is set or, with `idle_timeout`, until no message
        came for that many seconds; return how many changes were handled.

        The consumer is created on first use, starting at the stream's oldest message, and keeps
        its position in the broker. A batch is acked once `handler` returns; if it raises, the batch
        is handed back for redelivery (nak) and the error propagates. A message this schema cannot
        read is logged and terminated, since it would otherwise come back forever.
        """
        subscription = await self._durable_subscription(durable, subjects, batch)
        handled = 0
        last_message_at = time.monotonic()
        try:
            while stop is None or not stop.is_set():
                messages = await _fetch(subscription, batch)
                if messages:
                    handled += await _deliver(messages, handler)
                    last_message_at = time.monotonic()
                elif idle_timeout is not None and time.monotonic() - last_message_at >= idle_timeout:
                    break
        finally:
            await subscription.unsubscribe()
        return handled

    async def ensure_stream(self) -> None:
        """Create the stream, or update its bounds to the settings' when it exists with others."""
        config = self.settings.stream_config()
        try:
            await self._jetstream.add_stream(config)
        except BadRequestError as error:
            if error.err_code != _STREAM_NAME_IN_USE:
                raise
            # The stream exists with other bounds: the configured ones win.
            await self._jetstream.update_stream(config)

    async def _durable_subscription(self, durable: str, subjects: Sequence[str], batch: int) -> Any:
        config = ConsumerConfig(
            durable_name=durable,
            filter_subjects=list(subjects),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.settings.ack_wait.total_seconds(),
            # Redeliver until handled: dropping a change after N failures would lose it.
            max_deliver=-1,
            max_ack_pending=max(batch, 1_000),
        )
        # Creating a durable that exists is a no-op, or updates its subjects; its position stays.
        await self._jetstream.add_consumer(self.settings.name, config)
        return await self._jetstream.pull_subscribe_bind(durable, self.settings.name)


def url_secrets(url: str) -> list[str]:
    """The user and password (or token) a broker URL carries, raw and as written."""
    parts = urlsplit(url)
    found = {part for part in (parts.username, parts.password) if part}
    return sorted(found | {unquote(part) for part in found})


async def _consumer_exists(subscription: Any) -> None:
    """Raise StreamError when the subscription's consumer is gone from the broker; the client's
    errors (no connection, no answer) propagate as they are."""
    try:
        await subscription.consumer_info()
    except NotFoundError:
        raise StreamError("the stream broker lost this reader's consumer") from None


async def _unsubscribe_quietly(subscription: Any) -> None:
    """Drop a subscription; with the connection gone there is nothing to tell the server."""
    try:
        await subscription.unsubscribe()
    except (nats.errors.ConnectionClosedError, nats.errors.BadSubscriptionError):
        pass


async def _fetch(subscription: Any, batch: int) -> list[Msg]:
    try:
        return await subscription.fetch(batch, timeout=FETCH_WAIT_SECONDS)
    except (TimeoutError, nats.errors.TimeoutError):  # nats-py raises either when idle
        return []


async def _deliver(messages: list[Msg], handler: Handler) -> int:
    changes: list[QuoteChange] = []
    readable: list[Msg] = []
    for message in messages:
        try:
            changes.append(QuoteChange.decode(message.data))
            readable.append(message)
        except (ValueError, TypeError, KeyError) as error:
            _log_unreadable(message, error)
            await message.term()
    if changes:
        try:
            await handler(changes)
        except Exception:
            # Cancellation is not caught: those messages come back after the ack wait instead.
            await asyncio.gather(*(message.nak() for message in readable))
            raise
    await asyncio.gather(*(message.ack_sync(timeout=ACK_TIMEOUT_SECONDS) for message in readable))
    return len(changes)


def _log_unreadable(message: Msg, error: Exception) -> None:
    _LOG.error(
        "stream_message_unreadable",
        subject=message.subject,
        stream_seq=message.metadata.sequence.stream,
        error=str(error),
    )


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
