"""Polymarket's official py-clob-client against the simulator over HTTP: CLOB quotes and book hashes,
API keys over L1 auth, and signed orders matched against the served book (FOK, FAK, GTC, rejections
with the real messages, duplicates, cancels, the ambiguous timeout)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from eth_account import Account
from py_clob_client.client import ClobClient
from py_clob_client.clob_types import (
    ApiCreds,
    BookParams,
    CreateOrderOptions,
    OrderArgs,
    OrderType,
    PartialCreateOrderOptions,
    TradeParams,
)
from py_clob_client.exceptions import PolyApiException
from py_clob_client.order_builder.constants import BUY, SELL
from py_clob_client.utilities import generate_orderbook_summary_hash, parse_raw_orderbook_summary

from edge_assets.simulator import orders
from edge_assets.simulator.polymarket import book_hash, touch
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

NOW = datetime(2026, 3, 1, 17, 3, tzinfo=UTC)  # pinned: fills take depth for the world minute
POLYGON = 137


@pytest.fixture
def server(simulator_factory):
    return simulator_factory(now=NOW)


def _client(server) -> ClobClient:
    """A client with a throwaway key and the API credentials the simulator issues it over L1."""
    client = ClobClient(server.url, chain_id=POLYGON, key=Account.create().key.hex())
    client.set_api_creds(client.create_or_derive_api_creds())
    return client


def _deep_token(server, side: str = "asks", levels: int = 3, tick: str | None = None) -> str:
    """A token of an open sports market whose `side` has at least `levels` levels (and the other
    side one), on tick `tick` if given."""
    markets = requests.get(f"{server.url}/markets", params={"closed": "false", "limit": 500}).json()
    for market in markets:
        if market.get("sportsMarketType") != "moneyline" or not market["acceptingOrders"]:
            continue
        for token in json.loads(market["clobTokenIds"]):
            book = requests.get(f"{server.url}/book", params={"token_id": token}).json()
            other = book.get("bids" if side == "asks" else "asks", [])
            if len(book.get(side, [])) >= levels and other and tick in (None, book["tick_size"]):
                return token
    raise AssertionError(f"no open token with {levels} {side} levels")


def _best_first(rows) -> list[tuple[Decimal, Decimal]]:
    """A served side as (price, size), best first (the CLOB lists the best level last)."""
    return [(Decimal(row.price), Decimal(row.size)) for row in reversed(rows)]


def _real_captures() -> list[dict]:
    return list(json.loads((SHARED_FIXTURES / "polymarket_clob_books.json").read_text()).values())


def test_the_simulators_hash_is_the_clients_and_reproduces_the_real_fixtures():
    # The single-book fixture predates `last_trade_price` and hashes another struct: left out.
    for raw in (capture["book"]["body"] for capture in _real_captures()):
        assert generate_orderbook_summary_hash(parse_raw_orderbook_summary(raw)) == raw["hash"]
        assert book_hash(raw) == raw["hash"]


def test_quotes_follow_the_real_captures_including_an_empty_bid_side():
    for capture in _real_captures():
        bid, ask = touch(capture["book"]["body"])
        assert str((bid + ask) / 2) == capture["midpoint"]["body"]["mid"]
        assert str(bid) == capture["price_buy"]["body"]["price"]
        assert str(ask) == capture["price_sell"]["body"]["price"]


def test_client_reads_quotes_consistent_with_the_served_book(server):
    client = ClobClient(server.url, chain_id=POLYGON)
    token = _deep_token(server)
    book = client.get_order_book(token)
    served_hash = book.hash
    assert served_hash and client.get_order_book_hash(book) == served_hash
    [batch] = client.get_order_books([BookParams(token_id=token)])
    assert client.get_order_book_hash(batch) == batch.hash
    bid, ask = Decimal(book.bids[-1].price), Decimal(book.asks[-1].price)
    assert bid < ask
    assert Decimal(client.get_midpoint(token)["mid"]) == (bid + ask) / 2
    assert Decimal(client.get_spread(token)["spread"]) == ask - bid
    assert Decimal(client.get_price(token, "BUY")["price"]) == bid
    assert Decimal(client.get_price(token, "SELL")["price"]) == ask
    assert client.get_tick_size(token) == str(float(book.tick_size))
    assert client.get_neg_risk(token) is book.neg_risk
    assert client.get_fee_rate_bps(token) in (0, 1000)
    assert Decimal(client.get_last_trade_price(token)["price"]) == Decimal(book.last_trade_price)
    params = [BookParams(token_id=token, side="BUY")]
    assert Decimal(client.get_midpoints(params)[token]) == (bid + ask) / 2
    assert Decimal(client.get_spreads(params)[token]) == ask - bid
    assert Decimal(client.get_prices(params)[token]["BUY"]) == bid
    assert client.get_server_time() == int(NOW.timestamp())
    with pytest.raises(PolyApiException) as missing:
        client.get_midpoint("123")
    assert missing.value.status_code == 404


def test_l1_creates_and_derives_the_same_credentials_and_l2_rejects_a_wrong_secret(server):
    client = ClobClient(server.url, chain_id=POLYGON, key=Account.create().key.hex())
    created = client.create_api_key()
    assert client.derive_api_key() == created
    client.set_api_creds(ApiCreds(created.api_key, "d3Jvbmctc2VjcmV0", created.api_passphrase))
    with pytest.raises(PolyApiException) as refused:
        client.get_orders()
    assert refused.value.status_code == 401
    assert refused.value.error_msg == {"error": orders.UNAUTHORIZED}
    forged = requests.post(
        f"{server.url}/auth/api-key",
        headers={
            "POLY_ADDRESS": client.get_address(),
            "POLY_SIGNATURE": "0x" + "11" * 65,
            "POLY_TIMESTAMP": "1",
        },
    )
    assert forged.status_code == 401 and forged.json() == {"error": orders.INVALID_L1}


def test_fok_buy_walks_the_asks_at_the_books_prices_and_takes_their_depth(server):
    client = _client(server)
    token = _deep_token(server, "asks", 3)
    asks = _best_first(client.get_order_book(token).asks)
    (p0, s0), (p1, s1) = asks[0], asks[1]
    size = (s0 + min(s1, Decimal(5))).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert size > s0, "the order must reach the second level"
    signed = client.create_order(OrderArgs(token_id=token, price=float(p1), size=float(size), side=BUY))
    answer = client.post_order(signed, OrderType.FOK)
    assert answer["success"] and answer["status"] == "matched"
    assert Decimal(answer["takingAmount"]) == size
    assert Decimal(answer["makingAmount"]) == p0 * s0 + p1 * (size - s0)  # paid at each level's price
    trades = client.get_trades(TradeParams(asset_id=token))
    assert sorted((Decimal(t["price"]), Decimal(t["size"])) for t in trades) == [(p0, s0), (p1, size - s0)]
    assert all(t["taker_order_id"] == answer["orderID"] for t in trades)
    left = _best_first(client.get_order_book(token).asks)
    assert left[0] == (p1, s1 - (size - s0)) if s1 > size - s0 else left[0][0] > p1
    [order] = client.get_orders()
    assert order["id"] == answer["orderID"] and order["status"] == "MATCHED"
    assert Decimal(order["size_matched"]) == size
    assert client.get_order(answer["orderID"])["id"] == answer["orderID"]


def test_resubmitting_the_same_signed_order_is_rejected_not_filled_again(server):
    client = _client(server)
    token = _deep_token(server, "asks", 2)
    p0, s0 = _best_first(client.get_order_book(token).asks)[0]
    size = min(s0, Decimal(6)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    signed = client.create_order(OrderArgs(token_id=token, price=float(p0), size=float(size), side=BUY))
    client.post_order(signed, OrderType.FOK)
    with pytest.raises(PolyApiException) as again:
        client.post_order(signed, OrderType.FOK)
    assert again.value.status_code == 400 and again.value.error_msg == {"error": orders.DUPLICATED}
    assert len(client.get_trades()) == 1


def test_fok_that_cannot_fill_is_killed_and_fak_fills_what_is_there(server):
    client = _client(server)
    token = _deep_token(server, "asks", 1)
    p0, s0 = _best_first(client.get_order_book(token).asks)[0]
    below = p0 - Decimal(client.get_tick_size(token))  # under the best ask: nothing to match
    signed = client.create_order(OrderArgs(token_id=token, price=float(below), size=10.0, side=BUY))
    with pytest.raises(PolyApiException) as killed:
        client.post_order(signed, OrderType.FOK)
    assert killed.value.error_msg == {"error": orders.FOK_NOT_FILLED}
    signed = client.create_order(OrderArgs(token_id=token, price=float(below), size=10.0, side=BUY))
    with pytest.raises(PolyApiException) as unmatched:
        client.post_order(signed, OrderType.FAK)
    assert unmatched.value.error_msg == {"error": orders.FAK_NOT_FILLED}
    assert client.get_trades() == [] and client.get_orders() == []
    size = (s0 + 50).quantize(Decimal("0.01"))  # more than the best level: FAK takes the level only
    signed = client.create_order(OrderArgs(token_id=token, price=float(p0), size=float(size), side=BUY))
    answer = client.post_order(signed, OrderType.FAK)
    assert Decimal(answer["takingAmount"]) == s0
    assert client.get_orders()[0]["status"] == "MATCHED"


def test_gtc_rests_its_remainder_and_cancels(server):
    client = _client(server)
    token = _deep_token(server, "bids", 1)
    b0, s0 = _best_first(client.get_order_book(token).bids)[0]
    size = (s0 + 20).quantize(Decimal("0.01"))
    signed = client.create_order(OrderArgs(token_id=token, price=float(b0), size=float(size), side=SELL))
    answer = client.post_order(signed, OrderType.GTC)
    assert answer["status"] == "matched" and Decimal(answer["makingAmount"]) == s0
    [order] = client.get_orders()
    assert order["status"] == "LIVE" and Decimal(order["size_matched"]) == s0
    assert client.cancel(answer["orderID"]) == {"canceled": [answer["orderID"]], "not_canceled": {}}
    assert client.get_orders()[0]["status"] == "CANCELED"
    assert client.cancel(answer["orderID"])["canceled"] == []


def test_tick_size_and_minimum_size_rejections(server):
    client = _client(server)
    token = _deep_token(server, "asks", 1, tick="0.01")
    p0 = Decimal(client.get_order_book(token).asks[-1].price)
    small = client.create_order(OrderArgs(token_id=token, price=float(p0), size=4.99, side=BUY))
    with pytest.raises(PolyApiException) as too_small:
        client.post_order(small, OrderType.FOK)
    assert too_small.value.error_msg == {"error": orders.INVALID_MIN_SIZE}
    with pytest.raises(Exception, match="invalid tick size"):  # the client's own check
        client.create_order(OrderArgs(token_id=token, price=float(p0), size=10.0, side=BUY), _tick("0.001"))
    # The client's builder signs on the finer tick when told to: the server holds the market's rule.
    off_grid = OrderArgs(
        token_id=token, price=float(p0 - Decimal("0.005")), size=10.0, side=BUY, fee_rate_bps=0
    )
    signed = client.builder.create_order(off_grid, CreateOrderOptions(tick_size="0.001", neg_risk=False))
    with pytest.raises(PolyApiException) as off_tick:
        client.post_order(signed, OrderType.GTC)
    assert off_tick.value.error_msg == {"error": orders.INVALID_TICK}
    assert client.get_orders() == []


def _tick(tick: str) -> PartialCreateOrderOptions:
    return PartialCreateOrderOptions(tick_size=tick)


def test_an_order_whose_answer_times_out_is_matched_and_logged(simulator_factory):
    server = simulator_factory(now=NOW, rate_order_timeout=1.0, timeout_delay_s=6.0)  # client waits 5 s
    client = _client(server)
    token = _deep_token(server, "asks", 1)
    p0, s0 = _best_first(client.get_order_book(token).asks)[0]
    size = min(s0, Decimal(6)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    signed = client.create_order(OrderArgs(token_id=token, price=float(p0), size=float(size), side=BUY))
    with pytest.raises(PolyApiException, match="Request exception"):
        client.post_order(signed, OrderType.FOK)
    [order] = client.get_orders()
    assert order["status"] == "MATCHED" and Decimal(order["size_matched"]) == size
    [trade] = client.get_trades()
    assert trade["taker_order_id"] == order["id"] and Decimal(trade["price"]) == p0
    with pytest.raises(PolyApiException) as retried:  # a retry of the same signed order
        client.post_order(signed, OrderType.FOK)
    assert retried.value.error_msg == {"error": orders.DUPLICATED}
    assert len(client.get_trades()) == 1


def test_the_clob_base_path_serves_the_clob_markets_and_orders_and_health_lists_the_venues(server):
    health = requests.get(f"{server.url}/health").json()
    assert health == {
        "status": "ok",
        "venues": {
            "gamma": server.url,
            "clob": f"{server.url}/clob",
            "oddsapi": server.url,
            "predictit": server.url,
        },
    }
    client = ClobClient(health["venues"]["clob"], chain_id=POLYGON, key=Account.create().key.hex())
    client.set_api_creds(client.create_or_derive_api_creds())
    gamma = {m["conditionId"]: m for m in requests.get(f"{server.url}/markets", params={"limit": 500}).json()}
    listed = client.get_markets()
    assert listed["next_cursor"] == orders.END_CURSOR and listed["count"] == len(listed["data"]) > 0
    for market in listed["data"]:
        twin = gamma.get(market["condition_id"])
        if twin is not None:
            assert [t["token_id"] for t in market["tokens"]] == json.loads(twin["clobTokenIds"])
            assert market["minimum_tick_size"] == twin["orderPriceMinTickSize"]
    token = _deep_token(server, "asks", 1)
    p0, s0 = _best_first(client.get_order_book(token).asks)[0]
    size = min(s0, Decimal(6)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    signed = client.create_order(OrderArgs(token_id=token, price=float(p0), size=float(size), side=BUY))
    assert client.post_order(signed, OrderType.FOK)["status"] == "matched"  # HMAC over the path below /clob
    assert [Decimal(t["size"]) for t in client.get_trades()] == [size]
