"""The model registry resource: where MLflow keeps runs and models, and the current champion.

Every MLflow call of the code location goes through its methods, which import mlflow and xgboost
only when called, so loading the code location loads neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import dagster as dg
import pandas as pd
from pydantic import Field, PrivateAttr

from edge_assets.signals.gate_policy import DEFAULT_GATE_THRESHOLD, MIN_KEPT_SHARE

if TYPE_CHECKING:
    from edge_assets.modeling.registry import Champion, PromotionDecision


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

    def register_model(
        self,
        *,
        model: Any,
        metrics: Mapping[str, float],
        params: Mapping[str, Any],
        importance: pd.DataFrame,
        example: pd.DataFrame,
        name: str,
        tables: Mapping[str, pd.DataFrame] | None = None,
        version_tags: Mapping[str, str] | None = None,
    ) -> str:
        """Log `model` as an MLflow run with its params, metrics, feature `importance` and `tables`,
        and register it as a new version of `name` (signature from `example`, a few feature rows);
        returns the version number."""
        from edge_assets.modeling.registry import log_and_register

        return log_and_register(
            model,
            metrics,
            params,
            importance,
            example,
            self.tracking_uri,
            name,
            tables=tables,
            version_tags=version_tags,
        )

    def promote_newest_if_better(self) -> PromotionDecision | None:
        """Move the `champion` alias to the newest classifier only if it beats the ungated rule on
        its holdout (see `edge_assets.modeling.registry.promote_if_better`); None with no classifier."""
        from edge_assets.modeling.registry import promote_newest_if_better

        return promote_newest_if_better(self.tracking_uri, self.classifier_name)

    def champion(self) -> Champion | None:
        """The classifier holding the `champion` alias, loaded once per run."""
        if "classifier" not in self._champions:
            from edge_assets.modeling.registry import load_champion

            self._champions["classifier"] = load_champion(
                self.tracking_uri, self.classifier_name, self.default_gate_threshold
            )
        return self._champions["classifier"]
