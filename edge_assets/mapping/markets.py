"""The resolver: Polymarket sports markets onto sportsbook (The Odds API) events and outcomes.

Each Polymarket token becomes one `market_mappings` row. A market maps when its team names
(exactly, through the alias table, or by a conservative fuzzy match) are the teams of exactly one
sportsbook event of the right league starting near the market's game start; two games of the same
teams in the window (a doubleheader) are told apart by start time. Anything else is `unmapped` or
`ambiguous` with the reason, never a guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from edge_assets.mapping.aliases import AliasIndex
from edge_assets.mapping.names import normalize_name
from edge_assets.mapping.questions import (
    DRAW,
    NOT_DRAW,
    NOT_TEAM,
    TEAM,
    Claim,
    MarketReading,
    names_a_line,
    read_market,
    read_structured,
)
from edge_assets.mapping.teams import (
    ALIAS_CONFIDENCE,
    EXACT_CONFIDENCE,
    FUZZY,
    Refusal,
    TeamMatch,
    TeamResolver,
)

MAPPING_COLUMNS = [
    "pm_token_id",
    "pm_market_id",
    "pm_outcome",
    "sport_key",
    "event_id",
    "sportsbook_outcome",
    "confidence",
    "status",
    "reason",
    "mapped_at",
]
MAPPED, AMBIGUOUS, UNMAPPED, SUSPECT = "mapped", "ambiguous", "unmapped", "suspect"
DRAW_OUTCOME = "Draw"
# A mapped "No" token of a three-way market points at "not <outcome>", priced as 1 - p(outcome).
NOT_PREFIX = "not "
# How far a Polymarket game start may lie from a sportsbook event's commence time for one game.
DEFAULT_START_TOLERANCE = timedelta(hours=3)


def priced_outcomes(sportsbook_outcomes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(complement, consensus outcome) per mapped sportsbook outcome: "not X" is priced as 1 - p(X)."""
    complement = sportsbook_outcomes.str.startswith(NOT_PREFIX).to_numpy(bool)
    outcomes = np.where(complement, sportsbook_outcomes.str.slice(len(NOT_PREFIX)), sportsbook_outcomes)
    return complement, outcomes


# Two games of the same teams in the window (a doubleheader): the nearer one is taken only when the
# other starts at least this much further from the market's game start.
CLEARLY_NEARER = timedelta(hours=1)
# A game starting this far from the market's start is still the game, but less surely so.
LOOSE_START = timedelta(hours=1)
LOOSE_START_FACTOR = 0.95
# Picking one game of a doubleheader by time is a little less sure than a lone game.
DOUBLEHEADER_FACTOR = 0.9
# Moneylines of these sports have no draw: a team that does not win loses to the other team.
TWO_WAY_SPORT_PREFIXES = ("americanfootball_", "basketball_", "baseball_", "icehockey_")
# Polymarket slugs start with a league code ("nba-lal-bos-2024-03-27"): the Odds API sport it is.
LEAGUE_BY_SLUG_PREFIX = {
    "nfl": "americanfootball_nfl",
    "cfb": "americanfootball_ncaaf",
    "nba": "basketball_nba",
    "wnba": "basketball_wnba",
    "cbb": "basketball_ncaab",
    "mlb": "baseball_mlb",
    "nhl": "icehockey_nhl",
    "epl": "soccer_epl",
    "lal": "soccer_spain_la_liga",
    "bun": "soccer_germany_bundesliga",
    "sea": "soccer_italy_serie_a",
    "fl1": "soccer_france_ligue_one",
    "ucl": "soccer_uefa_champs_league",
    "mls": "soccer_usa_mls",
}


def league_from_slug(slug: Any) -> str | None:
    """The Odds API sport a Polymarket slug's league code names, or None when it names none we know."""
    if not isinstance(slug, str) or "-" not in slug:
        return None
    return LEAGUE_BY_SLUG_PREFIX.get(slug.split("-", 1)[0].lower())


def is_two_way(sport_key: str) -> bool:
    """Whether the sport's moneyline has exactly two outcomes (no draw)."""
    return sport_key.startswith(TWO_WAY_SPORT_PREFIXES)


@dataclass(frozen=True)
class _Match:
    """A sportsbook event whose teams are the market's team names, and which side each name is."""

    event: Any
    teams: dict[str, str]
    confidence: float
    gap: pd.Timedelta

    @property
    def identity(self) -> tuple[str, frozenset[str]]:
        return self.event.sport_key, frozenset(normalize_name(team) for team in self.teams.values())


class _EventCalendar:
    """Sportsbook events sorted by start, searchable by a window around a time."""

    def __init__(self, events: pd.DataFrame) -> None:
        events = events.assign(commence_ts=pd.to_datetime(events["commence_ts"], utc=True))
        self._events = events.sort_values("commence_ts", kind="stable").reset_index(drop=True)
        self._starts = self._events["commence_ts"].dt.tz_convert(None).to_numpy()

    def near(self, start: pd.Timestamp, tolerance: timedelta, league: str | None = None) -> list[Any]:
        """Events starting within `tolerance` of `start` (inclusive), of `league` when given."""
        naive = start.tz_convert(None)
        lo = np.searchsorted(self._starts, np.datetime64(naive - tolerance), side="left")
        hi = np.searchsorted(self._starts, np.datetime64(naive + tolerance), side="right")
        events = self._events.iloc[lo:hi].itertuples(index=False)
        return [event for event in events if league is None or event.sport_key == league]


def _json_list(text: Any) -> list[str] | None:
    try:
        values = json.loads(text)
    except (TypeError, ValueError):
        return None
    return [str(v) for v in values] if isinstance(values, list) else None


def _describe(tolerance: timedelta) -> str:
    minutes = int(tolerance.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}min"


def sportsbook_outcome(
    claim: Claim, named: dict[str, str], event_teams: tuple[str, str], sport_key: str
) -> str:
    """The sportsbook outcome a claim stands for once its event is known.

    `named` maps each team name of the market to the event team it is; `event_teams` are the
    event's home and away teams. A "not <team>" claim is the other team only where the moneyline
    has no draw; where a draw is possible it stays "not <team>" (priced as 1 - p(team)).
    """
    if claim.kind == TEAM:
        return named[claim.name]
    if claim.kind == NOT_TEAM:
        team = named[claim.name]
        others = [side for side in event_teams if side != team]
        if is_two_way(sport_key) and len(others) == 1:
            return others[0]
        return f"{NOT_PREFIX}{team}"
    if claim.kind == DRAW:
        return DRAW_OUTCOME
    if claim.kind == NOT_DRAW:
        return f"{NOT_PREFIX}{DRAW_OUTCOME}"
    raise ValueError(f"unknown claim kind {claim.kind!r}")


class _Resolver:
    """Finds the sportsbook event of one market's team names near its start time."""

    def __init__(self, events: pd.DataFrame, aliases: pd.DataFrame, tolerance: timedelta) -> None:
        self.index = AliasIndex(aliases)
        self.teams = TeamResolver(self.index, aliases, events)
        self.calendar = _EventCalendar(events)
        self.tolerance = tolerance

    def _side(self, event: Any, name: str, found: TeamMatch) -> tuple[str, float] | None:
        """The event team `found` is, with the confidence of reading `name` as it, or None."""
        for side in (event.home_team, event.away_team):
            if normalize_name(self.teams.canonical(event.sport_key, side)) != normalize_name(found.team):
                continue
            if normalize_name(name) == normalize_name(side):
                return side, EXACT_CONFIDENCE
            return side, found.confidence if found.method == FUZZY else ALIAS_CONFIDENCE
        return None

    def match(self, event: Any, names: list[str], start: pd.Timestamp) -> _Match | None:
        """`event` as the market's, if its teams are the names (each a different team), else None."""
        sides = {}
        for name in names:
            found = self.teams.resolve(event.sport_key, name)
            side = None if isinstance(found, Refusal) else self._side(event, name, found)
            if side is None:
                return None
            sides[name] = side
        if len({team for team, _ in sides.values()}) != len(names):
            return None
        return _Match(
            event=event,
            teams={name: team for name, (team, _) in sides.items()},
            confidence=min(confidence for _, confidence in sides.values()),
            gap=abs(event.commence_ts - start),
        )

    def matches(self, names: list[str], start: pd.Timestamp, league: str | None) -> list[_Match]:
        """Events near `start` (of `league` when known) whose teams are the names, nearest first."""
        events = self.calendar.near(start, self.tolerance, league)
        found = [self.match(event, names, start) for event in events]
        return sorted((m for m in found if m is not None), key=lambda m: m.gap)

    def undecided(self, names: list[str], start: pd.Timestamp) -> str | None:
        """Why a market naming no league may be about another team than the one found, or None.

        One name alone must belong to one league: "Will Boston win?" could be any of four teams,
        and the sportsbook feed may simply lack the game it means. And "Will New York win?" is the
        Knicks in the NBA but either of two NHL teams, so a Rangers game in the window is a rival.
        """
        if len(names) == 1 and len(leagues := self.teams.leagues_of(names[0])) > 1:
            return f"{names[0]!r} names teams in {', '.join(leagues)} and the market names no league"
        for event in self.calendar.near(start, self.tolerance):
            sides = (event.home_team, event.away_team)
            playing = {normalize_name(self.teams.canonical(event.sport_key, side)) for side in sides}
            for name in names:
                found = self.teams.resolve(event.sport_key, name)
                if isinstance(found, Refusal) and playing & {normalize_name(t) for t in found.could_be}:
                    return f"{found.reason}, and event {event.event_id} of one of them starts in the window"
        return None

    def likely_league(self, names: list[str], start: pd.Timestamp) -> str | None:
        """The one league the names belong to: by the alias table, else by nearby events."""
        leagues = [set(self.index.resolve_any(name)) for name in names]
        for candidates in (set.intersection(*leagues), set.union(*leagues)):
            if len(candidates) == 1:
                return next(iter(candidates))
        nearby = {
            event.sport_key
            for event in self.calendar.near(start, self.tolerance)
            if any(not isinstance(self.teams.resolve(event.sport_key, name), Refusal) for name in names)
        }
        return next(iter(nearby)) if len(nearby) == 1 else None

    def no_match_reason(self, names: list[str], league: str | None, start: pd.Timestamp) -> str:
        window = f"within {_describe(self.tolerance)} of {start:%Y-%m-%d %H:%M} UTC"
        if league is not None:
            # With no game of the league in the window, an unknown name says nothing about the name.
            if self.calendar.near(start, self.tolerance, league):
                for name in names:
                    found = self.teams.resolve(league, name)
                    if isinstance(found, Refusal):
                        return found.reason
            teams = ", ".join(self.teams.canonical(league, name) for name in names)
            return f"no {league} event {window} with teams {{{teams}}}"
        quoted = " and ".join(repr(name) for name in names)
        return f"no sportsbook event {window} matches {quoted}"

    def pick(self, found: list[_Match]) -> _Match | str:
        """The one match to take, or why none can be: a doubleheader needs a clearly nearer game."""
        best = found[0]
        if len(found) == 1:
            return best
        same_game = all(m.identity == best.identity for m in found)
        if same_game and found[1].gap - best.gap >= CLEARLY_NEARER:
            return best
        event_ids = ", ".join(str(m.event.event_id) for m in found)
        what = "games of these teams" if same_game else "sportsbook events"
        return f"{len(found)} {what} within {_describe(self.tolerance)} match: {event_ids}"


def _rows(
    market: Any,
    tokens: list[str],
    outcomes: list[str],
    status: str,
    reason: str | None,
    sport_key: str | None = None,
    event_id: str | None = None,
    sportsbook_outcomes: list[str] | None = None,
    confidence: float = 0.0,
) -> list[dict[str, Any]]:
    return [
        {
            "pm_token_id": token,
            "pm_market_id": market.market_id,
            "pm_outcome": outcome,
            "sport_key": sport_key,
            "event_id": event_id,
            "sportsbook_outcome": sportsbook_outcomes[i] if sportsbook_outcomes else None,
            "confidence": confidence,
            "status": status,
            "reason": reason,
        }
        for i, (token, outcome) in enumerate(zip(tokens, outcomes, strict=False))
    ]


def _map_market(market: Any, resolver: _Resolver) -> list[dict[str, Any]]:
    tokens = _json_list(market.clob_token_ids) or []
    outcomes = _json_list(market.outcomes) or []

    def rows(status: str, reason: str | None, sport_key: str | None = None, **mapped: Any) -> list[dict]:
        return _rows(market, tokens, outcomes, status, reason, sport_key, **mapped)

    if market.sports_market_type != "moneyline":
        return rows(UNMAPPED, "not a sports moneyline")
    if len(tokens) != len(outcomes) or not tokens:
        return rows(UNMAPPED, "outcomes and clob_token_ids do not pair up")
    if pd.isna(market.game_start_ts):
        return rows(UNMAPPED, "market has no game start time")
    if names_a_line(market.question):
        return rows(UNMAPPED, "the question is about a line (a spread or a total), not the winner")
    worded = read_market(market.question, outcomes)
    structured = read_structured(market.slug, market.event_title, outcomes)
    if structured is None:
        if isinstance(worded, str):
            return rows(UNMAPPED, worded)
        structured, worded = worded, None
    elif isinstance(worded, str):
        worded = None  # the structured fields say what the question does not
    league = league_from_slug(market.slug)
    return _map_reading(structured, worded, market.game_start_ts, league, resolver, rows)


def _outcomes_of(reading: MarketReading, match: _Match) -> list[str]:
    """The sportsbook outcome of each of the reading's claims, on the matched event."""
    event = match.event
    teams = (event.home_team, event.away_team)
    return [sportsbook_outcome(claim, match.teams, teams, event.sport_key) for claim in reading.claims]


def _map_reading(
    reading: MarketReading,
    worded: MarketReading | None,
    start: pd.Timestamp,
    hinted_league: str | None,
    resolver: _Resolver,
    rows: Callable[..., list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The rows of a readable market: `rows(status, reason, sport_key, **mapped)` shapes them.

    `worded` is the question's own reading where the structured fields gave `reading`: a question
    that names the event's teams but backs another outcome than the fields is a contradiction,
    and the market is left unmapped rather than either side taken."""
    found = resolver.matches(reading.names, start, hinted_league)
    if not found:
        league = hinted_league or resolver.likely_league(reading.names, start)
        return rows(UNMAPPED, resolver.no_match_reason(reading.names, league, start), league)
    picked = resolver.pick(found)
    if isinstance(picked, _Match) and hinted_league is None:
        picked = resolver.undecided(reading.names, start) or picked
    if isinstance(picked, str):
        sport_keys = {m.event.sport_key for m in found}
        return rows(AMBIGUOUS, picked, next(iter(sport_keys)) if len(sport_keys) == 1 else None)
    confidence = picked.confidence
    reasons = []
    if len(found) > 1:
        confidence *= DOUBLEHEADER_FACTOR
        reasons.append(f"nearest of {len(found)} games of these teams in the window")
    if picked.gap > LOOSE_START:
        confidence *= LOOSE_START_FACTOR
        reasons.append(f"sportsbook start differs by {_describe(picked.gap.to_pytimedelta())}")
    league = picked.event.sport_key
    outcomes = _outcomes_of(reading, picked)
    if worded is not None and (said := resolver.match(picked.event, worded.names, start)) is not None:
        if (question_says := _outcomes_of(worded, said)) != outcomes:
            reason = f"the question backs {question_says} but slug and title back {outcomes}"
            return rows(UNMAPPED, reason, league)
    return rows(
        MAPPED,
        "; ".join(reasons) or None,
        league,
        event_id=picked.event.event_id,
        sportsbook_outcomes=outcomes,
        confidence=round(confidence, 4),
    )


def map_markets(
    markets: pd.DataFrame,
    events: pd.DataFrame,
    aliases: pd.DataFrame,
    start_tolerance: timedelta = DEFAULT_START_TOLERANCE,
    mapped_at: datetime | None = None,
) -> pd.DataFrame:
    """One `market_mappings` row per Polymarket token of `markets`.

    `markets` has the columns of the `markets` table (outcomes and clob_token_ids JSON-encoded; a
    `slug`, when present, narrows the league); `events` has event_id, sport_key, commence_ts,
    home_team, away_team, one row per event; `aliases` has league, alias, team. Only
    `sports_market_type == "moneyline"` markets are matched. Outcomes map as: a team outcome to that
    team; "Will X win?" / "Will X beat Y?" Yes to X and No to the other team in a two-way sport or
    "not X" where a draw is possible; "Will A vs. B end in a draw?" Yes to "Draw", No to
    "not Draw". `mapped_at` defaults to now.
    """
    mapped_at = pd.Timestamp(mapped_at or datetime.now(UTC))
    if mapped_at.tzinfo is None:
        raise ValueError("mapped_at must be timezone-aware")
    resolver = _Resolver(events, aliases, start_tolerance)
    markets = markets.assign(game_start_ts=pd.to_datetime(markets["game_start_ts"], utc=True))
    for structured in ("slug", "event_title"):
        if structured not in markets.columns:
            markets = markets.assign(**{structured: None})
    rows = [row for market in markets.itertuples(index=False) for row in _map_market(market, resolver)]
    frame = pd.DataFrame(rows, columns=MAPPING_COLUMNS[:-1])
    frame["confidence"] = frame["confidence"].astype(float)
    frame["mapped_at"] = mapped_at.tz_convert(UTC)
    return frame[MAPPING_COLUMNS]
