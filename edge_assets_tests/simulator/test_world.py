"""The simulated world: determinism, truth, planted windows and the null scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.simulator import World
from edge_assets.simulator.app import Query, SimulatorApp
from edge_assets.simulator.faults import Faults
from edge_assets.simulator.leagues import BOOKMAKERS
from edge_assets.simulator.polymarket import clob_book
from edge_assets.simulator.world import minute_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GROUND_TRUTH_COLUMNS = [
    "pm_market_id",
    "pm_token_id",
    "outcome",
    "start_ts",
    "end_ts",
    "true_prob",
    "pm_best_ask",
]


def _get(world: World, path: str, **params) -> object:
    app = SimulatorApp(world, Faults(), api_key=None, quota=10**9)
    response = app.handle("GET", path, Query({k: [str(v)] for k, v in params.items()}), b"")
    assert response.status == 200, response.body
    return response.body


@pytest.fixture(scope="module")
def planted() -> World:
    return World(seed=7, scenario="planted", days=3, now=NOW)


def test_unknown_scenario_is_rejected():
    with pytest.raises(ValueError, match="scenario"):
        World(seed=1, scenario="chaos")


def test_same_seed_gives_identical_payloads():
    first, second = World(11, "realistic", days=1, now=NOW), World(11, "realistic", days=1, now=NOW)
    for path, params in [
        ("/markets", {"limit": 500}),
        ("/events", {"limit": 50}),
        ("/v4/sports/basketball_nba/odds", {"apiKey": "k", "regions": "us", "oddsFormat": "american"}),
        ("/v4/sports/soccer_epl/scores", {"apiKey": "k", "daysFrom": 3}),
        ("/api/marketdata/all/", {}),
    ]:
        assert _get(first, path, **params) == _get(second, path, **params), path


def test_books_answer_the_same_in_any_order_of_requests(planted):
    """Token 0's levels are kept for the mirror token: a book asked for twice, after its mirror,
    after a caller changed an earlier answer, or by a fresh world, is the same book."""
    fresh = World(seed=7, scenario="planted", days=3, now=NOW)
    start = planted.history_start_ts()
    markets = [m for g in planted.served_games() for m in g.markets][:40]
    ts = NOW.timestamp() - 3600
    levels_served = 0
    for market in markets:
        first = [clob_book(planted, token, ts, start) for token in market.token_ids]
        levels = planted.book_levels(market, 0, minute_of(ts))
        levels[0].clear()  # a caller's change to an answer is its own
        again = [clob_book(planted, token, ts, start) for token in reversed(market.token_ids)][::-1]
        assert first == again == [clob_book(fresh, token, ts, start) for token in market.token_ids]
        levels_served += sum(len(book["bids"]) + len(book["asks"]) for book in first if book)
    assert levels_served > 0


def test_different_seeds_give_different_worlds():
    markets_a = _get(World(1, days=1, now=NOW), "/markets", limit=500, closed="false")
    markets_b = _get(World(2, days=1, now=NOW), "/markets", limit=500, closed="false")
    assert [m["question"] for m in markets_a] != [m["question"] for m in markets_b]


def test_worlds_started_at_different_times_agree_on_shared_instants():
    early = World(5, "planted", days=3, now=NOW)
    late = World(5, "planted", days=3, now=NOW + timedelta(hours=7))
    shared = (NOW - timedelta(hours=5)).timestamp()
    tokens = [token for game in early.served_games() for market in game.markets for token in market.token_ids]
    assert len(tokens) > 50
    for token in tokens[::7]:
        assert clob_book(early, token, shared, early.history_start_ts()) == clob_book(
            late, token, shared, late.history_start_ts()
        )
        assert early.true_prob(token, shared) == late.true_prob(token, shared)
    date = (NOW - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"apiKey": "k", "regions": "us", "date": date}
    assert (
        _get(early, "/v4/historical/sports/baseball_mlb/odds", **params)["data"]
        == _get(late, "/v4/historical/sports/baseball_mlb/odds", **params)["data"]
    )
    both = set(early.planted_edges().itertuples(index=False)) & set(
        late.planted_edges().itertuples(index=False)
    )
    assert both, "windows inside both histories should be reported identically"


def test_history_is_bounded_by_days():
    world = World(3, days=1, now=NOW)
    market = next(
        m
        for g in world.served_games()
        for m in g.markets
        if m.created_min * 60 < NOW.timestamp() < g.resolve_min * 60
    )
    old = (NOW - timedelta(days=2)).timestamp()
    assert clob_book(world, market.token_ids[0], old, world.history_start_ts()) is None
    assert clob_book(world, market.token_ids[0], NOW.timestamp(), world.history_start_ts()) is not None
    date = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = _get(world, "/v4/historical/sports/basketball_nba/odds", apiKey="k", regions="us", date=date)
    assert payload["data"] == []


def test_schedule_covers_the_leagues_and_has_doubleheaders():
    world = World(7, days=30, now=NOW)
    games = world.served_games()
    assert 300 <= len(games) <= 900
    leagues = {game.league.sport_key for game in games}
    assert leagues == {
        "americanfootball_nfl",
        "basketball_nba",
        "icehockey_nhl",
        "baseball_mlb",
        "soccer_epl",
    }
    share = sum(bool(game.markets) for game in games) / len(games)
    assert 0.75 < share < 0.95
    mlb_days = {}
    for game in games:
        if game.league.sport_key == "baseball_mlb":
            mlb_days.setdefault((game.start_min // 1440, game.home.full, game.away.full), []).append(game)
    assert any(len(pair) == 2 for pair in mlb_days.values()), "expected at least one doubleheader"
    nfl_weekdays = {
        datetime.fromtimestamp(g.start_min * 60, UTC).weekday()
        for g in games
        if g.league.sport_key == "americanfootball_nfl"
    }
    assert nfl_weekdays <= {6, 0, 1, 4}


def test_results_are_consistent_with_truth_and_scores(planted):
    finished = [g for g in planted.served_games() if g.resolve_min <= minute_of(NOW.timestamp())]
    assert finished
    for game in finished:
        path = planted.path(game)
        final = path.probs[:, -1]
        assert final[path.winner] == 1.0 and final.sum() == pytest.approx(1.0)
        completed, (home, away) = planted.score_state(game, game.end_min)
        assert completed
        expected = 0 if home > away else 1 if away > home else 2
        assert expected == path.winner
        probs = path.probs[:, : game.start_min - game.open_min]
        assert ((probs > 0) & (probs < 1)).all()
        assert probs.sum(axis=0) == pytest.approx(1.0)


def test_planted_windows_match_their_definition(planted):
    edges = planted.planted_edges()
    assert list(edges.columns) == GROUND_TRUTH_COLUMNS
    assert len(edges) >= 6, "several windows per day"
    for row in edges.itertuples(index=False):
        start, end = pd.Timestamp(row.start_ts), pd.Timestamp(row.end_ts)
        minutes = int((end - start).total_seconds() // 60)
        assert 10 <= minutes <= 120
        market, index = planted.token(row.pm_token_id)
        assert end.timestamp() <= market.game.start_min * 60, "planted windows are pre-game only"
        assert row.true_prob - row.pm_best_ask >= 0.02 - 1e-9
        for minute in range(minute_of(start.timestamp()), minute_of(end.timestamp())):
            truth = planted.true_prob(row.pm_token_id, minute * 60)
            bids, asks = planted.book_levels(market, index, minute)
            assert asks[0][0] / 1000 == row.pm_best_ask
            assert 0.02 - 1e-9 <= truth - row.pm_best_ask <= 0.08 + 1e-9
            assert asks[0][1] >= 200, "real depth at the planted ask"
            other_bids, other_asks = planted.book_levels(market, 1 - index, minute)
            assert other_bids[0][0] == 1000 - asks[0][0], "the complementary book mirrors the offer"
        after = minute_of(end.timestamp())
        bid0, ask0, _ = planted.top_of_book(market, after)  # the touch, quoted even where a side is empty
        ask = ask0 if index == 0 else 100 - bid0
        assert ask / 100 >= planted.true_prob(row.pm_token_id, after * 60) - 1e-9


def test_other_scenarios_have_no_ground_truth():
    for scenario in ("realistic", "null"):
        edges = World(7, scenario, days=2, now=NOW).planted_edges()
        assert edges.empty and list(edges.columns) == GROUND_TRUTH_COLUMNS


def test_null_scenario_never_offers_below_the_truth():
    world = World(7, "null", days=2, now=NOW)
    end_min = minute_of(NOW.timestamp())
    checked = 0
    for game in world.served_games():
        for market in game.markets:
            first = max(market.created_min, end_min - 2 * 1440)
            for minute in range(first, min(game.resolve_min, end_min), 17):
                for index, token in enumerate(market.token_ids):
                    bids, asks = world.book_levels(market, index, minute)
                    truth = world.true_prob(token, minute * 60)
                    if asks:
                        assert asks[0][0] / 1000 >= truth - 1e-9
                    if bids:
                        assert bids[0][0] / 1000 <= truth + 1e-9
                    checked += 1
    for market in world.political_markets:
        for minute in range(end_min - 600, end_min, 13):
            bids, asks = world.book_levels(market, 0, minute)
            assert not asks or asks[0][0] / 1000 >= world.truth0(market, minute) - 1e-9
    assert checked > 5000


def test_realistic_scenario_has_occasional_genuine_edges():
    world = World(7, "realistic", days=2, now=NOW)
    end_min = minute_of(NOW.timestamp())
    gaps = []
    for game in world.served_games():
        for market in game.markets:
            for minute in range(max(market.created_min, end_min - 2880), min(game.start_min, end_min), 30):
                asks = world.book_levels(market, 0, minute)[1]
                if asks:  # a side is empty as often as in the real books
                    gaps.append(world.truth0(market, minute) - asks[0][0] / 1000)
    share = sum(gap >= 0.02 for gap in gaps) / len(gaps)
    assert 0.005 < share < 0.3


def test_realistic_news_reaches_polymarket_before_the_sportsbooks():
    world = World(7, "realistic", days=2, now=NOW)
    games = [game for game in world.served_games() if game.start_min < minute_of(NOW.timestamp())]
    stale = [g for g in games if (world.path(g).book_probs != world.path(g).probs).any()]
    assert 0.7 < len(stale) / len(games) < 0.97  # about two pieces of news a game, Poisson
    for game in stale:
        path = world.path(game)
        behind = (path.book_probs != path.probs).any(axis=0).nonzero()[0]
        # late windows of the books' delay, all before the game
        assert len(behind) >= 30 and game.open_min + behind.max() < game.start_min
        # after the last one the books price the same truth again
        assert (path.book_probs[:, behind.max() + 1 :] == path.probs[:, behind.max() + 1 :]).all()
    for scenario in ("planted", "null"):
        other = World(7, scenario, days=2, now=NOW)
        assert all((other.path(g).book_probs == other.path(g).probs).all() for g in other.served_games())


def test_sportsbooks_carry_vig_and_the_sharp_book_is_tightest(planted):
    game = next(g for g in planted.served_games() if g.start_min > minute_of(NOW.timestamp()))
    overrounds = {}
    for book, _, prices in planted.bookmaker_quotes(game, NOW.timestamp()):
        implied = [100 / (p + 100) if p > 0 else -p / (-p + 100) for p in prices]
        overrounds[book.key] = sum(implied) - 1
    assert all(0.02 <= value <= 0.09 for value in overrounds.values()), overrounds
    assert min(overrounds, key=overrounds.get) == "pinnacle"
    assert set(overrounds) == {BOOKMAKERS[index].key for index in game.bookmakers}  # the game's books


def test_planted_edges_cover_every_window_started_by_now():
    world = World(7, "planted", days=2, now=NOW)
    before = set(world.planted_edges()["start_ts"])
    later = NOW + timedelta(hours=6)
    world.pin(later)
    starts = pd.to_datetime(world.planted_edges()["start_ts"], utc=True)
    assert (starts <= later).all(), "no window that has not started yet"
    new = starts[starts > NOW]
    assert len(new) > 0 and not set(new.dt.strftime("%Y-%m-%dT%H:%M:%SZ")) & before
    ends = pd.to_datetime(world.planted_edges()["end_ts"], utc=True)
    assert (ends > later).any(), "windows still running are listed with their end"


def test_scale_copies_the_slates_and_keeps_the_first_one():
    plain, scaled = World(7, "planted", days=2, now=NOW), World(7, "planted", days=2, now=NOW, scale=3)
    plain_games, scaled_games = plain.served_games(), scaled.served_games()
    assert len(scaled_games) == pytest.approx(3 * len(plain_games), rel=0.25)
    by_event = {game.event_id: game for game in scaled_games}
    for game in plain_games:  # the unscaled world is the scaled world's first slate, unchanged
        twin = by_event[game.event_id]
        assert (twin.start_min, twin.home, twin.away) == (game.start_min, game.home, game.away)
        assert [m.token_ids for m in twin.markets] == [m.token_ids for m in game.markets]
    markets = [market for game in scaled_games for market in game.markets]
    assert len({m.slug for m in markets}) == len(markets)
    assert len({t for m in markets for t in m.token_ids}) == 2 * len(markets)
