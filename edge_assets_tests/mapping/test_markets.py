import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.mapping import MAPPING_COLUMNS, load_team_aliases, map_markets
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

MAPPED_AT = datetime(2026, 8, 22, 12, 0, tzinfo=UTC)
T0 = pd.Timestamp("2024-03-27T02:00:00Z")


@pytest.fixture(scope="module")
def aliases():
    return load_team_aliases()


def market(market_id, question, outcomes, start=T0, kind="moneyline"):
    return {
        "market_id": market_id,
        "question": question,
        "sports_market_type": kind,
        "game_start_ts": start,
        "outcomes": json.dumps(outcomes),
        "clob_token_ids": json.dumps([f"{market_id}-{i}" for i in range(len(outcomes))]),
    }


def event(event_id, sport_key, home, away, start=T0):
    return {
        "event_id": event_id,
        "sport_key": sport_key,
        "commence_ts": start,
        "home_team": home,
        "away_team": away,
    }


EVENTS = pd.DataFrame(
    [
        event("nba1", "basketball_nba", "Sacramento Kings", "Dallas Mavericks"),
        event("nba2", "basketball_nba", "Los Angeles Lakers", "Los Angeles Clippers"),
        event("nhl1", "icehockey_nhl", "Arizona Coyotes", "Columbus Blue Jackets"),
        event("nhl2", "icehockey_nhl", "Colorado Avalanche", "Montréal Canadiens", T0 - timedelta(hours=1)),
        event("nfl1", "americanfootball_nfl", "Las Vegas Raiders", "Washington Commanders"),
        event("epl1", "soccer_epl", "Brighton and Hove Albion", "Manchester United"),
        event("mlb1", "baseball_mlb", "New York Yankees", "Cleveland Guardians", T0 - timedelta(hours=2)),
        event("mlb2", "baseball_mlb", "New York Yankees", "Cleveland Guardians", T0 + timedelta(hours=2)),
    ]
)


def map_one(aliases, *markets, events=EVENTS, **kwargs):
    frame = map_markets(pd.DataFrame(list(markets)), events, aliases, mapped_at=MAPPED_AT, **kwargs)
    assert list(frame.columns) == MAPPING_COLUMNS
    return frame.set_index("pm_outcome")


def test_exact_team_names(aliases):
    rows = map_one(aliases, market("m1", "Mavericks vs. Kings", ["Dallas Mavericks", "Sacramento Kings"]))
    assert (rows["status"] == "mapped").all()
    assert (rows["event_id"] == "nba1").all()
    assert (rows["sport_key"] == "basketball_nba").all()
    assert (rows["confidence"] == 1.0).all()
    assert rows.loc["Dallas Mavericks", "sportsbook_outcome"] == "Dallas Mavericks"
    assert rows.loc["Sacramento Kings", "pm_token_id"] == "m1-1"
    assert (rows["mapped_at"] == MAPPED_AT).all()


def test_aliases_and_abbreviations_with_swapped_home_and_away(aliases):
    rows = map_one(aliases, market("m1", "Lakers vs. Clippers", ["LA Clippers", "LAL"]))
    assert (rows["status"] == "mapped").all()
    assert rows.loc["LAL", "sportsbook_outcome"] == "Los Angeles Lakers"
    assert rows.loc["LA Clippers", "sportsbook_outcome"] == "Los Angeles Clippers"
    assert (rows["confidence"] == 0.9).all()


def test_accents_are_an_exact_match(aliases):
    rows = map_one(
        aliases,
        market(
            "m1",
            "Canadiens vs. Avalanche",
            ["Montreal Canadiens", "Colorado Avalanche"],
            T0 - timedelta(hours=1),
        ),
    )
    assert rows.loc["Montreal Canadiens", "sportsbook_outcome"] == "Montréal Canadiens"
    assert (rows["confidence"] == 1.0).all()


@pytest.mark.parametrize(
    ("outcomes", "event_id", "expected"),
    [
        (["Utah Hockey Club", "Blue Jackets"], "nhl1", "Arizona Coyotes"),  # relocated franchise
        (["Oakland Raiders", "Washington Football Team"], "nfl1", "Las Vegas Raiders"),  # renamed
    ],
)
def test_relocations_and_renames(aliases, outcomes, event_id, expected):
    rows = map_one(aliases, market("m1", "game", outcomes))
    assert (rows["status"] == "mapped").all()
    assert (rows["event_id"] == event_id).all()
    assert rows.loc[outcomes[0], "sportsbook_outcome"] == expected


def test_yes_no_win_question(aliases):
    rows = map_one(aliases, market("m1", "Will Brighton & Hove Albion win on 2024-03-27?", ["Yes", "No"]))
    assert (rows["status"] == "mapped").all()
    assert (rows["event_id"] == "epl1").all()
    assert rows.loc["Yes", "sportsbook_outcome"] == "Brighton and Hove Albion"
    assert rows.loc["No", "sportsbook_outcome"] == "not Brighton and Hove Albion"
    assert (rows["confidence"] == 1.0).all()  # "&" and "and" normalise alike: an exact match


def test_yes_no_order_follows_the_outcomes(aliases):
    rows = map_one(aliases, market("m1", "Will Man Utd win on 2024-03-27?", ["No", "Yes"]))
    assert rows.loc["Yes", "sportsbook_outcome"] == "Manchester United"
    assert rows.loc["No", "pm_token_id"] == "m1-0"


def test_draw_question(aliases):
    question = "Will Brighton and Hove Albion vs. Manchester United end in a draw?"
    rows = map_one(aliases, market("m1", question, ["Yes", "No"]))
    assert (rows["status"] == "mapped").all()
    assert rows.loc["Yes", "sportsbook_outcome"] == "Draw"
    assert rows.loc["No", "sportsbook_outcome"] == "not Draw"


def test_doubleheader_takes_the_clearly_nearer_game(aliases):
    outcomes = ["Yankees", "Guardians"]
    early = map_one(aliases, market("m1", "game 1", outcomes, T0 - timedelta(hours=1, minutes=45)))
    assert (early["status"] == "mapped").all()
    assert (early["event_id"] == "mlb1").all()
    late = map_one(aliases, market("m2", "game 2", outcomes, T0 + timedelta(hours=2)))
    assert (late["event_id"] == "mlb2").all()


def test_doubleheader_without_a_clearly_nearer_game_is_ambiguous(aliases):
    rows = map_one(aliases, market("m1", "which game?", ["NYY", "CLE"], T0 + timedelta(minutes=15)))
    assert (rows["status"] == "ambiguous").all()
    assert rows["event_id"].isna().all()
    assert (rows["sport_key"] == "baseball_mlb").all()
    assert "mlb1" in rows["reason"].iloc[0] and "mlb2" in rows["reason"].iloc[0]


def test_no_event_in_the_window(aliases):
    rows = map_one(aliases, market("m1", "late", ["Kings", "Mavericks"], T0 + timedelta(hours=4)))
    assert (rows["status"] == "unmapped").all()
    assert (rows["sport_key"] == "basketball_nba").all()
    assert rows["reason"].iloc[0] == (
        "no basketball_nba event within 3h of 2024-03-27 06:00 UTC"
        " with teams {Sacramento Kings, Dallas Mavericks}"
    )
    wider = map_one(
        aliases,
        market("m1", "late", ["Kings", "Mavericks"], T0 + timedelta(hours=4)),
        start_tolerance=timedelta(hours=5),
    )
    assert (wider["status"] == "mapped").all()


def test_unknown_outcome_is_named(aliases):
    rows = map_one(aliases, market("m1", "Kings vs. Foo", ["Sacramento Kings", "Foo"]))
    assert (rows["status"] == "unmapped").all()
    assert rows["reason"].iloc[0] == "'Foo' matches no known team in basketball_nba"


def test_teams_of_different_games_do_not_match(aliases):
    rows = map_one(aliases, market("m1", "Kings vs. Lakers", ["Sacramento Kings", "Los Angeles Lakers"]))
    assert (rows["status"] == "unmapped").all()
    assert "with teams {Sacramento Kings, Los Angeles Lakers}" in rows["reason"].iloc[0]


def test_ambiguous_alias_is_never_guessed(aliases):
    rows = map_one(aliases, market("m1", "Will Los Angeles win on 2024-03-27?", ["Yes", "No"]))
    assert (rows["status"] == "unmapped").all()


@pytest.mark.parametrize(
    ("kind", "question"),
    [
        (None, "Will the Fed cut rates?"),
        ("child_moneyline", "Kings vs. Mavericks - Game 1"),
        ("spreads", "x"),
    ],
)
def test_non_moneyline_markets(aliases, kind, question):
    rows = map_one(aliases, market("m1", question, ["Sacramento Kings", "Dallas Mavericks"], kind=kind))
    assert (rows["status"] == "unmapped").all()
    assert (rows["reason"] == "not a sports moneyline").all()
    assert (rows["confidence"] == 0.0).all()


def test_unreadable_yes_no_question(aliases):
    rows = map_one(aliases, market("m1", "Will the Kings score first?", ["Yes", "No"]))
    assert (rows["status"] == "unmapped").all()
    assert rows["reason"].iloc[0].startswith("Yes/No question is none of")


@pytest.mark.parametrize(
    "question",
    [
        "Will the Kings score 120 points?",
        "Will the Kings win by more than 4.5?",
        "Will the Kings beat the Mavericks by 5+?",
        "Spread: Kings (-4.5)",
        "Kings vs. Mavericks: O/U 230.5",
        "Will the Kings win over 2.5 games?",
    ],
)
def test_a_line_question_labelled_moneyline_is_never_read_as_the_winner(aliases, question):
    rows = map_one(aliases, market("m1", question, ["Yes", "No"]))
    assert (rows["status"] == "unmapped").all()
    assert rows["reason"].iloc[0] == "the question is about a line (a spread or a total), not the winner"


def test_empty_inputs(aliases):
    frame = map_markets(pd.DataFrame(columns=list(market("m", "q", []))), EVENTS.iloc[:0], aliases)
    assert frame.empty
    assert list(frame.columns) == MAPPING_COLUMNS


def _gamma_markets(name):
    raw = json.loads((SHARED_FIXTURES / name).read_text())
    return pd.DataFrame(
        {
            "market_id": [m["id"] for m in raw],
            "question": [m["question"] for m in raw],
            "sports_market_type": [m.get("sportsMarketType") for m in raw],
            "game_start_ts": pd.to_datetime([m.get("gameStartTime") for m in raw], utc=True),
            "outcomes": [m["outcomes"] for m in raw],
            "clob_token_ids": [m["clobTokenIds"] for m in raw],
        }
    )


def _oddsapi_events():
    raw = json.loads((SHARED_FIXTURES / "oddsapi_odds.json").read_text())
    return pd.DataFrame(
        {
            "event_id": [e["id"] for e in raw],
            "sport_key": [e["sport_key"] for e in raw],
            "commence_ts": pd.to_datetime([e["commence_time"] for e in raw], utc=True),
            "home_team": [e["home_team"] for e in raw],
            "away_team": [e["away_team"] for e in raw],
        }
    )


def test_real_fixture_shapes(aliases):
    markets = _gamma_markets("polymarket_gamma_markets_active.json")
    frame = map_markets(markets, _oddsapi_events(), aliases, mapped_at=MAPPED_AT)
    assert len(frame) == 2 * len(markets)
    assert frame["pm_token_id"].is_unique
    assert (frame["status"] == "unmapped").all()  # esports and Ligue 1: no sportsbook events for them
    lens = frame[frame["pm_market_id"] == "3434985"]
    assert list(lens["pm_outcome"]) == ["Yes", "No"]
    assert (
        lens["reason"]
        .iloc[0]
        .startswith("no sportsbook event within 3h of 2026-08-22 15:15 UTC matches 'Racing Club de Lens'")
    )
    fed = frame[frame["pm_market_id"] == "2252243"]
    assert (fed["reason"] == "not a sports moneyline").all()


def test_real_fixture_maps_onto_a_matching_ligue1_event(aliases):
    # Given the Ligue 1 game it needs, the Lens market maps by exact name without any alias.
    markets = _gamma_markets("polymarket_gamma_markets_active.json")
    lens_game = event(
        "fl1",
        "soccer_france_ligue_one",
        "Racing Club de Lens",
        "AJ Auxerre",
        pd.Timestamp("2026-08-22T15:15Z"),
    )
    frame = map_markets(markets, pd.DataFrame([lens_game]), aliases, mapped_at=MAPPED_AT)
    lens = frame[frame["pm_market_id"] == "3434985"].set_index("pm_outcome")
    assert (lens["status"] == "mapped").all()
    assert lens.loc["No", "sportsbook_outcome"] == "not Racing Club de Lens"
    assert (lens["sport_key"] == "soccer_france_ligue_one").all()


def test_real_nhl_event_with_relocated_team(aliases):
    # oddsapi_odds.json still lists "Arizona Coyotes"; a market naming the Utah team must find it.
    game = market("m1", "Utah vs. Columbus", ["Utah Mammoth", "CBJ"], pd.Timestamp("2024-03-27T02:00:00Z"))
    rows = map_one(aliases, game, events=_oddsapi_events())
    assert (rows["status"] == "mapped").all()
    assert rows.loc["Utah Mammoth", "sportsbook_outcome"] == "Arizona Coyotes"
