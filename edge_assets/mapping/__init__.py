"""Pure entity resolution: team aliases, the Polymarket-to-sportsbook resolver, the sanity guard,
alias learning and PredictIt-to-Polymarket political matching (no Dagster)."""

from edge_assets.mapping.aliases import ALIAS_COLUMNS, AliasIndex, load_team_aliases
from edge_assets.mapping.guard import DEFAULT_MAX_GAP, flag_suspect
from edge_assets.mapping.learning import learned_aliases
from edge_assets.mapping.markets import (
    AMBIGUOUS,
    MAPPED,
    MAPPING_COLUMNS,
    SUSPECT,
    UNMAPPED,
    league_from_slug,
    map_markets,
)
from edge_assets.mapping.names import normalize_name
from edge_assets.mapping.political import POLITICAL_COLUMNS, match_political

__all__ = [
    "ALIAS_COLUMNS",
    "AMBIGUOUS",
    "DEFAULT_MAX_GAP",
    "MAPPED",
    "MAPPING_COLUMNS",
    "POLITICAL_COLUMNS",
    "SUSPECT",
    "UNMAPPED",
    "AliasIndex",
    "flag_suspect",
    "league_from_slug",
    "learned_aliases",
    "load_team_aliases",
    "map_markets",
    "match_political",
    "normalize_name",
]
