"""Quality checks of the Polymarket tables."""

from edge_assets.defs.quality import schema_check, stale_check

CHECKS = [
    schema_check("polymarket_markets", "markets"),
    schema_check("polymarket_resolutions", "resolutions"),
    schema_check("order_book_snapshots", "order_books_hourly_snapshots", recent_column="snapshot_ts"),
    stale_check("order_book_snapshots", "order_books_hourly_snapshots", "book_ts", "snapshot_ts"),
]
