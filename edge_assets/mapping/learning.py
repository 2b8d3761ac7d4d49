"""Learning team aliases from past mappings.

When Polymarket keeps writing a team in a way the alias table does not list ("Man Utd." or a
misspelling the fuzzy matcher accepted) and those markets mapped cleanly, the spelling becomes a
`learned` alias, so the next market with it maps at alias confidence without fuzzy matching.
"""

from __future__ import annotations

import json

import pandas as pd

from edge_assets.mapping.aliases import ALIAS_COLUMNS, AliasIndex
from edge_assets.mapping.markets import MAPPED
from edge_assets.mapping.names import normalize_name
from edge_assets.mapping.questions import TEAM, read_market

LEARNED = "learned"
DEFAULT_MIN_CONFIRMATIONS = 2


def learned_aliases(
    mappings: pd.DataFrame,
    markets: pd.DataFrame,
    events: pd.DataFrame,
    aliases: pd.DataFrame | None = None,
    min_confirmations: int = DEFAULT_MIN_CONFIRMATIONS,
) -> pd.DataFrame:
    """New `team_aliases` rows (source "learned") confirmed by `mapped` rows of `mappings`.

    A spelling is learned for a team when at least `min_confirmations` distinct markets used it
    and mapped it to that team, and no mapped market used it for another team of the league.
    Spellings `aliases` (league, alias, team) already resolve are not repeated; the team is named
    as `aliases` names it, so a learned alias of a relocated team points at its current name.
    `markets` has market_id, question, outcomes (JSON); `events` has event_id, sport_key,
    home_team, away_team.
    """
    index = AliasIndex(aliases if aliases is not None else pd.DataFrame(columns=ALIAS_COLUMNS))
    mapped = mappings[mappings["status"] == MAPPED]
    wordings = markets.set_index("market_id")[["question", "outcomes"]]
    teams_of = {
        event_id: (sport_key, {home, away})
        for event_id, sport_key, home, away in events[
            ["event_id", "sport_key", "home_team", "away_team"]
        ].itertuples(index=False)
    }
    evidence: list[tuple[str, str, str, str]] = []  # league, alias, team, market
    for market_id, rows in mapped.groupby("pm_market_id", sort=False):
        if market_id not in wordings.index:
            continue
        question, outcomes_json = wordings.loc[market_id]
        outcomes = json.loads(outcomes_json)
        reading = read_market(question, outcomes)
        if isinstance(reading, str):
            continue
        claims = dict(zip(outcomes, reading.claims, strict=True))
        for pm_outcome, event_id, team in rows[["pm_outcome", "event_id", "sportsbook_outcome"]].itertuples(
            index=False
        ):
            claim = claims.get(pm_outcome)
            league, event_teams = teams_of.get(event_id, (None, set()))
            if claim is None or claim.kind != TEAM or team not in event_teams:
                continue
            evidence.append(
                (league, normalize_name(claim.name), index.resolve(league, team) or team, market_id)
            )
    frame = pd.DataFrame(evidence, columns=["league", "alias", "team", "market"]).drop_duplicates()
    # A spelling seen for two teams of one league is a coincidence to be curated, not learned.
    conflicted = frame.groupby(["league", "alias"])["team"].transform("nunique") > 1
    counts = frame[~conflicted].groupby(["league", "alias", "team"]).size().reset_index(name="markets")
    known = [
        index.resolve(league, alias) is not None or alias == normalize_name(team)
        for league, alias, team in counts[["league", "alias", "team"]].itertuples(index=False)
    ]
    learned = counts[
        (counts["markets"] >= min_confirmations) & ~pd.Series(known, index=counts.index, dtype=bool)
    ]
    return (
        learned.assign(source=LEARNED)[ALIAS_COLUMNS].sort_values(["league", "alias"]).reset_index(drop=True)
    )
