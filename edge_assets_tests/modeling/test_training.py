"""Walk-forward folds, training determinism and the holdout report."""

import numpy as np
import pandas as pd
import pytest

from edge_assets.modeling.evaluation import evaluate_walk_forward
from edge_assets.modeling.training import (
    InsufficientTrainingData,
    feature_matrix,
    train_edge_classifier,
    train_ev_regressor,
    walk_forward_splits,
)


def test_walk_forward_never_trains_on_future_rows_or_on_events_it_tests(training_set):
    folds = walk_forward_splits(training_set, n_folds=3)
    assert [fold.number for fold in folds] == [1, 2, 3]
    for fold in folds:
        train, test = training_set.iloc[fold.train_index], training_set.iloc[fold.test_index]
        assert len(train) and len(test)
        assert train["quote_ts"].max() < test["quote_ts"].min() == fold.test_start
        assert not set(train["event_id"]) & set(test["event_id"])
        # every training label (the closing line, at game start) was known before the test began
        assert (train["game_start_ts"] < fold.test_start).all()
    # the test blocks tile the later part of the timeline in order
    starts = [fold.test_start for fold in folds]
    assert starts == sorted(starts)
    assert folds[-1].test_end == training_set["quote_ts"].max()


def test_walk_forward_refuses_more_folds_than_hours(training_set):
    with pytest.raises(InsufficientTrainingData, match="walk-forward folds"):
        walk_forward_splits(training_set.head(3), n_folds=5)


def test_training_is_deterministic(training_set):
    first = train_edge_classifier(training_set).predict_proba(feature_matrix(training_set))
    second = train_edge_classifier(training_set).predict_proba(feature_matrix(training_set))
    np.testing.assert_array_equal(first, second)
    regressor = train_ev_regressor(training_set)
    np.testing.assert_array_equal(
        regressor.predict(feature_matrix(training_set)),
        train_ev_regressor(training_set).predict(feature_matrix(training_set)),
    )


def test_classifier_refuses_a_single_class(training_set):
    with pytest.raises(InsufficientTrainingData, match="single class"):
        train_edge_classifier(training_set.assign(edge_valid=False))
    # a holdout whose training side holds one class is not enough evidence either
    late_valid_only = training_set.assign(edge_valid=training_set.index >= len(training_set) // 2)
    with pytest.raises(InsufficientTrainingData, match="single class"):
        evaluate_walk_forward(late_valid_only, n_folds=1)


def test_walk_forward_report_scores_the_holdout_and_compares_gating_with_the_rule(training_set):
    report = evaluate_walk_forward(training_set, n_folds=3)
    holdout = report.holdout
    assert 0.5 < holdout["auc"] <= 1.0  # the edge is learnable from the features
    assert 0 <= holdout["brier"] < 0.25
    assert holdout["gated_signals"] <= holdout["ungated_signals"]
    assert list(report.folds["fold"]) == [1, 2, 3]
    assert report.calibration["rows"].sum() == holdout["holdout_rows"]
    assert set(report.classifier_importance["feature"]) == set(feature_matrix(training_set).columns)
    assert report.holdout_rows["model_confidence"].between(0, 1).all()
    assert isinstance(report.beats_rule, bool)


def test_calibration_table_bins_confidence():
    from edge_assets.modeling.evaluation import calibration_table

    table = calibration_table(pd.Series([0, 1, 1, 0]), np.array([0.05, 0.95, 0.91, 0.15]), bins=10)
    assert list(table["rows"]) == [1, 1, 2]
    assert list(table["observed_rate"]) == [0.0, 0.0, 1.0]
    assert table["bin_low"].tolist() == pytest.approx([0.0, 0.1, 0.9])


def test_the_gate_threshold_is_learnt_on_earlier_folds_and_beats_the_rule_when_edges_are_learnable(
    training_set,
):
    report = evaluate_walk_forward(training_set, default_threshold=0.5, n_folds=3, min_kept_share=0.5)
    folds = report.folds.set_index("fold")
    # fold 1 has no earlier signals to learn from; the holdout learnt from folds 1 and 2 only
    assert folds.loc[1, "gate_threshold_learnt"] == 0 and folds.loc[1, "gate_threshold"] == 0.5
    assert folds.loc[3, "gate_threshold_learnt"] == 1
    assert report.threshold == folds.loc[3, "gate_threshold"] == report.holdout["gate_threshold"]
    rows = report.holdout_rows
    assert (rows["gated"] == (rows["rule_fired"] & (rows["model_confidence"] >= report.threshold))).all()
    assert report.holdout["gated_signals"] == rows["gated"].sum()
    # the conftest world's closing EV leans on gap_drift_1h, which the classifier can see
    assert report.holdout["gated_signals"] < report.holdout["ungated_signals"]
    assert report.beats_rule


def test_the_threshold_learns_only_from_closing_lines_known_before_the_holdout(training_set):
    """Earlier folds' signals whose game starts inside the holdout (their label was not known yet)
    or whose event the holdout tests are purged, exactly as from a training side."""
    report = evaluate_walk_forward(training_set, n_folds=3, min_kept_share=0.5)
    folds = walk_forward_splits(training_set, n_folds=3)
    holdout = folds[-1]
    earlier = training_set.iloc[np.concatenate([folds[0].test_index, folds[1].test_index])]
    earlier = earlier[earlier["rule_fired"]]
    holdout_events = training_set.iloc[holdout.test_index]["event_id"]
    known = (earlier["game_start_ts"] < holdout.test_start) & ~earlier["event_id"].isin(holdout_events)
    assert 0 < known.sum() < len(earlier)  # the conftest world has signals on both sides
    assert report.folds.set_index("fold").loc[3, "threshold_signals"] == known.sum()
