"""What every venue parser shares: table shapes, the result type and value coercion.

Parsers turn each venue record into rows, coercing values with the helpers below; a helper
that meets a bad value raises `RecordError`, the parser quarantines that record with the
reason and carries on. `build_frame` then gives the rows exactly the columns and dtypes of
the target table in `sql/migrations` (the schema source; a test keeps the two in step).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

# Column kinds: text -> object of str, float -> float64, int -> int64 (Int64 when nullable),
# bool -> object of Python bool, timestamp -> datetime64[ns, UTC].
TEXT, FLOAT, INT, BOOL, TIMESTAMP = "text", "float", "int", "bool", "timestamp"


@dataclass(frozen=True)
class TableShape:
    """The columns of one SQL table, in order, with their kinds and NOT NULL constraints."""

    name: str
    columns: dict[str, str]
    not_null: frozenset[str]


def _shape(name: str, columns: str, not_null: str) -> TableShape:
    parsed = dict(part.split(":") for part in columns.split())
    return TableShape(name, parsed, frozenset(not_null.split()))


MARKETS = _shape(
    "polymarket_markets",
    "market_id:text condition_id:text question:text slug:text event_id:text event_title:text"
    " sports_market_type:text game_start_ts:timestamp end_ts:timestamp active:bool closed:bool"
    " neg_risk:bool outcomes:text clob_token_ids:text outcome_prices:text best_bid:float best_ask:float"
    " fee_rate:float fee_exponent:float fee_taker_only:bool fee_rebate_rate:float tick_size:float"
    " min_order_size:float updated_at:timestamp fetched_at:timestamp closed_ts:timestamp",
    "market_id question active closed neg_risk outcomes clob_token_ids fetched_at",
)
RESOLUTIONS = _shape(
    "polymarket_resolutions",
    "token_id:text market_id:text outcome:text payout:float resolved_at:timestamp fetched_at:timestamp",
    "token_id market_id outcome payout fetched_at",
)
ORDER_BOOKS = _shape(
    "order_book_snapshots",
    "snapshot_ts:timestamp token_id:text market_id:text side:text level:int price:float size:float"
    " tick_size:float min_order_size:float book_ts:timestamp fetched_at:timestamp",
    "snapshot_ts token_id market_id side level price size fetched_at",
)
_ODDS_COLUMNS = (
    "snapshot_ts:timestamp event_id:text sport_key:text commence_ts:timestamp home_team:text away_team:text"
    " bookmaker:text book_update_ts:timestamp outcome:text decimal_odds:float fetched_at:timestamp"
)
_ODDS_NOT_NULL = (
    "snapshot_ts event_id sport_key commence_ts home_team away_team bookmaker outcome decimal_odds fetched_at"
)
ODDS_LIVE = _shape("oddsapi_live_odds", _ODDS_COLUMNS, _ODDS_NOT_NULL)
ODDS_HISTORICAL = _shape(
    "oddsapi_historical_odds", "partition_ts:timestamp " + _ODDS_COLUMNS, "partition_ts " + _ODDS_NOT_NULL
)
ODDS_SCORES = _shape(
    "oddsapi_scores",
    "event_id:text sport_key:text commence_ts:timestamp completed:bool home_team:text away_team:text"
    " home_score:int away_score:int last_update_ts:timestamp fetched_at:timestamp",
    "event_id sport_key commence_ts completed home_team away_team fetched_at",
)
MARKET_DATA = _shape(
    "predictit_market_data",
    "data_id:text timestamp:timestamp market_id:text market_name:text contract_name:text status:text"
    " date_end_ts:timestamp last_trade_price:float best_buy_yes_cost:float best_buy_no_cost:float"
    " best_sell_yes_cost:float best_sell_no_cost:float last_close_price:float fetched_at:timestamp",
    "data_id timestamp market_id market_name contract_name fetched_at",
)
TABLE_SHAPES = {
    shape.name: shape
    for shape in (MARKETS, RESOLUTIONS, ORDER_BOOKS, ODDS_LIVE, ODDS_HISTORICAL, ODDS_SCORES, MARKET_DATA)
}


@dataclass(frozen=True)
class QuarantinedRecord:
    """A venue record that could not be parsed, kept whole with the reason why, and how many rows
    it would have landed as (a whole event: one per outcome price it lists)."""

    record: dict
    reason: str
    rows: int = 1


@dataclass
class ParseResult:
    """Rows that parsed (as a table-shaped frame) and the records that did not."""

    frame: pd.DataFrame
    quarantined: list[QuarantinedRecord] = field(default_factory=list)


class RecordError(ValueError):
    """A record is unusable; the message is the quarantine reason."""


def build_frame(shape: TableShape, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A frame with exactly `shape`'s columns, in order, each in the dtype its kind implies."""
    rows = list(rows)
    return frame_from_columns(shape, {name: [row.get(name) for row in rows] for name in shape.columns})


def frame_from_columns(shape: TableShape, values_by_column: Mapping[str, Any]) -> pd.DataFrame:
    """`build_frame` from column-wise values (lists, arrays or DatetimeIndexes of equal length), for
    parsers that expand per-record fields to many rows without building a dict per row."""
    columns = {}
    for name, kind in shape.columns.items():
        values = values_by_column[name]
        if kind == TIMESTAMP and isinstance(values, pd.DatetimeIndex):  # already instants: no parsing
            series = pd.Series(values.tz_convert("UTC").as_unit("ns"))
        elif kind == TIMESTAMP:
            series = pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[ns, UTC]")
        elif kind == FLOAT:
            series = pd.Series(values, dtype="float64")
        elif kind == INT:
            series = pd.Series(values, dtype="int64" if name in shape.not_null else "Int64")
        else:
            series = pd.Series(values, dtype="object")
        columns[name] = series
    return pd.DataFrame(columns, columns=list(shape.columns))


def check_not_null(shape: TableShape, row: Mapping[str, Any]) -> None:
    """Raise `RecordError` naming the first NOT NULL column that `row` leaves empty."""
    for name in shape.columns:
        if name in shape.not_null and row.get(name) is None:
            raise RecordError(f"missing {name}")


def require(record: Mapping[str, Any], key: str) -> Any:
    """`record[key]`, or a `RecordError` if it is absent, null or blank."""
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(f"missing {key}")
    return value


def as_text(value: Any, name: str) -> str | None:
    """An identifier or label as text (venues send ids as numbers or strings)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"{name} is not text: {value!r}")
    return str(value)


def as_float(value: Any, name: str) -> float | None:
    """A finite float from a number or numeric string; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError(f"{name} is not a number: {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise RecordError(f"{name} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise RecordError(f"{name} is not finite: {value!r}")
    return number


def as_bool(value: Any, name: str) -> bool | None:
    """A JSON boolean as a Python bool; None stays None, anything else is an error."""
    if value is None or isinstance(value, bool):
        return value
    raise RecordError(f"{name} is not a boolean: {value!r}")


def as_utc(value: Any, name: str, *, tz: str | None = None) -> pd.Timestamp | None:
    """A timestamp string (or datetime) as a UTC instant.

    Strings without a zone are read in `tz`; without `tz` they are an error, since
    guessing a zone would silently shift the instant.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str | datetime):
        raise RecordError(f"{name} is not a timestamp: {value!r}")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise RecordError(f"{name} is not a timestamp: {value!r}") from None
    if stamp is pd.NaT:
        raise RecordError(f"{name} is not a timestamp: {value!r}")
    if stamp.tzinfo is None:
        if tz is None:
            raise RecordError(f"{name} has no time zone: {value!r}")
        # Fall-back hours happen twice: take the first (daylight) reading; spring-forward
        # hours never show on a real clock, so shift such a value forward.
        stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def utc_instant(value: datetime | pd.Timestamp, name: str) -> pd.Timestamp:
    """A caller-supplied instant (fetched_at, snapshot_ts...) as UTC; naive values are refused."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return stamp.tz_convert("UTC")


def concat_results(results: Iterable[ParseResult]) -> ParseResult:
    """Parses of several responses for one table as one result: frames stacked, records kept in order."""
    results = list(results)
    frame = pd.concat([result.frame for result in results], ignore_index=True)
    return ParseResult(frame, [record for result in results for record in result.quarantined])
