"""Quality checks of the mapping tables."""

from datetime import timedelta

import dagster as dg

from edge_assets.defs.mapping.assets import SPORTSBOOK_EVENTS_SQL, market_mappings, team_aliases
from edge_assets.defs.quality import COVERAGE_CHECK, coverage_check, table_checks
from edge_assets.defs.settings import EdgeSettings
from edge_assets.quality.rules import has_event_near
from edge_assets.storage.db import Warehouse

TOKENS_SQL = """
SELECT m.*, p.game_start_ts FROM market_mappings AS m
JOIN polymarket_markets AS p ON p.market_id = m.pm_market_id
"""
MAPPING_COVERAGE = coverage_check()

team_aliases_checks = table_checks(team_aliases)
market_mappings_checks = table_checks(market_mappings)


@dg.asset_check(asset=market_mappings, name=COVERAGE_CHECK, description=MAPPING_COVERAGE.description)
def mapping_coverage(warehouse: Warehouse, settings: EdgeSettings) -> dg.AssetCheckResult:
    """Coverage of the sports tokens that had a sportsbook event to map to: one of their league
    starting within the mapping's start tolerance of their game, among the fetched odds. A game the
    books never listed in the fetched range (played before it, or too far ahead) is no mapping miss."""
    tokens = warehouse.read_frame(TOKENS_SQL)
    events = warehouse.read_frame(SPORTSBOOK_EVENTS_SQL)
    mappable = has_event_near(tokens, events, timedelta(hours=settings.start_tolerance_hours))
    result = MAPPING_COVERAGE.evaluate(tokens[mappable])
    metadata = {
        **result.metadata,
        "without_a_listed_event": int((tokens["sport_key"].notna() & ~mappable).sum()),
    }
    return dg.AssetCheckResult(passed=result.passed, severity=result.severity, metadata=metadata)
