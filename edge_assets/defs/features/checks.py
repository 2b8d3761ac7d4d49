"""Quality checks of the features: the latest table's schema, and drift against the training set."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.features.assets import features_latest
from edge_assets.defs.features.store import latest_feature_hour, read_feature_store
from edge_assets.defs.quality import table_checks
from edge_assets.features import FEATURE_COLUMNS
from edge_assets.quality.rules import population_stability_index
from edge_assets.storage.lake import Lake

DRIFT_CHECK = "feature_drift"
DRIFT_WINDOW = timedelta(hours=24)
MAX_PSI = 0.25
TRAINING_SET = ["training_set"]  # the `training_set` asset's key
# The training set holds only labelled rows, whose game has started: its hours to start are
# truncated by construction, so comparing them with today's open markets would always "drift".
NOT_COMPARED = {"hours_to_start"}


@dg.asset_check(
    asset="features",
    name=DRIFT_CHECK,
    description=f"Population stability index of each feature over the last {DRIFT_WINDOW} against the "
    f"latest training set stays under {MAX_PSI}.",
)
def feature_drift(lake: Lake) -> dg.AssetCheckResult:
    """Features drifting away from what the models were trained on make the gate's confidence moot.

    Recent pregame rows are compared feature by feature with the latest training set."""
    training_days = lake.asset_partitions(TRAINING_SET)
    latest = latest_feature_hour(lake)
    if not training_days or latest is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no training set or features yet"})
    training = lake.read_asset(TRAINING_SET, training_days[-1])
    recent = read_feature_store(lake, latest[0] - DRIFT_WINDOW, datetime.now(UTC))
    recent = recent[recent["hours_to_start"] > 0]  # the gate scores pregame rows, as it was trained on
    scores = {
        column: population_stability_index(training[column], recent[column])
        for column in FEATURE_COLUMNS
        if column in training.columns and column not in NOT_COMPARED
    }
    scores = {column: score for column, score in scores.items() if score is not None}
    drifted = {column: score for column, score in scores.items() if score > MAX_PSI}
    table = pd.DataFrame(sorted(scores.items(), key=lambda item: -item[1]), columns=["feature", "psi"])
    return dg.AssetCheckResult(
        passed=not drifted,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "training_set": training_days[-1],
            "recent_rows": len(recent),
            "max_psi": dg.MetadataValue.float(float(table["psi"].max()) if len(table) else 0.0),
            "drifted_features": ", ".join(sorted(drifted)) or "none",
            "psi_by_feature": dg.MetadataValue.md(table.head(15).to_markdown(index=False)),
        },
    )


features_latest_checks = table_checks(features_latest)
