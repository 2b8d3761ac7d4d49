"""Polymarket: parsers of the Gamma metadata API and the CLOB order-book API (pure)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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


def _levels(book: Mapping[str, Any], side: str, dropped: list[tuple[Any, str]]) -> list[tuple[float, float]]:
    """(price, size) levels of one side, best first: highest bid, lowest ask.

    A malformed level is left out and appended to `dropped` with its reason, so one bad level
    costs that level, not the book. The CLOB lists bids ascending and asks descending (best last),
    but nothing downstream should depend on that, so the order is recomputed; size breaks ties
    deterministically.
    """
    raw = book.get(side)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RecordError(f"{side} is not a list")
    levels = _plain_levels(raw)
    if levels is None:
        levels = _checked_levels(raw, side, dropped)
    return sorted(levels, reverse=side == "bids")


def _plain_levels(raw: list) -> list[tuple[float, float]] | None:
    """The levels when every one is a well-formed CLOB level (numeric strings, price in [0, 1],
    finite non-negative size), as they almost always are; None sends the side through
    `_checked_levels`, which names what is wrong. A fast path: books are most of the ingest."""
    try:
        texts = [(level["price"], level["size"]) for level in raw]
        if not all(type(price) is str and type(size) is str for price, size in texts):
            return None
        levels = [(float(price), float(size)) for price, size in texts]
    except (TypeError, KeyError, ValueError):
        return None
    if all(0.0 <= price <= 1.0 and 0.0 <= size < math.inf for price, size in levels):
        return levels
    return None


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


def _book_ts(value: Any) -> pd.Timestamp | None:
    """The CLOB's book timestamp: Unix epoch milliseconds, as a string."""
    millis = as_float(value, "timestamp")
    return None if millis is None else pd.Timestamp(int(millis), unit="ms", tz="UTC")


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
    # Per book: token, market, tick size, min order size, book_ts; per level: side, level, price, size.
    book_fields: list[tuple[str, str, float | None, float | None, datetime | None]] = []
    level_counts: list[int] = []
    levels: list[tuple[str, int, float, float]] = []
    quarantined: list[QuarantinedRecord] = []
    seen_tokens: set[str] = set()
    for record in books:
        if not isinstance(record, Mapping):
            quarantined.append(QuarantinedRecord({"value": record}, "book is not an object"))
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
            dropped: list[tuple[Any, str]] = []
            book_levels = [
                (side, level, price, size)
                for side, key in (("bid", "bids"), ("ask", "asks"))
                for level, (price, size) in enumerate(_levels(book, key, dropped))
            ]
        except RecordError as error:
            quarantined.append(QuarantinedRecord(dict(record), str(error)))
            continue
        # The snapshot names the hour: a run quarantines under its range, and the same bad level
        # in two hours' books is two records (the key is the record's hash), each one lost row.
        quarantined.extend(
            QuarantinedRecord(
                {
                    "snapshot_ts": snapshot.isoformat(),
                    "asset_id": token_id,
                    "market": market_id,
                    "level": level,
                },
                reason,
            )
            for level, reason in dropped
        )
        seen_tokens.add(token_id)
        book_fields.append(fields)
        level_counts.append(len(book_levels))
        levels.extend(book_levels)
    return ParseResult(_book_frame(snapshot, fetched, book_fields, level_counts, levels), quarantined)


def _book_frame(
    snapshot: datetime,
    fetched: datetime,
    book_fields: list[tuple],
    level_counts: list[int],
    levels: list[tuple[str, int, float, float]],
) -> pd.DataFrame:
    """ORDER_BOOKS rows: each book's fields repeated over its levels, built column by column."""
    if not levels:
        return build_frame(ORDER_BOOKS, [])
    per_book = list(zip(*book_fields, strict=True))
    per_level = list(zip(*levels, strict=True))
    counts = np.asarray(level_counts, dtype=np.intp)

    def repeated(values: tuple) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=object), counts)

    total = len(levels)
    book_ts = pd.DatetimeIndex(pd.to_datetime(list(per_book[4]), utc=True)).repeat(counts)
    return frame_from_columns(
        ORDER_BOOKS,
        {
            "snapshot_ts": pd.DatetimeIndex([snapshot]).repeat(total),
            "token_id": repeated(per_book[0]),
            "market_id": repeated(per_book[1]),
            "side": list(per_level[0]),
            "level": list(per_level[1]),
            "price": list(per_level[2]),
            "size": list(per_level[3]),
            "tick_size": repeated(per_book[2]),
            "min_order_size": repeated(per_book[3]),
            "book_ts": book_ts,
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
