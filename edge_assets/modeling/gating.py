"""Model-gated signals: the rule's candidates kept only when the champion vouches for them (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from edge_assets.features import KEY_COLUMNS, utc
from edge_assets.modeling.registry import Champion
from edge_assets.modeling.training import feature_matrix


@dataclass(frozen=True)
class GatedSignals:
    """The signals that survive the gate, and how the gate ran.

    `rule_only` is True when there was no champion, so the rule's candidates pass unchanged (and
    there is no threshold). `unscored` counts candidates dropped because no feature row existed for
    their token and hour.
    """

    signals: pd.DataFrame
    rule_only: bool
    model_version: str | None
    threshold: float | None
    candidates: int
    unscored: int


def gate_signals(
    candidates: pd.DataFrame,
    features: pd.DataFrame,
    champion: Champion | None,
    time_column: str = "created_at",
) -> GatedSignals:
    """Add `model_confidence` (the champion's P(edge valid)) and `model_version` to the rule's
    candidates and keep those with confidence >= the champion's threshold.

    `candidates` are `find_signals` rows (keyed by pm_token_id and `time_column`); `features` are
    `build_features` rows for the same hours. A candidate without a feature row cannot be vouched
    for and is dropped. With no champion the candidates come back unchanged apart from
    model_confidence NaN and model_version None, and `rule_only` says so.
    """
    if champion is None:
        signals = candidates.assign(model_confidence=np.nan, model_version=None)
        return GatedSignals(signals, True, None, None, len(candidates), 0)
    rows = features.assign(quote_ts=utc(features["quote_ts"])).drop_duplicates(KEY_COLUMNS)
    rows = rows.set_index(["pm_token_id", "quote_ts"])
    position = rows.index.get_indexer(
        pd.MultiIndex.from_arrays([candidates["pm_token_id"], utc(candidates[time_column])])
    )
    found = position >= 0
    confidence = np.full(len(candidates), np.nan)
    if found.any():
        confidence[found] = champion.model.predict_proba(feature_matrix(rows.iloc[position[found]]))[:, 1]
    signals = candidates.assign(model_confidence=confidence, model_version=champion.version)
    kept = signals[found & (confidence >= champion.threshold)].reset_index(drop=True)
    return GatedSignals(
        kept, False, champion.version, champion.threshold, len(candidates), int((~found).sum())
    )
