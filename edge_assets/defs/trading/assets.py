"""Trading: the trader's decisions on the hourly signals, its positions marked at the latest books,
and its daily P&L and closing-line value, settled from the resolutions (see
`edge_assets.trading.settlement`). The trader writes the fills from the live service or, through
`signal_trades`, from a backfill; the other assets judge them."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from math import isfinite

import dagster as dg
import pandas as pd

from edge_assets.defs.common import table_metadata
from edge_assets.defs.partitions import HOURLY_PARTITIONS, SINGLE_RUN_BACKFILL
from edge_assets.live.books import Book
from edge_assets.live.evaluate import MarketContext
from edge_assets.modeling.labels import closing_consensus
from edge_assets.storage.db import Warehouse
from edge_assets.trading import settlement
from edge_assets.trading.limits import TradingConfig
from edge_assets.trading.trader import Trader, TradeSignal

GROUP = "trading"
# The trader's config for a signal decided at a past instant (Environment.trading_config_as_of).
TradingConfigAsOf = Callable[[datetime], TradingConfig]
WINDOW_SIGNALS_SQL = """
SELECT * FROM signals WHERE created_at >= :start AND created_at < :end ORDER BY created_at, signal_id
"""
# Signals of the window the trader has decided in this mode already: a rerun decides them not again.
DECIDED_SQL = """
SELECT DISTINCT signal_id FROM executions WHERE mode = :mode AND decided_at >= :start AND decided_at < :end
"""
# The books the window's signals were found on: each signal token's snapshot at the signal's own
# hour, looked up on the table's key (reading a month of those tokens' every snapshot took most
# of the step's time).
SIGNAL_BOOKS_SQL = """
SELECT b.snapshot_ts, b.token_id, b.market_id, b.side, b.price, b.size, b.book_ts
FROM (
    SELECT DISTINCT created_at, pm_token_id FROM signals WHERE created_at >= :start AND created_at < :end
) AS s
JOIN order_book_snapshots AS b ON b.snapshot_ts = s.created_at AND b.token_id = s.pm_token_id
"""
FILLS_SQL = "SELECT * FROM fills"
POSITION_MARKS_SQL = "SELECT mode, pm_token_id, mark_price, marked_at FROM positions"
# The best bid of each traded token's newest book that had bids (what selling would fetch now), and
# that book's time.
LATEST_BIDS_SQL = """
SELECT b.token_id, MAX(b.price) AS bid, MAX(b.snapshot_ts) AS bid_at FROM order_book_snapshots AS b
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


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    deps=["signals", "order_book_snapshots"],
    partitions_def=HOURLY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    automation_condition=dg.AutomationCondition.eager(),
)
def signal_trades(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    trading: dg.ResourceParam[TradingConfigAsOf],
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
) -> dg.MaterializeResult:
    """The trader's decision on each hourly signal of the window, as the live service decides its
    own: `Trader.consider` with the REST book the signal was found on (its token's snapshot at the
    signal's hour) at the signal's as-of time, so cooldowns, the per-minute cap and the daily loss
    limit judge history as it happened. In the configured mode (dry by default; paper trades on the
    simulator's CLOB as of that hour). The trader writes `executions`, `orders` and `fills`; a
    signal already decided in this mode is not decided again, so a rerun adds nothing."""
    window = context.partition_time_window
    bounds = {"start": window.start, "end": window.end}
    signals = warehouse.read_frame(WINDOW_SIGNALS_SQL, bounds)
    mode = trading(window.start).mode
    decided = set(warehouse.read_frame(DECIDED_SQL, {**bounds, "mode": str(mode)})["signal_id"])
    signals = signals[~signals["signal_id"].isin(decided)].assign(
        created_at=lambda frame: pd.to_datetime(frame["created_at"], utc=True)
    )
    books = warehouse.read_frame(SIGNAL_BOOKS_SQL, bounds)
    books["snapshot_ts"] = pd.to_datetime(books["snapshot_ts"], utc=True)
    book_rows = {key: rows for key, rows in books.groupby(["token_id", "snapshot_ts"])}
    # Labels only: the league and market type the blacklists judge.
    labels = MarketContext(market_mappings, polymarket_markets, fill_prob=0.0)
    stopped: Counter[str] = Counter()
    traders: dict[datetime, Trader] = {}
    for row in signals.to_dict("records"):
        as_of = row["created_at"].to_pydatetime()
        if as_of not in traders:  # one trader per hour: a paper trader's CLOB is the one of its hour
            traders = {as_of: Trader(trading(as_of), warehouse)}
        levels = book_rows.get((str(row["pm_token_id"]), pd.Timestamp(as_of)))
        book = None if levels is None else Book.from_levels(levels)
        signal = TradeSignal.from_row(row, *labels.trade_labels(row))
        execution = traders[as_of].consider(signal, book, as_of)
        stopped[execution["stopped_by"] or execution["status"]] += 1
    return dg.MaterializeResult(
        metadata={
            "mode": str(mode),
            "signals": len(signals) + len(decided),
            "decided_now": len(signals),
            "decided_before": len(decided),
            **{f"outcome_{name}": count for name, count in sorted(stopped.items())},
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "parquet"},
    io_manager_key="lake_io_manager",
    deps=[*TRADING_DEPS, "signal_trades"],
)
def settled_fills(
    warehouse: Warehouse,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    polymarket_resolutions: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Every fill in the warehouse (the live service's and the backfill's), settled once against its
    resolution, closing line and latest best bid: what `positions` and `pnl_daily` both read."""
    closing = closing_consensus(
        warehouse.read_frame(TRADED_CONSENSUS_SQL), market_mappings, polymarket_markets
    )
    frame = settlement.settle_fills(
        warehouse.read_frame(FILLS_SQL),
        polymarket_markets,
        closing,
        polymarket_resolutions,
        warehouse.read_frame(LATEST_BIDS_SQL),
    )
    return dg.Output(frame, metadata={"fills": len(frame)})


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("upsert", primary_key=["mode", "pm_token_id"]),
)
def positions(warehouse: Warehouse, settled_fills: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Holdings per trading mode and token, rebuilt from the fills as the trader keeps them (net
    shares and their cost) and marked at the payout once resolved, else at the newest book's best
    bid unless the trader marked it since from its live book (the newer mark wins): the mark the
    risk guard's daily loss limit reads."""
    frame = settlement.positions(settled_fills, warehouse.read_frame(POSITION_MARKS_SQL), datetime.now(UTC))
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
    deps=["positions"],
)
def pnl_daily(settled_fills: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Per trading mode and UTC day of filling: realised P&L (resolved fills, at their payout less
    price and taker fee), marked-to-market P&L (open fills at the best bid), drawdown of the running
    total, hit rate of the resolved fills and mean closing-line value of the fills (the closing
    de-vigged consensus less the effective price, as the batch labels define it). The metadata,
    per mode, is over all fills, so the UI plots it across materializations."""
    days = settlement.daily_pnl(settled_fills)
    metadata: dict = {"days": len(days)}
    for mode, figures in settlement.pnl_summary(settled_fills, days).items():
        for name, value in figures.items():
            if isfinite(value):  # a figure with nothing to measure yet is left out, not plotted as 0
                metadata[f"{mode}_{name}"] = dg.MetadataValue.float(value)
    return dg.Output(days, metadata=metadata)
