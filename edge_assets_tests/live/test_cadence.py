"""The odds poll's cadence: fast near game time, never past the quota's budget, nothing at the floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.live.cadence import OddsCadence, quota_renews_at
from edge_assets.live.evaluate import MarketContext
from edge_assets.mapping import MAPPED

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
CADENCE = OddsCadence(interval_s=60.0, near_interval_s=15.0, near_game=timedelta(hours=2), quota_floor=100)

sports = st.dictionaries(
    st.sampled_from(["basketball_nba", "icehockey_nhl", "soccer_epl", "americanfootball_nfl"]),
    st.floats(1.0, 3600.0),
    min_size=1,
)


def test_near_game_sports_are_polled_faster():
    starts = {
        "basketball_nba": NOW + timedelta(minutes=30),
        "icehockey_nhl": NOW + timedelta(hours=5),
        "soccer_epl": None,
    }
    assert CADENCE.wanted_intervals(starts, NOW) == {
        "basketball_nba": 15.0,
        "icehockey_nhl": 60.0,
        "soccer_epl": 60.0,
    }


def test_a_cadence_within_budget_stands_and_one_past_it_is_stretched():
    wanted = {"basketball_nba": 15.0, "icehockey_nhl": 60.0}  # 2/15 + 2/60 = 1/6 credit per second
    day = 86_400.0
    roomy = CADENCE.intervals(wanted, {"basketball_nba": 2, "icehockey_nhl": 2}, 100 + int(day), day)
    assert roomy == wanted
    # 1,440 credits above the floor for a day: 1/60 credit per second, ten times less than wanted.
    tight = CADENCE.intervals(wanted, {"basketball_nba": 2, "icehockey_nhl": 2}, 100 + 1440, day)
    assert tight == {"basketball_nba": 150.0, "icehockey_nhl": 600.0}


def test_nothing_is_polled_at_or_below_the_floor_and_unknown_quota_keeps_the_wanted_cadence():
    wanted = {"basketball_nba": 15.0}
    assert CADENCE.intervals(wanted, {}, 100, 3600.0) == {"basketball_nba": None}
    assert CADENCE.intervals(wanted, {}, 7, 3600.0) == {"basketball_nba": None}
    assert CADENCE.intervals(wanted, {}, None, 3600.0) == wanted


@given(
    wanted=sports,
    cost=st.integers(1, 20),
    remaining=st.integers(0, 1_000_000),
    seconds_left=st.floats(1.0, 31 * 86_400.0),
)
def test_the_cadence_never_spends_past_the_budget_nor_polls_faster_than_wanted(
    wanted, cost, remaining, seconds_left
):
    costs = dict.fromkeys(wanted, cost)
    intervals = CADENCE.intervals(wanted, costs, remaining, seconds_left)
    assert intervals.keys() == wanted.keys()
    budget = remaining - CADENCE.quota_floor
    if budget <= 0:
        assert all(interval is None for interval in intervals.values())
        return
    spend = sum(cost / interval for interval in intervals.values()) * seconds_left
    assert spend <= budget * (1 + 1e-9)
    assert all(intervals[sport] >= wanted[sport] for sport in wanted)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_the_quota_renews_at_the_next_month_start(now):
    renews = quota_renews_at(now)
    assert now < renews <= now + timedelta(days=31)
    assert (renews.day, renews.hour, renews.minute, renews.second) == (1, 0, 0, 0)


def test_next_game_starts_are_the_first_start_ahead_per_sport_of_the_followed_tokens():
    mappings = pd.DataFrame(
        {
            "pm_token_id": ["a", "b", "c", "d"],
            "pm_market_id": ["1", "2", "3", "4"],
            "event_id": ["e1", "e2", "e3", "e4"],
            "sport_key": ["basketball_nba", "basketball_nba", "icehockey_nhl", "soccer_epl"],
            "status": [MAPPED] * 4,
        }
    )
    markets = pd.DataFrame(
        {
            "market_id": [1, 2, 3, 4],
            "game_start_ts": [
                NOW + timedelta(hours=3),
                NOW + timedelta(minutes=20),
                NOW - timedelta(hours=1),
                None,
            ],
        }
    )
    context = MarketContext(mappings, markets, 1.0)
    assert context.next_game_starts(["a", "b", "c", "d"], NOW) == {
        "basketball_nba": NOW + timedelta(minutes=20),
        "icehockey_nhl": None,  # its game has started: nothing ahead
        "soccer_epl": None,
    }
    assert context.next_game_starts(["a"], NOW) == {"basketball_nba": NOW + timedelta(hours=3)}
