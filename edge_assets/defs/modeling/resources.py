"""The model registry resource: where MLflow keeps runs and models, and the current champion."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field, PrivateAttr

from edge_assets.signals.gate_policy import DEFAULT_GATE_THRESHOLD, MIN_KEPT_SHARE

if TYPE_CHECKING:  # mlflow and xgboost load only when a champion is asked for
    from edge_assets.modeling.registry import Champion


class ModelRegistryResource(dg.ConfigurableResource):
    """MLflow tracking and registry (a SQLite backend locally, a tracking server in production)."""

    tracking_uri: str
    classifier_name: str = "edge_classifier"
    regressor_name: str = "ev_regressor"
    # The gate threshold is learnt per model out of sample (see edge_assets.signals.gate_policy); these
    # bound how: the fallback with too few earlier signals, and the share of signals kept.
    default_gate_threshold: float = DEFAULT_GATE_THRESHOLD
    gate_min_kept_share: float = Field(default=MIN_KEPT_SHARE, gt=0.0, le=1.0)
    _champions: dict = PrivateAttr(default_factory=dict)

    def champion(self) -> Champion | None:
        """The classifier holding the `champion` alias, loaded once per run."""
        if "classifier" not in self._champions:
            from edge_assets.modeling.registry import load_champion

            self._champions["classifier"] = load_champion(
                self.tracking_uri, self.classifier_name, self.default_gate_threshold
            )
        return self._champions["classifier"]
