"""MLflow: log a trained model with its evidence, register it, and keep the `champion` alias honest.

The tracking backend is SQLite locally (`sqlite:///.../mlflow.db`) or a tracking server; MLflow's
plain file store is refused, since it cannot hold a model registry. Artifacts go to a local
directory beside the SQLite file unless told otherwise.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import mlflow
import mlflow.xgboost
import pandas as pd
import xgboost
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from edge_assets.modeling.evaluation import gate_verdict

CHAMPION_ALIAS = "champion"
# The version tag holding the confidence threshold the classifier gates with.
GATE_THRESHOLD_TAG = "gate_threshold"
# The holdout figures a promotion is decided on, kept as tags on every candidate version.
PROMOTION_FIGURES = ("gated_clv", "ungated_clv", "gated_precision", "ungated_precision")
EXPERIMENT_NAME = "edge_assets"
ARTIFACT_DIR_NAME = "mlartifacts"
_ACCEPTED_SCHEMES = ("sqlite:///", "http://", "https://", "postgresql", "mysql")


def check_tracking_uri(tracking_uri: str) -> str:
    """`tracking_uri` if MLflow can keep a registry there; ValueError for a file store or path."""
    if not tracking_uri.startswith(_ACCEPTED_SCHEMES):
        raise ValueError(
            f"MLflow tracking URI {tracking_uri!r} is not a database or tracking server; "
            "use sqlite:///path/to/mlflow.db (the plain file store is not supported)"
        )
    return tracking_uri


def default_artifact_root(tracking_uri: str) -> Path | None:
    """For a SQLite backend, `mlartifacts/` beside the database file; None for a server."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri.removeprefix("sqlite:///")).resolve().parent / ARTIFACT_DIR_NAME


@contextlib.contextmanager
def _tracking(tracking_uri: str) -> Iterator[None]:
    """Point MLflow's module-level client at `tracking_uri` for the block, then restore it."""
    previous_tracking, previous_registry = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous_tracking)
        mlflow.set_registry_uri(previous_registry)


def _experiment_id(client: MlflowClient, name: str, artifact_root: Path | None) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    if artifact_root is not None:
        artifact_root.mkdir(parents=True, exist_ok=True)
        location = artifact_root.as_uri()
    return client.create_experiment(name, artifact_location=location)


def log_and_register(
    model: Any,
    metrics: Mapping[str, float],
    params: Mapping[str, Any],
    feature_importance: pd.DataFrame,
    signature_example: pd.DataFrame,
    tracking_uri: str,
    model_name: str,
    tables: Mapping[str, pd.DataFrame] | None = None,
    version_tags: Mapping[str, str] | None = None,
    experiment_name: str = EXPERIMENT_NAME,
    artifact_root: Path | None = None,
) -> str:
    """Log one trained XGBoost model as an MLflow run and register it as a new version of `model_name`.

    The run holds `params`, the finite `metrics`, `feature_importance` (and any extra `tables`, e.g.
    the calibration table) as JSON table artifacts, and the model with a signature inferred from
    `signature_example` (a few rows of the feature matrix) and its predictions; `version_tags`
    go on the registered version (e.g. the gate threshold it was evaluated with). Returns the new
    registered version number as a string.
    """
    check_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    experiment_id = _experiment_id(
        client, experiment_name, artifact_root or default_artifact_root(tracking_uri)
    )
    signature = infer_signature(signature_example, model.predict(signature_example))
    with _tracking(tracking_uri), mlflow.start_run(experiment_id=experiment_id, run_name=model_name):
        mlflow.log_params(dict(params))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)})
        mlflow.log_table(feature_importance, "feature_importance.json")
        for name, table in (tables or {}).items():
            mlflow.log_table(_json_safe(table), f"{name}.json")
        info = mlflow.xgboost.log_model(
            model,
            name="model",
            signature=signature,
            input_example=signature_example.head(5),
            registered_model_name=model_name,
            # Named, not inferred: inference imports the model in a child interpreter, costing
            # seconds and a few hundred MB per model.
            pip_requirements=[f"xgboost=={xgboost.__version__}", f"pandas=={pd.__version__}"],
        )
    version = str(info.registered_model_version)
    for key, value in (version_tags or {}).items():
        client.set_model_version_tag(model_name, version, key, value)
    return version


def _json_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as ISO text, which MLflow's JSON tables can hold."""
    converted = table.copy()
    for column in converted.columns:
        if pd.api.types.is_datetime64_any_dtype(converted[column]):
            converted[column] = converted[column].astype(str)
    return converted


@dataclass(frozen=True)
class PromotionDecision:
    """What `promote_if_better` did: whether the candidate `version` became champion, and who is
    champion now."""

    version: str
    promoted: bool
    champion_version: str | None
    reason: str


def promote_if_better(
    client: MlflowClient, model_name: str, version: str, holdout: Mapping[str, float]
) -> PromotionDecision:
    """Move the `champion` alias to `version` only if its holdout figures (`backtest` output of the
    gated and the ungated signals, as logged with the run) beat the ungated rule (`gate_verdict`).

    Otherwise the previous champion, if any, keeps the alias. The verdict and the figures it
    compared are recorded as tags on the version either way.
    """
    current = _champion_version(client, model_name)
    wins, reason = gate_verdict(holdout)
    client.set_model_version_tag(model_name, version, "gate_verdict", reason)
    for name in PROMOTION_FIGURES:
        client.set_model_version_tag(model_name, version, name, str(holdout.get(name, float("nan"))))
    if not wins:
        return PromotionDecision(version, False, current, reason)
    client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)
    return PromotionDecision(version, True, version, reason)


def promote_newest_if_better(tracking_uri: str, model_name: str) -> PromotionDecision | None:
    """`promote_if_better` for the newest version of `model_name`, judged on the holdout figures
    logged with its run; None when no version is registered."""
    check_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    versions = client.search_model_versions(f"name = '{model_name}'")
    if not versions:
        return None
    newest = max(versions, key=lambda v: int(v.version))
    metrics = client.get_run(newest.run_id).data.metrics
    return promote_if_better(client, model_name, str(newest.version), metrics)


def _champion_version(client: MlflowClient, model_name: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(model_name, CHAMPION_ALIAS).version)
    except MlflowException:
        return None


class Champion(NamedTuple):
    """The registered model holding the `champion` alias, its version and its gate threshold."""

    model: Any
    version: str
    threshold: float


def load_champion(tracking_uri: str, model_name: str, default_threshold: float) -> Champion | None:
    """The model holding the `champion` alias, its version and the gate threshold it was registered
    with (`GATE_THRESHOLD_TAG`; `default_threshold` for a version without one), or None when there
    is no champion yet."""
    check_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    version = _champion_version(client, model_name)
    if version is None:
        return None
    tags = client.get_model_version(model_name, version).tags
    with _tracking(tracking_uri):
        model = mlflow.xgboost.load_model(f"models:/{model_name}/{version}")
    return Champion(model, version, float(tags.get(GATE_THRESHOLD_TAG, default_threshold)))
