"""Quality checks of The Odds API tables."""

from edge_assets.defs.quality import completeness_check, schema_check, stale_check, table_checks

CHECKS = [
    table_checks(
        "oddsapi_live_odds", "oddsapi_live_odds", [schema_check("oddsapi_live_odds")], recent_column="snapshot_ts"
    ),
    table_checks(
        "oddsapi_historical_odds",
        "oddsapi_historical_odds",
        [
            schema_check("oddsapi_historical_odds"),
            stale_check("book_update_ts", "partition_ts"),
            completeness_check(
                "partition_ts", {"sport_key": ["event_id"], "bookmaker": ["event_id", "bookmaker"]}
            ),
        ],
        recent_column="partition_ts",
    ),
    table_checks("oddsapi_scores", "oddsapi_scores", [schema_check("oddsapi_scores")]),
]
