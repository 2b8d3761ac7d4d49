"""Quality checks of The Odds API tables."""

from edge_assets.defs.oddsapi.assets import oddsapi_historical_odds, oddsapi_live_odds, oddsapi_scores
from edge_assets.defs.quality import completeness_check, stale_check, table_checks, volume_check

# A sport or bookmaker is judged only between the hours that list it: no games is not a hole.
HISTORICAL_ODDS_COMPLETENESS = completeness_check(
    "partition_ts", {"sport_key": ["event_id"], "bookmaker": ["event_id", "bookmaker"]}
)

oddsapi_live_odds_checks = table_checks(oddsapi_live_odds, landed=True)
oddsapi_historical_odds_checks = table_checks(
    oddsapi_historical_odds,
    [
        stale_check("book_update_ts", "partition_ts"),
        HISTORICAL_ODDS_COMPLETENESS,
        volume_check("partition_ts"),
    ],
    landed=True,
)
oddsapi_scores_checks = table_checks(oddsapi_scores, landed=True)
