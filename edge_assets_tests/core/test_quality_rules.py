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


def test_an_hour_missing_a_bookmaker_seen_elsewhere_in_the_window_is_a_hole():
    frame = pd.DataFrame({"partition_ts": [H0, H0, H1], "bookmaker": ["pinnacle", "fanduel", "fanduel"]})
    holes = missing_per_hour(frame, "partition_ts", "bookmaker")
    assert holes.to_dict("records") == [{"partition_ts": H1, "missing": ["pinnacle"]}]


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
