"""Precision and recall of the mapping resolver on a generated, labelled market set.

    .venv/bin/python bench/mapping_accuracy.py [--days 30] [--seed 7]

A seeded generator builds sportsbook slates for the curated leagues (each team plays at most once
a day, some MLB doubleheaders) and Polymarket markets for them the way Polymarket writes them:
team outcomes in either order, nicknames, cities, abbreviations, former names, misspellings,
"Will X win on DATE?", "Will X beat Y?", draw questions and three-way soccer outcomes, start
times a little off, slugs present or not. Every token is labelled with the sportsbook event and
outcome it must map to. Traps are labelled "must not map": a city two teams share, a nickname of
two leagues' teams playing at once, a wrong opponent, a game missing from the feed while the same
teams play the day before, a doubleheader market halfway between its games.

Real phrasings, taken from the Gamma captures in ../shared/fixtures and varied (a second seeded
stream, so the cases above stay as they were): three-way legs as Gamma writes them, with the
event's title ("Racing Club de Lens vs. AJ Auxerre") and the leg's slug
("fl1-rcl-aja-2026-08-22-rcl"); the same legs asked otherwise ("X to win?", a draw question
without "Will", "A vs B: draw?") or not readably at all, so only the structured fields say the
leg; head-to-head questions with "vs" and with "vs."; nicknames throughout. Their traps: a
question that backs another team than its slug, and spread and total questions filed as
moneylines ("Spread: X (-4.5)", "A vs. B: O/U 220.5").

precision = tokens mapped to the right event and outcome / tokens mapped
recall    = tokens mapped to the right event and outcome / tokens that should map
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from edge_assets.mapping import load_team_aliases, map_markets, normalize_name
from edge_assets.mapping.markets import LEAGUE_BY_SLUG_PREFIX, is_two_way

SLUG_BY_LEAGUE = {league: prefix for prefix, league in LEAGUE_BY_SLUG_PREFIX.items()}
DAY0 = datetime(2025, 1, 1, tzinfo=UTC)
MUST_NOT_MAP = None


@dataclass
class Labelled:
    """Generated markets and events, with the expected (event_id, sportsbook outcome) per token."""

    markets: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    truth: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    variant: dict[str, str] = field(default_factory=dict)


class Namer:
    """Ways Polymarket writes a team: full name, nickname, city, abbreviation, former name, typo."""

    def __init__(self, aliases: pd.DataFrame, rng: random.Random) -> None:
        self.rng = rng
        raw = aliases.groupby(["league", "team"])["alias"].apply(list).to_dict()
        self.aliases = {
            key: [a for a in values if a != normalize_name(key[1])] for key, values in raw.items()
        }

    def name(self, league: str, team: str) -> tuple[str, str]:
        """A spelling of `team` and the kind of variation it is."""
        options = self.aliases.get((league, team), [])
        roll = self.rng.random()
        if roll < 0.35 or not options:
            return team, "full name"
        if roll < 0.8:
            alias = self.rng.choice(options)
            spelled = alias.upper() if len(alias) <= 3 else alias.title()
            return spelled, "abbreviation" if len(alias) <= 3 else "alias"
        if roll < 0.9:
            return team.upper() if self.rng.random() < 0.5 else team.lower(), "case"
        return self.typo(team), "typo"

    def typo(self, text: str) -> str:
        """One slip in the longest word: a dropped, doubled or swapped letter."""
        words = text.split()
        i = max(range(len(words)), key=lambda k: len(words[k]))
        word = words[i]
        at = self.rng.randrange(1, len(word) - 1)
        slip = self.rng.choice(("drop", "double", "swap"))
        if slip == "drop":
            word = word[:at] + word[at + 1 :]
        elif slip == "double":
            word = word[:at] + word[at] + word[at:]
        else:
            word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
        words[i] = word
        return " ".join(words)


class Generator:
    """Builds one labelled world: slates of games and the markets written about them."""

    def __init__(self, seed: int, days: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.days = days
        aliases = load_team_aliases()
        self.namer = Namer(aliases, self.rng)
        self.teams = {league: sorted(group["team"].unique()) for league, group in aliases.groupby("league")}
        self.out = Labelled()
        self._ids = 0

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids}"

    def _event(self, league: str, home: str, away: str, start: datetime) -> dict:
        event = {
            "event_id": self._id("e"),
            "sport_key": league,
            "commence_ts": start,
            "home_team": home,
            "away_team": away,
        }
        self.out.events.append(event)
        return event

    def _market(
        self,
        question: str,
        outcomes: list[str],
        start: datetime,
        league: str,
        truths: list,
        variant: str,
        structured: tuple[str | None, str | None] | None = None,
    ):
        """One market; `structured` is its (slug, event title), else a bare league slug at random."""
        market_id = self._id("m")
        tokens = [f"{market_id}-{i}" for i in range(len(outcomes))]
        if structured is None:
            slug = f"{SLUG_BY_LEAGUE[league]}-x-y-{start:%Y-%m-%d}" if self.rng.random() < 0.6 else None
            structured = (slug, None)
        self.out.markets.append(
            {
                "market_id": market_id,
                "question": question,
                "slug": structured[0],
                "event_title": structured[1],
                "sports_market_type": "moneyline",
                "game_start_ts": start,
                "outcomes": json.dumps(outcomes),
                "clob_token_ids": json.dumps(tokens),
            }
        )
        for token, truth in zip(tokens, truths, strict=True):
            self.out.truth[token] = truth
            self.out.variant[token] = variant

    def _jitter(self, start: datetime) -> datetime:
        """Polymarket's start: mostly the same, sometimes minutes off or rounded to the hour."""
        roll = self.rng.random()
        if roll < 0.7:
            return start
        if roll < 0.9:
            return start + timedelta(minutes=self.rng.randint(-20, 20))
        return start.replace(minute=0)

    def game_market(self, event: dict) -> None:
        """A market about an event, worded one of Polymarket's ways; labelled with its truth."""
        league, home, away, eid = (
            event["sport_key"],
            event["home_team"],
            event["away_team"],
            event["event_id"],
        )
        start = self._jitter(event["commence_ts"])
        (a, a_kind), (b, b_kind) = self.namer.name(league, home), self.namer.name(league, away)
        variant = a_kind if a_kind != "full name" else b_kind
        pick = self.rng.random()
        soccer = not is_two_way(league)
        if pick < 0.45:
            pairs = [(a, home), (b, away)]
            self.rng.shuffle(pairs)
            if soccer:
                pairs.insert(self.rng.randrange(3), ("Draw", "Draw"))
            self._market(
                f"{pairs[0][0]} vs. {pairs[-1][0]}",
                [o for o, _ in pairs],
                start,
                league,
                [(eid, t) for _, t in pairs],
                variant,
            )
            return
        side, name, other = (home, a, away) if self.rng.random() < 0.5 else (away, b, home)
        no = f"not {side}" if soccer else other
        yes_first = self.rng.random() < 0.8
        outcomes, truths = (["Yes", "No"], [(eid, side), (eid, no)])
        if not yes_first:
            outcomes, truths = outcomes[::-1], truths[::-1]
        if soccer and pick > 0.9:
            draw_truths = (
                [(eid, "Draw"), (eid, "not Draw")] if yes_first else [(eid, "not Draw"), (eid, "Draw")]
            )
            self._market(f"Will {a} vs. {b} end in a draw?", outcomes, start, league, draw_truths, variant)
        elif pick < 0.75:
            when = self.rng.choice([f" on {start:%Y-%m-%d}", f" on {start:%B} {start.day}", "", " tonight"])
            self._market(f"Will {name} win{when}?", outcomes, start, league, truths, variant)
        else:
            opponent = b if side == home else a
            verb = self.rng.choice(["beat", "defeat", "win against"])
            self._market(f"Will the {name} {verb} the {opponent}?", outcomes, start, league, truths, variant)

    def trap(self, kind: str, league: str, day: datetime, slate: list[dict]) -> None:
        """A market that must not map."""
        if kind == "wrong opponent" and len(slate) >= 2:
            first, second = self.rng.sample(slate, 2)
            question = f"Will {first['home_team']} beat {second['away_team']}?"
            self._market(question, ["Yes", "No"], first["commence_ts"], league, [MUST_NOT_MAP] * 2, kind)
        elif kind == "shared city":
            cities = Counter(
                c for t in self.teams[league] for c in [" ".join(t.split()[:2])] if len(t.split()) > 2
            )
            shared = [city for city, count in cities.items() if count > 1]
            if shared:
                city = self.rng.choice(shared)
                start = day + timedelta(hours=self.rng.randint(18, 23))
                self._market(f"Will {city} win?", ["Yes", "No"], start, league, [MUST_NOT_MAP] * 2, kind)

    def series_trap(self, league: str, event: dict) -> None:
        """The same teams again tomorrow, a game the sportsbook feed does not have yet."""
        start = event["commence_ts"] + timedelta(days=1)
        outcomes = [event["away_team"], event["home_team"]]
        self._market(
            f"{outcomes[0]} vs. {outcomes[1]}", outcomes, start, league, [MUST_NOT_MAP] * 2, "missing game"
        )

    def doubleheader(self, day: datetime) -> None:
        """Two games of two MLB teams three and a half hours apart: one market each, one in between."""
        home, away = self.rng.sample(self.teams["baseball_mlb"], 2)
        first = self._event("baseball_mlb", home, away, day + timedelta(hours=17, minutes=5))
        second = self._event("baseball_mlb", home, away, day + timedelta(hours=20, minutes=35))
        for event in (first, second):
            self._market(
                f"{away} vs. {home}",
                [away, home],
                event["commence_ts"],
                "baseball_mlb",
                [(event["event_id"], away), (event["event_id"], home)],
                "doubleheader",
            )
        midway = first["commence_ts"] + (second["commence_ts"] - first["commence_ts"]) / 2
        self._market(
            f"{away} vs. {home}",
            [away, home],
            midway,
            "baseball_mlb",
            [MUST_NOT_MAP] * 2,
            "doubleheader midway",
        )

    def cross_league_nickname(self, day: datetime) -> None:
        """The Panthers of the NFL and the NHL both playing tonight: "Will the Panthers win?" is either."""
        start = day + timedelta(hours=19)
        self._event("americanfootball_nfl", "Carolina Panthers", "Atlanta Falcons", start)
        self._event("icehockey_nhl", "Florida Panthers", "Boston Bruins", start + timedelta(minutes=30))
        self.out.markets.append(
            {
                "market_id": (market_id := self._id("m")),
                "question": "Will the Panthers win?",
                "slug": None,
                "event_title": None,
                "sports_market_type": "moneyline",
                "game_start_ts": start,
                "outcomes": json.dumps(["Yes", "No"]),
                "clob_token_ids": json.dumps([f"{market_id}-0", f"{market_id}-1"]),
            }
        )
        for token in (f"{market_id}-0", f"{market_id}-1"):
            self.out.truth[token] = MUST_NOT_MAP
            self.out.variant[token] = "cross-league nickname"

    def rephrased(self, event: dict, rng: random.Random) -> None:
        """A market about `event` in one of the real phrasings (or one of their traps)."""
        league, home, away, eid = (event[k] for k in ("sport_key", "home_team", "away_team", "event_id"))
        start, date = event["commence_ts"], f"{event['commence_ts']:%Y-%m-%d}"
        (a, _), (b, _) = self.namer.name(league, home), self.namer.name(league, away)
        first, second = (a, b) if rng.random() < 0.5 else (home, away)  # the title: as written, or full
        codes = {home: _code(home), away: _code(away)}
        if codes[home] == codes[away]:
            codes[away] += "2"
        event_slug = f"{SLUG_BY_LEAGUE[league]}-{codes[home]}-{codes[away]}-{date}"
        title = f"{first} vs. {second}"
        outcomes = ["Yes", "No"] if rng.random() < 0.8 else ["No", "Yes"]

        def yes_no(yes: str | None, no: str | None) -> list:
            truths = {"Yes": yes if yes is None else (eid, yes), "No": no if no is None else (eid, no)}
            return [truths[o] for o in outcomes]

        roll = rng.random()
        if roll < 0.1:  # a spread or total filed as a moneyline: never the winner
            question = rng.choice(
                [f"Spread: {a} (-4.5)", f"{a} vs. {b}: O/U 220.5", f"Will {a} win by more than 4.5 points?"]
            )
            self._market(
                question, outcomes, start, league, yes_no(None, None), "spread/total phrasing", (None, None)
            )
            return
        if is_two_way(league):
            if roll < 0.55:  # head to head, written as the esports and tennis captures are
                vs = rng.choice(["vs", "vs."])
                pairs = [(a, home), (b, away)]
                rng.shuffle(pairs)
                question = f"{pairs[0][0]} {vs} {pairs[1][0]}"
                truths = [(eid, team) for _, team in pairs]
                variant = f"head to head '{vs}'"
                self._market(
                    question, [o for o, _ in pairs], start, league, truths, variant, (event_slug, None)
                )
            else:
                side, name, other = (home, a, away) if rng.random() < 0.5 else (away, b, home)
                truths = yes_no(side, other)
                self._market(
                    f"{name} to win?", outcomes, start, league, truths, "'X to win?'", (event_slug, None)
                )
            return
        leg = rng.choice([home, away, "Draw"])
        slug = f"{event_slug}-{'draw' if leg == 'Draw' else codes[leg]}"
        truths = yes_no(leg, f"not {leg}")
        name = {home: a, away: b}.get(leg)
        if roll < 0.2 and leg != "Draw":  # the question backs the other team: contradiction, not a guess
            wrong = b if leg == home else a
            question, truths, variant = (
                f"Will {wrong} win on {date}?",
                yes_no(None, None),
                "question contradicts slug",
            )
        elif roll < 0.45:
            question = (
                f"Will {first} vs. {second} end in a draw?"
                if leg == "Draw"
                else f"Will {name} win on {date}?"
            )
            variant = "gamma leg"
        elif roll < 0.7:
            if leg == "Draw":
                question = rng.choice(
                    [f"{a} vs {b} end in a draw?", f"{a} vs. {b}: draw?", f"Draw: {a} vs {b}?"]
                )
                variant = "draw without 'Will'"
            else:
                question, variant = f"{name} to win?", "'X to win?'"
        else:
            question = f"{SLUG_BY_LEAGUE[league].upper()}: {a} - {b}, {name or 'Draw'}"
            variant = "unreadable, by slug and title"
        self._market(question, outcomes, start, league, truths, variant, (slug, title))

    def build(self) -> Labelled:
        games: list[dict] = []
        for offset in range(self.days):
            day = DAY0 + timedelta(days=offset)
            for league, teams in self.teams.items():
                playing = self.rng.sample(teams, k=2 * self.rng.randint(2, len(teams) // 2 - 2))
                slate = [
                    self._event(
                        league,
                        home,
                        away,
                        day
                        + timedelta(hours=self.rng.randint(16, 23), minutes=self.rng.choice((0, 5, 10, 30))),
                    )
                    for home, away in zip(playing[::2], playing[1::2], strict=True)
                ]
                for event in slate:
                    self.game_market(event)
                games.extend(slate)
                self.trap("wrong opponent", league, day, slate)
                self.trap("shared city", league, day, slate)
                if offset == self.days - 1:
                    self.series_trap(league, self.rng.choice(slate))
            if offset % 3 == 0:
                self.doubleheader(day)
            if offset % 10 == 0:
                # At noon, more than the 3h tolerance before any slate game (16:00 on).
                self.cross_league_nickname(day - timedelta(hours=7))
        real = random.Random(f"real phrasings {self.seed}")
        namer, self.namer = self.namer, Namer(load_team_aliases(), real)
        for event in games:
            if real.random() < (0.3 if is_two_way(event["sport_key"]) else 0.9):
                self.rephrased(event, real)
        self.namer = namer
        return self.out


def _code(team: str) -> str:
    """A Polymarket-like team code for slugs: three letters of the team's last word."""
    return "".join(ch for ch in team.split()[-1].lower() if ch.isalnum())[:3] or "x"


def score(labelled: Labelled, mappings: pd.DataFrame) -> dict[str, object]:
    """Precision, recall and the misses by variation kind."""
    mapped = mappings[mappings["status"] == "mapped"].set_index("pm_token_id")
    should = {token for token, truth in labelled.truth.items() if truth is not MUST_NOT_MAP}
    right = {
        token
        for token, row in mapped.iterrows()
        if labelled.truth.get(token) == (row["event_id"], row["sportsbook_outcome"])
    }
    wrong = set(mapped.index) - right
    missed = should - right
    return {
        "tokens": len(labelled.truth),
        "should_map": len(should),
        "mapped": len(mapped),
        "precision": len(right) / len(mapped) if len(mapped) else 1.0,
        "recall": len(right) / len(should) if should else 1.0,
        "wrong_by_variant": Counter(labelled.variant[t] for t in wrong),
        "missed_by_variant": Counter(labelled.variant[t] for t in missed),
        "tokens_by_variant": Counter(labelled.variant.values()),
        "examples_wrong": sorted(wrong)[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    labelled = Generator(args.seed, args.days).build()
    markets, events = pd.DataFrame(labelled.markets), pd.DataFrame(labelled.events)
    started = time.perf_counter()
    mappings = map_markets(markets, events, load_team_aliases(), mapped_at=DAY0)
    elapsed = time.perf_counter() - started
    result = score(labelled, mappings)
    tokens, should_map = result["tokens"], result["should_map"]
    print(f"markets {len(markets)}, events {len(events)}, tokens {tokens} ({should_map} should map)")
    print(f"resolver time {elapsed:.2f}s ({1e3 * elapsed / len(markets):.2f} ms per market)")
    print(f"precision {result['precision']:.4f}   recall {result['recall']:.4f}")
    print("variant                        tokens   wrong  missed")
    for variant, count in sorted(result["tokens_by_variant"].items()):
        wrong, missed = result["wrong_by_variant"][variant], result["missed_by_variant"][variant]
        print(f"{variant:<30} {count:>6} {wrong:>7} {missed:>7}")
    if result["examples_wrong"]:
        wrong = mappings[mappings["pm_token_id"].isin(result["examples_wrong"])]
        print(
            wrong.merge(markets, left_on="pm_market_id", right_on="market_id")[
                ["question", "pm_outcome", "sportsbook_outcome"]
            ]
        )


if __name__ == "__main__":
    main()
