"""Polymarket order books kept in memory from the market channel and the REST `/books` endpoint (pure).

A `book` message (or a REST book) replaces a token's book; a `price_change` sets the size at one
price of one side (size 0 removes the level). Prices and sizes arrive as strings, as the CLOB sends
them. The books come out in the level format of `order_book_snapshots`, so the batch path's pure
functions price them unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

LEVEL_COLUMNS = ["snapshot_ts", "token_id", "market_id", "side", "level", "price", "size", "book_ts"]
_SIDES = {"BUY": "bid", "SELL": "ask"}


@dataclass
class Book:
    """One token's book: size by price on each side, and when the venue last changed it."""

    market_id: str
    bids: dict[float, float] = field(default_factory=dict)
    asks: dict[float, float] = field(default_factory=dict)
    book_ts: datetime | None = None
    hash: str | None = None

    @classmethod
    def from_levels(cls, levels: pd.DataFrame) -> Book:
        """One token's book from its `order_book_snapshots` rows of one snapshot (side, price, size)."""
        sides = {
            name: dict(zip(rows["price"].astype(float), rows["size"].astype(float), strict=True))
            for name, rows in levels.groupby("side")
        }
        book_ts = pd.to_datetime(levels["book_ts"], utc=True).max() if "book_ts" in levels else pd.NaT
        return cls(
            market_id=str(levels["market_id"].iloc[0]) if "market_id" in levels and len(levels) else "",
            bids=sides.get("bid", {}),
            asks=sides.get("ask", {}),
            book_ts=None if pd.isna(book_ts) else book_ts.to_pydatetime(),
        )

    def side(self, name: str) -> dict[float, float]:
        return self.bids if name == "bid" else self.asks

    def best(self, name: str) -> float | None:
        prices = self.side(name)
        if not prices:
            return None
        return max(prices) if name == "bid" else min(prices)


def venue_instant(millis: Any) -> datetime | None:
    """A CLOB timestamp (milliseconds since the epoch, as text or a number) as a UTC instant."""
    try:
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (TypeError, ValueError):
        return None


def _levels(raw: Iterable[Mapping[str, Any]]) -> dict[float, float]:
    levels = {}
    for level in raw or []:
        price, size = float(level["price"]), float(level["size"])
        if size > 0:
            levels[price] = size
    return levels


class OrderBooks:
    """The books of the subscribed tokens."""

    def __init__(self) -> None:
        self._books: dict[str, Book] = {}

    def __contains__(self, token: str) -> bool:
        return token in self._books

    def tokens(self) -> list[str]:
        return list(self._books)

    def book(self, token: str) -> Book | None:
        return self._books.get(token)

    def apply_book(self, message: Mapping[str, Any]) -> str:
        """Replace a token's book with a `book` message or a REST book; return the token."""
        token = str(message["asset_id"])
        self._books[token] = Book(
            market_id=str(message.get("market") or ""),
            bids=_levels(message.get("bids")),
            asks=_levels(message.get("asks")),
            book_ts=venue_instant(message.get("timestamp")),
            hash=message.get("hash"),
        )
        return token

    def apply_price_change(self, message: Mapping[str, Any]) -> list[str]:
        """Apply each change of a `price_change` message to a known book; return the tokens changed."""
        changed = []
        stamp = venue_instant(message.get("timestamp"))
        for change in message.get("price_changes") or []:
            book = self._books.get(str(change["asset_id"]))
            side = _SIDES.get(str(change.get("side", "")).upper())
            if book is None or side is None:
                continue  # a change to a book we hold no snapshot of waits for the next `book`
            price, size = float(change["price"]), float(change["size"])
            levels = book.side(side)
            if size > 0:
                levels[price] = size
            else:
                levels.pop(price, None)
            book.book_ts, book.hash = stamp or book.book_ts, change.get("hash", book.hash)
            changed.append(str(change["asset_id"]))
        return changed

    def drop(self, tokens: Iterable[str]) -> None:
        for token in tokens:
            self._books.pop(token, None)

    def levels(self, tokens: Iterable[str], as_of: datetime, max_levels: int | None = None) -> pd.DataFrame:
        """The books of `tokens` as `order_book_snapshots` rows stamped `as_of` (level 0 the best)."""
        rows = []
        for token in tokens:
            book = self._books.get(token)
            if book is None:
                continue
            for side, descending in (("bid", True), ("ask", False)):
                prices = sorted(book.side(side), reverse=descending)[:max_levels]
                for level, price in enumerate(prices):
                    size = book.side(side)[price]
                    rows.append((as_of, token, book.market_id, side, level, price, size, book.book_ts))
        frame = pd.DataFrame(rows, columns=LEVEL_COLUMNS)
        frame["snapshot_ts"] = pd.to_datetime(frame["snapshot_ts"], utc=True)
        frame["book_ts"] = pd.to_datetime(frame["book_ts"], utc=True)
        return frame
