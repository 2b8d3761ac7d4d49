"""Quality checks of the mapping tables."""

from edge_assets.defs.quality import coverage_check, schema_check, table_checks

CHECKS = [
    table_checks("team_aliases", "team_aliases", [schema_check("team_aliases")]),
    table_checks("market_mappings", "market_mappings", [schema_check("market_mappings"), coverage_check()]),
]
