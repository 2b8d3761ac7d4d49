"""Paper trading against the simulator's CLOB order API over HTTP, through py-clob-client: fills at
the book's prices, DRY sends nothing, transient failures and lost answers never fill a signal twice,
orders a dead process left `sending` are swept to what the venue knows, and no secret reaches the
tables or the logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import requests
from py_clob_client.client import ClobClient

from edge_assets.environment import SIMULATOR_CLOB_CREDENTIALS
from edge_assets.live.books import OrderBooks
from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.limits import ExecutionSettings, RiskLimits, TradingConfig, TradingMode
from edge_assets.trading.store import UNSETTLED
from edge_assets.trading.trader import NEVER_REACHED, Trader, TradeSignal

NOW = datetime(2026, 3, 1, 17, 3, tzinfo=UTC)  # the world's pinned minute
# Roomy limits, so that only the execution path is under test here.
LIMITS = RiskLimits(max_stake_per_order=5.0, max_stake_per_market=1000, max_open_exposure=10_000)


def paper_config(url: str, **execution) -> TradingConfig:
    return TradingConfig(
        mode=TradingMode.PAPER,
        clob_url=url,
        credentials=SIMULATOR_CLOB_CREDENTIALS,
        limits=LIMITS,
        execution=ExecutionSettings(retry_backoff_seconds=0.0, **execution),
    )


def open_books(url: str, count: int) -> list[tuple[dict, OrderBooks]]:
    """Up to `count` open moneyline tokens with asks: (market, books holding the token's REST book)."""
    found = []
    markets = requests.get(f"{url}/markets", params={"closed": "false", "limit": 500}, timeout=30).json()
    for market in markets:
        if market.get("sportsMarketType") != "moneyline" or not market["acceptingOrders"]:
            continue
        token = json.loads(market["clobTokenIds"])[0]
        rest = requests.get(f"{url}/book", params={"token_id": token}, timeout=30).json()
        if rest.get("asks"):
            books = OrderBooks()
            books.apply_book(rest)
            found.append((market, books))
        if len(found) == count:
            break
    assert found, "the world has open books"
    return found


def signal_for(index: int, books: OrderBooks) -> TradeSignal:
    [token] = books.tokens()
    book = books.book(token)
    return TradeSignal(f"sig-{index}", book.market_id, token, "Yes", book.best("ask"), stake=5.0)


@pytest.fixture
def warehouse(tmp_path) -> SqlWarehouse:
    return SqlWarehouse(f"sqlite:///{tmp_path / 'edge.db'}")


def venue_client(url: str) -> ClobClient:
    """A client of the trading key, to read what the venue logged for it."""
    client = ClobClient(url, chain_id=137, key=SIMULATOR_CLOB_CREDENTIALS.private_key)
    client.set_api_creds(client.create_or_derive_api_creds())
    return client


def test_a_paper_order_fills_at_the_books_prices(simulator_factory, warehouse):
    server = simulator_factory(now=NOW)
    [(_, books)] = open_books(server.url, 1)
    trader = Trader(paper_config(server.url), warehouse, sleep=lambda _: None)
    signal = signal_for(1, books)
    execution = trader.consider(signal, books.book(signal.token_id), NOW)
    assert execution["status"] == "filled", execution
    fills = warehouse.read_table("fills")
    venue_trades = venue_client(server.url).get_trades()
    assert sorted(fills["fill_id"]) == sorted(trade["id"] for trade in venue_trades)
    assert (fills["price"] <= signal.price).all() and fills["size"].sum() > 0
    [position] = warehouse.read_table("positions").to_dict("records")
    assert position["size"] == pytest.approx(fills["size"].sum())
    assert position["cost"] == pytest.approx((fills["size"] * fills["price"]).sum())


def test_dry_mode_sends_nothing_to_the_venue(simulator_factory, warehouse):
    server = simulator_factory(now=NOW)
    [(_, books)] = open_books(server.url, 1)
    trader = Trader(TradingConfig(clob_url=server.url, limits=LIMITS), warehouse)
    signal = signal_for(1, books)
    assert trader.consider(signal, books.book(signal.token_id), NOW)["status"] == "decided"
    client = venue_client(server.url)
    assert client.get_orders() == [] and client.get_trades() == []


def test_a_lost_answer_is_reconciled_and_the_order_is_not_sent_again(simulator_factory, warehouse):
    # Every placement is accepted and matched, but its answer comes after the client's 5 s timeout.
    server = simulator_factory(now=NOW, rate_order_timeout=1.0, timeout_delay_s=6.0)
    [(_, books)] = open_books(server.url, 1)
    trader = Trader(paper_config(server.url), warehouse, sleep=lambda _: None)
    signal = signal_for(1, books)
    execution = trader.consider(signal, books.book(signal.token_id), NOW)
    assert execution["status"] == "filled", execution
    [order] = warehouse.read_table("orders").to_dict("records")
    assert order["attempts"] == 2 and order["status"] == "matched"
    venue_orders = venue_client(server.url).get_orders()
    assert [entry["id"] for entry in venue_orders] == [order["order_id"]]
    assert len(warehouse.read_table("fills")) == len(venue_client(server.url).get_trades())


@pytest.mark.parametrize(
    "faults",
    [
        # Any request may fail, and a third of placements are matched but answered after the client's
        # timeout.
        {"rate_5xx": 0.3, "rate_429": 0.1, "rate_order_timeout": 0.3},
        # The knobs (--rate-5xx 0.3 --rate-timeout 0.1): a tenth of all requests answered late,
        # a late placement handled by the venue only after the client gave up on it.
        {"rate_5xx": 0.3, "rate_timeout": 0.1},
    ],
    ids=["5xx-429-lost-answers", "rate-5xx-0.3-rate-timeout-0.1"],
)
@pytest.mark.parametrize("fault_seed", [3, 11])
def test_under_5xx_429_and_lost_answers_no_signal_is_filled_twice_and_secrets_stay_out(
    simulator_factory, warehouse, caplog, faults, fault_seed
):
    server = simulator_factory(now=NOW, timeout_delay_s=6.0, fault_seed=fault_seed, **faults)
    markets = open_books_retrying(server.url, 6)
    trader = Trader(paper_config(server.url, max_attempts=6), warehouse, sleep=lambda _: None)
    caplog.set_level(logging.DEBUG)
    for index, (_, books) in enumerate(markets):
        signal = signal_for(index, books)
        trader.consider(signal, books.book(signal.token_id), NOW + timedelta(seconds=index))
    # An order posted without an answer stays unconfirmed (holding its stake) until a sweep asks the
    # venue, which may have taken it after the client gave up.
    # The sweep's own reads meet the faults too; a later sweep (the trader's next) tries again.
    for sweep in range(1, 11):
        trader.sweep_sending(NOW + timedelta(hours=sweep))
        if not warehouse.read_table("orders")["status"].isin(UNSETTLED).any():
            break
    executions = warehouse.read_table("executions")
    orders = warehouse.read_table("orders")
    fills = warehouse.read_table("fills")
    assert set(executions["signal_id"]) == {
        signal_for(i, books).signal_id for i, (_, books) in enumerate(markets)
    }
    assert (executions["status"] == "filled").any()
    assert not orders["status"].isin(UNSETTLED).any()
    assert orders["signal_id"].is_unique  # one order per signal, however many attempts
    client = venue_client(server.url)
    venue_orders, venue_trades = retrying(client.get_orders), retrying(client.get_trades)
    # Every order the venue took, answered or not, is known to the trader as what the venue says.
    assert {entry["id"]: entry["status"].lower() for entry in venue_orders} == dict(
        orders[orders["status"].isin(["matched", "live"])][["order_id", "status"]].values
    )
    assert sorted(fills["fill_id"]) == sorted(trade["id"] for trade in venue_trades)
    secrets = [*SIMULATOR_CLOB_CREDENTIALS.secrets(), *vars(trader.guard._venue._client.creds).values()]
    tables = "\n".join(frame.to_csv() for frame in (executions, orders, fills))
    for secret in secrets:
        assert secret not in tables
        assert secret not in caplog.text
    assert "trading decision" in caplog.text
    retried = [
        record.error for record in caplog.records if record.getMessage() == "venue call failed, retrying"
    ]
    assert any("no response" in error for error in retried)  # a lost answer was among them


def retrying(call, attempts: int = 20):
    """A test-side read through the simulator's faults."""
    for _ in range(attempts - 1):
        try:
            return call()
        except Exception:  # noqa: BLE001 - any injected fault; the last attempt raises
            continue
    return call()


def open_books_retrying(url: str, count: int) -> list[tuple[dict, OrderBooks]]:
    return retrying(lambda: open_books(url, count))


class ProcessDied(BaseException):
    """Stands for a trader process killed between recording an order `sending` and its answer."""


def die(_seconds: float) -> None:
    raise ProcessDied


def test_a_restarted_trader_sweeps_orders_left_sending_to_what_the_venue_knows(simulator_factory, warehouse):
    # Placements are matched but answered after the client's timeout; the process dies before its retry.
    server = simulator_factory(now=NOW, rate_order_timeout=1.0, timeout_delay_s=6.0)
    [(_, books), (_, other_books)] = open_books(server.url, 2)
    signal = signal_for(1, books)
    dying = Trader(paper_config(server.url), warehouse, sleep=die)
    with pytest.raises(ProcessDied):
        dying.consider(signal, books.book(signal.token_id), NOW)
    [reached] = warehouse.read_table("orders").to_dict("records")
    assert reached["status"] == "sending" and warehouse.read_table("fills").empty
    client = venue_client(server.url)
    assert [entry["id"] for entry in client.get_orders()] == [reached["order_id"]]
    # A second process died after recording its order but before posting it: the venue never saw it.
    other = signal_for(2, other_books)
    lost = {**reached, "order_id": "0x" + "ab" * 32, "signal_id": other.signal_id,
            "pm_market_id": other.market_id, "pm_token_id": other.token_id}  # fmt: skip
    warehouse.upsert("orders", pd.DataFrame([lost]), ["order_id"])

    restarted = Trader(paper_config(server.url, sweep_interval_seconds=0), warehouse, sleep=lambda _: None)
    unbooked = TradeSignal("sig-3", "m-none", "t-none", "Yes", 0.5)  # a decision that sends nothing
    restarted.consider(unbooked, None, NOW + timedelta(minutes=1))
    # Within a lock lease of their last write, orders may still be in flight: untouched.
    assert set(warehouse.read_table("orders")["status"]) == {"sending"}
    restarted.consider(unbooked, None, NOW + timedelta(minutes=3))

    orders = warehouse.read_table("orders").set_index("order_id")
    venue_trades = client.get_trades()
    assert orders.loc[reached["order_id"], "status"] == "matched"
    fills = warehouse.read_table("fills")
    assert sorted(fills["fill_id"]) == sorted(trade["id"] for trade in venue_trades) and len(fills) > 0
    assert (fills["filled_at"] == NOW).all()  # filled when placed, not when swept
    assert orders.loc[reached["order_id"], "size_matched"] == pytest.approx(fills["size"].sum())
    assert orders.loc[lost["order_id"], "status"] == "failed"
    assert orders.loc[lost["order_id"], "error"] == NEVER_REACHED
    # Nothing was sent again, and each lost decision now has its executions row.
    assert [entry["id"] for entry in client.get_orders()] == [reached["order_id"]]
    executions = warehouse.read_table("executions").set_index("signal_id")
    assert executions.loc[signal.signal_id, "status"] == "filled"
    assert executions.loc[other.signal_id, "status"] == "failed"
    assert executions.index.value_counts().to_dict() == {signal.signal_id: 1, other.signal_id: 1, "sig-3": 2}
    [position] = warehouse.read_table("positions").to_dict("records")
    assert position["size"] == pytest.approx(fills["size"].sum())
    # The failed order holds no stake now; the filled one holds what its fills cost.
    state = restarted.store.risk_state("paper", NOW + timedelta(minutes=3), False, timedelta(minutes=5))
    assert state.market_stakes == {signal.market_id: pytest.approx(position["cost"])}
