"""Quality checks of the Polymarket tables."""

from edge_assets.defs.polymarket.assets import order_books, polymarket_markets, polymarket_resolutions
from edge_assets.defs.quality import stale_check, table_checks, volume_check

polymarket_markets_checks = table_checks(polymarket_markets, landed=True)
polymarket_resolutions_checks = table_checks(polymarket_resolutions)
order_book_snapshots_checks = table_checks(
    order_books,
    [stale_check("book_ts", "snapshot_ts"), volume_check("snapshot_ts")],
    key="order_book_snapshots",
    landed=True,
)
order_book_rechecks_checks = table_checks(
    order_books, [stale_check("book_ts", "snapshot_ts")], key="order_book_rechecks", landed=True
)
