"""The curated team-alias table and an index resolving a name to its team within a league."""

from __future__ import annotations

from collections import defaultdict
from importlib import resources

import pandas as pd

from edge_assets.mapping.names import normalize_name

ALIAS_COLUMNS = ["league", "alias", "team", "source"]
_CURATED_CSV = "team_aliases.csv"


def load_team_aliases() -> pd.DataFrame:
    """The curated aliases as rows of the `team_aliases` table: league, alias (normalised), team, source.

    The CSV lists, per league (an Odds API sport key), each team's Odds API name with its city,
    nickname, abbreviations, short forms and former names. An alias that names more than one team of
    a league (a shared city such as "Los Angeles" in the NBA) is dropped, so the matcher never guesses.
    """
    with resources.files("edge_assets.mapping").joinpath("data", _CURATED_CSV).open(encoding="utf-8") as f:
        curated = pd.read_csv(f, dtype=str)
    curated["alias"] = curated["alias"].map(normalize_name)
    curated = curated.drop_duplicates(["league", "alias", "team"])
    shared = curated.duplicated(["league", "alias"], keep=False)
    return curated.loc[~shared, ALIAS_COLUMNS].sort_values(["league", "alias"]).reset_index(drop=True)


class AliasIndex:
    """Resolves a name to a canonical team within a league from an alias frame.

    `aliases_frame` has columns league, alias, team (as `load_team_aliases` returns or the
    `team_aliases` table holds). Aliases are normalised again here, so raw spellings work too; an
    alias claimed by two teams of one league resolves to nothing.
    """

    def __init__(self, aliases_frame: pd.DataFrame) -> None:
        teams: dict[tuple[str, str], set[str]] = defaultdict(set)
        for league, alias, team in aliases_frame[["league", "alias", "team"]].itertuples(index=False):
            teams[(league, normalize_name(alias))].add(team)
            # A team's own name always resolves to it, even if the frame omits that row.
            teams[(league, normalize_name(team))].add(team)
        self._team = {key: next(iter(found)) for key, found in teams.items() if len(found) == 1}
        self._leagues_by_alias: dict[str, dict[str, str]] = defaultdict(dict)
        for (league, alias), team in self._team.items():
            self._leagues_by_alias[alias][league] = team
        self.leagues = frozenset(league for league, _ in teams)

    def resolve(self, league: str, name: str) -> str | None:
        """The canonical team `name` stands for in `league`, or None when unknown or ambiguous."""
        return self._team.get((league, normalize_name(name)))

    def resolve_any(self, name: str) -> dict[str, str]:
        """Every league in which `name` resolves, with the team it resolves to there."""
        return dict(self._leagues_by_alias.get(normalize_name(name), {}))
