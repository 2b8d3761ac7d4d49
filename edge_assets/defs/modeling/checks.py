"""The champion gate: a newly trained classifier becomes `champion` only when it beats the ungated
rule. A decision about a model, not a data-quality check: failing it keeps the previous champion."""

import dagster as dg

from edge_assets.defs.modeling.resources import ModelRegistryResource

CHAMPION_CHECK = "beats_ungated_rule"


@dg.asset_check(asset="edge_classifier", name=CHAMPION_CHECK, blocking=True)
def champion_gate(registry: ModelRegistryResource) -> dg.AssetCheckResult:
    """Promote the newest classifier to `champion` only when its gated signals beat the ungated
    rule on the holdout: a higher mean closing-line value without a lower share of edges that held
    against the close. Otherwise the previous champion stays."""
    decision = registry.promote_newest_if_better()
    if decision is None:
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"reason": "no model"}
        )
    return dg.AssetCheckResult(
        passed=decision.promoted,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "candidate_version": decision.version,
            "champion_version": str(decision.champion_version),
            "reason": decision.reason,
        },
    )
