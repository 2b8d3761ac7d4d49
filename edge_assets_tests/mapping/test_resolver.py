"""Hard cases for the resolver: fuzzy spelling and its traps, leagues, doubleheaders, yes/no wording."""

from datetime import timedelta

import pandas as pd
import pytest

from edge_assets.mapping import league_from_slug, load_team_aliases, map_markets
from edge_assets.mapping.questions import DRAW, NOT_TEAM, TEAM, Claim, read_market
from edge_assets_tests.mapping.test_markets import MAPPED_AT, T0, event, market


@pytest.fixture(scope="module")
def aliases():
    return load_team_aliases()


EVENTS = pd.DataFrame(
    [
        event("nba1", "basketball_nba", "Boston Celtics", "Philadelphia 76ers"),
        event("nba2", "basketball_nba", "Los Angeles Lakers", "Golden State Warriors"),
        event("epl1", "soccer_epl", "Manchester United", "Brighton and Hove Albion"),
        event("epl2", "soccer_epl", "Arsenal", "Chelsea"),
        event("nfl1", "americanfootball_nfl", "Carolina Panthers", "Atlanta Falcons"),
        event("nhl1", "icehockey_nhl", "Florida Panthers", "Tampa Bay Lightning"),
        event("nhl2", "icehockey_nhl", "New York Rangers", "New Jersey Devils", T0 + timedelta(minutes=30)),
        event("mlb1", "baseball_mlb", "Texas Rangers", "Houston Astros", T0 + timedelta(hours=1)),
        event("mlb2", "baseball_mlb", "Chicago Cubs", "St. Louis Cardinals", T0 - timedelta(hours=1)),
        event("mlb3", "baseball_mlb", "Chicago Cubs", "St. Louis Cardinals", T0 + timedelta(hours=2)),
        event("fl1", "soccer_france_ligue_one", "Racing Club de Lens", "AJ Auxerre"),
    ]
)


def mapped(aliases, *markets, events=EVENTS):
    frame = map_markets(pd.DataFrame(list(markets)), events, aliases, mapped_at=MAPPED_AT)
    return frame.set_index("pm_outcome")


@pytest.mark.parametrize(
    ("question", "outcomes", "expected"),
    [
        (
            "Will the Celtics win?",
            ["Yes", "No"],
            (["Celtics"], [Claim(TEAM, "Celtics"), Claim(NOT_TEAM, "Celtics")]),
        ),
        (
            "Will Arsenal beat Chelsea on March 27?",
            ["No", "Yes"],
            (["Arsenal", "Chelsea"], [Claim(NOT_TEAM, "Arsenal"), Claim(TEAM, "Arsenal")]),
        ),
        (
            "Will Arsenal win against the Chelsea tonight?",
            ["Yes", "No"],
            (["Arsenal", "Chelsea"], [Claim(TEAM, "Arsenal"), Claim(NOT_TEAM, "Arsenal")]),
        ),
        (
            "Will Arsenal v Chelsea end in a tie?",
            ["Yes", "No"],
            (["Arsenal", "Chelsea"], [Claim(DRAW), Claim("not_draw")]),
        ),
        ("Arsenal vs Chelsea", ["Chelsea", "Draw", "Arsenal"], (["Chelsea", "Arsenal"], None)),
    ],
)
def test_read_market(question, outcomes, expected):
    reading = read_market(question, outcomes)
    names, claims = expected
    assert reading.names == names
    if claims is not None:
        assert reading.claims == claims


def test_read_market_refuses_what_it_cannot_read():
    assert isinstance(read_market("Will Arsenal score first?", ["Yes", "No"]), str)
    assert isinstance(read_market("x", ["Arsenal", "arsenal"]), str)
    assert isinstance(read_market("x", ["Arsenal", "Chelsea", "Spurs"]), str)


def test_a_misspelt_team_maps_by_fuzzy_match_at_lower_confidence(aliases):
    rows = mapped(aliases, market("m1", "game", ["Philadelphia 76ars", "Boston Celtcs"]))
    assert (rows["status"] == "mapped").all()
    assert rows.loc["Philadelphia 76ars", "sportsbook_outcome"] == "Philadelphia 76ers"
    assert rows.loc["Boston Celtcs", "sportsbook_outcome"] == "Boston Celtics"
    assert 0.6 <= rows["confidence"].iloc[0] < 0.9


def test_fuzzy_never_overrides_an_alias_that_names_another_team(aliases):
    # "Manchester City" is an exact team; one letter away from nothing playing: no fuzzy rescue.
    rows = mapped(aliases, market("m1", "game", ["Manchester City", "Brighton"]))
    assert (rows["status"] == "unmapped").all()
    assert "with teams {Manchester City, Brighton and Hove Albion}" in rows["reason"].iloc[0]


def test_a_partial_name_shared_by_two_teams_is_refused(aliases):
    rows = mapped(aliases, market("m1", "Will Los Angeles win?", ["Yes", "No"]))
    assert (rows["status"] == "unmapped").all()
    game = market("m2", "game", ["Los Angeles", "Golden State"]) | {"slug": "nba-lal-gsw-2024-03-27"}
    nba = mapped(aliases, game)
    assert (nba["status"] == "unmapped").all()
    assert "Los Angeles Clippers, Los Angeles Lakers" in nba["reason"].iloc[0]


def test_a_surname_that_would_fuzzy_match_the_wrong_team_is_refused(aliases):
    # "Manchester" alone is as close to United as to City: never guessed, even though United plays.
    rows = mapped(aliases, market("m1", "Will Manchester win on 2024-03-27?", ["Yes", "No"]))
    assert (rows["status"] == "unmapped").all()


def test_a_nickname_shared_across_leagues_with_both_games_on_is_ambiguous(aliases):
    rows = mapped(aliases, market("m1", "Will the Panthers win?", ["Yes", "No"]))
    assert (rows["status"] == "ambiguous").all()
    assert "nfl1" in rows["reason"].iloc[0] and "nhl1" in rows["reason"].iloc[0]


def test_the_slug_names_the_league(aliases):
    game = market("m1", "Will the Panthers win?", ["Yes", "No"]) | {"slug": "nhl-fla-tb-2024-03-27"}
    rows = mapped(aliases, game)
    assert (rows["event_id"] == "nhl1").all()
    assert rows.loc["No", "sportsbook_outcome"] == "Tampa Bay Lightning"  # two-way: No is the opponent
    assert league_from_slug("epl-mun-bha-2024-03-27") == "soccer_epl"
    assert league_from_slug("cs2-furia-fut-2026-08-22") is None


def test_the_other_leagues_rangers_need_the_other_team(aliases):
    rows = mapped(aliases, market("m1", "game", ["Rangers", "Astros"]))
    assert (rows["event_id"] == "mlb1").all()
    assert rows.loc["Rangers", "sportsbook_outcome"] == "Texas Rangers"


def test_beat_question_in_a_two_way_sport(aliases):
    rows = mapped(aliases, market("m1", "Will the Lakers beat the Warriors?", ["Yes", "No"]))
    assert rows.loc["Yes", "sportsbook_outcome"] == "Los Angeles Lakers"
    assert rows.loc["No", "sportsbook_outcome"] == "Golden State Warriors"


def test_win_question_in_a_three_way_sport_keeps_no_as_not_the_team(aliases):
    rows = mapped(aliases, market("m1", "Will Man Utd beat Brighton?", ["No", "Yes"]))
    assert rows.loc["Yes", "sportsbook_outcome"] == "Manchester United"
    assert rows.loc["No", "sportsbook_outcome"] == "not Manchester United"
    assert rows.loc["No", "pm_token_id"] == "m1-0"


def test_beat_question_names_the_wrong_opponent(aliases):
    rows = mapped(aliases, market("m1", "Will Arsenal beat Brighton?", ["Yes", "No"]))
    assert (rows["status"] == "unmapped").all()


def test_three_way_team_outcomes_in_any_order(aliases):
    rows = mapped(aliases, market("m1", "Chelsea vs. Arsenal", ["Chelsea FC", "Draw", "Arsenal FC"]))
    expected = {"Chelsea FC": "Chelsea", "Draw": "Draw", "Arsenal FC": "Arsenal"}
    assert rows["sportsbook_outcome"].to_dict() == expected


def test_doubleheader_both_games_are_told_apart(aliases):
    early = mapped(aliases, market("g1", "g1", ["Cubs", "Cardinals"], T0 - timedelta(hours=1)))
    late = mapped(aliases, market("g2", "g2", ["Cardinals", "Cubs"], T0 + timedelta(hours=2)))
    assert (early["event_id"] == "mlb2").all()
    assert (late["event_id"] == "mlb3").all()
    assert late.loc["Cardinals", "sportsbook_outcome"] == "St. Louis Cardinals"
    assert (early["confidence"] < 0.9).all()  # one game of two picked by time: said so


def test_an_exact_name_outside_the_alias_table_maps(aliases):
    slug = {"slug": "fl1-rcl-aja-2024-03-27"}
    rows = mapped(aliases, market("m1", "Will RC Lens win?", ["Yes", "No"]) | slug)
    assert (rows["status"] == "unmapped").all()  # "RC Lens" is not the sportsbook's name: no guess
    rows = mapped(aliases, market("m2", "Will Racing Club de Lens win?", ["Yes", "No"]))
    assert rows.loc["No", "sportsbook_outcome"] == "not Racing Club de Lens"


def test_a_start_far_from_the_sportsbooks_lowers_confidence(aliases):
    rows = mapped(aliases, market("m1", "g", ["Celtics", "76ers"], T0 + timedelta(hours=2)))
    assert (rows["status"] == "mapped").all()
    assert rows["confidence"].iloc[0] < 0.9
    assert "start differs by 2h" in rows["reason"].iloc[0]


def test_never_flips_an_outcome(aliases):
    # Whatever the order of outcomes, each token's sportsbook outcome is the team its outcome names.
    for outcomes in (["Celtics", "76ers"], ["76ers", "Celtics"]):
        rows = mapped(aliases, market("m1", "g", outcomes))
        assert rows.loc["Celtics", "sportsbook_outcome"] == "Boston Celtics"
        assert rows.loc["76ers", "sportsbook_outcome"] == "Philadelphia 76ers"


def test_a_lone_city_naming_teams_of_several_leagues_needs_a_league(aliases):
    # Only the Celtics play, but "Boston" is four teams and the feed may lack the game meant.
    rows = mapped(aliases, market("m1", "Will Boston win?", ["Yes", "No"]))
    assert (rows["status"] == "ambiguous").all()
    assert "names teams in" in rows["reason"].iloc[0]
    hinted = mapped(
        aliases, market("m2", "Will Boston win?", ["Yes", "No"]) | {"slug": "nba-bos-phi-2024-03-27"}
    )
    assert (hinted["event_id"] == "nba1").all()


def test_a_name_of_one_team_here_and_two_teams_there_is_undecided_when_both_leagues_play(aliases):
    knicks = event("nba9", "basketball_nba", "New York Knicks", "Miami Heat")
    rows = mapped(
        aliases,
        market("m1", "game", ["New York", "Miami"]),
        events=pd.concat([EVENTS, pd.DataFrame([knicks])]),
    )
    assert (rows["status"] == "ambiguous").all()
    assert "New York Islanders, New York Rangers" in rows["reason"].iloc[0]
