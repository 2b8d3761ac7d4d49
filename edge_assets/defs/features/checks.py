"""Quality checks of the features: the latest table's schema, and drift against the training set."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.features.assets import features_latest
from edge_assets.defs.features.store import latest_feature_hour, read_feature_store
from edge_assets.defs.quality import table_checks
from edge_assets.features import FEATURE_COLUMNS
from edge_assets.quality.rules import (
    MAX_PSI,
    MAX_UNSEEN_SHARE,
    MIN_DRIFT_SAMPLE,
    Drift,
    DriftKind,
    drift_of,
)
from edge_assets.storage.lake import Lake

DRIFT_CHECK = "feature_drift"
DRIFT_WINDOW = timedelta(hours=24)
TRAINING_SET = ["training_set"]  # the `training_set` asset's key
# The training set holds only labelled rows, whose game has started: its hours to start are
# truncated by construction, so comparing them with today's open markets would always "drift".
NOT_COMPARED = {"hours_to_start"}
# How each feature's drift is judged (quality.rules.drift_of); every other one is continuous.
# `n_books` (how many sportsbooks price the event) is a small count whose mix follows the schedule,
# like the league: books list a game more densely as it nears, so a slate of later games has fewer
# (a 14-day fault-free world's newest hour had PSI 0.34 on it, every other feature 0.10 or less). A
# book gone missing is every_hour_complete's to catch; here only a count training never saw is.
DRIFT_KINDS: dict[str, DriftKind] = {"league_code": "categorical", "n_books": "categorical", "fee": "derived"}


@dg.asset_check(
    asset="features",
    name=DRIFT_CHECK,
    description=f"Over the last {DRIFT_WINDOW}, against the latest training set and with at least "
    f"{MIN_DRIFT_SAMPLE} rows on each side: continuous features keep a population stability index "
    f"under {MAX_PSI}; the league shows no category training never saw and the fee no value above "
    f"the trained maximum (a costlier schedule), in more than {MAX_UNSEEN_SHARE:.0%} of rows.",
)
def feature_drift(lake: Lake) -> dg.AssetCheckResult:
    """Features drifting away from what the models were trained on make the gate's confidence moot.

    Recent pregame rows are compared feature by feature with the latest training set, each by the
    rule its kind calls for."""
    training_days = lake.asset_partitions(TRAINING_SET)
    latest = latest_feature_hour(lake)
    if not training_days or latest is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no training set or features yet"})
    training = lake.read_asset(TRAINING_SET, training_days[-1])
    recent = read_feature_store(lake, latest[0] - DRIFT_WINDOW, datetime.now(UTC))
    recent = recent[recent["hours_to_start"] > 0]  # the gate scores pregame rows, as it was trained on
    verdicts = judge_drift(training, recent)
    drifted = sorted(column for column, verdict in verdicts.items() if verdict.drifted)
    table = pd.DataFrame(
        [(column, v.kind, v.statistic, v.score, v.limit) for column, v in verdicts.items()],
        columns=["feature", "kind", "statistic", "score", "limit"],
    ).sort_values("score", ascending=False)
    psi = table.loc[table["statistic"] == "psi", "score"]
    return dg.AssetCheckResult(
        passed=not drifted,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "training_set": training_days[-1],
            "training_rows": len(training),
            "recent_rows": len(recent),
            "features_judged": len(verdicts),
            "max_psi": dg.MetadataValue.float(float(psi.max()) if len(psi) else 0.0),
            "drifted_features": ", ".join(drifted) or "none",
            "drift_by_feature": dg.MetadataValue.md(table.head(15).to_markdown(index=False)),
        },
    )


def judge_drift(training: pd.DataFrame, recent: pd.DataFrame) -> dict[str, Drift]:
    """Each feature both frames hold judged by its kind's rule; too few rows leave a feature out."""
    verdicts = {
        column: drift_of(training[column], recent[column], DRIFT_KINDS.get(column, "continuous"))
        for column in FEATURE_COLUMNS
        if column in training.columns and column in recent.columns and column not in NOT_COMPARED
    }
    return {column: verdict for column, verdict in verdicts.items() if verdict is not None}


features_latest_checks = table_checks(features_latest)
