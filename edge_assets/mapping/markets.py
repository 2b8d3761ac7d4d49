"""First-pass matcher from Polymarket sports markets to sportsbook (The Odds API) events.

Each Polymarket token becomes one `market_mappings` row. A market is matched only when its team
names, exactly or through the alias table, are the teams of exactly one sportsbook event starting
near the market's game start; anything else is `unmapped` or `ambiguous` with the reason, never a
guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from edge_assets.mapping.aliases import AliasIndex
from edge_assets.mapping.names import normalize_name

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
MAPPED, AMBIGUOUS, UNMAPPED = "mapped", "ambiguous", "unmapped"
EXACT_CONFIDENCE = 1.0
ALIAS_CONFIDENCE = 0.9
DRAW = "Draw"
# Two games of the same teams in the window (a doubleheader): the nearer one is taken only when the
# other starts at least this much further from the market's game start.
CLEARLY_NEARER = timedelta(hours=1)

_WIN_QUESTION = re.compile(r"^\s*will\s+(?:the\s+)?(?P<team>.+?)\s+win(?:\s+on\s+[^?]+)?\s*\?\s*$", re.I)
_DRAW_QUESTION = re.compile(
    r"^\s*will\s+(?P<a>.+?)\s+vs\.?\s+(?P<b>.+?)\s+end\s+in\s+a\s+(?:draw|tie)\s*\?\s*$", re.I
)
_DRAW_OUTCOMES = {"draw", "tie"}


@dataclass(frozen=True)
class _Claim:
    """What one Polymarket outcome asserts: `kind` is team, not_team, draw or not_draw."""

    kind: str
    name: str | None = None


@dataclass(frozen=True)
class _Match:
    """A sportsbook event whose teams are the market's team names, and which side each name is."""

    event: Any
    teams: dict[str, str]
    confidence: float
    gap: pd.Timedelta


class _EventCalendar:
    """Sportsbook events sorted by start, with each side's team identity resolved once."""

    def __init__(self, events: pd.DataFrame, index: AliasIndex) -> None:
        self._index = index
        events = events.assign(commence_ts=pd.to_datetime(events["commence_ts"], utc=True))
        self._events = events.sort_values("commence_ts", kind="stable").reset_index(drop=True)
        self._starts = self._events["commence_ts"].dt.tz_convert(None).to_numpy()

    def near(self, start: pd.Timestamp, tolerance: timedelta) -> list[Any]:
        """Events starting within `tolerance` of `start` (inclusive)."""
        naive = start.tz_convert(None)
        lo = np.searchsorted(self._starts, np.datetime64(naive - tolerance), side="left")
        hi = np.searchsorted(self._starts, np.datetime64(naive + tolerance), side="right")
        return list(self._events.iloc[lo:hi].itertuples(index=False))

    def identity(self, league: str, name: str) -> str:
        """The normalised canonical team a name stands for in a league (itself when unknown)."""
        return normalize_name(self._index.resolve(league, name) or name)

    def side(self, event: Any, name: str) -> tuple[str, float] | None:
        """The event team `name` refers to, with the confidence of that reading, or None."""
        for team in (event.home_team, event.away_team):
            if normalize_name(name) == normalize_name(team):
                return team, EXACT_CONFIDENCE
        for team in (event.home_team, event.away_team):
            if self.identity(event.sport_key, name) == self.identity(event.sport_key, team):
                return team, ALIAS_CONFIDENCE
        return None


def _json_list(text: Any) -> list[str] | None:
    try:
        values = json.loads(text)
    except (TypeError, ValueError):
        return None
    return [str(v) for v in values] if isinstance(values, list) else None


def _claims(question: str, outcomes: list[str]) -> tuple[list[str], list[_Claim]] | str:
    """The team names a market is about and what each outcome claims, or why it cannot be read."""
    if sorted(normalize_name(o) for o in outcomes) == ["no", "yes"]:
        yes_is_first = normalize_name(outcomes[0]) == "yes"
        if won := _WIN_QUESTION.match(question):
            team = won["team"].strip()
            yes, no = _Claim("team", team), _Claim("not_team", team)
            return [team], [yes, no] if yes_is_first else [no, yes]
        if drawn := _DRAW_QUESTION.match(question):
            yes, no = _Claim("draw"), _Claim("not_draw")
            return [drawn["a"].strip(), drawn["b"].strip()], [yes, no] if yes_is_first else [no, yes]
        return "Yes/No question is neither 'Will <Team> win on <date>?' nor 'Will <A> vs. <B> end in a draw?'"
    claims = [_Claim("draw") if normalize_name(o) in _DRAW_OUTCOMES else _Claim("team", o) for o in outcomes]
    names = [c.name for c in claims if c.kind == "team"]
    if len(names) != 2:
        return f"expected two team outcomes, got {len(names)}: {outcomes}"
    return names, claims


def _describe(tolerance: timedelta) -> str:
    minutes = int(tolerance.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}min"


class _Matcher:
    def __init__(self, calendar: _EventCalendar, index: AliasIndex, tolerance: timedelta) -> None:
        self.calendar = calendar
        self.index = index
        self.tolerance = tolerance

    def matches(self, names: list[str], start: pd.Timestamp) -> list[_Match]:
        """Events near `start` whose two teams are the names (one name: one of its teams)."""
        found = []
        for event in self.calendar.near(start, self.tolerance):
            sides = [self.calendar.side(event, name) for name in names]
            if any(side is None for side in sides) or len({team for team, _ in sides}) != len(names):
                continue
            found.append(
                _Match(
                    event=event,
                    teams={name: team for name, (team, _) in zip(names, sides, strict=True)},
                    confidence=min(confidence for _, confidence in sides),
                    gap=abs(event.commence_ts - start),
                )
            )
        return sorted(found, key=lambda m: m.gap)

    def league(self, names: list[str], start: pd.Timestamp) -> str | None:
        """The one league the names belong to: by the alias table, else by nearby events."""
        leagues = [set(self.index.resolve_any(name)) for name in names]
        for candidates in (set.intersection(*leagues), set.union(*leagues)):
            if len(candidates) == 1:
                return next(iter(candidates))
        nearby = {
            event.sport_key
            for event in self.calendar.near(start, self.tolerance)
            if any(self.calendar.side(event, name) for name in names)
        }
        return next(iter(nearby)) if len(nearby) == 1 else None

    def no_match_reason(self, names: list[str], league: str | None, start: pd.Timestamp) -> str:
        window = f"within {_describe(self.tolerance)} of {start:%Y-%m-%d %H:%M} UTC"
        if league is not None:
            unknown = [name for name in names if self.index.resolve(league, name) is None]
            if unknown and league in self.index.leagues:
                return f"outcome {unknown[0]!r} matches no known team in {league}"
            teams = ", ".join(self.index.resolve(league, name) or name for name in names)
            return f"no sportsbook event {window} with teams {{{teams}}}"
        quoted = " and ".join(repr(name) for name in names)
        unknown = [name for name in names if not self.index.resolve_any(name)]
        suffix = f"; {unknown[0]!r} is in no supported league's alias table" if unknown else ""
        return f"no sportsbook event {window} matches {quoted}{suffix}"


def _sportsbook_outcome(claim: _Claim, teams: dict[str, str]) -> str:
    if claim.kind == "team":
        return teams[claim.name]
    if claim.kind == "not_team":
        # A later consumer prices "not <Team>" as 1 - p(team).
        return f"not {teams[claim.name]}"
    return DRAW if claim.kind == "draw" else f"not {DRAW}"


def _map_market(market: Any, matcher: _Matcher) -> list[dict[str, Any]]:
    tokens = _json_list(market.clob_token_ids) or []
    outcomes = _json_list(market.outcomes) or []

    def rows(
        status: str,
        reason: str | None,
        sport_key: str | None = None,
        event_id: str | None = None,
        sportsbook_outcomes: list[str] | None = None,
        confidence: float = 0.0,
    ) -> list[dict[str, Any]]:
        paired = list(zip(tokens, outcomes, strict=False))
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
            for i, (token, outcome) in enumerate(paired)
        ]

    if market.sports_market_type != "moneyline":
        return rows(UNMAPPED, "not a sports moneyline")
    if len(tokens) != len(outcomes) or not tokens:
        return rows(UNMAPPED, "outcomes and clob_token_ids do not pair up")
    if pd.isna(market.game_start_ts):
        return rows(UNMAPPED, "market has no game start time")
    read = _claims(market.question, outcomes)
    if isinstance(read, str):
        return rows(UNMAPPED, read)
    names, claims = read
    start = market.game_start_ts

    found = matcher.matches(names, start)
    if not found:
        league = matcher.league(names, start)
        return rows(UNMAPPED, matcher.no_match_reason(names, league, start), league)
    best = found[0]
    if len(found) > 1 and found[1].gap - best.gap < CLEARLY_NEARER:
        sport_keys = {m.event.sport_key for m in found}
        event_ids = ", ".join(str(m.event.event_id) for m in found)
        reason = f"{len(found)} sportsbook events within {_describe(matcher.tolerance)} match: {event_ids}"
        return rows(AMBIGUOUS, reason, next(iter(sport_keys)) if len(sport_keys) == 1 else None)
    reason = f"nearest of {len(found)} games of these teams in the window" if len(found) > 1 else None
    return rows(
        MAPPED,
        reason,
        best.event.sport_key,
        event_id=best.event.event_id,
        sportsbook_outcomes=[_sportsbook_outcome(claim, best.teams) for claim in claims],
        confidence=best.confidence,
    )


def map_markets(
    markets: pd.DataFrame,
    events: pd.DataFrame,
    aliases: pd.DataFrame,
    start_tolerance: timedelta = timedelta(hours=3),
    mapped_at: datetime | None = None,
) -> pd.DataFrame:
    """One `market_mappings` row per Polymarket token of `markets`.

    `markets` has the columns of the `markets` table (outcomes and clob_token_ids JSON-encoded);
    `events` has event_id, sport_key, commence_ts, home_team, away_team, one row per event;
    `aliases` has league, alias, team. Only `sports_market_type == "moneyline"` markets are
    matched: two team outcomes, "Will <Team> win on <date>?" (Yes -> the team, No -> "not <Team>")
    or "Will <A> vs. <B> end in a draw?" (Yes -> "Draw", No -> "not Draw"). `mapped_at` defaults
    to now.
    """
    mapped_at = pd.Timestamp(mapped_at or datetime.now(UTC))
    if mapped_at.tzinfo is None:
        raise ValueError("mapped_at must be timezone-aware")
    index = AliasIndex(aliases)
    matcher = _Matcher(_EventCalendar(events, index), index, start_tolerance)
    markets = markets.assign(game_start_ts=pd.to_datetime(markets["game_start_ts"], utc=True))
    rows = [row for market in markets.itertuples(index=False) for row in _map_market(market, matcher)]
    frame = pd.DataFrame(rows, columns=MAPPING_COLUMNS[:-1])
    frame["confidence"] = frame["confidence"].astype(float)
    frame["mapped_at"] = mapped_at.tz_convert(UTC)
    return frame[MAPPING_COLUMNS]
