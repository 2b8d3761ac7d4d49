"""Quality checks of The Odds API tables."""

from edge_assets.defs.quality import schema_check

CHECKS = [
    schema_check("oddsapi_live_odds", "oddsapi_live", recent_column="snapshot_ts"),
    schema_check("oddsapi_historical_odds", "oddsapi_historical_hourly", recent_column="partition_ts"),
    schema_check("oddsapi_scores", "oddsapi_scores"),
]
