import pandas as pd
import pytest

from edge_assets.mapping import ALIAS_COLUMNS, AliasIndex, load_team_aliases, normalize_name

LEAGUES = {"americanfootball_nfl", "basketball_nba", "icehockey_nhl", "baseball_mlb", "soccer_epl"}


@pytest.fixture(scope="module")
def aliases():
    return load_team_aliases()


@pytest.fixture(scope="module")
def index(aliases):
    return AliasIndex(aliases)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Brighton & Hove Albion", "brighton and hove albion"),
        ("  Montréal   Canadiens ", "montreal canadiens"),
        ("St. Louis Blues", "saint louis blues"),
        ("Saint Louis Blues", "saint louis blues"),
        ("Oakland A's", "oakland as"),
        ("Man. Utd", "man utd"),
        ("D-backs", "d backs"),
    ],
)
def test_normalize_name(text, expected):
    assert normalize_name(text) == expected


def test_table_shape(aliases):
    assert list(aliases.columns) == ALIAS_COLUMNS
    assert set(aliases["league"]) == LEAGUES
    assert not aliases.duplicated(["league", "alias"]).any()  # the table's primary key
    assert (aliases["source"] == "curated").all()
    assert (aliases["alias"] == aliases["alias"].map(normalize_name)).all()
    teams = aliases.groupby("league")["team"].nunique()
    assert teams["americanfootball_nfl"] == 32
    assert teams["basketball_nba"] == 30
    assert teams["icehockey_nhl"] == 32
    assert teams["baseball_mlb"] == 30


@pytest.mark.parametrize(
    ("league", "name", "team"),
    [
        ("basketball_nba", "Los Angeles Lakers", "Los Angeles Lakers"),
        ("basketball_nba", "LAL", "Los Angeles Lakers"),
        ("basketball_nba", "LA Clippers", "Los Angeles Clippers"),
        ("baseball_mlb", "NYY", "New York Yankees"),
        ("basketball_nba", "BOS", "Boston Celtics"),
        ("soccer_epl", "Man Utd", "Manchester United"),
        ("soccer_epl", "Spurs", "Tottenham Hotspur"),
        ("soccer_epl", "Wolves", "Wolverhampton Wanderers"),
        ("soccer_epl", "Brighton & Hove Albion", "Brighton and Hove Albion"),
        ("basketball_nba", "Spurs", "San Antonio Spurs"),
        ("americanfootball_nfl", "Washington Football Team", "Washington Commanders"),
        ("americanfootball_nfl", "Oakland Raiders", "Las Vegas Raiders"),
        ("icehockey_nhl", "Arizona Coyotes", "Utah Mammoth"),
        ("icehockey_nhl", "Utah Hockey Club", "Utah Mammoth"),
        ("icehockey_nhl", "Montreal Canadiens", "Montréal Canadiens"),
        ("baseball_mlb", "Cleveland Indians", "Cleveland Guardians"),
        ("baseball_mlb", "Oakland Athletics", "Athletics"),
        ("baseball_mlb", "Boston", "Boston Red Sox"),
    ],
)
def test_resolve(index, league, name, team):
    assert index.resolve(league, name) == team


@pytest.mark.parametrize(
    ("league", "name"),
    [
        ("basketball_nba", "Los Angeles"),
        ("americanfootball_nfl", "New York"),
        ("americanfootball_nfl", "Los Angeles"),
        ("baseball_mlb", "Chicago"),
        ("icehockey_nhl", "New York"),
        ("basketball_nba", "Foo"),
        ("basketball_nba", "Boston Bruins"),  # right name, wrong league
    ],
)
def test_ambiguous_or_unknown_names_resolve_to_nothing(index, league, name):
    assert index.resolve(league, name) is None


def test_a_nickname_shared_across_leagues_names_both(index):
    assert index.resolve_any("Rangers") == {
        "icehockey_nhl": "New York Rangers",
        "baseball_mlb": "Texas Rangers",
    }


def test_index_from_a_raw_frame_drops_shared_aliases():
    raw = pd.DataFrame(
        {
            "league": ["x", "x", "x"],
            "alias": ["Metro", "Metro", "Stars"],
            "team": ["Metro Stars", "Metro United", "Metro Stars"],
        }
    )
    index = AliasIndex(raw)
    assert index.resolve("x", "metro") is None
    assert index.resolve("x", "STARS") == "Metro Stars"
    assert index.resolve("x", "Metro United") == "Metro United"  # a team's own name always resolves
