"""Paper and live trading of signals, without Dagster (see DESIGN.md, "One road to money").

`Trader.consider(signal, book, now)` decides on one signal; `RiskGuard` (trading.guard) is the one
road to a venue's order endpoint; `TradingStore` holds the kill switch, the per-market locks and the
orders, fills, positions and executions tables; `TradingConfig` (trading.limits) validates the mode.
"""
