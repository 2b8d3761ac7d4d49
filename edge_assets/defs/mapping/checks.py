"""Quality checks of the mapping tables."""

from edge_assets.defs.quality import coverage_check, schema_check

CHECKS = [
    schema_check("team_aliases", "team_aliases"),
    schema_check("market_mappings", "market_mappings"),
    coverage_check("market_mappings", "market_mappings"),
]
