"""The API against the seeded warehouse on SQLite and PostgreSQL (read there as the read-only role).

Expected values are worked out here from the tables themselves with pandas, not with the API's SQL.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from edge_assets_tests.api.conftest import DAGSTER_UI
from edge_assets_tests.api.seed import CONTRACTS, PREDICTIT_MARKET


def _newest_hour_quotes(writer, venue: str) -> pd.DataFrame:
    quotes = writer.read_table("quotes")
    quotes = quotes[quotes["venue"] == venue]
    return quotes[quotes["quote_ts"] == quotes["quote_ts"].max()]


def _by_key(items: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {(item["venue"], item["market_key"], item["outcome"]): item for item in items}


def test_latest_holds_every_outcome_of_every_venue_at_its_newest_quote(client, writer):
    items = _by_key(client.get("/api/latest", params={"limit": 1000}).json()["items"])
    polymarket = _newest_hour_quotes(writer, "polymarket")
    for row in polymarket.itertuples():
        item = items[("polymarket", row.market_key, row.outcome)]
        assert item[row.side] == pytest.approx(row.implied_prob)
        assert item[f"{row.side}_size"] == pytest.approx(row.size)
    market_data = writer.read_table("predictit_market_data")
    newest = market_data.loc[market_data.groupby("data_id")["timestamp"].idxmax()]
    for row in newest.itertuples():
        item = items[("predictit", row.data_id, row.contract_name)]
        assert (item["bid"], item["ask"]) == pytest.approx((row.best_sell_yes_cost, row.best_buy_yes_cost))
        assert (item["no_bid"], item["no_ask"]) == pytest.approx(
            (row.best_sell_no_cost, row.best_buy_no_cost)
        )
        assert pd.Timestamp(item["quote_ts"]) == row.timestamp
    consensus = writer.read_table("consensus")
    newest_consensus = consensus[consensus["quote_ts"] == consensus["quote_ts"].max()]
    assert {key for key in items if key[0] == "oddsapi"} == {
        ("oddsapi", row.event_id, row.outcome) for row in newest_consensus.itertuples()
    }
    assert len(items) == polymarket["market_key"].nunique() + len(newest) + len(newest_consensus)


def test_latest_prices_a_token_against_the_consensus_and_each_book(client, writer):
    items = _by_key(client.get("/api/latest", params={"limit": 1000}).json()["items"])
    consensus = writer.read_table("consensus")
    fair = consensus[consensus["quote_ts"] == consensus["quote_ts"].max()].set_index(["event_id", "outcome"])
    books = _newest_hour_quotes(writer, "oddsapi")
    lakers = items[("polymarket", "tok-lal", "Lakers")]
    assert lakers["consensus"] == pytest.approx(fair.loc[("ev-nba-1", "Los Angeles Lakers"), "fair_prob"])
    lakers_books = books[(books["event_id"] == "ev-nba-1") & (books["outcome"] == "Los Angeles Lakers")]
    assert {book["bookmaker"]: book["implied_prob"] for book in lakers["books"]} == pytest.approx(
        dict(zip(lakers_books["bookmaker"], lakers_books["implied_prob"], strict=True))
    )
    # "No" on "Will Arsenal win?" is "not Arsenal": priced as 1 - p(Arsenal), with no book of its own.
    not_arsenal = items[("polymarket", "tok-ars-no", "No")]
    assert not_arsenal["consensus"] == pytest.approx(1 - fair.loc[("ev-epl-1", "Arsenal"), "fair_prob"])
    assert not_arsenal["books"] == []
    assert items[("polymarket", "tok-dem-yes", "Yes")]["consensus"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"venue": "predictit"}, {("predictit", data_id) for data_id in CONTRACTS}),
        (
            {"category": "politics"},
            {("polymarket", "tok-dem-yes"), ("polymarket", "tok-dem-no")}
            | {("predictit", data_id) for data_id in CONTRACTS},
        ),
        (
            {"league": "soccer_epl", "venue": "polymarket"},
            {("polymarket", "tok-ars-yes"), ("polymarket", "tok-ars-no")},
        ),
        ({"market": "pm-nba-1"}, {("polymarket", "tok-lal"), ("polymarket", "tok-bos")}),
        ({"q": "LAKERS", "venue": "polymarket"}, {("polymarket", "tok-lal"), ("polymarket", "tok-bos")}),
        ({"q": "los angeles", "venue": "oddsapi"}, {("oddsapi", "ev-nba-1")}),
        ({"q": "%"}, set()),
    ],
)
def test_latest_filters(client, params, expected):
    body = client.get("/api/latest", params=params).json()
    assert {(item["venue"], item["market_key"]) for item in body["items"]} == expected
    assert body["total"] == len(body["items"])


def test_latest_pages_through_every_row_once_and_lists_the_leagues(client):
    everything = client.get("/api/latest", params={"limit": 1000}).json()
    seen = []
    for offset in range(0, everything["total"], 5):
        page = client.get("/api/latest", params={"limit": 5, "offset": offset}).json()
        assert page["total"] == everything["total"]
        seen += page["items"]
    assert seen == everything["items"]
    past_the_end = client.get("/api/latest", params={"offset": 500}).json()
    assert (past_the_end["items"], past_the_end["total"]) == ([], everything["total"])
    assert everything["leagues"] == ["basketball_nba", "soccer_epl"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"venue": "betfair"},
        {"category": "weather"},
        {"q": "x" * 201},
    ],
)
def test_latest_says_which_parameter_is_wrong(client, params):
    response = client.get("/api/latest", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


def test_history_of_a_polymarket_market_has_bid_ask_consensus_and_each_book_per_hour(client, writer, world):
    _, seeded = world
    start, end = seeded.hours[0], seeded.hour + timedelta(hours=1)
    body = client.get(
        "/api/markets/pm-nba-1/history", params={"start": start.isoformat(), "end": end.isoformat()}
    ).json()
    assert (body["venue"], body["title"], body["league"]) == (
        "polymarket",
        "Lakers vs. Celtics",
        "basketball_nba",
    )
    lakers = body["outcomes"][0]
    assert (lakers["market_key"], lakers["sportsbook_outcome"]) == ("tok-lal", "Los Angeles Lakers")
    assert [pd.Timestamp(t) for t in lakers["times"]] == list(pd.to_datetime(seeded.hours, utc=True))
    series = {item["name"]: item["values"] for item in lakers["series"]}
    quotes = writer.read_table("quotes").sort_values("quote_ts")
    ask = quotes[(quotes["market_key"] == "tok-lal") & (quotes["side"] == "ask")]
    assert series["polymarket_ask"] == pytest.approx(ask["implied_prob"].tolist())
    consensus = writer.read_table("consensus").sort_values("quote_ts")
    fair = consensus[(consensus["event_id"] == "ev-nba-1") & (consensus["outcome"] == "Los Angeles Lakers")]
    assert series["consensus"] == pytest.approx(fair["fair_prob"].tolist())
    assert sorted(name for name in series if name.startswith("book:")) == [
        "book:draftkings",
        "book:fanduel",
        "book:pinnacle",
    ]
    pinnacle = quotes[(quotes["bookmaker"] == "pinnacle") & (quotes["outcome"] == "Los Angeles Lakers")]
    assert series["book:pinnacle"] == pytest.approx(pinnacle["implied_prob"].tolist())


def test_history_resamples_to_the_last_value_of_each_bucket(client, writer, world):
    _, seeded = world
    end = seeded.hour + timedelta(hours=1)
    body = client.get(
        "/api/markets/pm-nba-1/history",
        params={"start": (end - timedelta(days=1)).isoformat(), "end": end.isoformat(), "resolution": "6h"},
    ).json()
    lakers = body["outcomes"][0]
    quotes = writer.read_table("quotes")
    ask = (
        quotes[(quotes["market_key"] == "tok-lal") & (quotes["side"] == "ask")]
        .set_index("quote_ts")
        .sort_index()
    )
    for stamp, value in zip(lakers["times"], lakers["series"][1]["values"], strict=True):
        bucket = pd.Timestamp(stamp)
        inside = ask.loc[(ask.index >= bucket) & (ask.index < bucket + pd.Timedelta(hours=6)), "implied_prob"]
        assert value == (pytest.approx(inside.iloc[-1]) if len(inside) else None)


def test_history_of_a_not_x_token_is_the_complement_of_the_consensus(client, world):
    _, seeded = world
    body = client.get(
        "/api/markets/pm-epl-1/history", params={"end": (seeded.hour + timedelta(hours=1)).isoformat()}
    ).json()
    yes, no = body["outcomes"]
    yes_series = {item["name"]: item["values"] for item in yes["series"]}
    no_series = {item["name"]: item["values"] for item in no["series"]}
    assert [1 - value for value in yes_series["consensus"] if value is not None] == pytest.approx(
        [value for value in no_series["consensus"] if value is not None]
    )
    assert set(no_series) == {"polymarket_bid", "polymarket_ask", "consensus"}


def test_history_of_a_predictit_market_carries_each_change_forward(client, writer, world):
    _, seeded = world
    start, end = seeded.hours[0], seeded.hour + timedelta(hours=1)
    body = client.get(
        f"/api/markets/{PREDICTIT_MARKET}/history",
        params={"start": start.isoformat(), "end": end.isoformat()},
    ).json()
    assert body["venue"] == "predictit"
    rows = writer.read_table("predictit_market_data").sort_values("timestamp")
    for outcome in body["outcomes"]:
        contract = rows[rows["data_id"] == outcome["market_key"]]
        yes_ask = next(item["values"] for item in outcome["series"] if item["name"] == "yes_ask")
        for stamp, value in zip(outcome["times"], yes_ask, strict=True):
            # The row in force at the bucket's end: the last one stamped before it.
            in_force = contract[contract["timestamp"] < pd.Timestamp(stamp) + pd.Timedelta(hours=1)]
            assert value == pytest.approx(in_force["best_buy_yes_cost"].iloc[-1])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "start"),
        ({"resolution": "5x"}, "resolution"),
        ({"resolution": "0h"}, "resolution"),
        ({"resolution": "1m", "start": "2026-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}, "resolution"),
        ({"start": "1800-01-01T00:00:00Z"}, "start"),
        ({"end": "not a time"}, "end"),
    ],
)
def test_history_says_which_parameter_is_wrong(client, params, field):
    response = client.get("/api/markets/pm-nba-1/history", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_history_of_an_unknown_market_or_the_wrong_venue_is_404(client):
    assert client.get("/api/markets/nope/history").status_code == 404
    assert client.get("/api/markets/pm-nba-1/history", params={"venue": "predictit"}).status_code == 404


def test_signals_carry_their_lifecycle(client, world):
    _, seeded = world
    body = client.get("/api/signals").json()
    by_id = {item["signal_id"]: item for item in body["items"]}
    live = [seeded.live_open, seeded.live_closed] if seeded.live_open else []
    assert set(by_id) == {seeded.open_signal, seeded.closed_signal, *live}
    assert [item["created_at"] for item in body["items"]] == sorted(
        (item["created_at"] for item in body["items"]), reverse=True
    )
    opened, closed = by_id[seeded.open_signal], by_id[seeded.closed_signal]
    assert (opened["status"], opened["closed_at"], opened["source"]) == ("open", None, "batch")
    # A batch signal closes an hour after its as-of time.
    assert closed["status"] == "closed"
    assert pd.Timestamp(closed["closed_at"]) == pd.Timestamp(closed["created_at"]) + pd.Timedelta(hours=1)
    assert (opened["model_version"], opened["stake"], opened["fill_prob"]) == ("3", 100.0, 0.9)
    assert opened["provenance"]["mapping"]["pm_token_id"] == "tok-lal"
    partition = pd.Timestamp(closed["created_at"]).strftime("%Y-%m-%d-%H") + "%3A00"
    assert closed["dagster_url"] == f"{DAGSTER_UI}/assets/signals?view=partitions&partition={partition}"
    assert (opened["title"], opened["league"]) == ("Lakers vs. Celtics", "basketball_nba")
    if live:
        assert by_id[seeded.live_open]["status"] == "open"
        assert (by_id[seeded.live_closed]["status"], by_id[seeded.live_closed]["best_ev"]) == ("closed", 0.06)
        assert by_id[seeded.live_open]["dagster_url"] == f"{DAGSTER_UI}/assets/live_signals"


def test_signals_filter_by_status_time_and_market(client, world):
    _, seeded = world
    live_open = {seeded.live_open} - {None}
    live_closed = {seeded.live_closed} - {None}

    def ids(**params) -> set[str]:
        return {item["signal_id"] for item in client.get("/api/signals", params=params).json()["items"]}

    assert ids(status="open") == {seeded.open_signal, *live_open}
    assert ids(status="closed") == {seeded.closed_signal, *live_closed}
    assert ids(since=(seeded.now - timedelta(hours=1)).isoformat()) == {seeded.open_signal, *live_open}
    assert ids(market_id="pm-epl-1") == set()
    page = client.get("/api/signals", params={"limit": 1, "offset": 1}).json()
    assert (len(page["items"]), page["total"]) == (1, 2 + len(live_open | live_closed))
    assert client.get("/api/signals", params={"status": "pending"}).status_code == 422


def test_a_signal_leads_back_to_its_quotes_book_mapping_and_consensus(client, writer, world):
    _, seeded = world
    trail = client.get(f"/api/signals/{seeded.open_signal}").json()
    assert trail["signal"]["signal_id"] == seeded.open_signal
    quotes = writer.read_table("quotes")
    at_hour = quotes[quotes["quote_ts"] == pd.Timestamp(seeded.hour)]
    expected = at_hour[at_hour["market_key"].isin(["tok-lal", "ev-nba-1"])]
    assert len(trail["quotes"]) == len(expected)
    assert {(q["venue"], q["bookmaker"], q["side"]) for q in trail["quotes"]} == set(
        zip(expected["venue"], expected["bookmaker"], expected["side"], strict=True)
    )
    books = writer.read_table("order_book_snapshots")
    book = books[(books["snapshot_ts"] == pd.Timestamp(seeded.hour)) & (books["token_id"] == "tok-lal")]
    assert len(trail["book_snapshot"]) == len(book)
    assert trail["mapping"]["sportsbook_outcome"] == "Los Angeles Lakers"
    assert trail["consensus"]["outcome"] == "Los Angeles Lakers"
    assert pd.Timestamp(trail["consensus"]["quote_ts"]) == pd.Timestamp(seeded.hour)
    assert client.get("/api/signals/no-such-signal").status_code == 404


def test_health_reports_the_database_stream_and_last_ingest(client, writer):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and "schema version" in body["database"]["detail"]
    assert body["stream"]["ok"]
    books = writer.read_table("order_book_snapshots")
    assert pd.Timestamp(body["last_ingest"]["order_book_snapshots"]) == books["snapshot_ts"].max()
    assert pd.Timestamp(body["last_ingest_at"]) == max(
        pd.Timestamp(v) for v in body["last_ingest"].values() if v
    )
    assert body["paper_trading"] is False


def test_health_says_paper_trading_once_the_trader_records_a_decision(client, writer):
    decision = {
        "execution_id": "e-health", "decided_at": pd.Timestamp("2026-03-01", tz="UTC").to_pydatetime(),
        "signal_id": "s-health", "mode": "dry", "pm_market_id": "m", "pm_token_id": "t", "outcome": "Yes",
        "price": 0.5, "stake": 10.0, "status": "decided",
    }  # fmt: skip
    insert = sa.text(
        "INSERT INTO executions (execution_id, decided_at, signal_id, mode, pm_market_id, pm_token_id,"
        " outcome, price, stake, status) VALUES (:execution_id, :decided_at, :signal_id, :mode,"
        " :pm_market_id, :pm_token_id, :outcome, :price, :stake, :status)"
    )
    with writer.engine().begin() as connection:
        connection.execute(insert, decision)
    try:
        assert client.get("/api/health").json()["paper_trading"] is True
    finally:
        with writer.engine().begin() as connection:
            connection.execute(sa.text("DELETE FROM executions WHERE execution_id = 'e-health'"))
    assert client.get("/api/health").json()["paper_trading"] is False
