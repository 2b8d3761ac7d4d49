"""Mapping: which sportsbook event and outcome each Polymarket token stands for."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import table_metadata
from edge_assets.defs.settings import EdgeSettings
from edge_assets.mapping import MAPPED, flag_suspect, load_team_aliases, map_markets
from edge_assets.notify.alerts import mapping_alerts
from edge_assets.notify.resource import AlertingResource
from edge_assets.storage.db import Warehouse

GROUP = "mapping"
SPORTSBOOK_EVENTS_SQL = """
SELECT DISTINCT event_id, sport_key, commence_ts, home_team, away_team FROM oddsapi_historical_odds
UNION
SELECT DISTINCT event_id, sport_key, commence_ts, home_team, away_team FROM oddsapi_live_odds
"""
# The latest hour's prices on both sides, for the sanity guard.
LATEST_PM_PRICES_SQL = """
SELECT market_key AS pm_token_id, implied_prob AS pm_price FROM quotes
WHERE venue = 'polymarket' AND side = 'ask' AND quote_ts = (SELECT MAX(quote_ts) FROM quotes)
"""
LATEST_CONSENSUS_SQL = """
SELECT event_id, outcome, fair_prob FROM consensus WHERE quote_ts = (SELECT MAX(quote_ts) FROM consensus)
"""


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("upsert", primary_key=["league", "alias"]),
)
def team_aliases() -> dg.Output[pd.DataFrame]:
    """Curated team names per league: full names, cities, nicknames, abbreviations and former
    names, each normalised and pointing at the name the sportsbooks use."""
    frame = load_team_aliases()
    return dg.Output(
        frame,
        metadata={
            "aliases": len(frame),
            "teams": frame["team"].nunique(),
            "leagues": frame["league"].nunique(),
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("replace_all"),
    deps=["oddsapi_historical_odds", "oddsapi_live_odds"],
    automation_condition=dg.AutomationCondition.eager(),
)
def market_mappings(
    polymarket_markets: pd.DataFrame,
    team_aliases: pd.DataFrame,
    warehouse: Warehouse,
    settings: EdgeSettings,
    alerting: AlertingResource,
) -> dg.Output[pd.DataFrame]:
    """One row per Polymarket token: the sportsbook event and outcome it matches, with a
    confidence, or `unmapped` / `ambiguous` with the reason. Teams are matched by league, both
    teams (exactly, through the alias table, or cautiously fuzzy) and start time; yes/no and
    three-way questions are aligned so an outcome is never flipped. A mapping whose Polymarket
    price and the consensus disagree by more than the configured gap is held as `suspect`.
    Suspect, ambiguous and unmapped-league findings are raised in the `alerts` table."""
    now = datetime.now(UTC)
    events = warehouse.read_frame(SPORTSBOOK_EVENTS_SQL).drop_duplicates("event_id")
    frame = map_markets(
        polymarket_markets,
        events,
        team_aliases,
        start_tolerance=timedelta(hours=settings.start_tolerance_hours),
        mapped_at=now,
    )
    frame = flag_suspect(
        frame,
        warehouse.read_frame(LATEST_PM_PRICES_SQL),
        warehouse.read_frame(LATEST_CONSENSUS_SQL),
        max_gap=settings.max_price_gap,
    )
    new_alerts = alerting.raise_alerts(warehouse, mapping_alerts(frame, now))
    counts = frame["status"].value_counts()
    sports = frame["sport_key"].notna()
    coverage = float((frame.loc[sports, "status"] == MAPPED).mean()) if sports.any() else 0.0
    return dg.Output(
        frame,
        metadata={
            "tokens": len(frame),
            "mapped": int(counts.get("mapped", 0)),
            "ambiguous": int(counts.get("ambiguous", 0)),
            "unmapped": int(counts.get("unmapped", 0)),
            "suspect": int(counts.get("suspect", 0)),
            "new_alerts": new_alerts,
            "sports_coverage": dg.MetadataValue.float(coverage),
            "sportsbook_events": len(events),
        },
    )
