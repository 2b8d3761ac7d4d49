"""Quality checks of the mapping tables."""

import dagster as dg

from edge_assets.defs.mapping.assets import market_mappings, team_aliases
from edge_assets.defs.quality import COVERAGE_CHECK, coverage_check, table_checks
from edge_assets.storage.db import Warehouse

# Only tokens whose game starts once the sportsbook history begins can have an event to map to: a
# game played before the first fetched hour is not a mapping failure.
MAPPABLE_TOKENS_SQL = """
SELECT m.* FROM market_mappings AS m
JOIN polymarket_markets AS p ON p.market_id = m.pm_market_id
WHERE p.game_start_ts >= (SELECT MIN(partition_ts) FROM oddsapi_historical_odds)
"""
MAPPING_COVERAGE = coverage_check()

team_aliases_checks = table_checks(team_aliases)
market_mappings_checks = table_checks(market_mappings)


@dg.asset_check(asset=market_mappings, name=COVERAGE_CHECK, description=MAPPING_COVERAGE.description)
def mapping_coverage(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Coverage of the sports tokens that had a sportsbook event in the fetched range to map to."""
    return MAPPING_COVERAGE.evaluate(warehouse.read_frame(MAPPABLE_TOKENS_SQL))
