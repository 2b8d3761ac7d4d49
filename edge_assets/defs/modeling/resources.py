"""The model registry resource: where MLflow keeps runs and models, and the current champion."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg
from pydantic import PrivateAttr

if TYPE_CHECKING:  # mlflow and xgboost load only when a champion is asked for
    from edge_assets.modeling.registry import Champion


class ModelRegistryResource(dg.ConfigurableResource):
    """MLflow tracking and registry (a SQLite backend locally, a tracking server in production)."""

    tracking_uri: str
    classifier_name: str = "edge_classifier"
    regressor_name: str = "ev_regressor"
    # The gate threshold is learnt per model out of sample; these bound how it is learnt.
    default_gate_threshold: float = 0.5  # when no earlier fold had rule signals to learn from
    gate_min_kept_share: float = 0.6  # the gate keeps at least this share of the rule's signals
    _champions: dict = PrivateAttr(default_factory=dict)

    def champion(self) -> Champion | None:
        """The classifier holding the `champion` alias, loaded once per run."""
        if "classifier" not in self._champions:
            from edge_assets.modeling.registry import load_champion

            self._champions["classifier"] = load_champion(self.tracking_uri, self.classifier_name)
        return self._champions["classifier"]
