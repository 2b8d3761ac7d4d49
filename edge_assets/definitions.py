"""The edge_assets code location: every asset, check, job, schedule and sensor, with resources
chosen for the environment (`EDGE_ENV`: local simulator or production venues)."""

from __future__ import annotations

import dagster as dg

import edge_assets.defs
from edge_assets.defs.modeling.resources import ModelRegistryResource
from edge_assets.defs.settings import EdgeSettings
from edge_assets.environment import Environment
from edge_assets.notify.resource import AlertingResource
from edge_assets.sources.resources import (
    OddsApiResource,
    PolymarketClobResource,
    PolymarketGammaResource,
    PredictItResource,
)
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake


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
    """Every definition under `edge_assets.defs`, found by Dagster's loader, with `env`'s resources."""
    return dg.Definitions.merge(
        dg.load_defs(defs_root=edge_assets.defs), dg.Definitions(resources=build_resources(env))
    )


defs = build_definitions(Environment.from_env())
