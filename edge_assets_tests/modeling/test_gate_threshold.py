"""Choosing the gate's confidence threshold from out-of-sample predictions of the rule's signals."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.modeling.evaluation import choose_gate_threshold


def choose(confidence, closing_ev, share):
    return choose_gate_threshold(np.array(confidence), np.array(closing_ev), share, min_signals=1)


def test_cuts_halfway_below_the_signals_whose_mean_value_was_highest():
    # mean CLV keeping the top 1..5: 0.05, 0.075, 0.07, 0.04, 0.012
    assert choose([0.9, 0.8, 0.7, 0.3, 0.2], [0.05, 0.10, 0.06, -0.05, -0.10], 0.1) == pytest.approx(0.75)


def test_never_keeps_fewer_than_the_floor():
    # the best mean would keep one signal; 60% of five is three
    assert choose([0.9, 0.8, 0.7, 0.3, 0.2], [0.10, -0.08, -0.06, -0.05, -0.10], 0.6) == pytest.approx(0.5)


def test_keeps_everything_when_confidence_says_nothing_about_value():
    assert choose([0.9, 0.8, 0.7, 0.3], [-0.05, 0.0, 0.05, 0.10], 0.1) == 0.0


def test_ties_in_confidence_are_kept_or_dropped_together():
    # cutting inside the 0.8 tie would keep the +0.2 alone; the tie as a whole is worth less than all
    assert choose([0.8, 0.8, 0.4], [0.2, -0.3, 0.0], 0.1) == 0.0


def test_equal_means_keep_more_even_through_rounding():
    assert choose([0.8, 0.8, 0.4, 0.4], [0.05] * 4, 0.1) == 0.0
    # means of the top two and of all three are equal, but their float sums differ in the last bit
    assert choose([0.9, 0.8, 0.7], [-0.09, -0.08, -0.085], 0.1) == 0.0


def test_missing_values_are_left_out_and_too_few_signals_teach_nothing():
    assert choose([0.9, np.nan, 0.7, 0.3], [0.10, 0.5, np.nan, -0.10], 0.5) == pytest.approx(0.6)
    assert choose_gate_threshold(np.array([0.9, 0.3]), np.array([0.1, -0.1]), 0.5, min_signals=3) is None
    assert choose_gate_threshold(np.array([]), np.array([]), 0.5) is None


def test_a_floor_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="min_kept_share"):
        choose([0.9], [0.1], 1.5)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(-1, 1)), min_size=1, max_size=60), st.floats(0.05, 1.0))
def test_the_threshold_keeps_the_floor_and_the_best_allowed_mean(pairs, share):
    confidence, closing_ev = (np.array(column) for column in zip(*pairs, strict=True))
    threshold = choose(confidence, closing_ev, share)
    kept = confidence >= threshold
    assert 0.0 <= threshold <= 1.0
    assert kept.sum() >= share * len(confidence) - 1e-9
    assert closing_ev[kept].mean() >= closing_ev.mean() - 1e-9  # never worse than keeping all
    best = max(
        closing_ev[confidence >= cut].mean()
        for cut in np.unique(confidence)
        if (confidence >= cut).sum() >= share * len(confidence)
    )
    assert closing_ev[kept].mean() == pytest.approx(best, abs=1e-9)


def test_adjacent_confidences_still_cut_between_them():
    low = 0.5
    high = np.nextafter(low, 1.0)
    threshold = choose([high, low], [0.1, -0.1], 0.5)
    assert low < threshold <= high
