"""Model gating of the rule's candidates."""

import numpy as np
import pandas as pd

from edge_assets.features import FEATURE_COLUMNS
from edge_assets.modeling.gating import gate_signals
from edge_assets.modeling.registry import Champion

T0 = pd.Timestamp("2026-11-20 12:00", tz="UTC")


class ConfidenceFromEv:
    """A stand-in model whose confidence is the row's ev_after_costs feature."""

    def predict_proba(self, matrix):
        p = matrix["ev_after_costs"].to_numpy()
        return np.column_stack([1 - p, p])


CANDIDATES = pd.DataFrame(
    {"signal_id": ["a", "b", "c"], "created_at": [T0, T0, T0], "pm_token_id": ["t1", "t2", "t3"],
     "ev_after_costs": [0.05, 0.06, 0.07]}
)  # fmt: skip
FEATURES = pd.DataFrame(0.0, index=range(2), columns=FEATURE_COLUMNS).assign(
    quote_ts=T0, pm_token_id=["t1", "t2"], ev_after_costs=[0.9, 0.2]
)


def test_without_a_champion_the_rule_runs_alone():
    gated = gate_signals(CANDIDATES, FEATURES, None)
    assert gated.rule_only and gated.model_version is None and gated.threshold is None
    assert list(gated.signals["signal_id"]) == ["a", "b", "c"]
    assert gated.signals["model_version"].isna().all() and gated.signals["model_confidence"].isna().all()


def test_the_champion_keeps_candidates_over_its_own_threshold_and_stamps_its_version():
    gated = gate_signals(CANDIDATES, FEATURES, Champion(ConfidenceFromEv(), "4", 0.6))
    assert not gated.rule_only and gated.model_version == "4" and gated.threshold == 0.6
    assert list(gated.signals["signal_id"]) == ["a"]
    assert gated.signals.loc[0, "model_confidence"] == 0.9 and gated.signals.loc[0, "model_version"] == "4"
    # the candidate's own ev_after_costs is kept, not the feature row's
    assert gated.signals.loc[0, "ev_after_costs"] == 0.05
    assert gated.candidates == 3 and gated.unscored == 1  # t3 had no feature row
