"""Resolving a team name as written on Polymarket to a team of one league: exact, alias, fuzzy.

Fuzzy matching (rapidfuzz) is the last resort and deliberately conservative: it only runs on a
name that neither the sportsbooks nor the alias table know, only on names long enough to carry
spelling (not abbreviations), scores whole strings (never partial ones, so "Los Angeles" is not
"Los Angeles Lakers"), and must beat every other team of the league by a clear margin.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

from edge_assets.mapping.aliases import AliasIndex
from edge_assets.mapping.names import normalize_name

EXACT, ALIAS, FUZZY = "exact", "alias", "fuzzy"
EXACT_CONFIDENCE = 1.0
ALIAS_CONFIDENCE = 0.9
# A fuzzy match scoring FUZZY_MIN_SCORE gets FUZZY_MIN_CONFIDENCE, rising linearly to
# FUZZY_MAX_CONFIDENCE at a score of 100; always below an alias match.
FUZZY_MIN_SCORE = 88.0
FUZZY_MIN_CONFIDENCE = 0.6
FUZZY_MAX_CONFIDENCE = 0.85
# The best team must out-score every other team of the league by this much.
FUZZY_MARGIN = 10.0
# Shorter names are abbreviations or nicknames, where one letter makes another team ("LAC"/"LAL").
FUZZY_MIN_LENGTH = 6


def spelling_score(text: str, choice: str, *, score_cutoff: float | None = None, **_: object) -> float:
    """Similarity (0-100) of two normalised names: whole-string, tolerant of swapped words.

    Plain `ratio` catches slips in a word's first letter, which reorder `token_sort_ratio`'s
    sorted words; `token_sort_ratio` catches "Kings Sacramento". Neither scores partial strings.
    """
    score = max(fuzz.ratio(text, choice), fuzz.token_sort_ratio(text, choice))
    return score if score_cutoff is None or score >= score_cutoff else 0.0


@dataclass(frozen=True)
class TeamMatch:
    """The canonical team a name stands for in a league, how it was found and how surely."""

    team: str
    method: str
    confidence: float


@dataclass(frozen=True)
class Refusal:
    """Why a name stands for no team of a league; `could_be` lists the teams it fits equally."""

    reason: str
    could_be: tuple[str, ...] = ()


class TeamResolver:
    """Names to canonical teams per league, from the alias table and the sportsbooks' own names.

    A league's teams are the alias table's teams plus every team its sportsbook events name, so
    leagues without curated aliases (a Ligue 1, NCAA baseball) still match by exact name and,
    conservatively, by fuzzy spelling.
    """

    def __init__(self, index: AliasIndex, aliases_frame: pd.DataFrame, events: pd.DataFrame) -> None:
        self._index = index
        spellings: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for league, alias, team in aliases_frame[["league", "alias", "team"]].itertuples(index=False):
            for text in (alias, team):
                spellings[league][normalize_name(text)].add(team)
        for league, home, away in events[["sport_key", "home_team", "away_team"]].itertuples(index=False):
            for team in (home, away):
                spellings[league][normalize_name(team)].add(self.canonical(league, team))
        self._spellings = {league: dict(by_text) for league, by_text in spellings.items()}
        # Fuzzy choices: unambiguous spellings long enough to carry a spelling mistake.
        self._choices: dict[str, tuple[list[str], list[str]]] = {}
        for league, by_text in self._spellings.items():
            usable = [
                (text, next(iter(teams)))
                for text, teams in by_text.items()
                if len(teams) == 1 and len(text) >= FUZZY_MIN_LENGTH
            ]
            self._choices[league] = ([text for text, _ in usable], [team for _, team in usable])
        self._cache: dict[tuple[str, str], TeamMatch | Refusal] = {}

    def canonical(self, league: str, name: str) -> str:
        """The alias table's team for `name` in `league`, or `name` itself when the table lacks it."""
        return self._index.resolve(league, name) or name

    def leagues_of(self, name: str) -> list[str]:
        """The leagues where `name` is a team or could be one of several."""
        fits = [(league, self.resolve(league, name)) for league in sorted(self._spellings)]
        return [league for league, found in fits if isinstance(found, TeamMatch) or found.could_be]

    def resolve(self, league: str, name: str) -> TeamMatch | Refusal:
        """The team `name` stands for in `league`, or the reason it stands for none.

        An alias hit is final: fuzzy matching never second-guesses a name the table knows, and a
        spelling the table lists for two teams ("Los Angeles" in the NBA) is never fuzzed.
        """
        key = (league, name)
        if key not in self._cache:
            self._cache[key] = self._resolve(league, name)
        return self._cache[key]

    def _resolve(self, league: str, name: str) -> TeamMatch | Refusal:
        text = normalize_name(name)
        team = self._index.resolve(league, name)
        if team is not None:
            method = EXACT if text == normalize_name(team) else ALIAS
            return TeamMatch(team, method, EXACT_CONFIDENCE if method == EXACT else ALIAS_CONFIDENCE)
        named = self._spellings.get(league, {}).get(text)
        if named is not None:
            # A sportsbook's own name for a team outside the alias table, or a shared alias.
            if len(named) == 1:
                return TeamMatch(next(iter(named)), EXACT, EXACT_CONFIDENCE)
            teams = tuple(sorted(named))
            return Refusal(f"{name!r} names more than one team in {league}: {', '.join(teams)}", teams)
        return self._fuzzy(league, name, text)

    def _fuzzy(self, league: str, name: str, text: str) -> TeamMatch | Refusal:
        unknown = Refusal(f"{name!r} matches no known team in {league}")
        choices, teams = self._choices.get(league, ([], []))
        padded = f" {text} "
        partial_of = tuple(
            sorted({team for choice, team in zip(choices, teams, strict=True) if padded in f" {choice} "})
        )
        if len(partial_of) > 1:
            reason = f"{name!r} is part of the names of several teams in {league}: {', '.join(partial_of)}"
            return Refusal(reason, partial_of)
        if len(text) < FUZZY_MIN_LENGTH or not choices:
            return unknown
        best_by_team: dict[str, float] = {}
        near_enough = FUZZY_MIN_SCORE - FUZZY_MARGIN
        for _, score, position in process.extract(
            text, choices, scorer=spelling_score, limit=None, score_cutoff=near_enough
        ):
            team = teams[position]
            best_by_team[team] = max(score, best_by_team.get(team, 0.0))
        ranked = sorted(best_by_team.items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < FUZZY_MIN_SCORE:
            return unknown
        team, score = ranked[0]
        if len(ranked) > 1 and ranked[1][1] > score - FUZZY_MARGIN:
            reason = f"{name!r} is about as close to {team} as to {ranked[1][0]} in {league}"
            return Refusal(reason, (team, ranked[1][0]))
        share = (score - FUZZY_MIN_SCORE) / (100.0 - FUZZY_MIN_SCORE)
        confidence = FUZZY_MIN_CONFIDENCE + share * (FUZZY_MAX_CONFIDENCE - FUZZY_MIN_CONFIDENCE)
        return TeamMatch(team, FUZZY, round(confidence, 3))
