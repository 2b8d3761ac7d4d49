"""Pure feature maths per mapped Polymarket token and hour (no Dagster)."""

from edge_assets.features.build import (
    CONTEXT_COLUMNS,
    FEATURE_COLUMNS,
    HISTORY_HOURS,
    KEY_COLUMNS,
    LEAGUE_CODES,
    OUTPUT_COLUMNS,
    book_depth,
    build_features,
    mapped_tokens,
    token_consensus,
    utc,
)

__all__ = [
    "CONTEXT_COLUMNS",
    "FEATURE_COLUMNS",
    "HISTORY_HOURS",
    "KEY_COLUMNS",
    "LEAGUE_CODES",
    "OUTPUT_COLUMNS",
    "book_depth",
    "build_features",
    "mapped_tokens",
    "token_consensus",
    "utc",
]
