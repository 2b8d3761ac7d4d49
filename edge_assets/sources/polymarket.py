"""Polymarket: parsers of the Gamma metadata API and the CLOB order-book API (pure)."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from edge_assets.sources.parsing import (
    MARKETS,
    ORDER_BOOKS,
    RESOLUTIONS,
    ParseResult,
    QuarantinedRecord,
    RecordError,
    as_bool,
    as_float,
    as_text,
    as_utc,
    build_frame,
    check_not_null,
    frame_from_columns,
    require,
    utc_instant,
)
from edge_assets.sources.universe import market_tokens, recheck_sample, tokens_open_at

if TYPE_CHECKING:  # the parsers need no HTTP client, only the shape of its payloads
    from edge_assets.sources.http import Payload

# A taker walks a few levels at most (signals read five), so a recheck keeps only those.
RECHECK_LEVELS = 5

# --------------------------------------------------------------------------------------------
# Gamma parsers
# --------------------------------------------------------------------------------------------


def _json_list(market: Mapping[str, Any], key: str) -> list | None:
    """Decode one of Gamma's JSON-encoded list fields (sent as strings like '["Yes", "No"]')."""
    raw = market.get(key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise RecordError(f"{key} is not valid JSON: {raw[:80]!r}") from None
    if not isinstance(raw, list):
        raise RecordError(f"{key} is not a list: {raw!r}")
    return raw


def _canonical_json(value: list) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _outcome_lists(market: Mapping[str, Any]) -> tuple[list[str], list[str], list | None]:
    """The market's outcomes, their CLOB token ids and prices (None when not sent), checked to align."""
    outcomes = _json_list(market, "outcomes")
    token_ids = _json_list(market, "clobTokenIds")
    prices = _json_list(market, "outcomePrices")
    if not outcomes:
        raise RecordError("missing outcomes")
    if not token_ids:
        raise RecordError("missing clobTokenIds")
    if not all(isinstance(o, str) and o for o in outcomes):
        raise RecordError(f"outcomes are not all names: {outcomes!r}")
    token_ids = [as_text(token, "clobTokenIds") for token in token_ids]
    if len(token_ids) != len(outcomes):
        raise RecordError(f"{len(outcomes)} outcomes but {len(token_ids)} clobTokenIds")
    if prices is not None:
        if len(prices) != len(outcomes):
            raise RecordError(f"{len(outcomes)} outcomes but {len(prices)} outcomePrices")
        for price in prices:
            number = as_float(price, "outcomePrices")
            if not 0.0 <= number <= 1.0:
                raise RecordError(f"outcomePrices has {price!r} outside [0, 1]")
    return outcomes, token_ids, prices


def _fee_schedule(market: Mapping[str, Any]) -> tuple[Mapping[str, Any], float | None]:
    """The market's fee schedule (empty when not sent) and its rate."""
    fees = market.get("feeSchedule")
    if fees is not None and not isinstance(fees, Mapping):
        raise RecordError(f"feeSchedule is not an object: {fees!r}")
    fees = fees or {}
    fee_rate = as_float(fees.get("rate"), "feeSchedule.rate")
    if fee_rate is None and market.get("feesEnabled") is False:
        fee_rate = 0.0  # an explicit "no fees" is a known rate, not a missing one
    return fees, fee_rate


def _closed_time(market: Mapping[str, Any]) -> pd.Timestamp | None:
    """When the market resolved (Gamma's `closedTime`), None when not sent or unreadable: an
    unreadable closing time only costs its resolutions' `resolved_at`, which may be null."""
    try:
        return as_utc(market.get("closedTime"), "closedTime")
    except RecordError:
        return None


def _market_row(
    market: Mapping[str, Any], fetched_at: pd.Timestamp, event: Mapping[str, Any] | None
) -> dict[str, Any]:
    outcomes, token_ids, prices = _outcome_lists(market)
    if event is None:
        events = market.get("events")
        event = events[0] if isinstance(events, list) and events and isinstance(events[0], Mapping) else {}
    fees, fee_rate = _fee_schedule(market)
    row = {
        "market_id": as_text(require(market, "id"), "id"),
        "condition_id": as_text(market.get("conditionId"), "conditionId"),
        "question": as_text(require(market, "question"), "question"),
        "slug": as_text(market.get("slug"), "slug"),
        "event_id": as_text(event.get("id"), "events[0].id"),
        "event_title": as_text(event.get("title"), "events[0].title"),
        "sports_market_type": as_text(market.get("sportsMarketType"), "sportsMarketType"),
        "game_start_ts": as_utc(market.get("gameStartTime") or market.get("eventStartTime"), "gameStartTime"),
        "end_ts": as_utc(market.get("endDate"), "endDate"),
        "active": as_bool(require(market, "active"), "active"),
        "closed": as_bool(require(market, "closed"), "closed"),
        # Gamma leaves false flags out of trimmed records; absent negRisk means a plain market.
        "neg_risk": as_bool(market.get("negRisk", False), "negRisk"),
        "outcomes": _canonical_json(outcomes),
        "clob_token_ids": _canonical_json(token_ids),
        "outcome_prices": None if prices is None else _canonical_json(prices),
        "best_bid": as_float(market.get("bestBid"), "bestBid"),
        "best_ask": as_float(market.get("bestAsk"), "bestAsk"),
        "fee_rate": fee_rate,
        "fee_exponent": as_float(fees.get("exponent"), "feeSchedule.exponent"),
        "fee_taker_only": as_bool(fees.get("takerOnly"), "feeSchedule.takerOnly"),
        "fee_rebate_rate": as_float(fees.get("rebateRate"), "feeSchedule.rebateRate"),
        "tick_size": as_float(market.get("orderPriceMinTickSize"), "orderPriceMinTickSize"),
        "min_order_size": as_float(market.get("orderMinSize"), "orderMinSize"),
        "updated_at": as_utc(market.get("updatedAt"), "updatedAt"),
        "fetched_at": fetched_at,
        "closed_ts": _closed_time(market),
    }
    check_not_null(MARKETS, row)
    return row


def _parse_markets(
    pairs: Iterable[tuple[Any, Mapping[str, Any] | None]], fetched_at: datetime
) -> ParseResult:
    fetched = utc_instant(fetched_at, "fetched_at")
    rows: list[dict[str, Any]] = []
    quarantined: list[QuarantinedRecord] = []
    for market, event in pairs:
        if not isinstance(market, Mapping):
            quarantined.append(QuarantinedRecord({"value": market}, "market is not an object"))
            continue
        try:
            rows.append(_market_row(market, fetched, event))
        except RecordError as error:
            quarantined.append(QuarantinedRecord(dict(market), str(error)))
    frame = build_frame(MARKETS, rows)
    # Pages can overlap when the listing shifts between requests; the later copy wins.
    frame = frame.drop_duplicates("market_id", keep="last").reset_index(drop=True)
    return ParseResult(frame, quarantined)


def parse_gamma_markets(markets: list[dict], fetched_at: datetime) -> ParseResult:
    """Rows of `markets` from Gamma `/markets` records (event id/title from `events[0]`)."""
    return _parse_markets(((market, None) for market in markets), fetched_at)


def parse_gamma_events(events: list[dict], fetched_at: datetime) -> ParseResult:
    """Rows of `markets` from Gamma `/events` records, whose markets carry no `events` of their own."""
    pairs: list[tuple[Any, Mapping[str, Any] | None]] = []
    quarantined: list[QuarantinedRecord] = []
    for event in events:
        markets = event.get("markets") if isinstance(event, Mapping) else None
        if not isinstance(markets, list):
            record = dict(event) if isinstance(event, Mapping) else {"value": event}
            quarantined.append(QuarantinedRecord(record, "event has no markets list"))
            continue
        pairs.extend((market, event) for market in markets)
    result = _parse_markets(pairs, fetched_at)
    return ParseResult(result.frame, quarantined + result.quarantined)


def parse_resolutions(markets_frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of `resolutions`: one per token of each closed market whose prices are exactly 1/0.

    Markets settled any other way (50-50, still disputed) are left out. `resolved_at` is the
    market's `closed_ts` (null when Gamma sent no closing time).
    """
    rows = []
    closed = markets_frame[markets_frame["closed"].astype(bool) & markets_frame["outcome_prices"].notna()]
    for market in closed.itertuples(index=False):
        payouts = [float(price) for price in json.loads(market.outcome_prices)]
        if sorted(payouts) != [0.0] * (len(payouts) - 1) + [1.0]:
            continue
        for token_id, outcome, payout in zip(
            json.loads(market.clob_token_ids), json.loads(market.outcomes), payouts, strict=True
        ):
            rows.append(
                {
                    "token_id": token_id,
                    "market_id": market.market_id,
                    "outcome": outcome,
                    "payout": payout,
                    "resolved_at": market.closed_ts,
                    "fetched_at": market.fetched_at,
                }
            )
    return build_frame(RESOLUTIONS, rows)


# --------------------------------------------------------------------------------------------
# CLOB parser
# --------------------------------------------------------------------------------------------


def _unwrap_book(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The book itself, from a plain `/book` body or a capture like `{"book": {"status", "body"}}`."""
    capture = record.get("book")
    if not isinstance(capture, Mapping) or "body" not in capture:
        return record
    status = capture.get("status")
    if status is not None and status != 200:
        raise RecordError(f"book request returned status {status}")
    body = capture.get("body")
    if not isinstance(body, Mapping):
        raise RecordError("book capture has no body object")
    return body


_PRICE, _SIZE = operator.itemgetter("price"), operator.itemgetter("size")
# An accepted book's two sides, in the order its rows land: (side column value, payload key).
_SIDES = (("bid", "bids"), ("ask", "asks"))


def _raw_side(book: Mapping[str, Any], key: str) -> list:
    """One side's levels as sent, [] when absent; a side that is not a list spoils the book."""
    raw = book.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RecordError(f"{key} is not a list")
    return raw


def _plain_levels(raw: list) -> tuple[np.ndarray, np.ndarray] | None:
    """Prices and sizes of `raw` when every level is an object of numeric strings, as the CLOB
    sends them; None when one is not. `map` and `float` keep the per-level work in C."""
    try:
        prices, sizes = list(map(_PRICE, raw)), list(map(_SIZE, raw))
        if not set(map(type, prices)) | set(map(type, sizes)) <= {str}:
            return None
        return (
            np.fromiter(map(float, prices), dtype=np.float64, count=len(prices)),
            np.fromiter(map(float, sizes), dtype=np.float64, count=len(sizes)),
        )
    except (TypeError, KeyError, ValueError):
        return None


def _well_formed(prices: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Which levels have a price in [0, 1] and a finite non-negative size (NaN is neither)."""
    return (prices >= 0.0) & (prices <= 1.0) & (sizes >= 0.0) & (sizes < math.inf)


def _level_columns(
    sides: list[list],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[tuple[Any, str]]]]:
    """Prices, sizes and per-side counts of the well-formed levels of `sides` (raw level lists,
    bids and asks alternating), in side order; and per side its malformed levels with reasons.

    Every level is converted as one column, the usual case; only when some level is not well
    formed is each side taken alone, and a side with such a level is checked level by level,
    which names what is wrong. One bad level costs that level, not the book.
    """
    counts = np.fromiter(map(len, sides), dtype=np.intp, count=len(sides))
    dropped: list[list[tuple[Any, str]]] = [[] for _ in sides]
    every_level = _plain_levels(list(chain.from_iterable(sides)))
    if every_level is not None and _well_formed(*every_level).all():
        return *every_level, counts, dropped
    prices, sizes = [], []
    for index, raw in enumerate(sides):
        levels = _plain_levels(raw)
        if levels is None or not _well_formed(*levels).all():
            checked = _checked_levels(raw, _SIDES[index % 2][1], dropped[index])
            levels = np.array(checked, dtype=np.float64).reshape(-1, 2).T  # rows: prices, sizes
        prices.append(levels[0])
        sizes.append(levels[1])
        counts[index] = len(levels[0])
    return np.concatenate(prices), np.concatenate(sizes), counts, dropped


def _checked_levels(raw: list, side: str, dropped: list[tuple[Any, str]]) -> list[tuple[float, float]]:
    levels = []
    for level in raw:
        try:
            levels.append(_checked_level(level, side))
        except RecordError as error:
            dropped.append((level, str(error)))
    return levels


def _checked_level(level: Any, side: str) -> tuple[float, float]:
    if not isinstance(level, Mapping):
        raise RecordError(f"{side} has a level that is not an object: {level!r}")
    price = as_float(require(level, "price"), f"{side}.price")
    size = as_float(require(level, "size"), f"{side}.size")
    if not 0.0 <= price <= 1.0:
        raise RecordError(f"{side} has price {price} outside [0, 1]")
    if size < 0.0:
        raise RecordError(f"{side} has negative size {size}")
    return price, size


def _best_first(prices: np.ndarray, sizes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The order that puts each side's levels best first: bids by price then size descending,
    asks ascending. The CLOB lists bids ascending and asks descending (best last), but nothing
    downstream should depend on that; size breaks ties deterministically and the sort is stable."""
    side_of_level = np.repeat(np.arange(counts.size), counts)
    sign = np.where(side_of_level % 2 == 0, -1.0, 1.0)
    return np.lexsort((sizes * sign, prices * sign, side_of_level))


def _book_ts(value: Any) -> int | None:
    """The CLOB's book timestamp (Unix epoch milliseconds, as a string) as UTC nanoseconds."""
    millis = as_float(value, "timestamp")
    return None if millis is None else pd.Timestamp(int(millis), unit="ms", tz="UTC").value


def parse_clob_books(
    books: list[dict],
    snapshot_ts: datetime,
    fetched_at: datetime,
    market_by_token: Mapping[str, str],
) -> ParseResult:
    """Rows of `order_book_snapshots`: one per price level, level 0 the best well-formed price.

    The unit of quarantine is the smallest that is wrong: a malformed level is quarantined alone
    (with its token and market) and the rest of its book lands; a book without a usable token or
    market is quarantined whole.

    `market_by_token` maps token ids to Gamma market ids; a token missing from it falls back
    to the book's own `market` field (the condition id). A token seen twice keeps its first book.
    """
    snapshot = utc_instant(snapshot_ts, "snapshot_ts")
    fetched = utc_instant(fetched_at, "fetched_at")
    # Per accepted book: token, market, tick size, min order size, book_ts; its sides go to `sides`.
    book_fields: list[tuple[str, str, float | None, float | None, int | None]] = []
    sides: list[list] = []
    # A book quarantined whole, or the index of an accepted book whose bad levels are quarantined
    # there once the levels are converted: the records keep the order of the books.
    entries: list[QuarantinedRecord | int] = []
    seen_tokens: set[str] = set()
    for record in books:
        if not isinstance(record, Mapping):
            entries.append(QuarantinedRecord({"value": record}, "book is not an object"))
            continue
        try:
            book = _unwrap_book(record)
            token_id = as_text(require(book, "asset_id"), "asset_id")
            if token_id in seen_tokens:
                raise RecordError(f"duplicate book for token {token_id}")
            market_id = market_by_token.get(token_id) or as_text(book.get("market"), "market")
            if market_id is None:
                raise RecordError(f"no market id for token {token_id}")
            fields = (
                token_id,
                market_id,
                as_float(book.get("tick_size"), "tick_size"),
                as_float(book.get("min_order_size"), "min_order_size"),
                _book_ts(book.get("timestamp")),
            )
            book_sides = [_raw_side(book, key) for _, key in _SIDES]
        except RecordError as error:
            entries.append(QuarantinedRecord(dict(record), str(error)))
            continue
        seen_tokens.add(token_id)
        entries.append(len(book_fields))
        book_fields.append(fields)
        sides.extend(book_sides)
    prices, sizes, counts, dropped = _level_columns(sides)
    quarantined = []
    for entry in entries:
        if isinstance(entry, QuarantinedRecord):
            quarantined.append(entry)
            continue
        # The snapshot names the hour: a run quarantines under its range, and the same bad level
        # in two hours' books is two records (the key is the record's hash), each one lost row.
        token_id, market_id = book_fields[entry][:2]
        where = {"snapshot_ts": snapshot.isoformat(), "asset_id": token_id, "market": market_id}
        quarantined.extend(
            QuarantinedRecord({**where, "level": level}, reason)
            for level, reason in dropped[2 * entry] + dropped[2 * entry + 1]
        )
    return ParseResult(_book_frame(snapshot, fetched, book_fields, prices, sizes, counts), quarantined)


def _book_frame(
    snapshot: datetime,
    fetched: datetime,
    book_fields: list[tuple],
    prices: np.ndarray,
    sizes: np.ndarray,
    counts: np.ndarray,
) -> pd.DataFrame:
    """ORDER_BOOKS rows, built column by column: each side's levels best first, numbered from 0,
    each book's fields repeated over its levels."""
    total = len(prices)
    if not total:
        return build_frame(ORDER_BOOKS, [])
    order = _best_first(prices, sizes, counts)
    side_starts = np.cumsum(counts) - counts
    per_book = list(zip(*book_fields, strict=True))
    book_counts = counts[0::2] + counts[1::2]

    def repeated(values: tuple) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=object), book_counts)

    book_ts = pd.DatetimeIndex(np.array(per_book[4], dtype="datetime64[ns]")).tz_localize("UTC")
    return frame_from_columns(
        ORDER_BOOKS,
        {
            "snapshot_ts": pd.DatetimeIndex([snapshot]).repeat(total),
            "token_id": repeated(per_book[0]),
            "market_id": repeated(per_book[1]),
            "side": np.repeat(
                np.array([side for side, _ in _SIDES] * len(book_fields), dtype=object), counts
            ),
            "level": np.arange(total) - np.repeat(side_starts, counts),
            "price": prices[order],
            "size": sizes[order],
            "tick_size": np.repeat(np.array(per_book[2], dtype=np.float64), book_counts),
            "min_order_size": np.repeat(np.array(per_book[3], dtype=np.float64), book_counts),
            "book_ts": book_ts.repeat(book_counts),
            "fetched_at": pd.DatetimeIndex([fetched]).repeat(total),
        },
    )


# --------------------------------------------------------------------------------------------
# Payloads and the hourly book capture
# --------------------------------------------------------------------------------------------


def gamma_page_records(data: Any, kind: str) -> list:
    """The records of one Gamma listing page (`kind` "markets" or "events"): an offset route's
    list, or a keyset route's `{kind: [...], "next_cursor": ...}`."""
    records = data.get(kind) if isinstance(data, Mapping) else data
    if not isinstance(records, list):
        raise ValueError(
            f"a Gamma {kind} page is a list or has a list under {kind!r}, not {type(data).__name__}"
        )
    return records


def parse_market_pages(pages: Sequence[Payload]) -> ParseResult:
    """`parse_gamma_markets` over every page of one markets listing, stamped with the last fetch."""
    markets = [market for page in pages for market in gamma_page_records(page.data, "markets")]
    return parse_gamma_markets(markets, max(page.fetched_at for page in pages))


def parse_book_payloads(
    payloads: Sequence[Payload], snapshot_ts: datetime, market_by_token: Mapping[str, str]
) -> ParseResult:
    """`parse_clob_books` over the batches of one capture, stamped with the last batch's fetch."""
    books = [book for payload in payloads for book in payload.data]
    return parse_clob_books(books, snapshot_ts, max(p.fetched_at for p in payloads), market_by_token)


def market_by_token(markets: pd.DataFrame) -> dict[str, str]:
    """Gamma market id of every token of `markets`, the books' own `market` being a condition id."""
    tokens = market_tokens(markets)
    return dict(zip(tokens["token_id"], tokens["market_id"], strict=True))


@dataclass(frozen=True)
class BookCapture:
    """One hour's capture: every open token's book at the hour, and a sample of them again a
    `horizon` later, to measure how much quoted depth a taker still finds."""

    hour: datetime
    tokens: list[str]
    recheck_tokens: list[str]
    horizon: timedelta

    @property
    def recheck_at(self) -> datetime:
        return self.hour + self.horizon


def plan_book_capture(
    markets: pd.DataFrame, hour: datetime, horizon: timedelta, recheck_share: float
) -> BookCapture | None:
    """The tokens open at `hour` and their stable recheck sample; None when none was open."""
    tokens = tokens_open_at(markets, hour)
    if not tokens:
        return None
    return BookCapture(hour, tokens, recheck_sample(tokens, hour, recheck_share), horizon)


def fetches_live(hour: datetime, now: datetime, historical_books: bool) -> bool:
    """Whether `hour`'s books are fetched as they are `now` rather than as of a past instant: from
    a CLOB without history (the real one) while the hour is in progress, the only hour it serves."""
    return not historical_books and hour <= now < hour + timedelta(hours=1)


def recheck_wait_s(fetched_at: datetime, horizon: timedelta, now: datetime) -> float:
    """How long a live recheck still waits so that it sees the books `horizon` after their fetch."""
    return max(0.0, (fetched_at + horizon - now).total_seconds())


def stack_books(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The captured books as one frame, shaped like the table even when nothing was captured."""
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else build_frame(ORDER_BOOKS, [])


def stack_rechecks(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """`stack_books` of the rechecks, each side cut to its first `RECHECK_LEVELS` levels."""
    rechecks = stack_books(frames)
    return rechecks[rechecks["level"] < RECHECK_LEVELS].reset_index(drop=True)
