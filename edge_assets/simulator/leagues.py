"""Leagues, teams and sportsbooks of the simulated world.

Team full names are spelled the way The Odds API writes them; the short forms are what Polymarket
puts in its moneyline outcomes (nickname most of the time, sometimes the city or an abbreviation),
so a mapper needs an alias table to join the two venues.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    """A team: the Odds API full name and the short forms Polymarket uses."""

    full: str
    nickname: str
    city: str | None  # None where the city is shared in the league (Los Angeles, New York...)
    abbr: str


@dataclass(frozen=True)
class League:
    """A league and the knobs that shape its schedule, prices and scores."""

    sport_key: str
    sport_title: str
    group: str
    description: str
    slug: str  # Polymarket slug and series prefix
    three_way: bool  # soccer: home / draw / away
    duration_min: int  # typical game length, start to final whistle
    fee_rate: float  # Polymarket taker fee rate for its markets
    home_edge: float  # latent home advantage (standard-normal units)
    strength_sd: float  # spread of the latent pre-game mean between games
    score_range: tuple[int, int]  # winner's typical score range
    teams: tuple[Team, ...]


def _teams(rows: str) -> tuple[Team, ...]:
    """Parse `full|nickname|city|abbr` lines (an empty city means 'do not use the city')."""
    teams = []
    for line in rows.strip().splitlines():
        full, nickname, city, abbr = (part.strip() for part in line.split("|"))
        teams.append(Team(full, nickname, city or None, abbr))
    return tuple(teams)


NFL = League(
    "americanfootball_nfl",
    "NFL",
    "American Football",
    "US Football",
    "nfl",
    False,
    195,
    0.03,
    0.08,
    0.45,
    (17, 38),
    _teams("""
Arizona Cardinals|Cardinals|Arizona|ARI
Atlanta Falcons|Falcons|Atlanta|ATL
Baltimore Ravens|Ravens|Baltimore|BAL
Buffalo Bills|Bills|Buffalo|BUF
Carolina Panthers|Panthers|Carolina|CAR
Chicago Bears|Bears|Chicago|CHI
Cincinnati Bengals|Bengals|Cincinnati|CIN
Cleveland Browns|Browns|Cleveland|CLE
Dallas Cowboys|Cowboys|Dallas|DAL
Denver Broncos|Broncos|Denver|DEN
Detroit Lions|Lions|Detroit|DET
Green Bay Packers|Packers|Green Bay|GB
Houston Texans|Texans|Houston|HOU
Indianapolis Colts|Colts|Indianapolis|IND
Jacksonville Jaguars|Jaguars|Jacksonville|JAX
Kansas City Chiefs|Chiefs|Kansas City|KC
Las Vegas Raiders|Raiders|Las Vegas|LV
Los Angeles Chargers|Chargers||LAC
Los Angeles Rams|Rams||LAR
Miami Dolphins|Dolphins|Miami|MIA
Minnesota Vikings|Vikings|Minnesota|MIN
New England Patriots|Patriots|New England|NE
New Orleans Saints|Saints|New Orleans|NO
New York Giants|Giants||NYG
New York Jets|Jets||NYJ
Philadelphia Eagles|Eagles|Philadelphia|PHI
Pittsburgh Steelers|Steelers|Pittsburgh|PIT
San Francisco 49ers|49ers|San Francisco|SF
Seattle Seahawks|Seahawks|Seattle|SEA
Tampa Bay Buccaneers|Buccaneers|Tampa Bay|TB
Tennessee Titans|Titans|Tennessee|TEN
Washington Commanders|Commanders|Washington|WAS
"""),
)

NBA = League(
    "basketball_nba",
    "NBA",
    "Basketball",
    "US Basketball",
    "nba",
    False,
    150,
    0.04,
    0.12,
    0.45,
    (98, 128),
    _teams("""
Atlanta Hawks|Hawks|Atlanta|ATL
Boston Celtics|Celtics|Boston|BOS
Brooklyn Nets|Nets|Brooklyn|BKN
Charlotte Hornets|Hornets|Charlotte|CHA
Chicago Bulls|Bulls|Chicago|CHI
Cleveland Cavaliers|Cavaliers|Cleveland|CLE
Dallas Mavericks|Mavericks|Dallas|DAL
Denver Nuggets|Nuggets|Denver|DEN
Detroit Pistons|Pistons|Detroit|DET
Golden State Warriors|Warriors|Golden State|GSW
Houston Rockets|Rockets|Houston|HOU
Indiana Pacers|Pacers|Indiana|IND
Los Angeles Clippers|Clippers||LAC
Los Angeles Lakers|Lakers||LAL
Memphis Grizzlies|Grizzlies|Memphis|MEM
Miami Heat|Heat|Miami|MIA
Milwaukee Bucks|Bucks|Milwaukee|MIL
Minnesota Timberwolves|Timberwolves|Minnesota|MIN
New Orleans Pelicans|Pelicans|New Orleans|NOP
New York Knicks|Knicks|New York|NYK
Oklahoma City Thunder|Thunder|Oklahoma City|OKC
Orlando Magic|Magic|Orlando|ORL
Philadelphia 76ers|76ers|Philadelphia|PHI
Phoenix Suns|Suns|Phoenix|PHX
Portland Trail Blazers|Trail Blazers|Portland|POR
Sacramento Kings|Kings|Sacramento|SAC
San Antonio Spurs|Spurs|San Antonio|SAS
Toronto Raptors|Raptors|Toronto|TOR
Utah Jazz|Jazz|Utah|UTA
Washington Wizards|Wizards|Washington|WAS
"""),
)

NHL = League(
    "icehockey_nhl",
    "NHL",
    "Ice Hockey",
    "US Ice Hockey",
    "nhl",
    False,
    160,
    0.05,
    0.06,
    0.3,
    (3, 6),
    _teams("""
Anaheim Ducks|Ducks|Anaheim|ANA
Boston Bruins|Bruins|Boston|BOS
Buffalo Sabres|Sabres|Buffalo|BUF
Calgary Flames|Flames|Calgary|CGY
Carolina Hurricanes|Hurricanes|Carolina|CAR
Chicago Blackhawks|Blackhawks|Chicago|CHI
Colorado Avalanche|Avalanche|Colorado|COL
Columbus Blue Jackets|Blue Jackets|Columbus|CBJ
Dallas Stars|Stars|Dallas|DAL
Detroit Red Wings|Red Wings|Detroit|DET
Edmonton Oilers|Oilers|Edmonton|EDM
Florida Panthers|Panthers|Florida|FLA
Los Angeles Kings|Kings|Los Angeles|LAK
Minnesota Wild|Wild|Minnesota|MIN
Montréal Canadiens|Canadiens|Montreal|MTL
Nashville Predators|Predators|Nashville|NSH
New Jersey Devils|Devils|New Jersey|NJD
New York Islanders|Islanders||NYI
New York Rangers|Rangers||NYR
Ottawa Senators|Senators|Ottawa|OTT
Philadelphia Flyers|Flyers|Philadelphia|PHI
Pittsburgh Penguins|Penguins|Pittsburgh|PIT
San Jose Sharks|Sharks|San Jose|SJS
Seattle Kraken|Kraken|Seattle|SEA
St Louis Blues|Blues|St. Louis|STL
Tampa Bay Lightning|Lightning|Tampa Bay|TBL
Toronto Maple Leafs|Maple Leafs|Toronto|TOR
Utah Hockey Club|Utah HC|Utah|UTA
Vancouver Canucks|Canucks|Vancouver|VAN
Vegas Golden Knights|Golden Knights|Vegas|VGK
Washington Capitals|Capitals|Washington|WSH
Winnipeg Jets|Jets|Winnipeg|WPG
"""),
)

MLB = League(
    "baseball_mlb",
    "MLB",
    "Baseball",
    "Major League Baseball",
    "mlb",
    False,
    175,
    0.05,
    0.06,
    0.25,
    (4, 9),
    _teams("""
Arizona Diamondbacks|Diamondbacks|Arizona|ARI
Atlanta Braves|Braves|Atlanta|ATL
Baltimore Orioles|Orioles|Baltimore|BAL
Boston Red Sox|Red Sox|Boston|BOS
Chicago Cubs|Cubs||CHC
Chicago White Sox|White Sox||CWS
Cincinnati Reds|Reds|Cincinnati|CIN
Cleveland Guardians|Guardians|Cleveland|CLE
Colorado Rockies|Rockies|Colorado|COL
Detroit Tigers|Tigers|Detroit|DET
Houston Astros|Astros|Houston|HOU
Kansas City Royals|Royals|Kansas City|KC
Los Angeles Angels|Angels||LAA
Los Angeles Dodgers|Dodgers||LAD
Miami Marlins|Marlins|Miami|MIA
Milwaukee Brewers|Brewers|Milwaukee|MIL
Minnesota Twins|Twins|Minnesota|MIN
New York Mets|Mets||NYM
New York Yankees|Yankees||NYY
Oakland Athletics|Athletics|Oakland|OAK
Philadelphia Phillies|Phillies|Philadelphia|PHI
Pittsburgh Pirates|Pirates|Pittsburgh|PIT
San Diego Padres|Padres|San Diego|SD
San Francisco Giants|Giants|San Francisco|SF
Seattle Mariners|Mariners|Seattle|SEA
St. Louis Cardinals|Cardinals|St. Louis|STL
Tampa Bay Rays|Rays|Tampa Bay|TB
Texas Rangers|Rangers|Texas|TEX
Toronto Blue Jays|Blue Jays|Toronto|TOR
Washington Nationals|Nationals|Washington|WSH
"""),
)

# Soccer: the nickname column holds the name Polymarket writes in its "Will X win on DATE?" questions.
EPL = League(
    "soccer_epl",
    "EPL",
    "Soccer",
    "Premier League - England",
    "epl",
    True,
    112,
    0.04,
    0.15,
    0.45,
    (1, 3),
    _teams("""
Arsenal|Arsenal FC|Arsenal|ARS
Aston Villa|Aston Villa FC|Aston Villa|AVL
Bournemouth|AFC Bournemouth|Bournemouth|BOU
Brentford|Brentford FC|Brentford|BRE
Brighton and Hove Albion|Brighton & Hove Albion FC|Brighton|BHA
Burnley|Burnley FC|Burnley|BUR
Chelsea|Chelsea FC|Chelsea|CHE
Crystal Palace|Crystal Palace FC|Crystal Palace|CRY
Everton|Everton FC|Everton|EVE
Fulham|Fulham FC|Fulham|FUL
Leeds United|Leeds United FC|Leeds|LEE
Liverpool|Liverpool FC|Liverpool|LIV
Manchester City|Manchester City FC||MCI
Manchester United|Manchester United FC||MUN
Newcastle United|Newcastle United FC|Newcastle|NEW
Nottingham Forest|Nottingham Forest FC|Nottingham|NFO
Sunderland|Sunderland AFC|Sunderland|SUN
Tottenham Hotspur|Tottenham Hotspur FC|Tottenham|TOT
West Ham United|West Ham United FC|West Ham|WHU
Wolverhampton Wanderers|Wolverhampton Wanderers FC|Wolves|WOL
"""),
)

LEAGUES: tuple[League, ...] = (NFL, NBA, NHL, MLB, EPL)
LEAGUES_BY_KEY = {league.sport_key: league for league in LEAGUES}


@dataclass(frozen=True)
class Bookmaker:
    """A sportsbook: its margin, how noisy and how late it follows the true price, the one region
    The Odds API lists it under, and how often it prices a game (`listing_weight`)."""

    key: str
    title: str
    vig: float  # overround: implied probabilities sum to 1 + vig
    noise_sd: float  # logit noise around the truth, redrawn every NOISE_BLOCK_MIN minutes
    lag_min: int  # quotes follow the truth this many minutes late
    region: str
    # `us` books: events of the real US capture (of 28) that the book prices, so a game's books are
    # drawn as often as in the capture (see captured.py); other regions' books price every game.
    listing_weight: int = 0


# Regions as The Odds API's bookmaker list gives them: Pinnacle, the sharp book, is only in `eu`,
# so a `regions=us` request never sees it. The `us` books are the 14 of the captured US response.
BOOKMAKERS: tuple[Bookmaker, ...] = (
    Bookmaker("pinnacle", "Pinnacle", 0.03, 0.015, 1, "eu"),
    Bookmaker("draftkings", "DraftKings", 0.045, 0.05, 3, "us", 20),
    Bookmaker("fanduel", "FanDuel", 0.045, 0.05, 2, "us", 23),
    Bookmaker("betmgm", "BetMGM", 0.055, 0.06, 4, "us", 23),
    Bookmaker("williamhill_us", "Caesars", 0.05, 0.06, 5, "us", 18),
    Bookmaker("betrivers", "BetRivers", 0.065, 0.07, 6, "us", 6),
    Bookmaker("bovada", "Bovada", 0.075, 0.08, 8, "us", 19),
    Bookmaker("unibet_us", "Unibet", 0.055, 0.06, 4, "us", 19),
    Bookmaker("mybookieag", "MyBookie.ag", 0.075, 0.08, 7, "us", 18),
    Bookmaker("wynnbet", "WynnBET", 0.06, 0.07, 6, "us", 15),
    Bookmaker("pointsbetus", "PointsBet (US)", 0.055, 0.06, 5, "us", 7),
    Bookmaker("lowvig", "LowVig.ag", 0.035, 0.04, 3, "us", 6),
    Bookmaker("betus", "BetUS", 0.075, 0.08, 8, "us", 6),
    Bookmaker("betonlineag", "BetOnline.ag", 0.04, 0.03, 2, "us", 6),
    Bookmaker("superbook", "SuperBook", 0.05, 0.05, 4, "us", 4),
)
ODDS_REGIONS = frozenset({"us", "us2", "uk", "eu", "au"})
BOOKMAKERS_PER_REGION_UNIT = 10  # The Odds API bills every 10 `bookmakers=` as one region
