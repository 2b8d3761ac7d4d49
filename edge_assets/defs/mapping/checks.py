"""Quality checks of the mapping tables."""

from edge_assets.defs.mapping.assets import market_mappings, team_aliases
from edge_assets.defs.quality import coverage_check, table_checks

team_aliases_checks = table_checks(team_aliases)
market_mappings_checks = table_checks(market_mappings, [coverage_check()])
