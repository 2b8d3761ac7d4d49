"""Quality checks of The Odds API tables."""

from edge_assets.defs.quality import completeness_check, schema_check, stale_check

CHECKS = [
    schema_check("oddsapi_live_odds", "oddsapi_live", recent_column="snapshot_ts"),
    schema_check("oddsapi_historical_odds", "oddsapi_historical_hourly", recent_column="partition_ts"),
    stale_check("oddsapi_historical_odds", "oddsapi_historical_hourly", "book_update_ts", "partition_ts"),
    completeness_check(
        "oddsapi_historical_odds", "oddsapi_historical_hourly", "partition_ts", ["sport_key", "bookmaker"]
    ),
    schema_check("oddsapi_scores", "oddsapi_scores"),
]
