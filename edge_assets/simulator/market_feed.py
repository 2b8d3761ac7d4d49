"""Messages of Polymarket's market channel, built from two CLOB `/book` payloads of one token.

Shapes follow docs.polymarket.com (Market Channel) and captures of the live feed: every price and
size is a string, every timestamp a string of unix milliseconds. A `book` message is the REST book
(same levels, hash and timestamp) without `min_order_size` and `neg_risk`, which the feed leaves out.
Between two books of a token the feed says what changed:

- `price_change`: one entry per level whose aggregate size changed (size "0" when it emptied), with
  the side (BUY for bids, SELL for asks), the new book's hash and its best bid and ask ("0" and "1"
  for an empty side, as the feed writes them);
- `last_trade_price`: a taker went through the top of the book: the best ask rose (someone bought
  the old best ask out, side BUY) or the best bid fell (someone sold into it, side SELL);
- `tick_size_change`: the book's minimum tick changed (see `polymarket.tick_size`).
"""

from __future__ import annotations

from .randomness import hex_id

BOOK_FIELDS = ("asset_id", "market", "bids", "asks", "timestamp", "hash", "tick_size", "last_trade_price")


def book_message(book: dict) -> dict:
    """The `book` event for a REST book."""
    return {"event_type": "book", **{name: book[name] for name in BOOK_FIELDS}}


def same_levels(old: dict, new: dict) -> bool:
    """Whether two books quote the same levels at the same tick (their hashes differ by minute)."""
    return (old["bids"], old["asks"], old["tick_size"]) == (new["bids"], new["asks"], new["tick_size"])


def _sizes(levels: list[dict]) -> dict[str, str]:
    return {level["price"]: level["size"] for level in levels}


def _best(levels: list[dict]) -> dict | None:
    """The best level: the CLOB lists bids ascending and asks descending, so it is the last one."""
    return levels[-1] if levels else None


def price_changes(old: dict, new: dict) -> list[dict]:
    """The `price_changes` entries that turn `old`'s levels into `new`'s."""
    asset, best_bid, best_ask = new["asset_id"], _best(new["bids"]), _best(new["asks"])
    top = {
        "hash": new["hash"],
        "best_bid": best_bid["price"] if best_bid else "0",
        "best_ask": best_ask["price"] if best_ask else "1",
    }
    entries = []
    for side, key in (("BUY", "bids"), ("SELL", "asks")):
        before, after = _sizes(old[key]), _sizes(new[key])
        for price in sorted(before.keys() | after.keys(), key=float):
            size = after.get(price, "0")
            if before.get(price, "0") != size:
                entries.append({"asset_id": asset, "price": price, "size": size, "side": side, **top})
    return entries


def price_change_message(market: str, entries: list[dict], timestamp: str) -> dict:
    """One `price_change` event carrying the entries of a market's tokens."""
    return {"market": market, "price_changes": entries, "timestamp": timestamp, "event_type": "price_change"}


def trades(old: dict, new: dict, fee_rate_bps: str) -> list[dict]:
    """`last_trade_price` events for a top of book that moved through a level between the books."""
    events = []
    # A BUY takes the asks, so the best ask rises past it; a SELL hits the bids, so the best bid falls.
    for side, key, direction in (("BUY", "asks", 1), ("SELL", "bids", -1)):
        was, now = _best(old[key]), _best(new[key])
        if was is not None and (now is None or direction * (float(now["price"]) - float(was["price"])) > 0):
            events.append(
                {
                    "asset_id": new["asset_id"],
                    "event_type": "last_trade_price",
                    "fee_rate_bps": fee_rate_bps,
                    "market": new["market"],
                    "price": was["price"],
                    "side": side,
                    "size": was["size"],
                    "timestamp": new["timestamp"],
                    "transaction_hash": "0x" + hex_id(f"{new['asset_id']}:{new['timestamp']}:{side}", 32),
                }
            )
    return events


def tick_size_change(old: dict, new: dict) -> dict | None:
    """The `tick_size_change` event between the books, if their tick differs."""
    if old["tick_size"] == new["tick_size"]:
        return None
    return {
        "event_type": "tick_size_change",
        "asset_id": new["asset_id"],
        "market": new["market"],
        "old_tick_size": old["tick_size"],
        "new_tick_size": new["tick_size"],
        "timestamp": new["timestamp"],
    }
