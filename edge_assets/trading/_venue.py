"""The CLOB order client, thin over py-clob-client. Private: only `trading.guard` may import it.

The guard builds the venue with its seal, and `place` refuses any clearance not sealed by that guard,
so an order reaches the venue only after the risk guard has passed it (`test_guard_is_the_only_road`
checks the imports). A transient failure (429, 5xx, a timeout) is retried by re-posting the SAME
signed order; before each retry and after the last, the venue is asked (GET /data/orders and
/data/trades) whether the order already got through, so an accepted order whose answer was lost is
never sent twice. Errors are reported by status and venue message only: the client's own exception
text is never passed on, as a request's headers carry the API key and passphrase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak
from poly_eip712_structs import make_domain
from py_clob_client.client import ClobClient
from py_clob_client.clob_types import ApiCreds, OpenOrderParams, OrderArgs, OrderType, TradeParams
from py_clob_client.exceptions import PolyApiException
from py_clob_client.order_builder.constants import BUY

from edge_assets.notify.logs import get_logger, redact_from_logs
from edge_assets.trading.limits import ExecutionSettings, VenueCredentials

log = get_logger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


# An order posted without an answer whose retries ran out: the venue may still take it (a late
# request is handled after the client gave up), so it is neither failed nor placed until the trader's
# sweep reconciles it.
UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class VenueFill:
    trade_id: str
    price: float
    size: float


@dataclass(frozen=True)
class VenueOutcome:
    """What became of one order: its hash (the venue's order id), status, fills and tries."""

    order_id: str | None
    status: str  # matched, live, unmatched, rejected, failed
    attempts: int
    fills: list[VenueFill] = field(default_factory=list)
    error: str | None = None

    @property
    def size_matched(self) -> float:
        return sum(fill.size for fill in self.fills)


class VenueError(Exception):
    """A refused or failed venue call, described without the request (which holds credentials)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"venue answered {status or 'no response'}: {message}")
        self.status = status
        self.transient = status is None or status in TRANSIENT_STATUSES


def _venue_error(error: PolyApiException) -> VenueError:
    message = error.error_msg
    if isinstance(message, dict):
        message = message.get("error") or message.get("errorMsg") or str(message)
    return VenueError(error.status_code, str(message)[:200])


class ClobVenue:
    """Places sealed clearances on a CLOB at `url` through py-clob-client."""

    def __init__(
        self,
        url: str,
        credentials: VenueCredentials,
        settings: ExecutionSettings,
        seal: object,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = ClobClient(url, chain_id=credentials.chain_id, key=credentials.private_key)
        self._credentials = credentials
        self._settings = settings
        self._seal = seal
        self._sleep = sleep
        self._placed: set[str] = set()

    def place(self, clearance: Any, on_signed: Callable[[str], None] | None = None) -> VenueOutcome:
        """Sign and post the cleared order once (retrying only the same signed order). `on_signed`
        hears the order's id before it is first posted, so a crash mid-placement leaves a record."""
        if getattr(clearance, "seal", None) is not self._seal:
            raise PermissionError("an order reaches the venue only with the risk guard's clearance")
        if clearance.clearance_id in self._placed:
            raise PermissionError("a clearance is good for one order")
        self._placed.add(clearance.clearance_id)
        order = clearance.order
        attempts = 0
        order_id: str | None = None
        signed = None
        last_error: VenueError | None = None
        unanswered_post = False  # a post that got no answer may still reach the venue
        while attempts < self._settings.max_attempts:
            attempts += 1
            posting = False
            try:
                self._authenticate()
                if signed is None:
                    # Signing fetches tick size, neg-risk and fee rate: nothing is sent yet, so a
                    # failure here is retried like any transient one.
                    signed = self._client.create_order(
                        OrderArgs(token_id=order.token_id, price=order.price, size=order.size, side=BUY)
                    )
                    order_id = self._order_hash(signed, order.token_id)
                    if on_signed is not None:
                        on_signed(order_id)
                else:
                    found = self.reconcile(order_id, order.token_id)
                    if found is not None:
                        return VenueOutcome(order_id, found[0], attempts, found[1])
                posting = True
                answer = self._client.post_order(signed, getattr(OrderType, self._settings.order_type))
                status = str(answer.get("status") or "live") if isinstance(answer, dict) else "live"
                if isinstance(answer, dict) and answer.get("success") is False:
                    return VenueOutcome(
                        order_id, "rejected", attempts, error=str(answer.get("errorMsg"))[:200]
                    )
                return VenueOutcome(order_id, status, attempts, self._fills(order_id, order.token_id))
            except PolyApiException as error:
                last_error = _venue_error(error)
            except VenueError as error:
                last_error = error
            unanswered_post = unanswered_post or (posting and last_error.status is None)
            if not last_error.transient:
                if signed is not None and (found := self._reconcile_quietly(order_id, order.token_id)):
                    # A refused re-post (the venue's duplicate check) of an order that got through.
                    return VenueOutcome(order_id, found[0], attempts, found[1])
                return VenueOutcome(order_id if signed else None, "rejected", attempts, error=str(last_error))
            log.warning(
                "venue call failed, retrying", order_id=order_id, attempt=attempts, error=str(last_error)
            )
            self._sleep(self._settings.retry_backoff_seconds * attempts)
        if signed is not None and (found := self._reconcile_quietly(order_id, order.token_id)):
            return VenueOutcome(order_id, found[0], attempts, found[1])
        if unanswered_post:
            return VenueOutcome(order_id, UNCONFIRMED, attempts, error=str(last_error))
        return VenueOutcome(order_id if signed else None, "failed", attempts, error=str(last_error))

    def _authenticate(self) -> None:
        """Give the client its L2 credentials once, before its first authenticated call."""
        if self._client.creds is None:
            self._client.set_api_creds(self._api_creds())

    def _api_creds(self) -> ApiCreds:
        given = self._credentials
        if given.api_key and given.api_secret and given.api_passphrase:
            return ApiCreds(given.api_key, given.api_secret, given.api_passphrase)
        try:
            derived = self._client.create_or_derive_api_creds()
        except PolyApiException as error:
            raise _venue_error(error) from None
        if derived is None:  # the client logs and swallows a failed derivation
            raise VenueError(None, "could not create or derive the CLOB API credentials")
        redact_from_logs([derived.api_key, derived.api_secret, derived.api_passphrase])
        return derived

    def _order_hash(self, signed: Any, token_id: str) -> str:
        """The order's EIP-712 hash, which the CLOB uses as its order id (known before posting)."""
        domain = make_domain(
            name="Polymarket CTF Exchange",
            version="1",
            chainId=str(self._client.chain_id),
            verifyingContract=self._client.get_exchange_address(self._client.get_neg_risk(token_id)),
        )
        return "0x" + keccak(signed.order.signable_bytes(domain=domain)).hex().removeprefix("0x")

    def _fills(self, order_id: str, token_id: str) -> list[VenueFill]:
        try:
            trades = self._client.get_trades(TradeParams(asset_id=token_id))
        except PolyApiException as error:
            raise _venue_error(error) from None
        return [
            VenueFill(str(trade["id"]), float(trade["price"]), float(trade["size"]))
            for trade in trades
            if trade.get("taker_order_id") == order_id
        ]

    def reconcile(self, order_id: str, token_id: str) -> tuple[str, list[VenueFill]] | None:
        """(status, fills) of an order the venue knows, or None when it never arrived; a VenueError
        when the venue cannot tell now. Reads only: GET /data/trades, then /data/orders."""
        self._authenticate()
        fills = self._fills(order_id, token_id)
        if fills:
            return "matched", fills
        try:
            orders = self._client.get_orders(OpenOrderParams(id=order_id))
        except PolyApiException as error:
            raise _venue_error(error) from None
        known = [entry for entry in orders if entry.get("id") == order_id]
        if known:
            return str(known[0].get("status") or "live").lower(), []
        return None

    def _reconcile_quietly(self, order_id: str, token_id: str) -> tuple[str, list[VenueFill]] | None:
        try:
            return self.reconcile(order_id, token_id)
        except VenueError:
            return None
