"""How good the models are, on rows they never saw: walk-forward metrics and a gated backtest (pure).

The question the models answer is whether gating the comparator's rule on the classifier's
confidence makes its signals better. So besides AUC, Brier score, log loss and a reliability table,
each holdout is backtested twice: the rule's signals alone (ungated, the rows marked
`rule_fired` by `build_training_set`) and those the classifier also vouches for (gated), each
scored by precision (share of valid edges), ROI on the realised outcomes and mean closing-line
value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from xgboost import XGBClassifier, XGBRegressor

from edge_assets.modeling.training import (
    CLASSIFIER_TARGET,
    REGRESSOR_TARGET,
    InsufficientTrainingData,
    WalkForwardFold,
    feature_importance,
    feature_matrix,
    train_edge_classifier,
    train_ev_regressor,
    walk_forward_splits,
)
from edge_assets.signals.gate_policy import DEFAULT_GATE_THRESHOLD, MIN_KEPT_SHARE, MIN_SIGNALS_TO_LEARN

CALIBRATION_COLUMNS = ["bin_low", "bin_high", "rows", "mean_confidence", "observed_rate"]
# Fewer labelled rows than this make a walk-forward holdout meaningless.
MIN_TRAINING_ROWS = 200


def classification_metrics(valid: pd.Series | np.ndarray, confidence: np.ndarray) -> dict[str, float]:
    """AUC, Brier score and log loss of `confidence` as P(valid); AUC is NaN with a single class."""
    truth = np.asarray(valid, dtype=int)
    confidence = np.clip(np.asarray(confidence, dtype=float), 1e-6, 1 - 1e-6)
    auc = roc_auc_score(truth, confidence) if len(np.unique(truth)) == 2 else float("nan")
    return {
        "auc": float(auc),
        "brier": float(brier_score_loss(truth, confidence)),
        "log_loss": float(log_loss(truth, confidence, labels=[0, 1])),
    }


def calibration_table(valid: pd.Series | np.ndarray, confidence: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability table: per equal-width confidence bin, rows, mean confidence, observed valid rate.

    Empty bins are left out.
    """
    truth = np.asarray(valid, dtype=float)
    confidence = np.asarray(confidence, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    table = (
        pd.DataFrame({"bin": which, "confidence": confidence, "valid": truth})
        .groupby("bin")
        .agg(rows=("valid", "size"), mean_confidence=("confidence", "mean"), observed_rate=("valid", "mean"))
        .reset_index()
    )
    table["bin_low"], table["bin_high"] = edges[table["bin"]], edges[table["bin"] + 1]
    return table[CALIBRATION_COLUMNS]


def backtest(rows: pd.DataFrame, taken: np.ndarray, prefix: str) -> dict[str, float]:
    """Signals taken at one unit stake each: count, precision (share edge_valid), ROI over resolved
    ones, mean closing-line value (closing EV per dollar); NaN figures when nothing was taken."""
    chosen = rows[np.asarray(taken, dtype=bool)]
    resolved = chosen["realized_return"].dropna()
    return {
        f"{prefix}_signals": float(len(chosen)),
        f"{prefix}_precision": float(chosen[CLASSIFIER_TARGET].mean()) if len(chosen) else float("nan"),
        f"{prefix}_roi": float(resolved.mean()) if len(resolved) else float("nan"),
        f"{prefix}_clv": float(chosen[REGRESSOR_TARGET].mean()) if len(chosen) else float("nan"),
    }


def choose_gate_threshold(
    confidence: np.ndarray,
    closing_ev: np.ndarray,
    min_kept_share: float = MIN_KEPT_SHARE,
    min_signals: int = MIN_SIGNALS_TO_LEARN,
) -> float | None:
    """The confidence threshold under which the rule's signals would have had the highest mean
    closing-line value, among thresholds keeping at least `min_kept_share` of them.

    `confidence` and `closing_ev` are the classifier's out-of-sample confidence and the realised
    closing EV of the rule's signals (pairs with a missing value are left out). The threshold lies
    halfway between the lowest kept and the highest dropped confidence, so new signals are cut
    where the evidence put the cut; 0.0 when keeping every signal did best. Equal means go to the
    threshold keeping more. None with fewer than `min_signals` signals to learn from.
    """
    if not 0 < min_kept_share <= 1:
        raise ValueError(f"min_kept_share must be in (0, 1], got {min_kept_share}")
    confidence = np.asarray(confidence, dtype=float)
    closing_ev = np.asarray(closing_ev, dtype=float)
    usable = np.isfinite(confidence) & np.isfinite(closing_ev)
    confidence, closing_ev = confidence[usable], closing_ev[usable]
    if len(confidence) < max(min_signals, 1):
        return None
    order = np.argsort(-confidence, kind="stable")
    ranked, value = confidence[order], closing_ev[order]
    kept = np.arange(1, len(ranked) + 1)
    mean_clv = np.cumsum(value) / kept
    # A cut falls between distinct confidences: ties are kept or dropped together.
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)
    allowed = np.flatnonzero(last_of_tie & (kept >= min_kept_share * len(ranked)))
    scores = mean_clv[allowed]  # never empty: keeping every signal is always allowed
    best = allowed[np.flatnonzero(np.isclose(scores, scores.max(), rtol=0.0, atol=1e-12))[-1]]
    if best == len(ranked) - 1:
        return 0.0
    lowest_kept, highest_dropped = ranked[best], ranked[best + 1]
    halfway = (lowest_kept + highest_dropped) / 2
    return float(halfway if halfway > highest_dropped else lowest_kept)  # adjacent floats: no halfway


@dataclass
class WalkForwardReport:
    """Walk-forward results and the models trained for the holdout (the last fold).

    The models are those fitted on the holdout's training side and the threshold is the one
    learnt before the holdout, so the holdout metrics describe exactly the gate that would be
    registered.
    """

    classifier: XGBClassifier
    regressor: XGBRegressor
    threshold: float  # the gate's confidence threshold, learnt before the holdout
    folds: pd.DataFrame
    holdout: dict[str, float]
    calibration: pd.DataFrame
    classifier_importance: pd.DataFrame
    regressor_importance: pd.DataFrame
    holdout_rows: pd.DataFrame = field(repr=False)

    @property
    def beats_rule(self) -> bool:
        """Whether the gated signals beat the ungated rule's on the holdout (see `gate_verdict`)."""
        return gate_verdict(self.holdout)[0]


def gate_verdict(holdout: Mapping[str, float]) -> tuple[bool, str]:
    """Whether gating beat the ungated rule on the holdout, and why, from `backtest` figures.

    The gated signals must have a higher mean closing-line value than the rule's (closing EV per
    dollar: the backtest measure that is far less noisy than realised ROI) without a lower share of
    edges that held (precision). A gate that keeps every signal changes nothing and does not win;
    one that keeps none has nothing to show.
    """
    gated_clv, ungated_clv = holdout.get("gated_clv", np.nan), holdout.get("ungated_clv", np.nan)
    gated_precision = holdout.get("gated_precision", np.nan)
    ungated_precision = holdout.get("ungated_precision", np.nan)
    figures = (
        f"gated CLV {gated_clv:+.4f} vs rule {ungated_clv:+.4f}, "
        f"precision {gated_precision:.3f} vs {ungated_precision:.3f}"
    )
    if not np.isfinite(gated_clv):
        return False, "the gate kept no holdout signal"
    if not gated_clv > ungated_clv:
        return False, f"no better closing-line value: {figures}"
    if gated_precision < ungated_precision:
        return False, f"lower precision: {figures}"
    return True, f"beats the rule: {figures}"


def evaluate_walk_forward(
    training_set: pd.DataFrame,
    default_threshold: float = DEFAULT_GATE_THRESHOLD,
    n_folds: int = 3,
    classifier_params: dict | None = None,
    regressor_params: dict | None = None,
    min_kept_share: float = MIN_KEPT_SHARE,
) -> WalkForwardReport:
    """Train and score both models fold by fold (see `walk_forward_splits`); the last fold is the
    holdout. A fold whose training side holds a single class is skipped. InsufficientTrainingData
    when there is no evidence to judge: fewer than MIN_TRAINING_ROWS rows, a single class, or a
    holdout whose training side holds a single class.

    Each fold's gate threshold is learnt out of sample (`choose_gate_threshold`) on the confidence
    the earlier folds' models gave the rule's signals in their own test blocks, purged like a
    training side: only signals whose game started before the fold begins (their closing line was
    known) and of events the fold does not test. With too few such signals the fold uses
    `default_threshold`. The holdout's threshold is the one a registered model carries, so the
    holdout backtest judges exactly the gate that would run.
    """
    classes = training_set[CLASSIFIER_TARGET].nunique()
    if len(training_set) < MIN_TRAINING_ROWS or classes < 2:
        raise InsufficientTrainingData(
            f"{len(training_set)} labelled rows with {classes} class(es): too few to train"
        )
    folds = walk_forward_splits(training_set, n_folds)
    scored = _score_folds(
        training_set, folds, default_threshold, min_kept_share, classifier_params, regressor_params
    )
    holdout = scored[-1]
    return WalkForwardReport(
        classifier=holdout.classifier,
        regressor=holdout.regressor,
        threshold=holdout.threshold,
        folds=pd.DataFrame([fold.summary for fold in scored]),
        holdout={
            **holdout.metrics,
            "train_rows": float(holdout.summary["train_rows"]),
            "holdout_rows": float(len(holdout.test)),
        },
        calibration=calibration_table(holdout.test[CLASSIFIER_TARGET], holdout.confidence),
        classifier_importance=feature_importance(holdout.classifier),
        regressor_importance=feature_importance(holdout.regressor),
        holdout_rows=holdout.test.assign(
            model_confidence=holdout.confidence,
            predicted_ev=holdout.predicted_ev,
            rule_fired=holdout.fired,
            gated=holdout.gated,
        ),
    )


@dataclass
class _ScoredFold:
    """One fold's models, and how they and the gate did on its test block."""

    classifier: XGBClassifier
    regressor: XGBRegressor
    test: pd.DataFrame
    confidence: np.ndarray
    predicted_ev: np.ndarray
    fired: np.ndarray
    gated: np.ndarray
    threshold: float
    metrics: dict[str, float]
    summary: dict  # the fold's row of the report's folds table


def _score_folds(
    training_set: pd.DataFrame,
    folds: list[WalkForwardFold],
    default_threshold: float,
    min_kept_share: float,
    classifier_params: dict | None,
    regressor_params: dict | None,
) -> list[_ScoredFold]:
    """Every fold scored in time order, the holdout last; a fold before the holdout whose training
    side holds a single class is skipped. The rule's signals of each test block, with the
    confidence its models gave them, are what the later folds learn their thresholds from."""
    scored: list[_ScoredFold] = []
    earlier: list[pd.DataFrame] = []  # the rule's signals of earlier test blocks, scored out of sample
    for fold in folds:
        train = training_set.iloc[fold.train_index]
        if train[CLASSIFIER_TARGET].nunique() < 2 and fold is not folds[-1]:
            continue
        test = training_set.iloc[fold.test_index]
        known = _known_before(earlier, fold.test_start, test["event_id"])
        result = _score_fold(
            fold,
            train,
            test,
            known,
            default_threshold=default_threshold,
            min_kept_share=min_kept_share,
            classifier_params=classifier_params,
            regressor_params=regressor_params,
        )
        earlier.append(
            test.loc[result.fired, ["event_id", "game_start_ts", REGRESSOR_TARGET]].assign(
                confidence=result.confidence[result.fired]
            )
        )
        scored.append(result)
    return scored


def _score_fold(
    fold: WalkForwardFold,
    train: pd.DataFrame,
    test: pd.DataFrame,
    known: pd.DataFrame,
    *,
    default_threshold: float,
    min_kept_share: float,
    classifier_params: dict | None,
    regressor_params: dict | None,
) -> _ScoredFold:
    """Train both models on `train` and score them on `test`, gating the rule's signals at the
    threshold learnt from the `known` earlier signals (`default_threshold` with too few)."""
    classifier = train_edge_classifier(train, classifier_params)
    regressor = train_ev_regressor(train, regressor_params)
    confidence = classifier.predict_proba(feature_matrix(test))[:, 1]
    predicted_ev = regressor.predict(feature_matrix(test))
    fired = test["rule_fired"].to_numpy(bool)
    learnt = choose_gate_threshold(known["confidence"], known[REGRESSOR_TARGET], min_kept_share)
    threshold = default_threshold if learnt is None else learnt
    gated = fired & (confidence >= threshold)
    metrics = {
        **classification_metrics(test[CLASSIFIER_TARGET], confidence),
        "ev_rmse": float(np.sqrt(np.mean((predicted_ev - test[REGRESSOR_TARGET].to_numpy()) ** 2))),
        "gate_threshold": threshold,
        "gate_threshold_learnt": float(learnt is not None),
        **backtest(test, fired, "ungated"),
        **backtest(test, gated, "gated"),
    }
    summary = {
        "fold": fold.number,
        "test_start": fold.test_start,
        "test_end": fold.test_end,
        "train_rows": len(train),
        "test_rows": len(test),
        "threshold_signals": len(known),
        **metrics,
    }
    return _ScoredFold(
        classifier, regressor, test, confidence, predicted_ev, fired, gated, threshold, metrics, summary
    )


def _known_before(
    earlier: list[pd.DataFrame], test_start: pd.Timestamp, test_events: pd.Series
) -> pd.DataFrame:
    """The earlier scored signals a fold starting at `test_start` may learn from: their game began
    before it, and their event is not among the fold's."""
    if not earlier:
        return pd.DataFrame(columns=["event_id", "game_start_ts", REGRESSOR_TARGET, "confidence"])
    pool = pd.concat(earlier, ignore_index=True)
    return pool[(pool["game_start_ts"] < test_start) & ~pool["event_id"].isin(test_events)]
