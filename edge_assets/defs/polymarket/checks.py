"""Quality checks of the Polymarket tables."""

from edge_assets.defs.polymarket.assets import order_books, polymarket_markets, polymarket_resolutions
from edge_assets.defs.quality import quarantine_check, stale_check, table_checks, volume_check

polymarket_markets_checks = table_checks(polymarket_markets)
polymarket_resolutions_checks = table_checks(polymarket_resolutions)
order_book_snapshots_checks = table_checks(
    order_books,
    [stale_check("book_ts", "snapshot_ts"), volume_check("snapshot_ts")],
    key="order_book_snapshots",
)
order_book_rechecks_checks = table_checks(
    order_books, [stale_check("book_ts", "snapshot_ts")], key="order_book_rechecks"
)
polymarket_markets_quarantine = quarantine_check(polymarket_markets)
order_book_snapshots_quarantine = quarantine_check(order_books, key="order_book_snapshots")
order_book_rechecks_quarantine = quarantine_check(order_books, key="order_book_rechecks")
