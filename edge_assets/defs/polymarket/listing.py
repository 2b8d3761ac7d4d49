"""Books no capture asked for: those of a market whose Gamma listing was quarantined.

An hour's book capture asks the CLOB for the tokens of the markets table (`plan_book_capture`). A
market whose record was malformed at every poll before the capture is not in that table, so its
books were never requested: no request failed, no book record was quarantined, and the hour
materialized without them (in the all-knobs demo, 27,811 book rows that nothing explained). They
are not lost but waiting on the market's quarantine record, until a poll lists it cleanly; then a
backfill of those hours captures them. The hour is captured again whole (its rows replaced), so its
recheck sample, drawn from the hour's tokens, is the full universe's again too.

The CLOB leaves out the books of tokens it does not know yet, so the books that came back cannot say
which tokens were asked for. A run of the hourly sources therefore carries, as `UNLISTED_TAG`, the
quarantined markets its capture could not ask for, and the hours its books landed say where.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import dagster as dg
import pandas as pd

from edge_assets.defs.partitions import HOURLY_KEY_FORMAT, HOURLY_PARTITIONS
from edge_assets.sources.parsing import RecordError, as_bool, as_utc
from edge_assets.sources.universe import open_at
from edge_assets.storage.db import Warehouse

UNLISTED_TAG = "edge/unlisted_markets"
SNAPSHOTS = dg.AssetKey("order_book_snapshots")


@dataclass(frozen=True)
class BooksWaiting:
    """A market whose listing was quarantined, and the hours (hour starts) whose landed books its
    capture did not ask for, the market being unknown then."""

    market_id: str
    reason: str  # the latest quarantine reason of its record
    listed: bool  # a later poll listed it cleanly: a backfill of `hours` captures its books
    hours: list[datetime]

    @property
    def hour_keys(self) -> list[str]:
        return [hour.strftime(HOURLY_KEY_FORMAT) for hour in self.hours]


def unlisted_tag(warehouse: Warehouse) -> dict[str, str]:
    """The run tag naming the quarantined markets missing from the markets table, whose books a
    capture from that table does not ask for."""
    quarantined = _quarantined_markets(warehouse)
    listed = set(_listed(warehouse, quarantined)["market_id"])
    return {UNLISTED_TAG: json.dumps(sorted(set(quarantined) - listed))}


def books_waiting_on_listing(
    instance: dg.DagsterInstance, warehouse: Warehouse, first: datetime, last: datetime
) -> list[BooksWaiting]:
    """Each quarantined market whose books the latest landing of some hour first .. last did not
    ask for. The runs carrying `UNLISTED_TAG` are read in order: each hour one of them landed is
    judged by that run's tag, for the markets open then (by their table row once listed,
    else by the quarantined record's game time)."""
    quarantined = _quarantined_markets(warehouse)
    if not quarantined:
        return []
    listed = _listed(warehouse, quarantined)
    listed_ids = set(listed["market_id"])
    # Each market's window as `open_at` reads it: its table row once listed, else its record's.
    windows = pd.DataFrame(
        [
            *listed[["market_id", "game_start_ts", "closed"]].to_dict("records"),
            *(
                {"market_id": market_id, **_record_window(record)}
                for market_id, (_, record) in quarantined.items()
                if market_id not in listed_ids
            ),
        ],
        columns=["market_id", "game_start_ts", "closed"],
    )
    windows["game_start_ts"] = pd.to_datetime(windows["game_start_ts"], utc=True)
    first_key, last_key = first.strftime(HOURLY_KEY_FORMAT), last.strftime(HOURLY_KEY_FORMAT)
    in_range = set(HOURLY_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(first_key, last_key)))
    not_asked: dict[tuple[str, str], bool] = {}
    for run in instance.get_runs(ascending=True):  # runs without the tag (not the demo's) are not judged
        if UNLISTED_TAG not in run.tags:
            continue
        unlisted = set(json.loads(run.tags[UNLISTED_TAG]))
        for key in sorted(_landed_hours(instance, run.run_id) & in_range):
            hour = HOURLY_PARTITIONS.time_window_for_partition_key(key).start
            for market_id in windows.loc[open_at(windows, hour), "market_id"]:
                not_asked[(key, market_id)] = market_id in unlisted
    hours: dict[str, list[datetime]] = {}
    for (key, market_id), missed in sorted(not_asked.items()):
        if missed:
            hours.setdefault(market_id, []).append(HOURLY_PARTITIONS.time_window_for_partition_key(key).start)
    return [
        BooksWaiting(market_id, quarantined[market_id][0], market_id in listed_ids, market_hours)
        for market_id, market_hours in sorted(hours.items())
    ]


def _quarantined_markets(warehouse: Warehouse) -> dict[str, tuple[str, dict]]:
    """Each market id a markets poll quarantined, with its latest reason and record. Only market
    records count (they carry `outcomes`): a Gamma event without its markets names no market."""
    rows = warehouse.read_frame(
        "SELECT reason, record FROM quarantine WHERE venue = 'polymarket' AND asset = 'markets' "
        "ORDER BY quarantined_at"
    )
    quarantined = {}
    for reason, text in zip(rows["reason"], rows["record"], strict=True):
        record = json.loads(text)
        if "outcomes" in record and record.get("id") is not None:
            quarantined[str(record["id"])] = (reason, record)
    return quarantined


def _listed(warehouse: Warehouse, quarantined: dict) -> pd.DataFrame:
    """The table rows of the `quarantined` markets that a poll has listed cleanly."""
    markets = warehouse.read_frame("SELECT market_id, game_start_ts, closed FROM polymarket_markets")
    return markets[markets["market_id"].isin(quarantined)].reset_index(drop=True)


def _record_window(record: dict) -> dict:
    """The game time and closed flag of a quarantined market record, as `open_at` reads them; a
    value that does not parse is unknown (no game time: open while not closed)."""
    try:
        start = as_utc(record.get("gameStartTime") or record.get("eventStartTime"), "gameStartTime")
    except RecordError:
        start = None
    try:
        closed = bool(as_bool(record.get("closed"), "closed"))
    except RecordError:
        closed = False
    return {"game_start_ts": start, "closed": closed}


def _landed_hours(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """The hours whose order-book snapshots the run materialized."""
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    return {
        event.asset_materialization.partition
        for event in events
        if event.asset_materialization.asset_key == SNAPSHOTS and event.asset_materialization.partition
    }
