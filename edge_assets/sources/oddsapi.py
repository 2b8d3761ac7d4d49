"""The Odds API v4: parsers of h2h odds (live and historical) and scores, and the quota headers (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from edge_assets.pricing.odds import american_to_decimal, american_to_decimal_where_possible
from edge_assets.sources.parsing import (
    ODDS_HISTORICAL,
    ODDS_LIVE,
    ODDS_SCORES,
    TIMESTAMP,
    ParseResult,
    QuarantinedRecord,
    RecordError,
    TableShape,
    as_bool,
    as_float,
    as_text,
    as_utc,
    build_frame,
    frame_from_columns,
    require,
    utc_instant,
)

OddsFormat = Literal["american", "decimal"]
H2H = "h2h"


@dataclass(frozen=True)
class Quota:
    """The Odds API usage counters from the last response's headers (None when not sent).

    `remaining` and `used` count requests this billing period; `last` is what the last
    request cost (a historical odds call costs more than a live one).
    """

    remaining: int | None
    used: int | None
    last: int | None
    observed_at: datetime

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], observed_at: datetime) -> Quota | None:
        """Read x-requests-remaining/-used/-last; None when the response carried none of them."""
        lowered = {name.lower(): value for name, value in headers.items()}

        def count(name: str) -> int | None:
            value = lowered.get(name)
            try:
                return None if value is None else int(float(value))
            except ValueError:
                return None

        remaining, used, last = (count(f"x-requests-{n}") for n in ("remaining", "used", "last"))
        if remaining is None and used is None and last is None:
            return None
        return cls(remaining, used, last, observed_at)


class QuotaFloorReached(RuntimeError):
    """The Odds API quota fell below the configured floor, so no further request is sent."""


# --------------------------------------------------------------------------------------------
# Parsers
# --------------------------------------------------------------------------------------------


def _instant(value: Any, name: str) -> pd.Timestamp | None:
    """An Odds API instant: ISO 8601, or unix seconds when the request asked `dateFormat=unix`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return pd.Timestamp(value, unit="s", tz="UTC")
    return as_utc(value, name)


def _price(value: Any) -> float:
    """An outcome's price as a finite float; it becomes decimal odds with its whole column."""
    number = as_float(value, "price")
    if number is None:
        raise RecordError("missing price")
    return number


def _decimal_column(prices: np.ndarray, odds_format: OddsFormat) -> np.ndarray:
    """Decimal odds of every price, NaN where a price cannot be (see `_impossible_price_reason`)."""
    if odds_format == "american":
        return american_to_decimal_where_possible(prices)
    return np.where(prices > 1.0, prices, np.nan)


def _impossible_price_reason(number: float, odds_format: OddsFormat) -> str:
    """Why a price that `_decimal_column` turned into NaN is quarantined."""
    if odds_format == "american":
        try:
            american_to_decimal(number)
        except ValueError as error:
            return str(error)
    return f"decimal odds must exceed 1, got {number}"


def _event_header(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": as_text(require(event, "id"), "id"),
        "sport_key": as_text(require(event, "sport_key"), "sport_key"),
        "commence_ts": _instant(require(event, "commence_time"), "commence_time"),
        "home_team": as_text(require(event, "home_team"), "home_team"),
        "away_team": as_text(require(event, "away_team"), "away_team"),
    }


# Where each odds column comes from; the others are per response (`snapshot` of `add_events`).
_EVENT_COLUMNS = ("event_id", "sport_key", "commence_ts", "home_team", "away_team")
_OUTCOME_COLUMNS = ("bookmaker", "book_update_ts", "outcome", "decimal_odds")


class _OddsRows:
    """The rows of one odds table, gathered column by column while the events are read, then
    converted and built once: a dict per row, a timestamp object per value and a conversion per
    price cost more than the reading itself.

    A malformed event is quarantined whole; a malformed bookmaker or outcome only takes itself
    out, quarantined with its event's id so the reason can be traced. An outcome whose price
    cannot be odds is found when its column is converted, and its record goes where reading it
    one by one would have put it.
    """

    def __init__(self, odds_format: OddsFormat) -> None:
        self.odds_format = odds_format
        self.quarantined: list[QuarantinedRecord] = []
        self.snapshots: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.event_snapshot: list[int] = []
        # Per outcome read: its event, bookmaker, update time (UTC nanoseconds), name, price and
        # object, and how many records were quarantined before it (where its own would go).
        self.row_event: list[int] = []
        self.bookmaker: list[str] = []
        self.updated: list[int | None] = []
        self.outcome_name: list[str] = []
        self.price: list[float] = []
        self.outcome: list[Any] = []
        self.slot: list[int] = []
        # Outcomes of bookmakers quarantined after them (a later market of theirs was malformed).
        self.discarded: list[range] = []
        self._update_ns: dict[str, int | None] = {}

    def add_events(self, events: Any, snapshot: dict[str, Any]) -> None:
        """Read one response's events; `snapshot` holds its per-snapshot columns."""
        if not isinstance(events, list):
            self.quarantined.append(QuarantinedRecord({"value": events}, "events is not a list"))
            return
        self.snapshots.append(snapshot)
        for event in events:
            if not isinstance(event, Mapping):
                self.quarantined.append(QuarantinedRecord({"value": event}, "event is not an object"))
                continue
            try:
                header = _event_header(event)
                bookmakers = event.get("bookmakers") or []
                if not isinstance(bookmakers, list):
                    raise RecordError("bookmakers is not a list")
            except RecordError as error:
                weight = _listed_prices(event.get("bookmakers"))
                self.quarantined.append(QuarantinedRecord(dict(event), str(error), weight))
                continue
            self.events.append(header)
            self.event_snapshot.append(len(self.snapshots) - 1)
            for bookmaker in bookmakers:
                first_row = len(self.price)
                try:
                    if not isinstance(bookmaker, Mapping):
                        raise RecordError("bookmaker is not an object")
                    self._add_bookmaker(bookmaker)
                except RecordError as error:
                    self.discarded.append(range(first_row, len(self.price)))
                    record = {"event_id": header["event_id"], "bookmaker": bookmaker}
                    self.quarantined.append(
                        QuarantinedRecord(record, str(error), _listed_prices([bookmaker]))
                    )

    def _add_bookmaker(self, bookmaker: Mapping[str, Any]) -> None:
        """One row per h2h outcome of the last event's `bookmaker`; other markets (spreads,
        totals) are skipped. Consensus leaves a market missing an outcome out by itself."""
        key = as_text(require(bookmaker, "key"), "bookmaker.key")
        markets = bookmaker.get("markets") or []
        if not isinstance(markets, list):
            raise RecordError("bookmaker markets is not a list")
        event_index = len(self.events) - 1
        for market in markets:
            if not isinstance(market, Mapping) or market.get("key") != H2H:
                continue
            # The market's own update time is the price's; the bookmaker's covers all its markets.
            updated = self._update_time(market.get("last_update") or bookmaker.get("last_update"))
            outcomes = market.get("outcomes")
            if not isinstance(outcomes, list) or not outcomes:
                raise RecordError(f"h2h market of {key} has no outcomes")
            names = [outcome.get("name") for outcome in outcomes if isinstance(outcome, Mapping)]
            repeated = {name for name in names if name is not None and names.count(name) > 1}
            if repeated:  # which of two prices is the book's cannot be told: the market is unusable
                raise RecordError(f"h2h market of {key} lists {sorted(map(str, repeated))[0]!r} twice")
            for outcome in outcomes:
                try:
                    if not isinstance(outcome, Mapping):
                        raise RecordError(f"h2h outcome of {key} is not an object")
                    name = as_text(require(outcome, "name"), "outcome.name")
                    price = _price(outcome.get("price"))
                except RecordError as error:
                    record = {
                        "event_id": self.events[event_index]["event_id"],
                        "bookmaker": key,
                        "outcome": outcome,
                    }
                    self.quarantined.append(QuarantinedRecord(record, str(error)))
                    continue
                self.row_event.append(event_index)
                self.bookmaker.append(key)
                self.updated.append(updated)
                self.outcome_name.append(name)
                self.price.append(price)
                self.outcome.append(outcome)
                self.slot.append(len(self.quarantined))

    def _update_time(self, value: Any) -> int | None:
        """`_instant` of a last_update in UTC nanoseconds, each distinct string parsed once: an
        event's bookmakers mostly share a few update times."""
        if type(value) is str and value in self._update_ns:
            return self._update_ns[value]
        stamp = _instant(value, "last_update")
        nanoseconds = None if stamp is None else stamp.value
        if type(value) is str:
            self._update_ns[value] = nanoseconds
        return nanoseconds

    def result(self, shape: TableShape) -> ParseResult:
        """The rows as a `shape` frame, and every quarantined record in reading order."""
        decimal = _decimal_column(np.array(self.price, dtype=np.float64), self.odds_format)
        impossible = np.isnan(decimal)
        quarantined = self._with_impossible_prices(np.flatnonzero(impossible).tolist())
        kept = ~impossible
        for span in self.discarded:
            kept[span.start : span.stop] = False
        rows = np.flatnonzero(kept)
        if not rows.size:
            return ParseResult(build_frame(shape, []), quarantined)
        row_event = np.array(self.row_event, dtype=np.intp)[rows]
        row_snapshot = np.array(self.event_snapshot, dtype=np.intp)[row_event]
        by_outcome = {
            "bookmaker": np.array(self.bookmaker, dtype=object)[rows],
            "book_update_ts": pd.DatetimeIndex(
                np.array(self.updated, dtype="datetime64[ns]")[rows]
            ).tz_localize("UTC"),
            "outcome": np.array(self.outcome_name, dtype=object)[rows],
            "decimal_odds": decimal[rows],
        }
        columns = {}
        for name, kind in shape.columns.items():
            if name in _OUTCOME_COLUMNS:
                columns[name] = by_outcome[name]
            elif name in _EVENT_COLUMNS:
                columns[name] = _taken([event[name] for event in self.events], row_event, kind)
            else:
                columns[name] = _taken([snapshot[name] for snapshot in self.snapshots], row_snapshot, kind)
        return ParseResult(frame_from_columns(shape, columns), quarantined)

    def _with_impossible_prices(self, rows: list[int]) -> list[QuarantinedRecord]:
        """The quarantined records with those of the outcomes `rows` (their prices cannot be odds)
        placed where each was read: slots never decrease along the rows."""
        merged: list[QuarantinedRecord] = []
        start = 0
        for row in rows:
            slot = self.slot[row]
            merged.extend(self.quarantined[start:slot])
            start = slot
            record = {
                "event_id": self.events[self.row_event[row]]["event_id"],
                "bookmaker": self.bookmaker[row],
                "outcome": self.outcome[row],
            }
            merged.append(
                QuarantinedRecord(record, _impossible_price_reason(self.price[row], self.odds_format))
            )
        merged.extend(self.quarantined[start:])
        return merged


def _taken(values: list, positions: np.ndarray, kind: str) -> Any:
    """`values` (one per event or response) repeated to rows by position."""
    if kind == TIMESTAMP:
        return pd.DatetimeIndex(values)[positions]
    return np.array(values, dtype=object)[positions]


def _listed_prices(bookmakers: Any) -> int:
    """How many outcome prices `bookmakers` (an event's list, perhaps malformed) lists, at least one:
    the rows a quarantined event or bookmaker would have landed as."""
    count = 0
    for bookmaker in bookmakers if isinstance(bookmakers, list) else []:
        markets = bookmaker.get("markets") if isinstance(bookmaker, Mapping) else None
        for market in markets if isinstance(markets, list) else []:
            outcomes = market.get("outcomes") if isinstance(market, Mapping) else None
            count += len(outcomes) if isinstance(outcomes, list) else 0
    return max(count, 1)


def parse_odds_events(
    events: list[dict], snapshot_ts: datetime, fetched_at: datetime, odds_format: OddsFormat
) -> ParseResult:
    """Rows of `oddsapi_live_odds` from a `/sports/{sport}/odds` response, prices as decimal odds."""
    snapshot = {
        "snapshot_ts": utc_instant(snapshot_ts, "snapshot_ts"),
        "fetched_at": utc_instant(fetched_at, "fetched_at"),
    }
    rows = _OddsRows(odds_format)
    rows.add_events(events, snapshot)
    return rows.result(ODDS_LIVE)


def parse_historical_odds(
    wrapper: dict, partition_ts: datetime, fetched_at: datetime, odds_format: OddsFormat
) -> ParseResult:
    """Rows of `oddsapi_historical_odds` from a historical odds response.

    The response wraps the events as `{"timestamp", "previous_timestamp", "next_timestamp",
    "data"}`; `snapshot_ts` is that `timestamp`, the snapshot actually served for `partition_ts`.
    A snapshot later than the hour it was asked for cannot belong to it and is quarantined.
    """
    return parse_historical_snapshots([(wrapper, fetched_at)], partition_ts, odds_format)


def parse_historical_snapshots(
    responses: list[tuple[Any, datetime]], partition_ts: datetime, odds_format: OddsFormat
) -> ParseResult:
    """`parse_historical_odds` over several responses for one hour (e.g. one per sport), as one
    frame: building a frame costs more than parsing a response, so an hour is built once."""
    partition = utc_instant(partition_ts, "partition_ts")
    rows = _OddsRows(odds_format)
    for wrapper, fetched_at in responses:
        snapshot = _historical_base(
            wrapper, partition, utc_instant(fetched_at, "fetched_at"), rows.quarantined
        )
        if snapshot is not None:
            rows.add_events(wrapper["data"], snapshot)
    return rows.result(ODDS_HISTORICAL)


def _historical_base(
    wrapper: Any, partition: datetime, fetched: datetime, quarantined: list[QuarantinedRecord]
) -> dict[str, Any] | None:
    """The per-snapshot columns of a historical response, or None (quarantined) when it is unusable."""
    try:
        if not isinstance(wrapper, Mapping):
            raise RecordError("historical response is not an object")
        snapshot = as_utc(require(wrapper, "timestamp"), "timestamp")
        if snapshot > partition:
            raise RecordError(
                f"snapshot {snapshot.isoformat()} is after the requested {partition.isoformat()}"
            )
        if not isinstance(wrapper.get("data"), list):
            raise RecordError("historical response has no data list")
    except RecordError as error:
        record = (
            {key: value for key, value in wrapper.items() if key != "data"}
            if isinstance(wrapper, Mapping)
            else {"value": wrapper}
        )
        quarantined.append(QuarantinedRecord(record, str(error)))
        return None
    return {"partition_ts": partition, "snapshot_ts": snapshot, "fetched_at": fetched}


def _score(value: Any, team: str) -> int | None:
    """A team's score, sent as a string; cricket's "runs/wickets" keeps the runs."""
    if value is None:
        return None
    text = str(value).split("/", 1)[0].strip()
    if not text.isdigit():
        raise RecordError(f"score of {team} is not a whole number: {value!r}")
    return int(text)


def parse_scores(events: list[dict], fetched_at: datetime) -> ParseResult:
    """Rows of `oddsapi_scores` from a `/sports/{sport}/scores` response (null scores before kick-off)."""
    fetched = utc_instant(fetched_at, "fetched_at")
    rows: list[dict[str, Any]] = []
    quarantined: list[QuarantinedRecord] = []
    for event in events:
        if not isinstance(event, Mapping):
            quarantined.append(QuarantinedRecord({"value": event}, "event is not an object"))
            continue
        try:
            row = _event_header(event)
            scores = event.get("scores") or []
            if not isinstance(scores, list):
                raise RecordError("scores is not a list")
            by_team = {}
            for score in scores:
                if not isinstance(score, Mapping):
                    raise RecordError("a score is not an object")
                by_team[score.get("name")] = score.get("score")
            unknown = set(by_team) - {row["home_team"], row["away_team"]}
            if unknown:
                raise RecordError(f"scores name teams not in the event: {sorted(map(str, unknown))}")
            row.update(
                {
                    "completed": as_bool(require(event, "completed"), "completed"),
                    "home_score": _score(by_team.get(row["home_team"]), row["home_team"]),
                    "away_score": _score(by_team.get(row["away_team"]), row["away_team"]),
                    "last_update_ts": _instant(event.get("last_update"), "last_update"),
                    "fetched_at": fetched,
                }
            )
        except RecordError as error:
            quarantined.append(QuarantinedRecord(dict(event), str(error)))
            continue
        rows.append(row)
    frame = build_frame(ODDS_SCORES, rows).drop_duplicates("event_id", keep="last").reset_index(drop=True)
    return ParseResult(frame, quarantined)
