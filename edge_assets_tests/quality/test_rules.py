from datetime import timedelta

import pandas as pd

from edge_assets.quality.rules import missing_per_hour, stale_rows, volume_ratio

H0, H1 = pd.Timestamp("2026-11-20 10:00", tz="UTC"), pd.Timestamp("2026-11-20 11:00", tz="UTC")


def test_stale_rows_are_those_older_than_the_allowed_age_at_their_hour():
    frame = pd.DataFrame(
        {
            "partition_ts": [H1, H1, H1],
            "book_update_ts": [H1, H1 - timedelta(minutes=20), H1 - timedelta(hours=3)],
        }
    )
    assert stale_rows(frame, "book_update_ts", "partition_ts", timedelta(minutes=30)).tolist() == [
        False,
        False,
        True,
    ]


H2 = H1 + timedelta(hours=1)


def _listing(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["partition_ts", "event_id", "bookmaker", "sport_key"])


def test_a_bookmaker_absent_between_two_hours_that_list_it_is_a_hole():
    frame = _listing(
        [(hour, "e1", "fanduel", "nfl") for hour in (H0, H1, H2)]
        + [(hour, "e1", "pinnacle", "nfl") for hour in (H0, H2)]
    )
    holes = missing_per_hour(frame, "partition_ts", ["event_id", "bookmaker"], "bookmaker")
    assert holes.to_dict("records") == [{"partition_ts": H1, "missing": ["pinnacle"]}]


def test_a_whole_hour_missing_inside_an_events_listing_names_its_sport():
    frame = _listing(
        [(H0, "e1", "fanduel", "nfl"), (H2, "e1", "fanduel", "nfl"), (H1, "e2", "fanduel", "nba")]
    )
    holes = missing_per_hour(frame, "partition_ts", ["event_id"], "sport_key")
    assert holes.to_dict("records") == [{"partition_ts": H1, "missing": ["nfl"]}]


def test_a_league_with_no_games_in_some_hours_is_a_quiet_market_not_a_hole():
    # nfl is listed only in the first hour and nba only in the last: neither has a hole.
    frame = _listing(
        [(H0, "e1", "fanduel", "nfl"), (H1, "e2", "fanduel", "nba"), (H2, "e2", "fanduel", "nba")]
        + [(H2, "e3", "pinnacle", "nba")]
    )
    assert missing_per_hour(frame, "partition_ts", ["event_id"], "sport_key").empty
    assert missing_per_hour(frame, "partition_ts", ["event_id", "bookmaker"], "bookmaker").empty


def test_volume_ratio_compares_the_latest_hour_with_the_trailing_mean():
    frame = pd.DataFrame({"quote_ts": [H0] * 10 + [H1] * 2})
    assert volume_ratio(frame, "quote_ts") == (H1, 0.2)
    assert volume_ratio(frame[frame["quote_ts"] == H0], "quote_ts") == (H0, None)


def test_psi_is_zero_for_the_same_population_and_large_for_a_shifted_one():
    import numpy as np

    from edge_assets.quality.rules import population_stability_index

    rng = np.random.default_rng(0)
    base = pd.Series(rng.normal(0, 1, 5000))
    same = pd.Series(rng.normal(0, 1, 5000))
    shifted = pd.Series(rng.normal(1.5, 1, 5000))
    assert population_stability_index(base, same) < 0.05
    assert population_stability_index(base, shifted) > 0.25
    assert population_stability_index(base, pd.Series([], dtype=float)) is None
