"""The Odds API v4: parsers of h2h odds (live and historical) and scores, and the quota headers (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from edge_assets.pricing import american_to_decimal
from edge_assets.sources.parsing import (
    ODDS_HISTORICAL,
    ODDS_LIVE,
    ODDS_SCORES,
    ParseResult,
    QuarantinedRecord,
    RecordError,
    TableShape,
    as_bool,
    as_float,
    as_text,
    as_utc,
    build_frame,
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


def _decimal_odds(price: Any, odds_format: OddsFormat) -> float:
    number = as_float(price, "price")
    if number is None:
        raise RecordError("missing price")
    if odds_format == "american":
        try:
            return float(american_to_decimal(number))
        except ValueError as error:
            raise RecordError(str(error)) from None
    if number <= 1.0:
        raise RecordError(f"decimal odds must exceed 1, got {number}")
    return number


def _event_header(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": as_text(require(event, "id"), "id"),
        "sport_key": as_text(require(event, "sport_key"), "sport_key"),
        "commence_ts": _instant(require(event, "commence_time"), "commence_time"),
        "home_team": as_text(require(event, "home_team"), "home_team"),
        "away_team": as_text(require(event, "away_team"), "away_team"),
    }


def _bookmaker_rows(
    bookmaker: Mapping[str, Any], odds_format: OddsFormat, event_id: str, quarantined: list[QuarantinedRecord]
) -> list[dict[str, Any]]:
    """One row per h2h outcome of one bookmaker; other markets (spreads, totals) are skipped.

    A malformed outcome (no name, a bad price) is quarantined alone with its event and bookmaker,
    and the bookmaker's other outcomes land: consensus leaves an incomplete market out by itself.
    """
    key = as_text(require(bookmaker, "key"), "bookmaker.key")
    markets = bookmaker.get("markets") or []
    if not isinstance(markets, list):
        raise RecordError("bookmaker markets is not a list")
    rows = []
    for market in markets:
        if not isinstance(market, Mapping) or market.get("key") != H2H:
            continue
        # The market's own update time is the price's; the bookmaker's covers all its markets.
        updated = _instant(market.get("last_update") or bookmaker.get("last_update"), "last_update")
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
                row = {
                    "bookmaker": key,
                    "book_update_ts": updated,
                    "outcome": as_text(require(outcome, "name"), "outcome.name"),
                    "decimal_odds": _decimal_odds(outcome.get("price"), odds_format),
                }
            except RecordError as error:
                record = {"event_id": event_id, "bookmaker": key, "outcome": outcome}
                quarantined.append(QuarantinedRecord(record, str(error)))
                continue
            rows.append(row)
    return rows


def _parse_events(
    events: Any, shape: TableShape, base: dict[str, Any], odds_format: OddsFormat
) -> ParseResult:
    """Shared by live and historical odds: `base` holds the per-snapshot columns."""
    quarantined: list[QuarantinedRecord] = []
    rows = _event_rows(events, base, odds_format, quarantined)
    return ParseResult(build_frame(shape, rows), quarantined)


def _event_rows(
    events: Any, base: dict[str, Any], odds_format: OddsFormat, quarantined: list[QuarantinedRecord]
) -> list[dict[str, Any]]:
    """One row per outcome price of `events`, with `base`'s columns; bad records go to `quarantined`.

    A malformed event is quarantined whole; a malformed bookmaker or outcome only takes itself
    out, quarantined with its event's id so the reason can be traced.
    """
    rows: list[dict[str, Any]] = []
    if not isinstance(events, list):
        quarantined.append(QuarantinedRecord({"value": events}, "events is not a list"))
        return rows
    for event in events:
        if not isinstance(event, Mapping):
            quarantined.append(QuarantinedRecord({"value": event}, "event is not an object"))
            continue
        try:
            header = _event_header(event)
            bookmakers = event.get("bookmakers") or []
            if not isinstance(bookmakers, list):
                raise RecordError("bookmakers is not a list")
        except RecordError as error:
            weight = _listed_prices(event.get("bookmakers"))
            quarantined.append(QuarantinedRecord(dict(event), str(error), weight))
            continue
        for bookmaker in bookmakers:
            try:
                if not isinstance(bookmaker, Mapping):
                    raise RecordError("bookmaker is not an object")
                book_rows = _bookmaker_rows(bookmaker, odds_format, header["event_id"], quarantined)
            except RecordError as error:
                record = {"event_id": header["event_id"], "bookmaker": bookmaker}
                quarantined.append(QuarantinedRecord(record, str(error), _listed_prices([bookmaker])))
                continue
            rows.extend({**base, **header, **row} for row in book_rows)
    return rows


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
    base = {
        "snapshot_ts": utc_instant(snapshot_ts, "snapshot_ts"),
        "fetched_at": utc_instant(fetched_at, "fetched_at"),
    }
    return _parse_events(events, ODDS_LIVE, base, odds_format)


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
    quarantined: list[QuarantinedRecord] = []
    rows: list[dict[str, Any]] = []
    for wrapper, fetched_at in responses:
        base = _historical_base(wrapper, partition, utc_instant(fetched_at, "fetched_at"), quarantined)
        if base is not None:
            rows.extend(_event_rows(wrapper["data"], base, odds_format, quarantined))
    return ParseResult(build_frame(ODDS_HISTORICAL, rows), quarantined)


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
