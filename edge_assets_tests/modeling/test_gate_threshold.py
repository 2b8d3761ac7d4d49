"""Choosing the gate's confidence threshold from out-of-sample predictions of the rule's signals."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.modeling.evaluation import choose_gate_threshold


def test_keeps_the_confident_signals_when_they_hold_more_value():
    confidence = np.array([0.9, 0.8, 0.7, 0.3, 0.2])
    closing_ev = np.array([0.10, 0.08, 0.06, -0.05, -0.10])
    assert choose_gate_threshold(confidence, closing_ev, min_kept_share=0.5) == 0.7


def test_never_keeps_fewer_than_the_floor():
    confidence = np.array([0.9, 0.8, 0.7, 0.3, 0.2])
    closing_ev = np.array([0.10, -0.08, -0.06, -0.05, -0.10])
    # the best mean would keep one signal; 60% of five is three
    assert choose_gate_threshold(confidence, closing_ev, min_kept_share=0.6) == 0.7


def test_keeps_every_signal_when_confidence_says_nothing_about_value():
    confidence = np.array([0.9, 0.8, 0.7, 0.3])
    closing_ev = np.array([-0.05, 0.0, 0.05, 0.10])
    assert choose_gate_threshold(confidence, closing_ev) == 0.3


def test_ties_in_confidence_are_kept_or_dropped_together_and_equal_means_keep_more():
    confidence = np.array([0.8, 0.8, 0.4, 0.4])
    closing_ev = np.array([0.05, 0.05, 0.05, 0.05])
    assert choose_gate_threshold(confidence, closing_ev, min_kept_share=0.1) == 0.4


def test_nothing_to_learn_from():
    assert choose_gate_threshold(np.array([]), np.array([])) is None


@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(-1, 1)), min_size=1, max_size=60),
    st.floats(0.05, 1.0),
)
def test_the_threshold_keeps_the_floor_and_never_loses_value_against_keeping_all(pairs, share):
    confidence, closing_ev = (np.array(column) for column in zip(*pairs, strict=True))
    threshold = choose_gate_threshold(confidence, closing_ev, share)
    kept = confidence >= threshold
    assert threshold in confidence
    assert kept.sum() >= share * len(confidence) - 1e-9
    assert closing_ev[kept].mean() >= closing_ev.mean() - 1e-9
    assert closing_ev[kept].mean() == pytest.approx(
        max(
            closing_ev[confidence >= t].mean()
            for t in np.unique(confidence)
            if (confidence >= t).sum() >= share * len(confidence) - 1e-9
        )
    )
