"""Trading: the trader's positions marked at the latest books, and its daily P&L and closing-line
value, settled from the resolutions (see `edge_assets.trading.settlement`). The trader writes the
fills from the live service or a backfill; these assets judge them."""

from datetime import UTC, datetime
from math import isfinite

import dagster as dg
import pandas as pd

from edge_assets.defs.common import table_metadata
from edge_assets.modeling.labels import closing_consensus
from edge_assets.storage.db import Warehouse
from edge_assets.trading import settlement

GROUP = "trading"
FILLS_SQL = "SELECT * FROM fills"
POSITION_MARKS_SQL = "SELECT mode, pm_token_id, mark_price FROM positions"
# The best bid of each traded token's newest book that had bids: what selling would fetch now.
LATEST_BIDS_SQL = """
SELECT b.token_id, MAX(b.price) AS bid FROM order_book_snapshots AS b
JOIN (
    SELECT token_id, MAX(snapshot_ts) AS snapshot_ts FROM order_book_snapshots
    WHERE side = 'bid' AND token_id IN (SELECT pm_token_id FROM fills)
    GROUP BY token_id
) AS latest ON latest.token_id = b.token_id AND latest.snapshot_ts = b.snapshot_ts
WHERE b.side = 'bid'
GROUP BY b.token_id
"""
# The consensus of the traded tokens' events, from which their closing lines are taken.
TRADED_CONSENSUS_SQL = """
SELECT * FROM consensus WHERE event_id IN (
    SELECT event_id FROM market_mappings WHERE pm_token_id IN (SELECT pm_token_id FROM fills)
)
"""
TRADING_DEPS = ["order_book_snapshots", "consensus"]


def settled_fills(
    warehouse: Warehouse,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    polymarket_resolutions: pd.DataFrame,
) -> pd.DataFrame:
    """Every fill in the warehouse, settled against its resolution, close and latest bid."""
    closing = closing_consensus(
        warehouse.read_frame(TRADED_CONSENSUS_SQL), market_mappings, polymarket_markets
    )
    return settlement.settle_fills(
        warehouse.read_frame(FILLS_SQL),
        polymarket_markets,
        closing,
        polymarket_resolutions,
        warehouse.read_frame(LATEST_BIDS_SQL),
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("upsert", primary_key=["mode", "pm_token_id"]),
    deps=TRADING_DEPS,
)
def positions(
    warehouse: Warehouse,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    polymarket_resolutions: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Holdings per trading mode and token, rebuilt from the fills as the trader keeps them (net
    shares and their cost) and marked at the payout once resolved, else at the newest book's best
    bid (a token with neither keeps the trader's own mark): the mark the risk guard's daily loss
    limit reads."""
    settled = settled_fills(warehouse, market_mappings, polymarket_markets, polymarket_resolutions)
    frame = settlement.positions(settled, warehouse.read_frame(POSITION_MARKS_SQL), datetime.now(UTC))
    marked = frame["mark_price"].notna()
    return dg.Output(
        frame,
        metadata={
            "positions": len(frame),
            "marked": int(marked.sum()),
            "shares": dg.MetadataValue.float(float(frame["size"].sum())),
            "cost": dg.MetadataValue.float(float(frame["cost"].sum())),
            "marked_value": dg.MetadataValue.float(
                float((frame["size"] * frame["mark_price"].astype(float)).where(marked, 0.0).sum())
            ),
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "parquet"},
    io_manager_key="lake_io_manager",
    deps=[*TRADING_DEPS, "positions"],
    automation_condition=dg.AutomationCondition.eager(),
)
def pnl_daily(
    warehouse: Warehouse,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    polymarket_resolutions: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Per trading mode and UTC day of filling: realised P&L (resolved fills, at their payout less
    price and taker fee), marked-to-market P&L (open fills at the best bid), drawdown of the running
    total, hit rate of the resolved fills and mean closing-line value of the fills (the closing
    de-vigged consensus less the effective price, as the batch labels define it). The metadata,
    per mode, is over all fills, so the UI plots it across materializations."""
    settled = settled_fills(warehouse, market_mappings, polymarket_markets, polymarket_resolutions)
    days = settlement.daily_pnl(settled)
    metadata: dict = {"days": len(days)}
    for mode, figures in settlement.pnl_summary(settled, days).items():
        for name, value in figures.items():
            if isfinite(value):  # a figure with nothing to measure yet is left out, not plotted as 0
                metadata[f"{mode}_{name}"] = dg.MetadataValue.float(value)
    return dg.Output(days, metadata=metadata)
