"""Venue clients and pure parsers for every venue payload; the Dagster resources wrapping the
clients are in `edge_assets.sources.resources`, so nothing here loads Dagster.

Clients fetch and return `Payload`s, untouched apart from secret redaction; parsers turn a
payload's data into a frame shaped like one SQL table, quarantining records they cannot read.
"""

from edge_assets.notify.logs import redact
from edge_assets.sources.http import Payload, RetryEvent, VenueClient, VenueHTTPError
from edge_assets.sources.oddsapi import (
    Quota,
    QuotaFloorReached,
    parse_historical_odds,
    parse_historical_snapshots,
    parse_odds_events,
    parse_scores,
)
from edge_assets.sources.parsing import TABLE_SHAPES, ParseResult, QuarantinedRecord
from edge_assets.sources.polymarket import (
    parse_clob_books,
    parse_gamma_events,
    parse_gamma_markets,
    parse_resolutions,
)
from edge_assets.sources.predictit import parse_predictit

__all__ = [
    "TABLE_SHAPES",
    "ParseResult",
    "Payload",
    "QuarantinedRecord",
    "Quota",
    "QuotaFloorReached",
    "RetryEvent",
    "VenueClient",
    "VenueHTTPError",
    "parse_clob_books",
    "parse_gamma_events",
    "parse_gamma_markets",
    "parse_historical_odds",
    "parse_historical_snapshots",
    "parse_odds_events",
    "parse_predictit",
    "parse_resolutions",
    "parse_scores",
    "redact",
]
