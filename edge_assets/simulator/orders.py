"""Polymarket's CLOB order side: API credentials, L1/L2 authentication, signed-order checks, matching
against the simulated book, and the order and trade log `/data/orders` and `/data/trades` read.

Signatures are checked as the CLOB checks them: the L1 header is an EIP-712 `ClobAuth` signature by
POLY_ADDRESS, the L2 header an HMAC of timestamp + method + path + body under the key's secret, and
an order's signature must recover its `signer` over the CTF Exchange domain (the neg-risk exchange
for neg-risk markets). The order's EIP-712 hash is its id, so the same signed order twice is a
duplicate. Chain: Polygon (137), the client's production chain.

Liquidity: a fill takes its size out of the book level it hit for the rest of that world minute
(`/book` serves what is left); the next minute's book is drawn afresh from the world. Orders that
rest (GTC and GTD remainders) are listed as LIVE and never fill later: nothing trades against them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from eth_account import Account
from eth_utils import keccak
from poly_eip712_structs import make_domain
from py_clob_client.config import get_contract_config
from py_clob_client.signing.eip712 import MSG_TO_SIGN, get_clob_auth_domain
from py_clob_client.signing.hmac import build_hmac_signature
from py_clob_client.signing.model import ClobAuth
from py_order_utils.model.order import Order

CHAIN_ID = 137
MICRO = 1_000_000  # USDC and outcome shares both carry 6 decimals on chain
END_CURSOR = "LTE="  # the CLOB's last-page cursor
ORDER_TYPES = ("GTC", "GTD", "FOK", "FAK")
SIDES = {"BUY": 0, "SELL": 1}

# The real CLOB's messages (py-clob-client and docs.polymarket.com's error codes).
UNAUTHORIZED = "Unauthorized/Invalid api key"
INVALID_L1 = "Invalid L1 Request headers"
INVALID_PAYLOAD = "Invalid order payload"
NOT_OWNER = "the order owner has to be the owner of the API KEY"
INVALID_SIGNATURE = "invalid signature"
INVALID_TICK = "order is invalid. Price breaks minimum tick size rules"
INVALID_MIN_SIZE = "order is invalid. Size lower than the minimum"
DUPLICATED = "order is invalid. Duplicated. Same order has already been placed, can't be placed again"
FOK_NOT_FILLED = "order couldn't be fully filled, FOK orders are fully filled/killed"
FAK_NOT_FILLED = (
    "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."
)
NO_MARKET = "the market is not yet ready to process new orders"


class ClobError(Exception):
    """A request the CLOB refuses: answered with `status` and `{"error": message}`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ApiCredentials:
    address: str
    api_key: str
    secret: str
    passphrase: str

    def body(self) -> dict:
        """The shape `POST /auth/api-key` and `GET /auth/derive-api-key` answer with."""
        return {"apiKey": self.api_key, "secret": self.secret, "passphrase": self.passphrase}


class Credentials:
    """API keys by key. Keys derive deterministically from (address, nonce) under a per-simulator
    secret, so creating and deriving give the same credentials, as the real CLOB's do."""

    def __init__(self, seed: int):
        self._root = hashlib.sha256(f"edge-simulator-clob:{seed}".encode()).digest()
        self._keys: dict[str, ApiCredentials] = {}
        self._lock = threading.Lock()

    def issue(self, headers: Mapping[str, str]) -> ApiCredentials:
        """Credentials for the L1-authenticated address in `headers`."""
        address, nonce = verify_l1(headers)
        digest = hmac.new(self._root, f"{address.lower()}:{nonce}".encode(), hashlib.sha256).digest()
        hex_key = digest[:16].hex()
        key = f"{hex_key[:8]}-{hex_key[8:12]}-{hex_key[12:16]}-{hex_key[16:20]}-{hex_key[20:]}"
        issued = ApiCredentials(
            address=address,
            api_key=key,
            secret=base64.urlsafe_b64encode(digest).decode(),
            passphrase=hashlib.sha256(digest).hexdigest(),
        )
        with self._lock:
            self._keys[key] = issued
        return issued

    def verify_l2(self, headers: Mapping[str, str], method: str, path: str, body: bytes) -> ApiCredentials:
        """The credentials whose HMAC signs this request (path without query, body as sent)."""
        with self._lock:
            known = self._keys.get(headers.get("poly_api_key", ""))
        if known is None or not hmac.compare_digest(headers.get("poly_passphrase", ""), known.passphrase):
            raise ClobError(401, UNAUTHORIZED)
        if headers.get("poly_address", "").lower() != known.address.lower():
            raise ClobError(401, UNAUTHORIZED)
        timestamp = headers.get("poly_timestamp", "")
        expected = build_hmac_signature(known.secret, timestamp, method, path, body.decode() or None)
        if not hmac.compare_digest(headers.get("poly_signature", ""), expected):
            raise ClobError(401, UNAUTHORIZED)
        return known


def verify_l1(headers: Mapping[str, str]) -> tuple[str, int]:
    """(address, nonce) of a valid L1 header set: a `ClobAuth` EIP-712 signature by POLY_ADDRESS."""
    try:
        address, timestamp = headers["poly_address"], headers["poly_timestamp"]
        nonce = int(headers.get("poly_nonce", "0"))
        message = ClobAuth(address=address, timestamp=timestamp, nonce=nonce, message=MSG_TO_SIGN)
        digest = keccak(message.signable_bytes(get_clob_auth_domain(CHAIN_ID)))
        signer = Account._recover_hash(
            digest, signature=bytes.fromhex(headers["poly_signature"].removeprefix("0x"))
        )
    except (KeyError, ValueError, TypeError) as error:
        raise ClobError(401, INVALID_L1) from error
    if signer.lower() != address.lower():
        raise ClobError(401, INVALID_L1)
    return signer, nonce


def order_hash(order: dict, neg_risk: bool) -> bytes:
    """The EIP-712 hash of a posted order (the `order` of `POST /order`'s body) on its exchange."""
    struct = Order(
        salt=int(order["salt"]),
        maker=order["maker"],
        signer=order["signer"],
        taker=order["taker"],
        tokenId=int(order["tokenId"]),
        makerAmount=int(order["makerAmount"]),
        takerAmount=int(order["takerAmount"]),
        expiration=int(order["expiration"]),
        nonce=int(order["nonce"]),
        feeRateBps=int(order["feeRateBps"]),
        side=SIDES[order["side"]],
        signatureType=int(order["signatureType"]),
    )
    exchange = get_contract_config(CHAIN_ID, neg_risk).exchange
    domain = make_domain(
        name="Polymarket CTF Exchange", version="1", chainId=str(CHAIN_ID), verifyingContract=exchange
    )
    return keccak(struct.signable_bytes(domain=domain))


Levels = list[tuple[int, float]]  # (price in mills, size in shares), best first


@dataclass
class Booked:
    """What the simulator knows of a token's book at placement: its levels and trading rules."""

    token: str
    market_id: str  # the condition id
    outcome: str
    minute: int
    bids: Levels
    asks: Levels
    tick_mills: int
    min_size: float
    neg_risk: bool


@dataclass
class PlacedOrder:
    order_id: str
    owner: str
    maker_address: str
    booked: Booked
    side: str
    price_mills: int
    size_micro: int
    order_type: str
    expiration: str
    created_at: int
    matched_micro: int = 0
    status: str = "LIVE"
    trade_ids: list[str] = field(default_factory=list)

    def body(self) -> dict:
        """The order as `GET /data/orders` and `/data/order/{id}` list it."""
        return {
            "id": self.order_id,
            "status": self.status,
            "owner": self.owner,
            "maker_address": self.maker_address,
            "market": self.booked.market_id,
            "asset_id": self.booked.token,
            "side": self.side,
            "original_size": _shares(self.size_micro),
            "size_matched": _shares(self.matched_micro),
            "price": _price(self.price_mills),
            "outcome": self.booked.outcome,
            "expiration": self.expiration,
            "order_type": self.order_type,
            "associate_trades": list(self.trade_ids),
            "created_at": self.created_at,
        }


def _shares(micro: int) -> str:
    """Micro units (shares or USDC) as the CLOB writes amounts: "10.5", not "10.500000"."""
    return format(Decimal(micro).scaleb(-6).normalize(), "f")


def _price(mills: int) -> str:
    return format(Decimal(mills).scaleb(-3).normalize(), "f")


class OrderBookLedger:
    """The CLOB's matching engine and its log: orders by id, trades, and depth taken by fills."""

    def __init__(self, credentials: Credentials):
        self.credentials = credentials
        self._orders: dict[str, PlacedOrder] = {}
        self._trades: list[dict] = []
        self._taken: dict[tuple[str, int, str, int], int] = {}  # (token, minute, side, mills) -> micro
        self._filled_minutes: set[tuple[str, int]] = set()  # (token, minute) of every key in _taken
        self._lock = threading.Lock()

    def remaining(self, token: str, minute: int, bids: Levels, asks: Levels) -> tuple[Levels, Levels]:
        """The levels left once this minute's fills are taken out (emptied levels are dropped).

        A minute without fills keeps its levels as they are: the world's sizes are whole hundredths
        of a share, which the round trip through micro-shares leaves unchanged."""
        with self._lock:
            if (token, minute) not in self._filled_minutes:
                return bids, asks
            return self._left(token, minute, "bid", bids), self._left(token, minute, "ask", asks)

    def _left(self, token: str, minute: int, side: str, levels: Levels) -> Levels:
        left = []
        for mills, size in levels:
            micro = round(size * MICRO) - self._taken.get((token, minute, side, mills), 0)
            if micro > 0:
                left.append((mills, micro / MICRO))
        return left

    def place(
        self, owner: ApiCredentials, payload: dict, booked: Callable[[str], Booked | None], now_ts: float
    ) -> dict:
        """Check, match and log one `POST /order` body; the answer as the CLOB gives it."""
        try:
            order, order_type = payload["order"], payload.get("orderType", "GTC")
            token, side = str(order["tokenId"]), order["side"]
            maker_amount, taker_amount = int(order["makerAmount"]), int(order["takerAmount"])
            signature = bytes.fromhex(str(order["signature"]).removeprefix("0x"))
        except (KeyError, TypeError, ValueError) as error:
            raise ClobError(400, INVALID_PAYLOAD) from error
        if side not in SIDES or order_type not in ORDER_TYPES or maker_amount <= 0 or taker_amount <= 0:
            raise ClobError(400, INVALID_PAYLOAD)
        if payload.get("owner") != owner.api_key:
            raise ClobError(400, NOT_OWNER)
        book = booked(token)
        if book is None:
            raise ClobError(400, NO_MARKET)
        try:
            digest = order_hash(order, book.neg_risk)
            signer = Account._recover_hash(digest, signature=signature)
        except (KeyError, TypeError, ValueError) as error:
            raise ClobError(400, INVALID_SIGNATURE) from error
        if signer.lower() != str(order["signer"]).lower():
            raise ClobError(400, INVALID_SIGNATURE)
        order_id = "0x" + digest.hex()
        # BUY: maker pays USDC for taker-amount shares; SELL: maker gives shares for USDC.
        size_micro, usdc_micro = (
            (taker_amount, maker_amount) if side == "BUY" else (maker_amount, taker_amount)
        )
        price = Fraction(usdc_micro, size_micro)
        if (price * 1000).denominator != 1 or int(price * 1000) % book.tick_mills:
            raise ClobError(400, INVALID_TICK)
        if Fraction(size_micro, MICRO) < Fraction(str(book.min_size)):
            raise ClobError(400, INVALID_MIN_SIZE)
        with self._lock:
            if order_id in self._orders:
                raise ClobError(400, DUPLICATED)
            placed = PlacedOrder(
                order_id=order_id,
                owner=owner.api_key,
                maker_address=str(order["maker"]),
                booked=book,
                side=side,
                price_mills=int(price * 1000),
                size_micro=size_micro,
                order_type=order_type,
                expiration=str(order.get("expiration", "0")),
                created_at=int(now_ts),
            )
            fills = self._walk(placed)
            filled = sum(micro for _, micro in fills)
            if order_type == "FOK" and filled < size_micro:
                raise ClobError(400, FOK_NOT_FILLED)
            if order_type == "FAK" and filled == 0:
                raise ClobError(400, FAK_NOT_FILLED)
            trades = [self._fill(placed, mills, micro, now_ts) for mills, micro in fills]
            placed.matched_micro = filled
            if filled == size_micro or order_type in ("FOK", "FAK"):
                placed.status = "MATCHED"
            self._orders[order_id] = placed
        spent = sum(Fraction(mills * micro, 1000) for mills, micro in fills)
        taking, making = (filled, spent) if side == "BUY" else (spent, filled)
        return {
            "errorMsg": "",
            "orderID": order_id,
            "takingAmount": _shares(int(taking)) if trades else "",
            "makingAmount": _shares(int(making)) if trades else "",
            "status": "matched" if trades else "live",
            "transactionsHashes": [trade["transaction_hash"] for trade in trades],
            "success": True,
        }

    def _walk(self, placed: PlacedOrder) -> list[tuple[int, int]]:
        """(price in mills, micro shares) taken from the opposite side at its prices, best first,
        up to the order's limit and size."""
        book = placed.booked
        buying = placed.side == "BUY"
        levels = self._left(
            book.token, book.minute, "ask" if buying else "bid", book.asks if buying else book.bids
        )
        wanted, fills = placed.size_micro, []
        for mills, size in levels:
            if wanted == 0 or (mills > placed.price_mills if buying else mills < placed.price_mills):
                break
            micro = min(wanted, round(size * MICRO))
            fills.append((mills, micro))
            wanted -= micro
        return fills

    def _fill(self, placed: PlacedOrder, mills: int, micro: int, now_ts: float) -> dict:
        book = placed.booked
        key = (book.token, book.minute, "ask" if placed.side == "BUY" else "bid", mills)
        self._taken[key] = self._taken.get(key, 0) + micro
        self._filled_minutes.add((book.token, book.minute))
        trade_id = hashlib.sha256(f"{placed.order_id}:{mills}".encode()).hexdigest()[:32]
        trade = {
            "id": trade_id,
            "taker_order_id": placed.order_id,
            "market": book.market_id,
            "asset_id": book.token,
            "side": placed.side,
            "size": _shares(micro),
            "fee_rate_bps": "0",
            "price": _price(mills),
            "status": "MATCHED",
            "match_time": str(int(now_ts)),
            "last_update": str(int(now_ts)),
            "outcome": book.outcome,
            "owner": placed.owner,
            "maker_address": placed.maker_address,
            "transaction_hash": "0x" + hashlib.sha256(f"tx:{trade_id}".encode()).hexdigest(),
            "bucket_index": 0,
            "maker_orders": [],
            "trader_side": "TAKER",
            "type": "TRADE",
        }
        self._trades.append(trade)
        placed.trade_ids.append(trade_id)
        return trade

    def cancel(self, owner: ApiCredentials, body: bytes) -> dict:
        """`DELETE /order` with `{"orderID": ...}`: a LIVE order of the owner's is cancelled."""
        try:
            order_id = str(json.loads(body)["orderID"])
        except (ValueError, TypeError, KeyError) as error:
            raise ClobError(400, "Invalid order payload") from error
        with self._lock:
            placed = self._orders.get(order_id)
            if placed is None or placed.owner != owner.api_key:
                return {"canceled": [], "not_canceled": {order_id: "order not found"}}
            if placed.status != "LIVE":
                return {
                    "canceled": [],
                    "not_canceled": {order_id: "order can't be found - already canceled or matched"},
                }
            placed.status = "CANCELED"
        return {"canceled": [order_id], "not_canceled": {}}

    def order(self, owner: ApiCredentials, order_id: str) -> dict | None:
        with self._lock:
            placed = self._orders.get(order_id)
            return placed.body() if placed is not None and placed.owner == owner.api_key else None

    def orders(self, owner: ApiCredentials, query: Mapping[str, str | None]) -> dict:
        """The owner's orders (all states, so a matched order can be reconciled), filtered by `id`,
        `market` and `asset_id` as `GET /data/orders` is; one page."""
        with self._lock:
            rows = [o.body() for o in self._orders.values() if o.owner == owner.api_key]
        rows = _filtered(rows, query, {"id": "id", "market": "market", "asset_id": "asset_id"})
        return {"data": rows, "next_cursor": END_CURSOR, "limit": len(rows), "count": len(rows)}

    def trades(self, owner: ApiCredentials, query: Mapping[str, str | None]) -> dict:
        """The owner's trades, filtered by `id`, `market`, `asset_id` and `maker_address`; one page."""
        with self._lock:
            rows = [dict(t) for t in self._trades if t["owner"] == owner.api_key]
        names = {"id": "id", "market": "market", "asset_id": "asset_id", "maker_address": "maker_address"}
        rows = _filtered(rows, query, names)
        return {"data": rows, "next_cursor": END_CURSOR, "limit": len(rows), "count": len(rows)}


def _filtered(rows: list[dict], query: Mapping[str, str | None], names: Mapping[str, str]) -> list[dict]:
    for param, column in names.items():
        wanted = query.get(param)
        if wanted:
            rows = [row for row in rows if str(row[column]).lower() == wanted.lower()]
    return rows
