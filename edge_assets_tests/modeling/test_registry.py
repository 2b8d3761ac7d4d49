"""Training, MLflow logging, the registry and champion promotion against a SQLite-backed MLflow."""

import json
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from edge_assets.defs.modeling.resources import ModelRegistryResource
from edge_assets.modeling.evaluation import evaluate_walk_forward, gate_verdict
from edge_assets.modeling.registry import (
    GATE_THRESHOLD_TAG,
    check_tracking_uri,
    load_champion,
    log_and_register,
    promote_if_better,
)
from edge_assets.modeling.training import CLASSIFIER_PARAMS, feature_matrix

FEW_TREES = {**CLASSIFIER_PARAMS, "n_estimators": 20}


@pytest.fixture
def tracking_uri(tmp_path):
    return f"sqlite:///{tmp_path}/mlflow.db"


def register(report, training_set, tracking_uri):
    return log_and_register(
        report.classifier,
        report.holdout,
        FEW_TREES,
        report.classifier_importance,
        feature_matrix(training_set).head(10),
        tracking_uri,
        "edge_classifier",
        tables={"calibration": report.calibration},
        version_tags={GATE_THRESHOLD_TAG: repr(report.threshold)},
    )


# Gated signals with more closing-line value than the rule's, and at least its precision.
WINS = {"gated_clv": 0.08, "ungated_clv": 0.05, "gated_precision": 0.95, "ungated_precision": 0.9}


def test_train_log_register_promote_and_load(training_set, tracking_uri, tmp_path):
    report = evaluate_walk_forward(training_set, n_folds=2, classifier_params=FEW_TREES)
    client = MlflowClient(tracking_uri, tracking_uri)
    assert load_champion(tracking_uri, "edge_classifier", 0.5) is None

    version = register(report, training_set, tracking_uri)
    assert version == "1"
    run = client.get_run(client.get_model_version("edge_classifier", version).run_id)
    assert run.data.params["n_estimators"] == "20"
    assert run.data.metrics["auc"] == pytest.approx(report.holdout["auc"])
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"feature_importance.json", "calibration.json"} <= artifacts
    artifact_dir = Path(run.info.artifact_uri.removeprefix("file://"))
    assert artifact_dir.is_relative_to(tmp_path / "mlartifacts")  # the local artifact root, not ./mlruns
    importance = json.loads((artifact_dir / "feature_importance.json").read_text())
    assert "feature" in importance["columns"]

    decision = promote_if_better(client, "edge_classifier", version, WINS)
    assert decision.promoted and decision.champion_version == "1"
    champion = load_champion(tracking_uri, "edge_classifier", 0.5)
    model, loaded_version, threshold = champion
    assert loaded_version == "1"
    assert threshold == report.threshold  # the gate runs with the threshold it was judged with
    matrix = feature_matrix(training_set)
    np.testing.assert_allclose(
        model.predict_proba(matrix), report.classifier.predict_proba(matrix), rtol=1e-6
    )


def test_a_losing_model_leaves_the_previous_champion(training_set, tracking_uri):
    report = evaluate_walk_forward(training_set, n_folds=2, classifier_params=FEW_TREES)
    client = MlflowClient(tracking_uri, tracking_uri)
    first = register(report, training_set, tracking_uri)
    assert promote_if_better(client, "edge_classifier", first, WINS).promoted
    second = register(report, training_set, tracking_uri)
    worse_clv = {**WINS, "gated_clv": 0.04}
    decision = promote_if_better(client, "edge_classifier", second, worse_clv)
    assert not decision.promoted and decision.champion_version == first
    assert "closing-line value" in decision.reason
    assert load_champion(tracking_uri, "edge_classifier", 0.5).version == first
    tags = client.get_model_version("edge_classifier", second).tags
    assert (tags["gated_clv"], tags["ungated_clv"]) == ("0.04", "0.05")
    assert tags["gate_verdict"] == decision.reason


def test_the_registry_resource_registers_and_judges_the_newest_classifier(training_set, tracking_uri):
    report = evaluate_walk_forward(training_set, n_folds=2, classifier_params=FEW_TREES)
    registry = ModelRegistryResource(tracking_uri=tracking_uri)
    assert registry.promote_newest_if_better() is None  # nothing registered yet
    for _ in range(2):
        version = registry.register_model(
            model=report.classifier,
            metrics=WINS,
            params=FEW_TREES,
            importance=report.classifier_importance,
            example=feature_matrix(training_set).head(10),
            name=registry.classifier_name,
            version_tags={GATE_THRESHOLD_TAG: repr(report.threshold)},
        )
    decision = registry.promote_newest_if_better()
    assert (version, decision.version, decision.promoted, decision.champion_version) == ("2", "2", True, "2")
    assert registry.champion().threshold == report.threshold


@pytest.mark.parametrize(
    ("holdout", "wins"),
    [
        (WINS, True),
        ({**WINS, "gated_clv": 0.05}, False),  # kept every signal: a tie changes nothing
        ({**WINS, "gated_precision": 0.8}, False),  # more CLV bought with more losers
        ({"ungated_clv": 0.05, "ungated_precision": 0.9}, False),  # kept no signal (NaN, not logged)
        ({}, False),  # the rule fired nothing on the holdout
    ],
)
def test_gate_verdict_needs_more_closing_line_value_and_no_lower_precision(holdout, wins):
    assert gate_verdict(holdout)[0] is wins


def test_the_plain_file_store_is_refused(tmp_path):
    with pytest.raises(ValueError, match="sqlite"):
        check_tracking_uri(str(tmp_path / "mlruns"))
    with pytest.raises(ValueError, match="sqlite"):
        load_champion(f"file://{tmp_path}/mlruns", "edge_classifier", 0.5)
