"""Drift is judged by each feature's kind with a minimum sample; mapping coverage counts only tokens
whose game the sportsbooks listed."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.defs.features.checks import DRIFT_KINDS
from edge_assets.pricing.fees import fee_per_share
from edge_assets.quality.rules import MIN_DRIFT_SAMPLE, drift_of, has_event_near

T0 = pd.Timestamp("2026-11-20 18:00", tz="UTC")
LEAGUES = [0.0, 1.0, 2.0, 3.0, 4.0]


def test_continuous_features_drift_on_a_shifted_population_only():
    rng = np.random.default_rng(0)
    training = pd.Series(rng.normal(0, 1, 2000))
    assert not drift_of(training, pd.Series(rng.normal(0, 1, 500)), "continuous").drifted
    shifted = drift_of(training, pd.Series(rng.normal(1.5, 1, 500)), "continuous")
    assert shifted.statistic == "psi" and shifted.drifted


def test_too_few_rows_on_either_side_are_not_judged():
    rng = np.random.default_rng(1)
    big, small = pd.Series(rng.normal(0, 1, 1000)), pd.Series(rng.normal(5, 1, MIN_DRIFT_SAMPLE - 1))
    assert drift_of(big, small, "continuous") is None
    assert drift_of(small, big, "continuous") is None
    # NaNs are no sample: a column mostly empty is not judged either
    padded = pd.concat([small, pd.Series([np.nan] * 1000)])
    assert drift_of(big, padded, "continuous") is None


@given(
    st.lists(st.sampled_from(LEAGUES), min_size=MIN_DRIFT_SAMPLE, max_size=400),
    st.lists(st.sampled_from(LEAGUES), min_size=MIN_DRIFT_SAMPLE, max_size=400),
)
def test_a_different_mix_of_known_leagues_never_drifts(training, recent):
    training = [*LEAGUES, *training]  # every league seen in training
    verdict = drift_of(pd.Series(training), pd.Series(recent), "categorical")
    assert verdict.score == 0.0 and not verdict.drifted


def test_a_league_training_never_saw_drifts_past_one_percent():
    training = pd.Series([0.0, 1.0] * 200)
    assert drift_of(training, pd.Series([0.0] * 396 + [4.0] * 4), "categorical").score == 0.01
    assert not drift_of(training, pd.Series([0.0] * 396 + [4.0] * 4), "categorical").drifted
    assert drift_of(training, pd.Series([0.0] * 390 + [4.0] * 10), "categorical").drifted


def test_a_slate_priced_by_fewer_books_is_not_drift_but_a_count_never_trained_on_is():
    # the mix of a 14-day world's training days against its newest hour, where later games list fewer
    training = pd.Series([2] * 40 + [3] * 100 + [4] * 120 + [5] * 120 + [8] * 300 + [14] * 50 + [15] * 70)
    recent = pd.Series([2] * 90 + [3] * 150 + [4] * 80 + [5] * 60 + [8] * 150 + [14] * 20 + [15] * 10)
    kind = DRIFT_KINDS["n_books"]
    assert drift_of(training, recent, "continuous").drifted  # judged as a continuous value, it would
    assert not drift_of(training, recent, kind).drifted
    more_books_than_ever = pd.concat([recent, pd.Series([19] * 10)], ignore_index=True)
    assert drift_of(training, more_books_than_ever, kind).drifted


@given(st.lists(st.floats(0, 0.05), min_size=MIN_DRIFT_SAMPLE, max_size=400), st.randoms())
def test_fees_inside_the_trained_range_never_drift_whatever_their_mix(training, rng):
    # Recent rows drawn from the training values, heavily skewed: prices moved, the schedule did not.
    recent = [max(training)] * MIN_DRIFT_SAMPLE + rng.choices(training, k=50)
    verdict = drift_of(pd.Series(training), pd.Series(recent), "derived")
    assert verdict.score == 0.0 and not verdict.drifted


def _fees(asks: np.ndarray, rates: list[float]) -> pd.Series:
    """The taker fee at each ask under each schedule rate, as the features compute it."""
    return pd.Series(np.concatenate([fee_per_share(asks, rate) for rate in rates]))


def test_fees_at_asks_further_out_than_any_trained_on_do_not_drift():
    # Seed 23's 3-day realistic world: trained on asks 0.08 .. 0.94, then favourites at 0.96 and
    # longshots at 0.04 pay a fee below any trained on under the same rates (1.2% of recent rows).
    rates = [0.03, 0.04, 0.05]
    training = _fees(np.round(np.linspace(0.08, 0.94, 87), 2), rates)
    recent = _fees(np.array([0.04, 0.05, 0.06, 0.95, 0.96, 0.97] * 10 + [0.5] * 40), rates)
    verdict = drift_of(training, recent, "derived")
    assert not verdict.drifted
    assert verdict.statistic == "above_training_max_share" and verdict.score == 0.0


def test_fees_above_any_trained_on_drift():
    training = pd.Series(np.linspace(0.0, 0.02, 300))
    verdict = drift_of(training, pd.Series([0.01] * 250 + [0.03] * 50), "derived")
    assert verdict.statistic == "above_training_max_share" and verdict.score == 50 / 300
    assert verdict.drifted
    # a costlier schedule at asks training saw
    asks = np.tile(np.round(np.linspace(0.08, 0.94, 87), 2), 3)
    assert drift_of(_fees(asks, [0.03, 0.05]), _fees(asks, [0.07]), "derived").drifted


hours = st.integers(-200, 200)


@given(
    st.lists(st.tuples(st.sampled_from(["nba", "nhl", None]), hours), max_size=20),
    st.lists(st.tuples(st.sampled_from(["nba", "nhl"]), hours), max_size=20),
    st.integers(0, 6),
)
def test_a_token_is_mappable_exactly_when_an_event_of_its_league_starts_within_the_tolerance(
    tokens, events, tolerance_hours
):
    token_frame = pd.DataFrame(
        {"sport_key": [s for s, _ in tokens], "game_start_ts": [T0 + timedelta(hours=h) for _, h in tokens]}
    )
    event_frame = pd.DataFrame(
        {"sport_key": [s for s, _ in events], "commence_ts": [T0 + timedelta(hours=h) for _, h in events]}
    )
    mappable = has_event_near(token_frame, event_frame, timedelta(hours=tolerance_hours))
    expected = [
        sport is not None and any(s == sport and abs(h - e) <= tolerance_hours for s, e in events)
        for sport, h in tokens
    ]
    assert mappable.tolist() == expected
