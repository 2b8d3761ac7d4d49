"""Mapping: which sportsbook event and outcome each Polymarket token stands for."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import table_metadata
from edge_assets.mapping import load_team_aliases, map_markets
from edge_assets.settings import EdgeSettings
from edge_assets.storage.db import Warehouse

GROUP = "mapping"
SPORTSBOOK_EVENTS_SQL = """
SELECT DISTINCT event_id, sport_key, commence_ts, home_team, away_team FROM oddsapi_historical_hourly
UNION
SELECT DISTINCT event_id, sport_key, commence_ts, home_team, away_team FROM oddsapi_live
"""


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    metadata=table_metadata("team_aliases", "upsert", primary_key=["league", "alias"]),
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
    metadata=table_metadata("market_mappings", "replace_all"),
    deps=["oddsapi_historical_odds", "oddsapi_live_odds"],
    automation_condition=dg.AutomationCondition.eager(),
)
def market_mappings(
    polymarket_markets: pd.DataFrame,
    team_aliases: pd.DataFrame,
    warehouse: Warehouse,
    settings: EdgeSettings,
) -> dg.Output[pd.DataFrame]:
    """One row per Polymarket token: the sportsbook event and outcome it matches, with a
    confidence, or `unmapped` / `ambiguous` with the reason. Teams are matched exactly or through
    the alias table, within a start-time window."""
    events = warehouse.read_frame(SPORTSBOOK_EVENTS_SQL).drop_duplicates("event_id")
    frame = map_markets(
        polymarket_markets,
        events,
        team_aliases,
        start_tolerance=timedelta(hours=settings.start_tolerance_hours),
        mapped_at=datetime.now(UTC),
    )
    counts = frame["status"].value_counts()
    sports = frame["sport_key"].notna()
    coverage = float((frame.loc[sports, "status"] == "mapped").mean()) if sports.any() else 0.0
    return dg.Output(
        frame,
        metadata={
            "tokens": len(frame),
            "mapped": int(counts.get("mapped", 0)),
            "ambiguous": int(counts.get("ambiguous", 0)),
            "unmapped": int(counts.get("unmapped", 0)),
            "sports_coverage": dg.MetadataValue.float(coverage),
            "sportsbook_events": len(events),
        },
    )
