"""Reading a Polymarket sports market: which teams it is about and what each outcome claims.

Gamma's structured fields come first: a Yes/No leg of a three-way game carries its event's title
("Racing Club de Lens vs. AJ Auxerre") and a slug that is the event's slug and the leg
("fl1-rcl-aja-2026-08-22-rcl", or "-draw"), which say the teams and the leg without the question.
Otherwise the market is read from its words: outcomes named after the teams (in either order,
sometimes with a "Draw"), or a Yes/No question such as "Will X win?", "Will X win on 2024-03-27?",
"X to win?", "Will X beat Y?", "Will A vs. B end in a draw?" or "A vs B: draw?". A question about a
line (a spread or a total) is never read as the winner. Reading yields the team names as written
and, per outcome, a `Claim`; which sportsbook outcome a claim means is decided only once the event
is known (see `markets.sportsbook_outcome`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge_assets.mapping.names import normalize_name

TEAM, NOT_TEAM, DRAW, NOT_DRAW = "team", "not_team", "draw", "not_draw"

# Trailing words that date or place a question without changing it ("... win on March 27, 2024?").
_WHEN = (
    r"(?:\s+(?:the|their)\s+(?:game|match))?"
    r"(?:\s+(?:on\s+[^?]+|today|tonight|this\s+week|in\s+week\s+\d+))?"
)
_THE = r"(?:the\s+)?"
# "Will X win ...?" or "X to win ...?": the subject is the team the Yes side backs.
_WILL = r"^(?:will\s+{the}(?P<a>.+?)\s+{verb}|{the}(?P<a2>.+?)\s+to\s+{verb})"
_WIN = re.compile(_WILL.format(the=_THE, verb="win") + rf"{_WHEN}\s*\??$", re.I)
_BEAT = re.compile(
    _WILL.format(the=_THE, verb=r"(?:beat|defeat|win\s+(?:against|over|vs\.?|versus))")
    + rf"\s+{_THE}(?P<b>.+?){_WHEN}\s*\??$",
    re.I,
)
_VERSUS = r"\s+(?:vs\.?|v\.?|versus|@|at)\s+"
_GAME = rf"{_THE}(?P<a>.+?){_VERSUS}{_THE}(?P<b>.+?)"
_DRAWS = [  # "Will A vs. B end in a draw?" (also without "Will"), "A vs B: draw?", "Draw: A vs. B?"
    re.compile(rf"^(?:will\s+)?{_GAME}\s+(?:end\s+in|finish\s+in|be)\s+a\s+(?:draw|tie){_WHEN}\s*\??$", re.I),
    re.compile(rf"^{_GAME}\s*[:-]\s*(?:draw|tie)\s*\??$", re.I),
    re.compile(rf"^(?:draw|tie)\s*[:-]\s*{_GAME}\s*\??$", re.I),
]
# A handicap or total ("-4.5", "by 5", "O/U 220.5", "over 2.5 goals", any decimal number): the
# question is about a line, whatever it says of a winner. A sign must not follow a word or a
# hyphen, so dates pass.
_LINE = re.compile(
    r"(?<![\w-])[+-]\d+(?:\.\d+)?|\b\d+\.\d+\b|\bby\s+(?:more\s+than\s+|at\s+least\s+)?\d"
    r"|\bo/u\b|\b(?:over|under)\s+\d|\b(?:spread|total|points|goals)\b",
    re.I,
)
# Gamma's event title names its two teams: "Racing Club de Lens vs. AJ Auxerre" (esports titles
# add a game before a colon and a stage after: "Dota 2: A vs B (BO3) - The International").
_TITLE = re.compile(rf"^(?:[^:]+:\s+)?(?P<a>.+?){_VERSUS}(?P<b>.+?)(?:\s+\([^)]*\))?(?:\s+-\s+.+)?$", re.I)
# A leg's slug is its event's slug (league, the two teams' codes in title order, date, any
# suffix) and the leg: the code of the team it backs, or "draw".
_LEG_SLUG = re.compile(
    r"^[a-z0-9]+-(?P<a>[a-z0-9]+)-(?P<b>[a-z0-9]+)-\d{4}-\d{2}-\d{2}(?:-[a-z0-9-]+)?-(?P<leg>[a-z0-9]+)$"
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


def _is_yes_no(outcomes: list[str]) -> bool:
    return sorted(normalize_name(o) for o in outcomes) == ["no", "yes"]


def names_a_line(question: str) -> bool:
    """Whether the question is about a spread or a total (a number of points, goals or a margin)."""
    return _LINE.search(question) is not None


def read_structured(slug: object, event_title: object, outcomes: list[str]) -> MarketReading | None:
    """The teams and claims Gamma's structured fields give a Yes/No leg, or None where they say
    nothing (no leg slug, a title that names no two teams, a leg that is neither team nor draw).

    The names are the event title's two teams, so both must be the sportsbook event's; the leg
    is the slug's last part, paired with the team codes in the order the title names the teams.
    """
    if not _is_yes_no(outcomes) or not isinstance(slug, str) or not isinstance(event_title, str):
        return None
    title, leg = _TITLE.match(" ".join(event_title.split())), _LEG_SLUG.match(slug.lower())
    if title is None or leg is None or leg["a"] == leg["b"]:
        return None
    names = [title["a"].strip(), title["b"].strip()]
    if normalize_name(names[0]) == normalize_name(names[1]):
        return None
    yes_is_first = normalize_name(outcomes[0]) == "yes"
    if leg["leg"] == "draw":
        return MarketReading(names, _yes_no(Claim(DRAW), Claim(NOT_DRAW), yes_is_first))
    if leg["leg"] not in (leg["a"], leg["b"]):
        return None
    team = names[0] if leg["leg"] == leg["a"] else names[1]
    return MarketReading(names, _yes_no(Claim(TEAM, team), Claim(NOT_TEAM, team), yes_is_first))


def read_market(question: str, outcomes: list[str]) -> MarketReading | str:
    """The teams and claims of a game market from its words, or the reason it cannot be read.

    Yes is always the proposition the question states; a "No" never becomes a named team here,
    so an outcome cannot be flipped by reading the question.
    """
    question = " ".join(question.split())
    if _is_yes_no(outcomes):
        yes_is_first = normalize_name(outcomes[0]) == "yes"
        if names_a_line(question):
            return "the question is about a line (a spread or a total), not the winner"
        for pattern in _DRAWS:
            if drawn := pattern.match(question):
                names = [drawn["a"].strip(), drawn["b"].strip()]
                return MarketReading(names, _yes_no(Claim(DRAW), Claim(NOT_DRAW), yes_is_first))
        if beaten := _BEAT.match(question):
            names = [(beaten["a"] or beaten["a2"]).strip(), beaten["b"].strip()]
            claims = _yes_no(Claim(TEAM, names[0]), Claim(NOT_TEAM, names[0]), yes_is_first)
            return MarketReading(names, claims)
        if won := _WIN.match(question):
            team = (won["a"] or won["a2"]).strip()
            return MarketReading([team], _yes_no(Claim(TEAM, team), Claim(NOT_TEAM, team), yes_is_first))
        return "Yes/No question is none of 'Will X win?', 'Will X beat Y?' or 'Will A vs. B end in a draw?'"
    claims = [Claim(DRAW) if normalize_name(o) in _DRAW_OUTCOMES else Claim(TEAM, o) for o in outcomes]
    names = [c.name for c in claims if c.kind == TEAM and c.name is not None]
    if len(names) != 2:
        return f"expected two team outcomes, got {len(names)}: {outcomes}"
    if normalize_name(names[0]) == normalize_name(names[1]):
        return f"both outcomes name the same team: {outcomes}"
    return MarketReading(names, claims)
