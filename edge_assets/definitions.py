"""The edge_assets code location: every asset, check, job, schedule and sensor, with resources
chosen for the environment (`EDGE_ENV`: local simulator or production venues)."""

from __future__ import annotations

from datetime import timedelta

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
        # A plain callable, not config: the trading settings hold the CLOB keys, which Dagster shows.
        "trading": dg.ResourceDefinition.hardcoded_resource(env.trading_config_as_of),
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


def build_live_service(env: Environment, stream_url: str | None = None):
    """The live detector over `env`'s resources: the same venues, rule, sinks and champion as the
    batch path, handed to the pure service as plain callables; publishing to `stream_url` (by
    default `env`'s broker) when there is one, and trading its signals in `env`'s trading mode."""
    from edge_assets.live.channel import MarketChannel
    from edge_assets.live.service import Alerts, LiveService, LiveSettings, Venues
    from edge_assets.modeling.registry import load_champion
    from edge_assets.notify.alerts import signal_alerts
    from edge_assets.notify.delivery import recent_signal_alerts
    from edge_assets.storage.sql import SqlWarehouse
    from edge_assets.trading.trader import Trader

    resources = build_resources(env)
    warehouse = SqlWarehouse(env.database_url)
    trader = Trader(env.trading_config(), warehouse)
    resources = {
        name: _outside_dagster(resource)
        for name, resource in resources.items()
        if isinstance(resource, dg.ConfigurableResource)
    }
    settings, alerting, registry = resources["settings"], resources["alerting"], resources["registry"]
    clob, oddsapi, predictit = resources["clob"], resources["oddsapi"], resources["predictit"]

    def fetch_books(tokens: list[str]) -> list[dict]:
        return [book for payload in clob.fetch_books(tokens) for book in payload.data]

    def make_alerts(opened, now, cooldown):
        recent = recent_signal_alerts(warehouse, now - cooldown)
        return signal_alerts(opened, now, cooldown, recent)

    return LiveService(
        warehouse,
        Venues(
            MarketChannel(env.market_channel_url),
            fetch_books,
            oddsapi.fetch_odds,
            oddsapi.odds_format,
            fetch_predictit=predictit.fetch_all,
        ),  # fmt: skip
        Alerts(
            raise_alerts=lambda frame: alerting.raise_alerts(warehouse, frame),
            deliver=lambda now: alerting.deliver(warehouse, now),
            make_alerts=make_alerts,
        ),
        settings.signal_rule(),
        settings.consensus_rule(),
        LiveSettings(
            odds_quota_floor=oddsapi.quota_floor,
            signal_cooldown=timedelta(minutes=alerting.signal_cooldown_minutes),
        ),
        load_champion=lambda: load_champion(
            registry.tracking_uri, registry.classifier_name, registry.default_gate_threshold
        ),
        stream_url=stream_url or env.stream_url,
        sports=settings.sports,
        trader=trader,
    )


def _outside_dagster(resource: dg.ConfigurableResource) -> dg.ConfigurableResource:
    """`resource` for code that Dagster does not run: its EnvVars read, once, from the environment."""
    fields = {name: getattr(resource, name) for name in type(resource).model_fields}
    resolved = {
        name: value.get_value() if isinstance(value, dg.EnvVar) else value for name, value in fields.items()
    }
    return type(resource)(**resolved)
