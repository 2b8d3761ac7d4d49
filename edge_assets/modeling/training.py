"""Training set, time-ordered walk-forward folds and the two XGBoost models (pure).

The classifier estimates P(edge valid) for a token-hour; the regressor estimates the size of the
edge against the closing line (closing EV per dollar). Both are small, seeded and run on two
threads, so a nightly retrain is cheap and repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from xgboost import XGBClassifier, XGBRegressor

from edge_assets.features import FEATURE_COLUMNS, KEY_COLUMNS, utc
from edge_assets.modeling.labels import LABEL_COLUMNS

CLASSIFIER_TARGET = "edge_valid"
REGRESSOR_TARGET = "closing_ev"
SEED = 20_240_501
# Modest trees: a few thousand labelled token-hours a day do not support a deeper model.
COMMON_PARAMS = {
    "n_estimators": 200,
    "max_depth": 4,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5.0,
    "tree_method": "hist",
    "n_jobs": 2,
    "random_state": SEED,
}
CLASSIFIER_PARAMS = {**COMMON_PARAMS, "objective": "binary:logistic", "eval_metric": "logloss"}
REGRESSOR_PARAMS = {**COMMON_PARAMS, "objective": "reg:squarederror"}


class InsufficientTrainingData(ValueError):
    """The labelled rows cannot support training or a walk-forward holdout (a normal state for a
    young deployment, not a bug)."""


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input: FEATURE_COLUMNS as float64, in that order (NaN stays NaN)."""
    return frame[FEATURE_COLUMNS].astype("float64")


def build_training_set(
    features: pd.DataFrame, labels: pd.DataFrame, rule_signals: pd.DataFrame
) -> pd.DataFrame:
    """Feature rows joined to their labels, pregame and labelled only, in time order.

    `labels` is `label_edges` output keyed by quote_ts and pm_token_id. `rule_signals` are the
    ungated rule's signals over the same hours (`find_signals` rows: pm_token_id, created_at); they
    mark `rule_fired`, the baseline the gated signals are judged against. A row is kept when it was
    taken before its game started and has a closing-line label; rows are sorted by time so that
    positional splits never mix past and future.
    """
    features = features.assign(quote_ts=utc(features["quote_ts"]))
    labels = labels.assign(quote_ts=utc(labels["quote_ts"]))[[*KEY_COLUMNS, *LABEL_COLUMNS]]
    joined = features.merge(labels, on=KEY_COLUMNS, how="inner")
    fired = pd.MultiIndex.from_arrays([rule_signals["pm_token_id"], utc(rule_signals["created_at"])])
    joined["rule_fired"] = pd.MultiIndex.from_frame(joined[["pm_token_id", "quote_ts"]]).isin(fired)
    keep = (joined["hours_to_start"] > 0) & joined["closing_ev"].notna()
    return joined[keep].sort_values(KEY_COLUMNS, ignore_index=True)


@dataclass(frozen=True)
class WalkForwardFold:
    """One step of the walk: train on rows before `test_start`, test on [test_start, test_end]."""

    number: int
    train_index: np.ndarray
    test_index: np.ndarray
    test_start: pd.Timestamp
    test_end: pd.Timestamp


def walk_forward_splits(training_set: pd.DataFrame, n_folds: int = 3) -> list[WalkForwardFold]:
    """Expanding-window folds over time: the distinct hours are cut into n_folds + 1 blocks; fold k
    tests on block k and trains on every earlier block.

    Purged from each training side: rows of an event that also appears in the test block, and rows
    whose label was not yet known at the test block's start (their game started after it, so the
    closing line lay in the test period). The last fold is the holdout.
    """
    if n_folds < 1:
        raise ValueError(f"n_folds must be at least 1, got {n_folds}")
    times = utc(training_set["quote_ts"])
    hours = np.sort(times.unique())
    if len(hours) < n_folds + 1:
        raise InsufficientTrainingData(
            f"{len(hours)} distinct hours cannot make {n_folds} walk-forward folds"
        )
    blocks = np.array_split(hours, n_folds + 1)
    starts = training_set["game_start_ts"]
    folds = []
    for number, block in enumerate(blocks[1:], start=1):
        test_start, test_end = pd.Timestamp(block[0]), pd.Timestamp(block[-1])
        in_test = ((times >= test_start) & (times <= test_end)).to_numpy()
        test_events = training_set.loc[in_test, "event_id"].unique()
        before = (times < test_start).to_numpy()
        purged = training_set["event_id"].isin(test_events).to_numpy() | (starts >= test_start).to_numpy()
        folds.append(
            WalkForwardFold(
                number=number,
                train_index=np.flatnonzero(before & ~purged),
                test_index=np.flatnonzero(in_test),
                test_start=test_start,
                test_end=test_end,
            )
        )
    return folds


def train_edge_classifier(train: pd.DataFrame, params: dict | None = None) -> XGBClassifier:
    """XGBoost classifier of `edge_valid` on FEATURE_COLUMNS; needs both classes in `train`."""
    target = train[CLASSIFIER_TARGET].astype(int)
    if target.nunique() < 2:
        raise InsufficientTrainingData(
            "the training rows hold a single class of edge_valid; nothing to learn"
        )
    model = XGBClassifier(**(params or CLASSIFIER_PARAMS))
    model.fit(feature_matrix(train), target)
    return model


def train_ev_regressor(train: pd.DataFrame, params: dict | None = None) -> XGBRegressor:
    """XGBoost regressor of `closing_ev` (the edge's size against the close) on FEATURE_COLUMNS."""
    if train.empty:
        raise InsufficientTrainingData("no training rows")
    model = XGBRegressor(**(params or REGRESSOR_PARAMS))
    model.fit(feature_matrix(train), train[REGRESSOR_TARGET].astype(float))
    return model


def feature_importance(model: XGBClassifier | XGBRegressor) -> pd.DataFrame:
    """Gain-based importance per feature (0 for features never split on), largest first."""
    gains = model.get_booster().get_score(importance_type="gain")
    table = pd.DataFrame(
        {"feature": FEATURE_COLUMNS, "gain": [gains.get(name, 0.0) for name in FEATURE_COLUMNS]}
    )
    total = table["gain"].sum()
    table["share"] = table["gain"] / total if total > 0 else 0.0
    return table.sort_values("gain", ascending=False, ignore_index=True)
