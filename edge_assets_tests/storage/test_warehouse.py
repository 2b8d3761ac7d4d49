"""Warehouse writes are idempotent, transactional and round-trip timestamps on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_assets.storage.db import Warehouse, database_url_for_home

HOUR = timedelta(hours=1)
T0 = datetime(2026, 11, 20, 13, tzinfo=UTC)


def consensus_rows(quote_ts: datetime, events: int, fair_prob: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quote_ts": [quote_ts] * events,
            "event_id": [f"ev{i}" for i in range(events)],
            "outcome": ["home"] * events,
            "fair_prob": [fair_prob] * events,
            "n_books": [3] * events,
            "dispersion": [0.01] * events,
            "method": ["shin"] * events,
        }
    )


def all_consensus(warehouse: Warehouse) -> pd.DataFrame:
    frame = warehouse.read_frame("SELECT * FROM consensus ORDER BY quote_ts, event_id")
    return frame.reset_index(drop=True)


@pytest.fixture
def warehouse(database_url: str) -> Warehouse:
    return Warehouse(url=database_url)


def test_replace_window_is_idempotent_and_leaves_other_windows(warehouse: Warehouse) -> None:
    warehouse.replace_window("consensus", consensus_rows(T0 - HOUR, 2), "quote_ts", T0 - HOUR, T0)
    warehouse.replace_window("consensus", consensus_rows(T0 + HOUR, 2), "quote_ts", T0 + HOUR, T0 + 2 * HOUR)
    frame = consensus_rows(T0 + timedelta(minutes=30), 3, fair_prob=0.6)

    assert warehouse.replace_window("consensus", frame, "quote_ts", T0, T0 + HOUR) == 3
    first = all_consensus(warehouse)
    assert warehouse.replace_window("consensus", frame, "quote_ts", T0, T0 + HOUR) == 3
    second = all_consensus(warehouse)

    pd.testing.assert_frame_equal(first, second)
    assert second.groupby("quote_ts").size().tolist() == [2, 3, 2]


def test_replace_window_rejects_rows_outside_the_window(warehouse: Warehouse) -> None:
    with pytest.raises(ValueError, match="outside"):
        warehouse.replace_window("consensus", consensus_rows(T0 + HOUR, 1), "quote_ts", T0, T0 + HOUR)


def test_failed_insert_in_replace_window_rolls_back(warehouse: Warehouse) -> None:
    warehouse.replace_window("consensus", consensus_rows(T0, 2), "quote_ts", T0, T0 + HOUR)
    broken = consensus_rows(T0, 2)
    broken.loc[1, "method"] = None  # NOT NULL violation after the delete has run

    with pytest.raises(Exception, match="(?i)null"):
        warehouse.replace_window("consensus", broken, "quote_ts", T0, T0 + HOUR)

    assert all_consensus(warehouse)["method"].tolist() == ["shin", "shin"]


def test_upsert_updates_existing_and_inserts_new(warehouse: Warehouse) -> None:
    aliases = pd.DataFrame({"league": ["nba", "nba"], "alias": ["lakers", "celtics"], "team": ["LA", "BOS"]})
    aliases["source"] = "seed"
    assert warehouse.upsert("team_aliases", aliases, ["league", "alias"]) == 2

    changed = pd.DataFrame(
        {"league": ["nba", "nba"], "alias": ["lakers", "knicks"], "team": ["Los Angeles Lakers", "NYK"]}
    )
    changed["source"] = "manual"
    assert warehouse.upsert("team_aliases", changed, ["league", "alias"]) == 2

    rows = warehouse.read_frame("SELECT alias, team, source FROM team_aliases ORDER BY alias")
    assert rows.to_dict("records") == [
        {"alias": "celtics", "team": "BOS", "source": "seed"},
        {"alias": "knicks", "team": "NYK", "source": "manual"},
        {"alias": "lakers", "team": "Los Angeles Lakers", "source": "manual"},
    ]


def test_insert_missing_does_not_duplicate(warehouse: Warehouse) -> None:
    quotes = pd.DataFrame(
        {
            "data_id": ["a", "b", "b"],
            "timestamp": [T0, T0, T0],
            "market_id": ["m"] * 3,
            "market_name": ["M"] * 3,
            "contract_name": ["C"] * 3,
            "last_trade_price": [0.4, np.nan, 0.9],
            "fetched_at": [T0] * 3,
        }
    )
    assert warehouse.insert_missing("predictit_market_data", quotes.iloc[:1], ["data_id", "timestamp"]) == 1
    assert warehouse.insert_missing("predictit_market_data", quotes, ["data_id", "timestamp"]) == 1

    rows = warehouse.read_frame(
        "SELECT data_id, last_trade_price FROM predictit_market_data ORDER BY data_id"
    )
    assert rows["data_id"].tolist() == ["a", "b"]
    assert rows["last_trade_price"].isna().tolist() == [False, True]  # NaN was stored as NULL


def test_timestamps_round_trip_tz_aware_utc(warehouse: Warehouse) -> None:
    stamps = pd.Series(
        [
            datetime(2026, 11, 20, 13, 0, 0, 123456, tzinfo=UTC),
            pd.Timestamp("2026-11-20 09:30:00.5", tz="America/New_York"),
            None,
        ]
    )
    alerts = pd.DataFrame(
        {
            "alert_id": ["a1", "a2", "a3"],
            "created_at": [T0, T0 + HOUR, T0 + 2 * HOUR],
            "kind": "signal",
            "severity": "info",
            "subject": "s",
            "message": "m",
            "delivery_status": "pending",
            "delivered_at": stamps,
        }
    )
    warehouse.replace_all("alerts", alerts)

    rows = warehouse.read_frame(
        "SELECT alert_id, created_at, delivered_at FROM alerts WHERE created_at >= :since ORDER BY alert_id",
        {"since": T0 + HOUR},
    )

    assert str(rows["delivered_at"].dtype).endswith("UTC]")
    assert rows["alert_id"].tolist() == ["a2", "a3"]
    assert rows["created_at"].tolist() == [pd.Timestamp(T0 + HOUR), pd.Timestamp(T0 + 2 * HOUR)]
    assert rows["delivered_at"].iloc[0] == pd.Timestamp("2026-11-20 14:30:00.5", tz="UTC")
    assert pd.isna(rows["delivered_at"].iloc[1])


def test_window_delete_compares_instants_across_offsets(warehouse: Warehouse) -> None:
    """A window given in another time zone selects the same instants (text order = time order)."""
    warehouse.replace_window("consensus", consensus_rows(T0, 1), "quote_ts", T0, T0 + HOUR)
    new_york = pd.Timestamp(T0).tz_convert("America/New_York").to_pydatetime()

    warehouse.replace_window("consensus", consensus_rows(T0, 2), "quote_ts", new_york, new_york + HOUR)

    window = warehouse.read_table("consensus", "quote_ts", T0, T0 + HOUR)
    assert len(window) == 2


def test_replace_all_and_unknown_columns(warehouse: Warehouse) -> None:
    warehouse.replace_all("consensus", consensus_rows(T0, 3))
    assert warehouse.replace_all("consensus", consensus_rows(T0, 1)) == 1
    assert len(all_consensus(warehouse)) == 1
    with pytest.raises(ValueError, match="not in table"):
        warehouse.upsert(
            "consensus", consensus_rows(T0, 1).assign(bogus=1), ["quote_ts", "event_id", "outcome"]
        )


def test_empty_frames_and_results(warehouse: Warehouse) -> None:
    empty = consensus_rows(T0, 0)
    assert warehouse.replace_window("consensus", empty, "quote_ts", T0, T0 + HOUR) == 0
    rows = warehouse.read_frame("SELECT quote_ts, event_id FROM consensus")
    assert list(rows.columns) == ["quote_ts", "event_id"] and rows.empty


def test_database_url_for_home_creates_parent_directory(tmp_path) -> None:
    url = database_url_for_home(tmp_path / "home")
    assert url == f"sqlite:///{tmp_path / 'home' / 'edge.db'}"
    Warehouse(url=url).read_frame("SELECT 1 AS one")
    assert (tmp_path / "home" / "edge.db").is_file()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(
        st.one_of(st.none(), st.sampled_from([0, 1, 999_999, 3_600_000_000]), st.integers(0, 10**11)),
        min_size=1,
        max_size=40,
    )
)
def test_book_timestamps_round_trip_when_repeated_or_missing(tmp_path, offsets: list[int | None]) -> None:
    """Each distinct instant is formatted once on SQLite: many rows sharing an instant, NaT among
    them, and instants a microsecond apart still come back as written, row by row."""
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")
    stamps = pd.Series([None if o is None else T0 + timedelta(microseconds=o) for o in offsets])
    books = pd.DataFrame(
        {
            "snapshot_ts": T0,
            "token_id": "t",
            "market_id": "m",
            "side": "ask",
            "level": range(len(offsets)),
            "price": 0.5,
            "size": 10.0,
            "tick_size": [np.nan if o is None else 0.01 for o in offsets],
            "book_ts": pd.to_datetime(stamps, utc=True),
            "fetched_at": T0 + HOUR,
        }
    )
    warehouse.replace_all("order_book_snapshots", books)

    rows = warehouse.read_frame("SELECT level, tick_size, book_ts FROM order_book_snapshots ORDER BY level")

    assert rows["book_ts"].tolist() == books["book_ts"].tolist()
    assert rows["tick_size"].isna().tolist() == [o is None for o in offsets]
