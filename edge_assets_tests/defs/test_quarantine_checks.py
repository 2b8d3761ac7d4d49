"""Each landed source asset reports the share of its records quarantined, and a check fails when
that share passes the threshold: materialized against the simulator, clean and malformed."""

from __future__ import annotations

import dagster as dg
import pytest

from edge_assets.defs.common import QUARANTINED_SHARE_KEY
from edge_assets.defs.polymarket.assets import polymarket_markets
from edge_assets.defs.polymarket.checks import polymarket_markets_checks
from edge_assets.defs.quality import MAX_QUARANTINED_SHARE, QUARANTINE_CHECK, judge_quarantined_share
from edge_assets.sources.resources import PolymarketGammaResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import WarehouseIOManager
from edge_assets.storage.lake import Lake


def _materialize_markets(server, tmp_path) -> tuple[dg.ExecuteInProcessResult, Warehouse]:
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'edge.db'}")
    resources = {
        "warehouse": warehouse,
        "io_manager": WarehouseIOManager(warehouse=warehouse),
        "lake": Lake(url=str(tmp_path / "lake")),
        "gamma": PolymarketGammaResource(base_url=server.url, backoff_base_s=0.01),
    }
    result = dg.materialize([polymarket_markets, polymarket_markets_checks], resources=resources)
    return result, warehouse


@pytest.mark.parametrize("rate_malformed", [0.0, 0.2])
def test_the_markets_landing_reports_its_quarantined_share_and_the_check_judges_it(
    simulator_factory, tmp_path, rate_malformed
):
    server = simulator_factory(rate_malformed=rate_malformed, fault_seed=3)
    result, warehouse = _materialize_markets(server, tmp_path)
    assert result.success
    [materialization] = result.asset_materializations_for_node("polymarket_markets")
    share = materialization.metadata[QUARANTINED_SHARE_KEY].value
    rows = len(warehouse.read_table("polymarket_markets"))
    quarantined = len(warehouse.read_table("quarantine"))
    assert rows > 0
    assert share == pytest.approx(quarantined / (rows + quarantined))
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    evaluation = evaluations[QUARANTINE_CHECK]
    assert evaluations["pandera_schema"].passed  # judged in the same step as the table's other checks
    if rate_malformed:
        assert quarantined > 0 and share > MAX_QUARANTINED_SHARE and not evaluation.passed
    else:
        assert quarantined == 0 and share == 0.0 and evaluation.passed


@pytest.mark.parametrize(("share", "passed"), [(0.0, True), (MAX_QUARANTINED_SHARE, True), (0.011, False)])
def test_the_quarantine_threshold_is_inclusive(share, passed):
    verdict = judge_quarantined_share({QUARANTINED_SHARE_KEY: dg.MetadataValue.float(share)})
    assert verdict.passed is passed


def test_a_landing_that_reports_no_share_fails_the_check():
    verdict = judge_quarantined_share({"rows": dg.MetadataValue.int(10)})
    assert not verdict.passed and "reports no quarantined_share" in verdict.metadata["reason"].value


def test_before_any_landing_nothing_was_quarantined():
    assert judge_quarantined_share(None).passed
