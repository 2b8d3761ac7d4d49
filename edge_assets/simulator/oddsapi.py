"""The Odds API v4 payloads: sports, live and historical h2h odds, scores."""

from __future__ import annotations

from .leagues import BOOKMAKERS, LEAGUES, League
from .world import Game, World, decimal_from_american, iso_z, minute_of

SNAPSHOT_SECONDS = 300  # historical odds are kept every five minutes
ODDS_FORMATS = ("american", "decimal")
DATE_FORMATS = ("iso", "unix")


def instant(ts: float, date_format: str) -> str | int:
    """An instant as `dateFormat` asks: ISO 8601 with a Z, or unix seconds."""
    return int(ts) if date_format == "unix" else iso_z(ts)


def sports() -> list[dict]:
    """`/v4/sports`: the simulated leagues, all in season."""
    return [
        {
            "key": league.sport_key,
            "group": league.group,
            "title": league.sport_title,
            "description": league.description,
            "active": True,
            "has_outrights": False,
        }
        for league in LEAGUES
    ]


def listed_games(
    world: World, league: League, ts: float, commence: tuple[float, float] | None = None
) -> list[Game]:
    """Games listed at `ts`, open for betting and not finished (games in progress included),
    starting within `commence` (commenceTimeFrom, commenceTimeTo) when given."""
    minute = minute_of(ts)
    return sorted(
        (
            game
            for game in world.games_overlapping(minute, minute)
            if game.league is league
            and game.open_min <= minute < game.end_min
            and (commence is None or commence[0] <= game.start_min * 60 <= commence[1])
        ),
        key=lambda game: (game.start_min, game.event_id),
    )


def event_header(game: Game, date_format: str = "iso") -> dict:
    """`/v4/sports/{sport}/events`: an event without its odds."""
    return {
        "id": game.event_id,
        "sport_key": game.league.sport_key,
        "sport_title": game.league.sport_title,
        "commence_time": instant(game.start_min * 60, date_format),
        "home_team": game.home.full,
        "away_team": game.away.full,
    }


def event_odds(
    world: World,
    game: Game,
    ts: float,
    regions: set[str],
    odds_format: str,
    bookmakers: set[str] | None = None,
    date_format: str = "iso",
) -> dict:
    """One event with the bookmakers' h2h prices at `ts`, as `/odds` lists it."""
    return event_header(game, date_format) | {
        "bookmakers": _bookmakers(world, game, ts, regions, odds_format, bookmakers, date_format)
    }


def odds_events(
    world: World,
    league: League,
    ts: float,
    regions: set[str],
    odds_format: str,
    bookmakers: set[str] | None = None,
    event_ids: set[str] | None = None,
    date_format: str = "iso",
    commence: tuple[float, float] | None = None,
) -> list[dict]:
    """Events listed at `ts` with their odds (see `listed_games`)."""
    return [
        event_odds(world, game, ts, regions, odds_format, bookmakers, date_format)
        for game in listed_games(world, league, ts, commence)
        if not event_ids or game.event_id in event_ids
    ]


def _bookmakers(
    world: World,
    game: Game,
    ts: float,
    regions: set[str],
    odds_format: str,
    wanted: set[str] | None,
    date_format: str,
) -> list[dict]:
    names = game.outcome_names
    entries = []
    for book, updated_ts, prices in world.bookmaker_quotes(game, ts):
        if (book.key not in wanted) if wanted else (book.region not in regions):
            continue  # `bookmakers=` replaces `regions`, as on The Odds API
        outcomes = [
            {"name": name, "price": price if odds_format == "american" else decimal_from_american(price)}
            for name, price in sorted(zip(names, prices, strict=True))
        ]
        updated = instant(updated_ts, date_format)
        entries.append(
            {
                "key": book.key,
                "title": book.title,
                "last_update": updated,
                "markets": [{"key": "h2h", "last_update": updated, "outcomes": outcomes}],
            }
        )
    return entries


def historical_odds(
    world: World,
    league: League,
    date_ts: float,
    now_ts: float,
    regions: set[str],
    odds_format: str,
    bookmakers: set[str] | None = None,
    date_format: str = "iso",
) -> dict:
    """`/v4/historical/.../odds`: the five-minute snapshot at or before `date_ts`, in its wrapper."""
    snapshot = min(date_ts, now_ts) // SNAPSHOT_SECONDS * SNAPSHOT_SECONDS
    data = []
    if snapshot >= world.history_start_ts(now_ts):
        data = odds_events(world, league, snapshot, regions, odds_format, bookmakers, date_format=date_format)
    following = snapshot + SNAPSHOT_SECONDS
    return {
        "timestamp": iso_z(snapshot),
        "previous_timestamp": iso_z(snapshot - SNAPSHOT_SECONDS),
        "next_timestamp": iso_z(following) if following <= now_ts else None,
        "data": data,
    }


def scores(
    world: World, league: League, now_ts: float, days_from: int | None, date_format: str = "iso"
) -> list[dict]:
    """`/v4/sports/{sport}/scores`: upcoming and live games, plus games completed within `days_from` days."""
    minute = minute_of(now_ts)
    oldest_end = minute - (days_from or 0) * 24 * 60
    games = sorted(
        (
            game
            for game in world.games_overlapping(minute - 4 * 24 * 60, minute + 2 * 24 * 60)
            if game.league is league
            and game.start_min <= minute + 2 * 24 * 60
            and (game.end_min > minute or (days_from and game.end_min >= oldest_end))
            and game.open_min <= minute
        ),
        key=lambda game: (game.start_min, game.event_id),
    )
    rows = []
    for game in games:
        completed, score = world.score_state(game, minute)
        last_update = None
        if score is not None:
            last_update = instant(game.end_min * 60 if completed else minute * 60, date_format)
        rows.append(
            {
                "id": game.event_id,
                "sport_key": league.sport_key,
                "sport_title": league.sport_title,
                "commence_time": instant(game.start_min * 60, date_format),
                "completed": completed,
                "home_team": game.home.full,
                "away_team": game.away.full,
                "scores": None
                if score is None
                else [
                    {"name": game.home.full, "score": str(score[0])},
                    {"name": game.away.full, "score": str(score[1])},
                ],
                "last_update": last_update,
            }
        )
    return rows


def known_bookmakers() -> set[str]:
    return {book.key for book in BOOKMAKERS}
