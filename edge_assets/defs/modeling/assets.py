"""Modeling: a labelled training set per day, XGBoost models trained walk-forward and registered in
MLflow (the champion gate is among the modeling checks)."""

import math
from datetime import timedelta
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd

from edge_assets.defs.common import read_reduced_by_day
from edge_assets.defs.features.store import read_feature_store
from edge_assets.defs.inputs import require_inputs
from edge_assets.defs.modeling.resources import ModelRegistryResource
from edge_assets.defs.partitions import DAILY_PARTITIONS
from edge_assets.defs.settings import EdgeSettings
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

if TYPE_CHECKING:
    from edge_assets.modeling.evaluation import WalkForwardReport

GROUP = "modeling"

CONSENSUS_SQL = "SELECT * FROM consensus WHERE quote_ts >= :start AND quote_ts < :end"
ASK_LEVELS_SQL = """
SELECT snapshot_ts, token_id, market_id, side, level, price, size FROM order_book_snapshots
WHERE side = 'ask' AND snapshot_ts >= :start AND snapshot_ts < :end
"""
RULE_SIGNALS_SQL = (
    "SELECT pm_token_id, created_at FROM signals WHERE created_at >= :start AND created_at < :end"
)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "parquet"},
    partitions_def=DAILY_PARTITIONS,
    io_manager_key="lake_io_manager",
    deps=["features", "consensus", "signals", "polymarket_resolutions", "order_book_snapshots"],
)
def training_set(
    context: dg.AssetExecutionContext,
    lake: Lake,
    warehouse: Warehouse,
    settings: EdgeSettings,
    market_mappings: pd.DataFrame,
    polymarket_markets: pd.DataFrame,
    polymarket_resolutions: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """Feature rows of the trailing training window up to the end of the day, joined to their
    labels: the realised outcome and closing-line value (the entry's VWAP plus fee at the stake
    against the last consensus before the game). `edge_valid` is positive EV against the close;
    `closing_ev` its size. Nothing stamped after the day's end is used."""
    from edge_assets.modeling.labels import closing_consensus, entry_costs, label_edges
    from edge_assets.modeling.training import build_training_set

    day_end = context.partition_time_window.end
    span = {"start": day_end - timedelta(days=settings.training_days), "end": day_end}
    features = read_feature_store(lake, span["start"], day_end)
    inputs = {
        "features": features,
        "market_mappings": market_mappings,
        "polymarket_markets": polymarket_markets,
    }
    require_inputs("training_set", context.partition_key, inputs)
    costs = read_reduced_by_day(
        warehouse,
        ASK_LEVELS_SQL,
        span["start"],
        span["end"],
        lambda levels: entry_costs(levels, polymarket_markets, settings.stake_usdc),
    )
    closing = closing_consensus(
        warehouse.read_frame(CONSENSUS_SQL, span), market_mappings, polymarket_markets
    )
    labels = label_edges(features, closing, polymarket_resolutions, costs)
    frame = build_training_set(features, labels, warehouse.read_frame(RULE_SIGNALS_SQL, span))
    return dg.Output(
        frame,
        metadata={
            "rows": len(frame),
            "feature_rows": len(features),
            "edge_valid_share": dg.MetadataValue.float(
                float(frame["edge_valid"].mean()) if len(frame) else 0.0
            ),
            "rule_fired": int(frame["rule_fired"].sum()) if len(frame) else 0,
        },
    )


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=DAILY_PARTITIONS,
    specs=[
        dg.AssetSpec(
            "edge_classifier",
            deps=["training_set"],
            kinds={"xgboost", "mlflow"},
            description="XGBoost classifier of P(edge valid against the close), evaluated walk-forward "
            "and registered in MLflow; the champion gates signals.",
        ),
        dg.AssetSpec(
            "ev_regressor",
            deps=["training_set"],
            kinds={"xgboost", "mlflow"},
            description="XGBoost regressor of the edge's size against the closing consensus, "
            "registered in MLflow.",
        ),
    ],
    ins={"training_set": dg.AssetIn()},
)
def edge_models(
    context: dg.AssetExecutionContext, training_set: pd.DataFrame, registry: ModelRegistryResource
):
    """Walk-forward evaluation (time-ordered folds, events purged across each boundary) of both
    models; the holdout models, their metrics, feature importance and calibration go to MLflow.
    The classifier's gate threshold is learnt on the folds before the holdout (the one that kept
    the rule's signals with the best closing-line value) and travels with its version."""
    # Imported when training, not when the code location loads: xgboost, sklearn and mlflow are heavy.
    from edge_assets.modeling.evaluation import evaluate_walk_forward, gate_verdict
    from edge_assets.modeling.training import InsufficientTrainingData

    try:
        report = evaluate_walk_forward(
            training_set,
            default_threshold=registry.default_gate_threshold,
            min_kept_share=registry.gate_min_kept_share,
        )
    except InsufficientTrainingData as exc:  # a young deployment: too little history for a holdout
        reason = str(exc)
        context.log.warning(reason)
        for key in ("edge_classifier", "ev_regressor"):
            yield dg.MaterializeResult(asset_key=key, metadata={"trained": False, "reason": reason})
        return
    beats_rule, verdict = gate_verdict(report.holdout)
    metrics = {k: v for k, v in report.holdout.items() if isinstance(v, int | float) and math.isfinite(v)}
    classifier_version, regressor_version = _register_models(registry, report, training_set, metrics)
    shown = {name: dg.MetadataValue.float(float(value)) for name, value in metrics.items()}
    yield dg.MaterializeResult(
        asset_key="edge_classifier",
        metadata={
            "trained": True,
            "model_version": classifier_version,
            "rows": len(training_set),
            "beats_rule": beats_rule,
            "gate_verdict": verdict,
            **shown,
            "calibration": dg.MetadataValue.md(report.calibration.to_markdown(index=False)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="ev_regressor", metadata={"trained": True, "model_version": regressor_version, **shown}
    )


def _register_models(
    registry: ModelRegistryResource,
    report: "WalkForwardReport",
    frame: pd.DataFrame,
    metrics: dict[str, float],
) -> tuple[str, str]:
    """Both holdout models of `report` registered with their evidence; the classifier's version
    carries the gate threshold it was judged with. Returns the classifier's and regressor's versions."""
    from edge_assets.modeling.registry import GATE_THRESHOLD_TAG
    from edge_assets.modeling.training import CLASSIFIER_PARAMS, REGRESSOR_PARAMS, feature_matrix

    example = feature_matrix(frame).head(20)
    classifier_version = registry.register_model(
        model=report.classifier,
        metrics=metrics,
        # The threshold itself is a holdout metric and the version's tag.
        params={**CLASSIFIER_PARAMS, "gate_min_kept_share": registry.gate_min_kept_share, "rows": len(frame)},
        importance=report.classifier_importance,
        example=example,
        name=registry.classifier_name,
        tables={"calibration": report.calibration, "folds": report.folds},
        version_tags={GATE_THRESHOLD_TAG: repr(report.threshold)},
    )
    regressor_version = registry.register_model(
        model=report.regressor,
        metrics=metrics,
        params={**REGRESSOR_PARAMS, "rows": len(frame)},
        importance=report.regressor_importance,
        example=example,
        name=registry.regressor_name,
    )
    return classifier_version, regressor_version
