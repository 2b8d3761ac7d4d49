"""The completeness check passes on a fault-free world whatever the hour: leagues that have no games
at some time of day are quiet markets, not holes. The world is pinned at several clock times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.defs.oddsapi.checks import HISTORICAL_ODDS_COMPLETENESS
from edge_assets.simulator import oddsapi as simulated_oddsapi
from edge_assets.simulator.leagues import LEAGUES
from edge_assets.simulator.world import World
from edge_assets.sources.oddsapi import parse_historical_snapshots

HOURS_JUDGED = 48  # the check's recent window
# One instant on each day of a week, at hours spread over the day: leagues play on different days
# and at different times, so some hours list no game of a league.
CLOCK_TIMES = [
    datetime(2026, 11, 16, 18, 7, tzinfo=UTC) + timedelta(days=day, hours=5 * day) for day in range(7)
]
# Tuesday evening: a league with no listed game in some hours (the case the check once failed on).
QUIET_LEAGUE_TIME = datetime(2026, 11, 17, 18, 7, tzinfo=UTC)


def _historical_rows(world: World) -> pd.DataFrame:
    """The table the historical-odds asset writes for the last HOURS_JUDGED hours of `world`."""
    now = world.now().replace(minute=0, second=0, microsecond=0)
    frames = []
    for back in range(HOURS_JUDGED):
        hour = now - timedelta(hours=back)
        responses = [
            (
                simulated_oddsapi.historical_odds(
                    world, league, hour.timestamp(), world.now_ts(), {"us", "eu", "uk"}, "american"
                ),
                world.now(),
            )
            for league in LEAGUES
        ]
        frames.append(parse_historical_snapshots(responses, hour, "american").frame)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("now", CLOCK_TIMES, ids=lambda now: now.strftime("%H:%M"))
def test_a_fault_free_world_has_no_holes_at_any_hour(now):
    rows = _historical_rows(World(seed=7, scenario="planted", days=3, now=now))
    assert rows["sport_key"].nunique() >= 3 and rows["partition_ts"].nunique() == HOURS_JUDGED
    result = HISTORICAL_ODDS_COMPLETENESS.evaluate(rows)
    assert result.passed, result.metadata


def test_a_league_without_listed_games_for_some_hours_is_no_hole():
    rows = _historical_rows(World(seed=7, scenario="planted", days=3, now=QUIET_LEAGUE_TIME))
    sports_per_hour = rows.groupby("partition_ts")["sport_key"].nunique()
    assert (sports_per_hour < rows["sport_key"].nunique()).any()
    assert HISTORICAL_ODDS_COMPLETENESS.evaluate(rows).passed


def test_a_bookmaker_dropping_out_of_an_hour_is_a_hole():
    rows = _historical_rows(World(seed=7, scenario="planted", days=3, now=QUIET_LEAGUE_TIME))
    hours = sorted(rows["partition_ts"].unique())
    middle = rows["partition_ts"] == hours[len(hours) // 2]
    damaged = rows[~(middle & (rows["bookmaker"] == rows["bookmaker"].iloc[0]))]
    result = HISTORICAL_ODDS_COMPLETENESS.evaluate(damaged)
    assert not result.passed
    assert result.metadata["hours_missing_bookmaker"].value == 1
