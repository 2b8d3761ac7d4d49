"""Reading a Polymarket sports market: which teams it is about and what each outcome claims.

Polymarket words a game market in a few ways: outcomes named after the teams (in either order,
sometimes with a "Draw"), or a Yes/No question such as "Will X win?", "Will X win on 2024-03-27?",
"Will X beat Y?" or "Will A vs. B end in a draw?". Reading one yields the team names as written
and, per outcome, a `Claim`; which sportsbook outcome a claim means is decided only once the event
is known (see `markets.sportsbook_outcome`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge_assets.mapping.names import normalize_name

TEAM, NOT_TEAM, DRAW, NOT_DRAW = "team", "not_team", "draw", "not_draw"

# Trailing words that date or place a question without changing it ("... win on March 27, 2024?").
_WHEN = r"(?:\s+(?:on\s+[^?]+|today|tonight|this\s+week|in\s+week\s+\d+))?"
_THE = r"(?:the\s+)?"
_WIN = re.compile(rf"^will\s+{_THE}(?P<a>.+?)\s+win{_WHEN}\s*\??$", re.I)
_BEAT = re.compile(
    rf"^will\s+{_THE}(?P<a>.+?)\s+(?:beat|defeat|win\s+(?:against|over|vs\.?|versus))\s+{_THE}(?P<b>.+?){_WHEN}\s*\??$",
    re.I,
)
_VERSUS = r"\s+(?:vs\.?|v\.?|versus|@|at)\s+"
_DRAW = re.compile(
    rf"^will\s+{_THE}(?P<a>.+?){_VERSUS}{_THE}(?P<b>.+?)\s+(?:end\s+in|finish\s+in|be)\s+a\s+(?:draw|tie){_WHEN}\s*\??$",
    re.I,
)
_DRAW_OUTCOMES = {"draw", "tie"}


@dataclass(frozen=True)
class Claim:
    """What one outcome asserts about the game.

    `kind` is `team` (the named team wins), `not_team` (it does not: the other team in a two-way
    sport, "not <team>" where a draw is possible), `draw` or `not_draw`.
    """

    kind: str
    name: str | None = None


@dataclass(frozen=True)
class MarketReading:
    """The team names a market is about (as written) and one claim per outcome, in outcome order."""

    names: list[str]
    claims: list[Claim]


def _yes_no(yes: Claim, no: Claim, yes_is_first: bool) -> list[Claim]:
    return [yes, no] if yes_is_first else [no, yes]


def read_market(question: str, outcomes: list[str]) -> MarketReading | str:
    """The teams and claims of a game market, or the reason it cannot be read.

    Yes is always the proposition the question states; a "No" never becomes a named team here,
    so an outcome cannot be flipped by reading the question.
    """
    question = " ".join(question.split())
    if sorted(normalize_name(o) for o in outcomes) == ["no", "yes"]:
        yes_is_first = normalize_name(outcomes[0]) == "yes"
        if drawn := _DRAW.match(question):
            names = [drawn["a"].strip(), drawn["b"].strip()]
            return MarketReading(names, _yes_no(Claim(DRAW), Claim(NOT_DRAW), yes_is_first))
        if beaten := _BEAT.match(question):
            names = [beaten["a"].strip(), beaten["b"].strip()]
            claims = _yes_no(Claim(TEAM, names[0]), Claim(NOT_TEAM, names[0]), yes_is_first)
            return MarketReading(names, claims)
        if won := _WIN.match(question):
            team = won["a"].strip()
            return MarketReading([team], _yes_no(Claim(TEAM, team), Claim(NOT_TEAM, team), yes_is_first))
        return "Yes/No question is none of 'Will X win?', 'Will X beat Y?' or 'Will A vs. B end in a draw?'"
    claims = [Claim(DRAW) if normalize_name(o) in _DRAW_OUTCOMES else Claim(TEAM, o) for o in outcomes]
    names = [c.name for c in claims if c.kind == TEAM and c.name is not None]
    if len(names) != 2:
        return f"expected two team outcomes, got {len(names)}: {outcomes}"
    if normalize_name(names[0]) == normalize_name(names[1]):
        return f"both outcomes name the same team: {outcomes}"
    return MarketReading(names, claims)
