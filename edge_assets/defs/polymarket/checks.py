"""Quality checks of the Polymarket tables."""

from edge_assets.defs.quality import schema_check, stale_check, table_checks

CHECKS = [
    table_checks("polymarket_markets", "markets", [schema_check("markets")]),
    table_checks("polymarket_resolutions", "resolutions", [schema_check("resolutions")]),
    table_checks(
        "order_book_snapshots",
        "order_books_hourly_snapshots",
        [schema_check("order_books_hourly_snapshots"), stale_check("book_ts", "snapshot_ts")],
        recent_column="snapshot_ts",
    ),
    table_checks(
        "order_book_rechecks",
        "order_book_rechecks",
        [schema_check("order_book_rechecks"), stale_check("book_ts", "snapshot_ts")],
        recent_column="snapshot_ts",
    ),
]
