"""Pure entity resolution: team aliases and Polymarket-to-sportsbook market mapping (no Dagster)."""

from edge_assets.mapping.aliases import ALIAS_COLUMNS, AliasIndex, load_team_aliases
from edge_assets.mapping.markets import MAPPING_COLUMNS, map_markets
from edge_assets.mapping.names import normalize_name

__all__ = [
    "ALIAS_COLUMNS",
    "MAPPING_COLUMNS",
    "AliasIndex",
    "load_team_aliases",
    "map_markets",
    "normalize_name",
]
