"""What a stake really costs on a CLOB order book, and how often the quoted depth is still there.

Polymarket's `/book` sends prices and sizes as strings, bids ascending and asks descending (the best
price last); the snapshot table numbers levels from the best (level 0). Nothing here trusts either
order: levels are sorted by price before they are walked.

A buy spends a stake in USDC against the asks, cheapest first; a sell sells a stake of shares into
the bids, dearest first. `min_order_size` is in shares, as the CLOB reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from edge_assets.pricing._arrays import cumsum_within, first_offender

Side = Literal["buy", "sell"]
BOOK_SIDE = {"buy": "ask", "sell": "bid"}
SNAPSHOT_KEYS = ["snapshot_ts", "token_id"]
VWAP_COLUMNS = [*SNAPSHOT_KEYS, "best_price", "vwap", "shares", "cost", "levels_used", "filled"]
FILL_PROBABILITY_COLUMNS = ["observations", "survived", "fill_prob", "median_depth_usdc"]

# Relative slack for "the stake is spent" and "the price is on the tick grid" in floating point.
_REL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class BookFill:
    """The result of walking a stake through one side of a book.

    `cost` is the USDC paid (buy) or received (sell) and `vwap` = cost / shares (NaN when nothing
    filled). `filled` says whether the whole stake found liquidity. `best_price` is the top of the
    side walked and `worst_price` the deepest price touched (both NaN when none).
    """

    side: Side
    vwap: float
    shares: float
    cost: float
    levels_used: int
    filled: bool
    best_price: float
    worst_price: float


def _check_side(side: str) -> Side:
    if side not in BOOK_SIDE:
        raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
    return side  # type: ignore[return-value]


def _level_arrays(levels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Prices and sizes as floats from API dicts, (price, size) pairs or a frame with those columns."""
    if isinstance(levels, pd.DataFrame):
        raw_prices, raw_sizes = levels["price"].to_numpy(), levels["size"].to_numpy()
    else:
        pairs = [(level["price"], level["size"]) if isinstance(level, Mapping) else level for level in levels]
        raw_prices, raw_sizes = [price for price, _ in pairs], [size for _, size in pairs]
    try:
        prices, sizes = np.asarray(raw_prices, dtype=float), np.asarray(raw_sizes, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"book levels must hold numeric price and size: {exc}") from exc
    bad_price = ~np.isfinite(prices) | (prices <= 0) | (prices >= 1)
    if bad_price.any():
        raise ValueError(
            f"level prices must lie strictly between 0 and 1, got {first_offender(prices, bad_price)}"
        )
    bad_size = ~np.isfinite(sizes) | (sizes < 0)
    if bad_size.any():
        raise ValueError(f"level sizes must be non-negative, got {first_offender(sizes, bad_size)}")
    return prices, sizes


def off_tick(prices: Any, tick_size: Any) -> np.ndarray:
    """True where a price is not a whole number of ticks."""
    ticks = np.asarray(prices, dtype=float) / np.asarray(tick_size, dtype=float)
    return np.abs(ticks - np.round(ticks)) > _REL_TOLERANCE * np.maximum(1.0, np.abs(ticks))


def walk_book(
    levels: Any,
    stake: float,
    side: Side = "buy",
    min_order_size: float | None = None,
    tick_size: float | None = None,
) -> BookFill:
    """Fill `stake` against `levels` (the asks for a buy, the bids for a sell), best price first.

    `stake` is USDC to spend for a buy and shares to sell for a sell. `levels` are the CLOB's
    `[{"price": "0.52", "size": "10.22"}, ...]` in any order, (price, size) pairs, or a frame with
    price and size columns. A level priced off the `tick_size` grid raises ValueError: the book is
    not what the venue would accept, so no price from it can be trusted. An order that would come
    to fewer than `min_order_size` shares is not placed: the fill is empty and not `filled`.
    """
    side = _check_side(side)
    if not np.isfinite(stake) or stake < 0:
        raise ValueError(f"stake must be a non-negative number, got {stake}")
    prices, sizes = _level_arrays(levels)
    if tick_size is not None:
        off_grid = off_tick(prices, tick_size)
        if off_grid.any():
            raise ValueError(
                f"level price {first_offender(prices, off_grid)} is off the tick grid {tick_size}"
            )
    order = np.argsort(prices if side == "buy" else -prices, kind="stable")
    prices, sizes = prices[order], sizes[order]
    # What each level can absorb, in the stake's unit: USDC for a buy, shares for a sell.
    capacity = prices * sizes if side == "buy" else sizes
    spent_before = np.concatenate(([0.0], np.cumsum(capacity)[:-1]))
    taken = np.clip(stake - spent_before, 0.0, capacity)
    shares_by_level = taken / prices if side == "buy" else taken
    shares, cost = float(shares_by_level.sum()), float((shares_by_level * prices).sum())
    used = shares_by_level > 0
    best = float(prices[0]) if prices.size else float("nan")
    if shares == 0 or (min_order_size is not None and shares < min_order_size):
        return BookFill(side, float("nan"), 0.0, 0.0, 0, stake == 0, best, float("nan"))
    return BookFill(
        side=side,
        vwap=cost / shares,
        shares=shares,
        cost=cost,
        levels_used=int(used.sum()),
        filled=bool(taken.sum() >= stake * (1 - _REL_TOLERANCE)),
        best_price=best,
        worst_price=float(prices[used][-1]),
    )


def vwap_for_stake(levels_frame: pd.DataFrame, stake: float, side: Side = "buy") -> pd.DataFrame:
    """`walk_book` for every (snapshot_ts, token_id) of a long-format levels frame at once.

    `levels_frame` has snapshot_ts, token_id, side ('ask'/'bid'), price and size (a `level` column
    is ignored: levels are ranked by price), and optionally min_order_size per row as in the
    order-book snapshot table. Returns one row per snapshot and token that has levels on the side
    walked, with VWAP_COLUMNS; a fill below the book's min_order_size is empty (vwap NaN,
    shares 0, not filled).
    """
    side = _check_side(side)
    if not np.isfinite(stake) or stake < 0:
        raise ValueError(f"stake must be a non-negative number, got {stake}")
    book = levels_frame[levels_frame["side"] == BOOK_SIDE[side]]
    book = book.sort_values([*SNAPSHOT_KEYS, "price"], ascending=[True, True, side == "buy"], kind="stable")
    prices, sizes = _level_arrays(book)
    codes = book.groupby(SNAPSHOT_KEYS, sort=False).ngroup().to_numpy()
    capacity = prices * sizes if side == "buy" else sizes
    spent_before = cumsum_within(capacity, codes) - capacity
    taken = np.clip(stake - spent_before, 0.0, capacity)
    shares_by_level = taken / prices if side == "buy" else taken

    first_level = book.groupby(codes).cumcount().to_numpy() == 0
    result = book.loc[first_level, SNAPSHOT_KEYS].reset_index(drop=True)
    shares = np.bincount(codes, weights=shares_by_level, minlength=len(result))
    cost = np.bincount(codes, weights=shares_by_level * prices, minlength=len(result))
    levels_used = np.bincount(codes, weights=shares_by_level > 0, minlength=len(result)).astype("int64")
    filled = np.bincount(codes, weights=taken, minlength=len(result)) >= stake * (1 - _REL_TOLERANCE)
    if "min_order_size" in book.columns:
        minimum = book.groupby(codes)["min_order_size"].first().fillna(0.0).to_numpy(float)
        too_small = shares < minimum
        shares, cost = np.where(too_small, 0.0, shares), np.where(too_small, 0.0, cost)
        levels_used = np.where(too_small, 0, levels_used)
        filled &= ~too_small | (stake == 0)
    result["best_price"] = prices[first_level]
    with np.errstate(divide="ignore", invalid="ignore"):
        result["vwap"] = np.where(shares > 0, cost / shares, np.nan)
    result["shares"], result["cost"] = shares, cost
    result["levels_used"], result["filled"] = levels_used, filled
    return result[VWAP_COLUMNS]


def fill_probability(
    levels_history: pd.DataFrame,
    by: str | list[str] = "token_id",
    side: Side = "buy",
    max_gap: timedelta | None = None,
) -> pd.DataFrame:
    """How often the depth quoted at the best price was still there at the next snapshot.

    For every token and pair of consecutive snapshots, the best ask (for a buy; best bid for a
    sell) and its size are taken from the first snapshot; the depth "survived" when the next
    snapshot still offers at least that size at that price or better. Results are pooled over the
    groups of `by` (e.g. "token_id", or ["venue"] when the frame has a venue column) into
    `observations` (pairs), `survived`, `fill_prob` = survived / observations, and
    `median_depth_usdc`, the median USDC at the best level over all snapshots.

    `levels_history` is the long-format book history (snapshot_ts, token_id, side, price, size,
    plus the `by` columns). A token seen in one snapshot only gives no observation, nor does a
    pair more than `max_gap` apart: survival over an hour says little about a taker's next minute.
    """
    side = _check_side(side)
    by = [by] if isinstance(by, str) else list(by)
    book = levels_history[levels_history["side"] == BOOK_SIDE[side]]
    book = book[book["size"] > 0]
    sign = 1.0 if side == "buy" else -1.0  # rank on sign * price so "better" is always "smaller"
    book = book.assign(rank_price=sign * book["price"].astype(float))
    keys = list(dict.fromkeys([*by, *SNAPSHOT_KEYS]))
    top = _best_levels(book, keys).merge(
        _next_snapshots(levels_history, max_gap), on=SNAPSHOT_KEYS, how="left"
    )
    # 1.0 or 0.0 per pair; NaN for a token's last snapshot, which has nothing to survive into.
    top["survived"] = _survived(top, book)
    top["depth_usdc"] = top["price"] * top["size"]

    pooled = top.groupby(by, sort=True).agg(
        observations=("survived", "count"),
        survived=("survived", "sum"),
        median_depth_usdc=("depth_usdc", "median"),
    )
    pooled["survived"] = pooled["survived"].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled["fill_prob"] = pooled["survived"] / pooled["observations"].where(pooled["observations"] > 0)
    return pooled.reset_index()[[*by, *FILL_PROBABILITY_COLUMNS]]


def _best_levels(book: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per snapshot of `keys`, the best level: its rank price, price and total size."""
    best_price = book.groupby(keys)["rank_price"].transform("min")
    return (
        book[book["rank_price"] == best_price]
        .groupby(keys, as_index=False)
        .agg(rank_price=("rank_price", "first"), size=("size", "sum"), price=("price", "first"))
    )


def _next_snapshots(levels_history: pd.DataFrame, max_gap: timedelta | None) -> pd.DataFrame:
    """Each token snapshot with its `next_ts` (NaT for the last, or when further than `max_gap`)."""
    # The next snapshot is the token's next one with any level on either side: a snapshot whose side
    # is empty means the depth is gone, while a token absent from a snapshot tells nothing.
    seen = levels_history[SNAPSHOT_KEYS].drop_duplicates().sort_values(["token_id", "snapshot_ts"])
    seen["next_ts"] = seen.groupby("token_id")["snapshot_ts"].shift(-1)
    if max_gap is not None:
        seen["next_ts"] = seen["next_ts"].where(seen["next_ts"] - seen["snapshot_ts"] <= max_gap)
    return seen


def _survived(top: pd.DataFrame, book: pd.DataFrame) -> pd.Series:
    """For each best level of `top` with a next snapshot, 1.0 when that snapshot still offers its
    size at its price or better, else 0.0; indexed like `top`."""
    # Depth in each next snapshot at the previous best price or better.
    pairs = top.loc[top["next_ts"].notna(), ["token_id", "snapshot_ts", "next_ts", "rank_price", "size"]]
    ahead = pairs.merge(
        book[["token_id", "snapshot_ts", "rank_price", "size"]],
        left_on=["token_id", "next_ts"],
        right_on=["token_id", "snapshot_ts"],
        how="left",
        suffixes=("", "_next"),
    )
    # Ticks are at least 0.0001 apart, so a relative slack cannot admit a worse level.
    at_least_as_good = ahead["rank_price_next"] <= ahead["rank_price"] + _REL_TOLERANCE
    ahead["depth_next"] = ahead["size_next"].where(at_least_as_good, 0.0).fillna(0.0)
    depth_next = ahead.groupby(["token_id", "snapshot_ts"], sort=False)["depth_next"].sum()
    pairs = pairs.join(depth_next, on=["token_id", "snapshot_ts"])
    return (pairs["depth_next"] >= pairs["size"] * (1 - _REL_TOLERANCE)).astype(float)


@dataclass(frozen=True)
class LiquidityCutoff:
    """Which tokens or venues are liquid enough to trade on, judged from `fill_probability` output.

    A group passes when its quoted depth survived at least `min_fill_prob` of the time over at least
    `min_observations` snapshot pairs and its median best-level depth is at least `min_depth_usdc`.
    """

    min_fill_prob: float = 0.5
    min_depth_usdc: float = 50.0
    min_observations: int = 3

    def passes(self, cost_model: pd.DataFrame) -> pd.Series:
        """A boolean per row of a `fill_probability` frame (NaN fill probabilities fail)."""
        return (
            (cost_model["observations"] >= self.min_observations)
            & (cost_model["fill_prob"].fillna(-1.0) >= self.min_fill_prob)
            & (cost_model["median_depth_usdc"].fillna(-1.0) >= self.min_depth_usdc)
        )
