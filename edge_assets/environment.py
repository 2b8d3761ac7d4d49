"""The one place that reads environment variables and turns them into resources.

`local` (the default) points every venue at the built-in simulator and keeps the operational
database, the lake and MLflow under ``EDGE_HOME``; `production` uses the real venues, with URLs,
PostgreSQL and S3 given by environment variables. Secrets stay as `EnvVar`s so Dagster resolves
them at run time and never shows their values.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from edge_assets.trading.limits import (
    LIVE_TRADING_CONFIRMATION,
    ExecutionSettings,
    RiskLimits,
    TradingConfig,
    TradingMode,
    VenueCredentials,
)

DEFAULT_HOME = ".edge/demo"
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8765"
PRODUCTION_URLS = {
    "gamma": "https://gamma-api.polymarket.com",
    "clob": "https://clob.polymarket.com",
    "oddsapi": "https://api.the-odds-api.com",
    "predictit": "https://www.predictit.org",
}
# Polymarket's CLOB market channel (WebSocket); the simulator serves it on its own port.
PRODUCTION_MARKET_CHANNEL_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
MARKET_CHANNEL_PATH = "/ws/market"
# The simulator serves the CLOB under its own base path, as clob.polymarket.com is its own host
# (the simulator is only a server at a URL here: nothing of it is imported).
SIMULATOR_CLOB_PATH = "/clob"
# The simulator's CLOB as of a past world instant (unix seconds): where a backfill paper-trades.
SIMULATOR_CLOB_AT = "/at/{unix}"
ODDS_API_KEY_VAR = "EDGE_ODDS_API_KEY"
# AlertingResource field -> environment variable. Channel is not secret but travels the same way.
ALERT_SECRET_VARS = {
    "slack_token": "EDGE_SLACK_TOKEN",
    "slack_channel": "EDGE_SLACK_CHANNEL",
    "slack_webhook_url": "EDGE_SLACK_WEBHOOK_URL",
    "alert_webhook_url": "EDGE_ALERT_WEBHOOK_URL",
}
# The simulator accepts any non-empty key; this one is not a secret.
SIMULATOR_API_KEY = "simulator-key"
# Paper orders to the simulator are signed with a well-known test key (Hardhat's first account), whose
# API credentials the simulator derives as the CLOB does: it guards nothing.
SIMULATOR_CLOB_CREDENTIALS = VenueCredentials(
    private_key="0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
)
# The CLOB credentials for live trading: VenueCredentials field -> environment variable.
CLOB_SECRET_VARS = {
    "private_key": "EDGE_CLOB_PRIVATE_KEY",
    "api_key": "EDGE_CLOB_API_KEY",
    "api_secret": "EDGE_CLOB_API_SECRET",
    "api_passphrase": "EDGE_CLOB_API_PASSPHRASE",
}


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


# Resource fields an environment variable may set: variable -> (resource key, field, parser).
# A variable that is not set passes nothing on, so the resource's own default holds.
RESOURCE_VARS = {
    "EDGE_SPORTS": ("settings", "sports", _names),
    "EDGE_MIN_EV": ("settings", "min_ev", float),
    "EDGE_MIN_SIZE": ("settings", "min_size", float),
    "EDGE_ODDS_API_QUOTA_FLOOR": ("oddsapi", "quota_floor", int),
    "EDGE_ODDS_API_REGIONS": ("oddsapi", "regions", lambda value: ",".join(_names(value))),
    "EDGE_SIGNAL_ALERT_MAX_AGE_HOURS": ("alerting", "signal_max_age_hours", float),
}


def _market_channel_default(name: str, venue_urls: Mapping[str, str]) -> str:
    """Polymarket's channel in production; locally the simulator's, beside its CLOB."""
    if name == "production":
        return PRODUCTION_MARKET_CHANNEL_URL
    return "ws" + venue_urls["clob"].removeprefix("http") + MARKET_CHANNEL_PATH


def _resource_fields(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The resource fields set by the variables of `RESOURCE_VARS` that are set."""
    fields: dict[str, dict[str, Any]] = {}
    for variable, (resource, field_name, parse) in RESOURCE_VARS.items():
        if env.get(variable):
            try:
                value = parse(env[variable])
            except ValueError:
                raise ValueError(f"{variable}={env[variable]!r} is not a valid {field_name}") from None
            fields.setdefault(resource, {})[field_name] = value
    return fields


def _trading_settings(env: Mapping[str, str], cls: type, prefix: str = "EDGE_TRADING_") -> Any:
    """`cls` (RiskLimits or ExecutionSettings) with each field set by EDGE_TRADING_<FIELD> when given."""
    values: dict[str, Any] = {}
    for item in fields(cls):
        variable = prefix + item.name.upper()
        if not env.get(variable):
            continue
        default = getattr(cls(), item.name)
        try:
            if isinstance(default, frozenset):
                values[item.name] = frozenset(_names(env[variable]))
            else:
                values[item.name] = type(default)(env[variable])
        except ValueError:
            raise ValueError(f"{variable}={env[variable]!r} is not a valid {item.name}") from None
    return cls(**values)


def _trading_config(env: Mapping[str, str], name: str, clob_url: str) -> TradingConfig:
    mode_name = env.get("EDGE_TRADING_MODE", TradingMode.DRY)
    try:
        mode = TradingMode(mode_name)
    except ValueError:
        raise ValueError(f"EDGE_TRADING_MODE must be dry, paper or live, not {mode_name!r}") from None
    credentials = None
    if mode is TradingMode.PAPER and name == "local":
        credentials = SIMULATOR_CLOB_CREDENTIALS
    elif mode is TradingMode.LIVE:
        missing = [variable for variable in CLOB_SECRET_VARS.values() if not env.get(variable)]
        if missing:
            raise ValueError(f"trading mode live needs {', '.join(missing)}")
        credentials = VenueCredentials(**{key: env[variable] for key, variable in CLOB_SECRET_VARS.items()})
    return TradingConfig(
        mode=mode,
        environment=name,
        clob_url=clob_url,
        credentials=credentials,
        live_confirmed=env.get("EDGE_TRADING_LIVE_CONFIRM") == LIVE_TRADING_CONFIRMATION,
        limits=_trading_settings(env, RiskLimits),
        execution=_trading_settings(env, ExecutionSettings),
    )


@dataclass(frozen=True)
class Environment:
    """Where the venues, the database and the lake are, as read from the environment."""

    name: str
    home: Path
    database_url: str
    lake_url: str
    s3_endpoint_url: str | None
    venue_urls: dict[str, str]
    market_channel_url: str
    odds_api_key_from_env: bool
    historical_books: bool
    # Resource fields the environment sets: resource key -> {field: value}.
    resource_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Names of the alerting variables that are set; their values stay in the environment.
    alert_secrets_set: frozenset[str] = frozenset()
    dagster_ui_url: str | None = None
    # The per-market odds stream's broker (`nats://...`); unset locally, the live service starts its own.
    stream_url: str | None = None
    # The bearer token the API asks for off loopback: a secret, so never in the repr.
    api_token: str | None = field(default=None, repr=False)
    mlflow_tracking_uri: str = ""
    # The EDGE_TRADING_* and CLOB credential variables, judged only when a trader is built (so a bad
    # trading setting never stops `trading halt`); they hold secrets, so never in the repr.
    trading_vars: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Environment:
        env = os.environ if environ is None else environ
        name = env.get("EDGE_ENV", "local")
        if name not in ("local", "production"):
            raise ValueError(f"EDGE_ENV must be 'local' or 'production', not {name!r}")
        home = Path(env.get("EDGE_HOME", DEFAULT_HOME)).resolve()
        if name == "local":
            simulator = env.get("EDGE_SIMULATOR_URL", DEFAULT_SIMULATOR_URL).rstrip("/")
            # The CLOB at its own base path, as on its own host (its market channel follows it).
            defaults = dict.fromkeys(PRODUCTION_URLS, simulator) | {"clob": simulator + SIMULATOR_CLOB_PATH}
        else:
            defaults = dict(PRODUCTION_URLS)
        venue_urls = {
            venue: env.get(f"EDGE_{venue.upper()}_URL", default).rstrip("/")
            for venue, default in defaults.items()
        }
        return cls(
            name=name,
            home=home,
            database_url=env.get("EDGE_DATABASE_URL", f"sqlite:///{home / 'edge.db'}"),
            lake_url=env.get("EDGE_LAKE_URL", str(home / "lake")),
            s3_endpoint_url=env.get("EDGE_S3_ENDPOINT_URL") or None,
            venue_urls=venue_urls,
            market_channel_url=env.get("EDGE_MARKET_CHANNEL_URL")
            or _market_channel_default(name, venue_urls),
            odds_api_key_from_env=name == "production" or ODDS_API_KEY_VAR in env,
            # Only the simulator serves past order books; the real CLOB is live-only.
            historical_books=name == "local",
            resource_fields=_resource_fields(env),
            alert_secrets_set=frozenset(name for name in ALERT_SECRET_VARS.values() if env.get(name)),
            dagster_ui_url=env.get("EDGE_DAGSTER_UI_URL") or None,
            stream_url=env.get("EDGE_STREAM_URL") or None,
            api_token=env.get("EDGE_API_TOKEN") or None,
            mlflow_tracking_uri=env.get("EDGE_MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}"),
            trading_vars={
                key: value
                for key, value in env.items()
                if key.startswith("EDGE_TRADING_") or key in CLOB_SECRET_VARS.values()
            },
        )

    def trading_config(self) -> TradingConfig:
        """The trader's validated mode, limits and CLOB credentials; a one-line ValueError if invalid."""
        return _trading_config(self.trading_vars, self.name, self.venue_urls["clob"])

    def trading_config_as_of(self, at: datetime) -> TradingConfig:
        """The trader's config for a signal decided at a past instant `at`, as a backfill decides it:
        dry as configured; paper on the simulator's CLOB replayed at `at` (its book then, not now);
        live refused, since real orders for history would trade today's book."""
        config = self.trading_config()
        if config.mode is TradingMode.LIVE:
            raise ValueError("trading mode live does not trade a backfill's past signals; use dry or paper")
        if config.mode is TradingMode.DRY:
            return config
        unix = SIMULATOR_CLOB_AT.format(unix=int(at.timestamp()))
        return dataclasses.replace(config, clob_url=config.clob_url + unix)

    def fields_of(self, resource: str) -> dict[str, Any]:
        """The fields of `resource` that the environment sets."""
        return dict(self.resource_fields.get(resource, {}))

    def odds_api_key(self) -> str | dg.EnvVar:
        return dg.EnvVar(ODDS_API_KEY_VAR) if self.odds_api_key_from_env else SIMULATOR_API_KEY

    def alert_settings(self) -> dict[str, dg.EnvVar]:
        """AlertingResource fields for the sinks that are configured, as EnvVars (never values)."""
        return {
            field: dg.EnvVar(name)
            for field, name in ALERT_SECRET_VARS.items()
            if name in self.alert_secrets_set
        }
