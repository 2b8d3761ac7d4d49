"""The edge_assets code location: every asset, check, job, schedule and sensor, with resources
chosen for the environment (`EDGE_ENV`: local simulator or production venues)."""

from __future__ import annotations

import dagster as dg

from edge_assets.defs import jobs
from edge_assets.defs.alerting.sensors import SENSORS
from edge_assets.defs.features import assets as features_assets
from edge_assets.defs.features import checks as features_checks
from edge_assets.defs.mapping import assets as mapping_assets
from edge_assets.defs.mapping import checks as mapping_checks
from edge_assets.defs.modeling import assets as modeling_assets
from edge_assets.defs.modeling.resources import ModelRegistryResource
from edge_assets.defs.oddsapi import assets as oddsapi_assets
from edge_assets.defs.oddsapi import checks as oddsapi_checks
from edge_assets.defs.polymarket import assets as polymarket_assets
from edge_assets.defs.polymarket import checks as polymarket_checks
from edge_assets.defs.predictit import assets as predictit_assets
from edge_assets.defs.predictit import checks as predictit_checks
from edge_assets.defs.pricing import assets as pricing_assets
from edge_assets.defs.pricing import checks as pricing_checks
from edge_assets.defs.settings import EdgeSettings
from edge_assets.defs.signals import assets as signals_assets
from edge_assets.defs.signals import checks as signals_checks
from edge_assets.environment import Environment
from edge_assets.notify.resource import AlertingResource
from edge_assets.sources.oddsapi import OddsApiResource
from edge_assets.sources.polymarket import PolymarketClobResource, PolymarketGammaResource
from edge_assets.sources.predictit import PredictItResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake

ASSET_MODULES = [
    polymarket_assets,
    oddsapi_assets,
    predictit_assets,
    mapping_assets,
    pricing_assets,
    features_assets,
    modeling_assets,
    signals_assets,
]
CHECKS = [
    *polymarket_checks.CHECKS,
    *oddsapi_checks.CHECKS,
    *predictit_checks.CHECKS,
    *mapping_checks.CHECKS,
    *pricing_checks.CHECKS,
    *features_checks.CHECKS,
    *signals_checks.CHECKS,
    modeling_assets.champion_gate,
]


def build_resources(env: Environment) -> dict:
    """Resources for one environment; only `Environment` has read the process environment."""
    warehouse = Warehouse(url=env.database_url)
    lake = Lake(url=env.lake_url, s3_endpoint_url=env.s3_endpoint_url)
    return {
        "warehouse": warehouse,
        "io_manager": WarehouseIOManager(warehouse=warehouse),
        "lake": lake,
        "lake_io_manager": LakeIOManager(lake=lake),
        "registry": ModelRegistryResource(tracking_uri=env.mlflow_tracking_uri),
        "gamma": PolymarketGammaResource(base_url=env.venue_urls["gamma"]),
        "clob": PolymarketClobResource(
            base_url=env.venue_urls["clob"], historical_books=env.historical_books
        ),
        "oddsapi": OddsApiResource(
            base_url=env.venue_urls["oddsapi"],
            api_key=env.odds_api_key(),
            **env.fields_of("oddsapi"),
        ),
        "predictit": PredictItResource(base_url=env.venue_urls["predictit"]),
        "settings": EdgeSettings(**env.fields_of("settings")),
        "alerting": AlertingResource(
            dagster_ui_url=env.dagster_ui_url,
            **env.fields_of("alerting"),
            **env.alert_settings(),
        ),
    }


def build_definitions(env: Environment) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=CHECKS,
        jobs=jobs.JOBS,
        schedules=jobs.SCHEDULES,
        sensors=[jobs.AUTOMATION_SENSOR, *SENSORS],
        resources=build_resources(env),
    )


defs = build_definitions(Environment.from_env())
