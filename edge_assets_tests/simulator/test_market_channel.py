"""The simulator's Polymarket market channel over real WebSockets: subscriptions, pushes at world
minutes (the clock is pinned and moved by the test), heartbeats and the channel's fault knobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import ClientConnection, connect

from edge_assets.simulator.polymarket import clob_book
from edge_assets.simulator.world import minute_of

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)  # a Sunday evening: NFL games in play; a depth block starts
DEPTH_BLOCK = timedelta(minutes=15)  # every resting size is redrawn across this step
BOOK_FIELDS = {"event_type", "asset_id", "market", "bids", "asks", "timestamp", "hash", "tick_size"}
BOOK_FIELDS |= {"last_trade_price"}
CHANGE_FIELDS = {"asset_id", "price", "size", "side", "hash", "best_bid", "best_ask"}
QUIET_S = 0.5  # how long a stream must stay quiet to count as having sent everything


@pytest.fixture
def channel(simulator_factory):
    """A server pinned at NOW; call with fault rates for another."""
    return lambda **faults: simulator_factory(now=NOW, **faults)


def _connect(server) -> ClientConnection:
    return connect(server.ws_url, proxy=None, open_timeout=5)


def _open_tokens(server, count: int) -> list[str]:
    """Tokens of the first open sports markets Gamma lists."""
    markets = requests.get(f"{server.url}/markets", params={"closed": "false", "limit": 500}).json()
    sports = [m for m in markets if m.get("sportsMarketType") == "moneyline" and m["acceptingOrders"]]
    return [token for market in sports for token in json.loads(market["clobTokenIds"])][:count]


def _rest_book(server, token: str) -> dict:
    book = requests.get(f"{server.url}/book", params={"token_id": token}).json()
    del book["min_order_size"], book["neg_risk"]  # the channel's books leave these out
    return {"event_type": "book", **book}


def _subscribe(ws: ClientConnection, tokens: list[str], **message) -> list[dict]:
    ws.send(json.dumps({"assets_ids": tokens, **(message or {"type": "market"})}))
    return json.loads(ws.recv(timeout=5))


def _barrier(ws: ClientConnection) -> str | list:
    """PING and return the first answer: the server handles a connection's messages in order, so
    everything sent before is handled once PONG comes (and what it sent comes before PONG)."""
    ws.send("PING")
    answer = ws.recv(timeout=5)
    return answer if answer == "PONG" else json.loads(answer)


def _drain(ws: ClientConnection) -> list[dict]:
    """Every message until the stream is quiet."""
    messages = []
    while True:
        try:
            messages.append(json.loads(ws.recv(timeout=QUIET_S)))
        except TimeoutError:
            return messages


def _applied(book: dict, changes: list[dict]) -> tuple[dict, dict]:
    """The book's levels as {price: size} per side, after the price changes."""
    bids = {level["price"]: level["size"] for level in book["bids"]}
    asks = {level["price"]: level["size"] for level in book["asks"]}
    for change in changes:
        side = bids if change["side"] == "BUY" else asks
        side[change["price"]] = change["size"]
    return {p: s for p, s in bids.items() if s != "0"}, {p: s for p, s in asks.items() if s != "0"}


def test_subscribing_sends_one_book_per_asset_as_rest_serves_it(channel):
    server = channel()
    tokens = _open_tokens(server, 6)
    with _connect(server) as ws:
        books = _subscribe(ws, [*tokens, "123456789"])  # the unknown asset gets no book
        assert [book["asset_id"] for book in books] == tokens
        for book in books:
            assert set(book) == BOOK_FIELDS
            assert book == _rest_book(server, book["asset_id"]), "same levels, timestamp and hash"
            assert book["timestamp"] == str(int(NOW.timestamp() * 1000))
            assert all(isinstance(level["price"], str) for level in book["bids"] + book["asks"])
        assert _drain(ws) == [], "nothing until the world changes"


def test_a_minute_boundary_pushes_price_changes_and_new_books(channel):
    server = channel()
    tokens = _open_tokens(server, 4)
    with _connect(server) as ws:
        before = {book["asset_id"]: book for book in _subscribe(ws, tokens)}
        server.set_now(NOW + timedelta(seconds=40))
        assert _drain(ws) == [], "within a minute the books stand still"
        server.set_now(NOW + DEPTH_BLOCK)
        messages = _drain(ws)
    kinds = {message["event_type"] for message in messages}
    assert (
        {"price_change", "book"} <= kinds <= {"price_change", "book", "last_trade_price", "tick_size_change"}
    )
    books = {m["asset_id"]: m for m in messages if m["event_type"] == "book"}
    assert set(books) == set(tokens), "every book changed when the resting sizes were redrawn"
    changes = [change for m in messages if m["event_type"] == "price_change" for change in m["price_changes"]]
    for message in (m for m in messages if m["event_type"] == "price_change"):
        assert message["timestamp"] == str(int((NOW + DEPTH_BLOCK).timestamp() * 1000))
        assert {change["asset_id"] for change in message["price_changes"]} <= set(tokens)
    for token, book in books.items():
        assert book == _rest_book(server, token)
        mine = [change for change in changes if change["asset_id"] == token]
        assert mine and all(set(change) == CHANGE_FIELDS for change in mine)
        assert all(change["hash"] == book["hash"] for change in mine)
        top = (
            book["bids"][-1]["price"] if book["bids"] else "0",
            book["asks"][-1]["price"] if book["asks"] else "1",
        )
        assert {(change["best_bid"], change["best_ask"]) for change in mine} == {top}
        bids, asks = _applied(before[token], mine)
        assert bids == {level["price"]: level["size"] for level in book["bids"]}, (
            "the changes rebuild the book"
        )
        assert asks == {level["price"]: level["size"] for level in book["asks"]}


def test_operations_add_and_remove_assets(channel):
    server = channel()
    first, second = _open_tokens(server, 2)
    with _connect(server) as ws:
        assert [book["asset_id"] for book in _subscribe(ws, [first])] == [first]
        added = _subscribe(ws, [second, first], operation="subscribe")
        assert [book["asset_id"] for book in added] == [second], "only the asset not yet subscribed"
        ws.send(json.dumps({"assets_ids": [first], "operation": "unsubscribe"}))
        assert _barrier(ws) == "PONG"
        server.set_now(NOW + DEPTH_BLOCK)
        pushed = _drain(ws)
        assert pushed and {m["asset_id"] for m in pushed if "asset_id" in m} == {second}
        assert {c["asset_id"] for m in pushed for c in m.get("price_changes", [])} == {second}
        ws.send(json.dumps({"assets_ids": [first], "type": "market"}))
        assert ws.recv(timeout=5) == "INVALID OPERATION", "the initial subscription is sent once"


def test_ping_is_answered_pong(channel):
    with _connect(channel()) as ws:
        ws.send("PING")
        assert ws.recv(timeout=5) == "PONG"
        ws.send("not json")
        assert ws.recv(timeout=5) == "INVALID OPERATION"


def test_trades_and_tick_size_changes_follow_the_book(channel):
    server = channel()
    token, minute = _tick_change_with_a_rising_ask(server.world)
    server.set_now(datetime.fromtimestamp((minute - 1) * 60, UTC))
    with _connect(server) as ws:
        [before] = _subscribe(ws, [token])
        server.set_now(datetime.fromtimestamp(minute * 60, UTC))
        messages = _drain(ws)
    by_kind = {m["event_type"]: m for m in messages}
    after = by_kind["book"]
    assert after == _rest_book(server, token)
    assert by_kind["tick_size_change"] == {
        "event_type": "tick_size_change",
        "asset_id": token,
        "market": before["market"],
        "old_tick_size": before["tick_size"],
        "new_tick_size": after["tick_size"],
        "timestamp": str(minute * 60_000),
    }
    [trade] = [m for m in messages if m["event_type"] == "last_trade_price" and m["side"] == "BUY"]
    assert (trade["price"], trade["size"]) == (before["asks"][-1]["price"], before["asks"][-1]["size"])
    assert trade["fee_rate_bps"] == str(round(server.world.token(token)[0].fee_rate * 10_000))
    assert trade["market"] == before["market"] and trade["timestamp"] == str(minute * 60_000)


def _tick_change_with_a_rising_ask(world) -> tuple[str, int]:
    """A token of a game in play and a minute after NOW at which its book's tick changes while its
    best ask rises (a buyer took the old best ask out)."""
    start = minute_of(NOW.timestamp())
    in_play = [game for game in world.served_games() if game.start_min <= start < game.end_min]
    for token in (token for game in in_play for market in game.markets for token in market.token_ids):
        books = [clob_book(world, token, minute * 60, 0) for minute in range(start, start + 240)]
        for minute, (was, now) in enumerate(zip(books, books[1:], strict=False), start + 1):
            if not (was and now and was["asks"] and now["asks"]) or was["tick_size"] == now["tick_size"]:
                continue
            if float(now["asks"][-1]["price"]) > float(was["asks"][-1]["price"]):
                return token, minute
    raise AssertionError("no such minute in the next four hours")


def test_a_silent_stream_accepts_the_subscription_and_sends_nothing_but_pong(channel):
    server = channel(rate_silent=1.0)
    with _connect(server) as ws:
        ws.send(json.dumps({"assets_ids": _open_tokens(server, 4), "type": "market"}))
        assert _barrier(ws) == "PONG", "no books before the heartbeat's answer"
        server.set_now(NOW + DEPTH_BLOCK)
        assert _drain(ws) == []
        assert _barrier(ws) == "PONG", "the heartbeat still looks healthy"


def test_a_dropped_connection_is_closed_and_a_resubscription_gets_the_books(channel):
    server = channel(rate_drop=1.0)
    tokens = _open_tokens(server, 3)
    with _connect(server) as ws:
        assert len(_subscribe(ws, tokens)) == 3
        server.set_now(NOW + timedelta(minutes=1))
        with pytest.raises(ConnectionClosedError) as closed:
            while True:
                ws.recv(timeout=5)
        assert closed.value.rcvd.code == 1011
    with _connect(server) as ws:
        books = _subscribe(ws, tokens)
        assert books == [_rest_book(server, token) for token in tokens]


def test_the_fault_draws_repeat_under_a_seed(channel):
    """About half the connections go silent; which ones is fixed by the fault seed, not by timing."""

    def silent_connections(server) -> list[bool]:
        token = _open_tokens(server, 1)
        silent = []
        for _ in range(10):
            with _connect(server) as ws:
                ws.send(json.dumps({"assets_ids": token, "type": "market"}))
                silent.append(_barrier(ws) == "PONG")
        return silent

    first, again = silent_connections(channel(rate_silent=0.5)), silent_connections(channel(rate_silent=0.5))
    assert first == again and any(first) and not all(first)
