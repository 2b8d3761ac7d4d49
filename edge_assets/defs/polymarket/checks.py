"""Quality checks of the Polymarket tables."""

from edge_assets.defs.quality import schema_check, stale_check, table_checks

CHECKS = [
    table_checks("polymarket_markets", "polymarket_markets", [schema_check("polymarket_markets")]),
    table_checks("polymarket_resolutions", "polymarket_resolutions", [schema_check("polymarket_resolutions")]),
    table_checks(
        "order_book_snapshots",
        "order_book_snapshots",
        [schema_check("order_book_snapshots"), stale_check("book_ts", "snapshot_ts")],
        recent_column="snapshot_ts",
    ),
    table_checks(
        "order_book_rechecks",
        "order_book_rechecks",
        [schema_check("order_book_rechecks"), stale_check("book_ts", "snapshot_ts")],
        recent_column="snapshot_ts",
    ),
]
