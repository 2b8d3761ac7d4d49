"""Invariants of the simulator's CLOB matching engine, on orders signed by py-order-utils' builder and
placed straight on the ledger: fills never beat a limit or exceed a level, the depth they take is
exactly what the book then lacks, FOK is all or nothing, a resubmission never fills."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_account import Account
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from py_clob_client.config import get_contract_config
from py_order_utils.builders import OrderBuilder
from py_order_utils.model import OrderData
from py_order_utils.signer import Signer

from edge_assets.simulator import orders

KEY = Account.create().key.hex()
SIGNER = Signer(KEY)
BUILDER = OrderBuilder(get_contract_config(orders.CHAIN_ID).exchange, orders.CHAIN_ID, SIGNER)
OWNER = orders.ApiCredentials(SIGNER.address(), "key", "c2VjcmV0", "pass")
TOKEN = "12345"
BIDS = [(480, 12.5), (470, 30.0), (450, 7.25)]  # (mills, shares), best first
ASKS = [(500, 10.0), (510, 25.5), (530, 8.0)]


def _booked() -> orders.Booked:
    return orders.Booked(TOKEN, "0xabc", "Yes", 100, BIDS, ASKS, tick_mills=10, min_size=5.0, neg_risk=False)


def _payload(side: str, price_mills: int, size_cents: int, order_type: str, salt: int) -> dict:
    """A `POST /order` body for `size_cents`/100 shares at `price_mills`, signed by SIGNER."""
    shares, usdc = size_cents * 10_000, size_cents * price_mills * 10  # micro units
    maker, taker = (usdc, shares) if side == "BUY" else (shares, usdc)
    data = OrderData(
        maker=SIGNER.address(),
        taker="0x0000000000000000000000000000000000000000",
        tokenId=TOKEN,
        makerAmount=str(maker),
        takerAmount=str(taker),
        side=0 if side == "BUY" else 1,
        feeRateBps="0",
        signer=SIGNER.address(),
    )
    BUILDER.salt_generator = lambda: salt
    signed = BUILDER.build_signed_order(data).dict()
    return {"order": signed, "owner": OWNER.api_key, "orderType": order_type, "postOnly": False}


orders_strategy = st.lists(
    st.tuples(
        st.sampled_from(["BUY", "SELL"]),
        st.integers(44, 54).map(lambda cents: cents * 10),
        st.integers(500, 5000),  # 5 to 50 shares
        st.sampled_from(["FOK", "FAK", "GTC"]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None)
@given(placed=orders_strategy)
def test_fills_respect_limits_and_levels_and_the_book_loses_exactly_what_filled(placed):
    # At least one FAK or GTC order crosses the touch, so something fills in every example.
    assume(any(t != "FOK" and (p >= ASKS[0][0] if s == "BUY" else p <= BIDS[0][0]) for s, p, _, t in placed))
    ledger = orders.OrderBookLedger(orders.Credentials(seed=1))
    answers = []
    for salt, (side, price, size_cents, order_type) in enumerate(placed):
        try:
            answers.append(
                (
                    side,
                    price,
                    size_cents,
                    order_type,
                    ledger.place(
                        OWNER, _payload(side, price, size_cents, order_type, salt), lambda _: _booked(), 0.0
                    ),
                )
            )
        except orders.ClobError as error:
            assert error.message in (orders.FOK_NOT_FILLED, orders.FAK_NOT_FILLED)
    trades = ledger.trades(OWNER, {})["data"]
    assert trades
    for side, price, size_cents, order_type, answer in answers:
        mine = [t for t in trades if t["taker_order_id"] == answer["orderID"]]
        filled = sum(Decimal(t["size"]) for t in mine)
        assert filled <= Decimal(size_cents) / 100
        if order_type == "FOK":
            assert filled == Decimal(size_cents) / 100
        limit = Decimal(price) / 1000
        assert all(
            Decimal(t["price"]) <= limit if side == "BUY" else Decimal(t["price"]) >= limit for t in mine
        )
    bids, asks = ledger.remaining(TOKEN, 100, BIDS, ASKS)
    for side, original, left in (("SELL", BIDS, bids), ("BUY", ASKS, asks)):
        for mills, size in original:
            taken = sum(
                Decimal(t["size"])
                for t in trades
                if t["side"] == side and Decimal(t["price"]) * 1000 == mills
            )
            rest = dict(left).get(mills, 0.0)
            assert Decimal(str(size)) - taken == Decimal(str(rest)).quantize(Decimal("0.000001"))


def test_a_resubmitted_order_is_a_duplicate_and_never_fills_again():
    ledger = orders.OrderBookLedger(orders.Credentials(seed=1))
    payload = _payload("BUY", 510, 1200, "FAK", salt=7)
    first = ledger.place(OWNER, payload, lambda _: _booked(), 0.0)
    assert first["status"] == "matched" and first["takingAmount"] == "12"
    with pytest.raises(orders.ClobError, match="Duplicated"):
        ledger.place(OWNER, payload, lambda _: _booked(), 0.0)
    assert len(ledger.trades(OWNER, {})["data"]) == 2  # the two ask levels of the first placement


def test_a_tampered_order_fails_its_signature():
    payload = _payload("BUY", 500, 600, "GTC", salt=3)
    payload["order"]["takerAmount"] = str(int(payload["order"]["takerAmount"]) * 2)
    with pytest.raises(orders.ClobError, match=orders.INVALID_SIGNATURE):
        orders.OrderBookLedger(orders.Credentials(seed=1)).place(OWNER, payload, lambda _: _booked(), 0.0)
