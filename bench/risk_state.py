"""What one trading decision's risk read costs: `TradingStore.risk_state` on a SQLite warehouse holding
many orders and fills (by default 10k orders over 30 days and 200 markets, one fill per matched
order, a tenth of the markets resolved), median and p95 over repeated calls at the newest order's time.

Usage: python bench/risk_state.py [--orders 10000] [--calls 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.limits import RiskLimits
from edge_assets.trading.store import TradingStore

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
MODE = "paper"


def seed(warehouse: SqlWarehouse, orders: int, markets: int) -> None:
    rng = np.random.default_rng(7)
    created = [NOW - timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 30 * 86400, orders))[::-1]]
    market = rng.integers(0, markets, orders)
    price = rng.uniform(0.05, 0.95, orders).round(3)
    size = rng.uniform(5, 40, orders).round(2)
    status = rng.choice(["matched", "failed", "live", "unmatched"], orders, p=[0.7, 0.1, 0.1, 0.1])
    frame = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(orders)],
            "created_at": created,
            "updated_at": created,
            "signal_id": [f"s{i}" for i in range(orders)],
            "mode": MODE,
            "pm_market_id": [f"m{m}" for m in market],
            "pm_token_id": [f"m{m}-Yes" for m in market],
            "outcome": "Yes",
            "side": "BUY",
            "order_type": "FOK",
            "price": price,
            "size": size,
            "stake": price * size,
            "status": status,
            "attempts": 1,
            "size_matched": np.where(status == "matched", size, 0.0),
            "error": None,
        }
    )
    warehouse.upsert("orders", frame, ["order_id"])
    matched = frame[frame["status"] == "matched"]
    fills = matched.assign(fill_id="t" + matched["order_id"], filled_at=matched["created_at"])
    warehouse.upsert("fills", fills[["fill_id", "order_id", "filled_at", "mode", "pm_market_id",
                                     "pm_token_id", "outcome", "price", "size"]], ["fill_id"])  # fmt: skip
    held = fills.groupby(["pm_token_id", "pm_market_id"], as_index=False).agg(
        size=("size", "sum"), cost=("stake", "sum")
    )
    held = held.assign(mode=MODE, outcome="Yes", mark_price=0.5, updated_at=NOW)
    warehouse.upsert("positions", held, ["mode", "pm_token_id"])
    resolved = held.iloc[: markets // 10]
    warehouse.upsert(
        "polymarket_resolutions",
        pd.DataFrame(
            {
                "token_id": resolved["pm_token_id"],
                "market_id": resolved["pm_market_id"],
                "outcome": "Yes",
                "payout": 1.0,
                "resolved_at": NOW - timedelta(days=1),
                "fetched_at": NOW,
            }
        ),
        ["token_id"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--markets", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        warehouse = SqlWarehouse(f"sqlite:///{Path(home) / 'edge.db'}")
        seed(warehouse, args.orders, args.markets)
        store = TradingStore(warehouse)
        lookback = RiskLimits().order_lookback
        store.risk_state(MODE, NOW, halted=False, lookback=lookback)  # warm the engine and caches
        costs = []
        for _ in range(args.calls):
            started = time.perf_counter()
            store.risk_state(MODE, NOW, halted=False, lookback=lookback)
            costs.append((time.perf_counter() - started) * 1000)
    print(
        f"risk_state over {args.orders} orders (SQLite): median {np.median(costs):.2f} ms, "
        f"p95 {np.percentile(costs, 95):.2f} ms over {args.calls} calls"
    )


if __name__ == "__main__":
    main()
