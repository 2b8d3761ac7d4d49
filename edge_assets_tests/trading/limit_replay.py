"""Replaying the trader's tables against its risk limits, independently of the guard.

`limit_breaches` reads `orders` (every order the guard let through: sent, or decided in dry mode),
`fills`, `executions` (when each token was marked, at which book), `order_book_snapshots`,
`polymarket_resolutions`, `market_mappings` and `polymarket_markets`, and walks the orders in time,
rebuilding from them alone what was held, ordered and lost when each was placed. Each limit of
`RiskLimits` is checked by its own rule here, so a guard that let an order through wrongly shows up
as a breach, named by the limit and the order.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from edge_assets.pricing import frame_fee_per_share
from edge_assets.storage.sql import WarehouseTables
from edge_assets.trading.limits import RiskLimits

# Orders whose unfilled stake may still fill (or, decided in dry mode, stands for a fill).
UNFILLED_STAKE_HOLDS = ("decided", "live", "delayed", "sending")
# A rounding slack: stakes are price * size in floating point.
SLACK = 1e-6


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def limit_breaches(warehouse: WarehouseTables, mode: str, limits: RiskLimits) -> list[str]:
    """Every limit an order of `mode` broke when it was placed, as "limit: order id (detail)"."""
    orders = warehouse.read_frame("SELECT * FROM orders WHERE mode = :mode", {"mode": mode})
    orders = orders.assign(created_at=_utc(orders["created_at"])).sort_values(["created_at", "order_id"])
    fills = warehouse.read_frame("SELECT * FROM fills WHERE mode = :mode", {"mode": mode})
    fills = fills.assign(filled_at=_utc(fills["filled_at"]))
    resolutions = warehouse.read_table("polymarket_resolutions")
    resolved_at = dict(
        zip(
            resolutions["token_id"],
            _utc(resolutions["resolved_at"].fillna(resolutions["fetched_at"])),
            strict=True,
        )
    )
    payouts = dict(zip(resolutions["token_id"], resolutions["payout"].astype(float), strict=True))
    markets = warehouse.read_table("polymarket_markets").set_index("market_id")
    mappings = warehouse.read_table("market_mappings").set_index("pm_token_id")
    marks = _marks(warehouse, mode)
    filled_cost = (fills["size"] * fills["price"]).groupby(fills["order_id"]).sum()

    breaches: list[str] = []
    placed: list = []
    for order in orders.itertuples(index=False):
        at = order.created_at
        broken = []
        if order.stake > limits.max_stake_per_order + SLACK:
            broken.append(("max_stake_per_order", f"stake {order.stake:.4f}"))
        league = mappings["sport_key"].get(order.pm_token_id)
        if league is not None and league in limits.blocked_leagues:
            broken.append(("blocked_league", league))
        market_type = markets["sports_market_type"].get(str(order.pm_market_id))
        if market_type is not None and market_type in limits.blocked_market_types:
            broken.append(("blocked_market_type", market_type))
        held = {earlier.order_id: _held(earlier, at, resolved_at, filled_cost) for earlier in placed}
        in_market = sum(held[e.order_id] for e in placed if e.pm_market_id == order.pm_market_id)
        if in_market + order.stake > limits.max_stake_per_market + SLACK:
            broken.append(("max_stake_per_market", f"held {in_market:.2f} + {order.stake:.2f}"))
        exposure = sum(held.values())
        if exposure + order.stake > limits.max_open_exposure + SLACK:
            broken.append(("max_open_exposure", f"held {exposure:.2f} + {order.stake:.2f}"))
        same = [
            e.created_at for e in placed if (e.pm_market_id, e.outcome) == (order.pm_market_id, order.outcome)
        ]
        if same and at - max(same) < timedelta(seconds=limits.cooldown_seconds):
            broken.append(("cooldown", f"{(at - max(same)).total_seconds():.0f} s after the last"))
        last_minute = [e for e in placed if at - timedelta(minutes=1) < e.created_at <= at]
        if len(last_minute) >= limits.max_orders_per_minute:
            broken.append(("max_orders_per_minute", f"{len(last_minute)} already"))
        day_pnl = _day_pnl(fills, at, marks, payouts, resolved_at, markets)
        if day_pnl - order.stake < -limits.daily_loss_limit - SLACK:
            broken.append(("daily_loss_limit", f"day's P&L {day_pnl:.2f}, stake {order.stake:.2f}"))
        breaches += [f"{limit}: {order.order_id} {detail}" for limit, detail in broken]
        placed.append(order)
    return breaches


def _held(order, at: pd.Timestamp, resolved_at: dict, filled_cost: pd.Series) -> float:
    """The stake an earlier order holds at `at`: what it filled, plus the rest while it may still fill;
    nothing once its token has resolved (its P&L is realised)."""
    if order.pm_token_id in resolved_at and resolved_at[order.pm_token_id] <= at:
        return 0.0
    unfilled = order.stake - order.size_matched * order.price
    return float(filled_cost.get(order.order_id, 0.0)) + (
        unfilled if order.status in UNFILLED_STAKE_HOLDS else 0.0
    )


def _marks(warehouse: WarehouseTables, mode: str) -> pd.DataFrame:
    """When each token was marked and at what: the best bid of the book each decision was handed
    (the hourly snapshot of its token at the decision's time)."""
    return warehouse.read_frame(
        """
        SELECT e.pm_token_id, e.decided_at, MAX(b.price) AS bid FROM executions e
        JOIN order_book_snapshots b
            ON b.token_id = e.pm_token_id AND b.snapshot_ts = e.decided_at AND b.side = 'bid'
        WHERE e.mode = :mode
        GROUP BY e.pm_token_id, e.decided_at
        """,
        {"mode": mode},
    ).assign(decided_at=lambda frame: _utc(frame["decided_at"]))


def _day_pnl(fills, at, marks, payouts, resolved_at, markets) -> float:
    """Realised plus marked-to-market P&L at `at` of the fills of `at`'s UTC day filled by then: a
    resolved token at its payout, an open one at its last mark before `at`, else at its price; less
    the taker fee at the fill price."""
    day = fills[(fills["filled_at"] >= at.floor("D")) & (fills["filled_at"] <= at)]
    if day.empty:
        return 0.0
    schedule = markets.reindex(day["pm_market_id"].astype(str))
    priced = day.assign(
        fee_rate=schedule["fee_rate"].to_numpy(), fee_exponent=schedule["fee_exponent"].to_numpy()
    )
    fee = frame_fee_per_share(priced, "price")
    total = 0.0
    for fill, fee_per_share in zip(day.itertuples(index=False), fee, strict=True):
        token = fill.pm_token_id
        if token in resolved_at and resolved_at[token] <= at:
            worth = payouts[token]
        else:
            seen = marks[(marks["pm_token_id"] == token) & (marks["decided_at"] <= at)]
            worth = float(seen.sort_values("decided_at")["bid"].iloc[-1]) if len(seen) else fill.price
        total += fill.size * (worth - fill.price - fee_per_share)
    return total
