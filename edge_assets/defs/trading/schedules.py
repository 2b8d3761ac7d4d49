"""The trading jobs and schedule. `hourly_trading` has the trader decide on an hour's signals (or a
backfilled range's, in one run); signal_trades also follows the signals through its
AutomationCondition. The trader writes fills outside Dagster too (the live service), so `trading`
polls them like a source: settled, positions rebuilt and marked, daily P&L."""

import dagster as dg

from edge_assets.defs.partitions import HOURLY_PARTITIONS

hourly_trading_job = dg.define_asset_job(
    "hourly_trading",
    selection=dg.AssetSelection.assets("signal_trades"),
    partitions_def=HOURLY_PARTITIONS,
    description="The trader's decisions on an hour's signals (or a backfilled range, in one run), in "
    "the configured trading mode.",
)
trading_job = dg.define_asset_job(
    "trading",
    selection=dg.AssetSelection.assets("settled_fills", "positions", "pnl_daily"),
    description="Fills settled, positions rebuilt from them and marked at the newest books, daily P&L "
    "and closing-line value.",
)

# Found by the definitions loader like every other module-level definition.
SCHEDULES = [
    dg.ScheduleDefinition(
        name="trading_every_15_minutes",
        job=trading_job,
        cron_schedule="*/15 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    ),
]
