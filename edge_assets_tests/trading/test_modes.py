"""Modes and limits as the environment sets them: DRY by default, live only when asked for twice, with
keys, outside `local`; every bad setting is a one-line error."""

from __future__ import annotations

import pytest

from edge_assets.environment import LIVE_TRADING_CONFIRMATION, Environment
from edge_assets.trading.limits import RiskLimits, TradingMode

LIVE_KEYS = {
    "EDGE_CLOB_PRIVATE_KEY": "0x" + "11" * 32,
    "EDGE_CLOB_API_KEY": "live-api-key",
    "EDGE_CLOB_API_SECRET": "bGl2ZS1zZWNyZXQ=",
    "EDGE_CLOB_API_PASSPHRASE": "live-passphrase",
}


def config(**variables):
    return Environment.from_env(variables).trading_config()


def test_dry_is_the_default_and_the_limits_default_in_one_place():
    trading = config()
    assert trading.mode is TradingMode.DRY and trading.credentials is None
    assert trading.limits == RiskLimits()


def test_each_limit_is_set_by_its_variable():
    trading = config(
        EDGE_TRADING_MAX_STAKE_PER_ORDER="3.5",
        EDGE_TRADING_MAX_ORDERS_PER_MINUTE="2",
        EDGE_TRADING_BLOCKED_LEAGUES="nhl, epl",
        EDGE_TRADING_PRICE_TOLERANCE="0.02",
    )
    assert trading.limits.max_stake_per_order == 3.5 and trading.limits.max_orders_per_minute == 2
    assert trading.limits.blocked_leagues == {"nhl", "epl"}
    assert trading.execution.price_tolerance == 0.02


def test_live_starts_only_in_production_with_keys_and_the_confirmation():
    production = {"EDGE_ENV": "production", "EDGE_TRADING_MODE": "live", **LIVE_KEYS}
    trading = config(**production, EDGE_TRADING_LIVE_CONFIRM=LIVE_TRADING_CONFIRMATION)
    assert trading.mode is TradingMode.LIVE and trading.clob_url == "https://clob.polymarket.com"
    for secret in LIVE_KEYS.values():
        assert secret not in repr(trading) and secret not in repr(Environment.from_env(production))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EDGE_TRADING_MODE": "yolo"}, "EDGE_TRADING_MODE must be dry, paper or live"),
        ({"EDGE_TRADING_MODE": "live", "EDGE_ENV": "production"}, "needs EDGE_CLOB_PRIVATE_KEY"),
        (
            {"EDGE_TRADING_MODE": "live", "EDGE_ENV": "production", **LIVE_KEYS},
            "needs EDGE_TRADING_LIVE_CONFIRM",
        ),
        (
            {
                "EDGE_TRADING_MODE": "live",
                "EDGE_TRADING_LIVE_CONFIRM": LIVE_TRADING_CONFIRMATION,
                **LIVE_KEYS,
            },
            "refuses to start in the local environment",
        ),
        ({"EDGE_TRADING_MODE": "paper", "EDGE_ENV": "production"}, "paper sends to the simulator"),
        ({"EDGE_TRADING_MAX_STAKE_PER_ORDER": "lots"}, "is not a valid max_stake_per_order"),
        ({"EDGE_TRADING_DAILY_LOSS_LIMIT": "-5"}, "must not be negative"),
    ],
)
def test_a_bad_trading_setting_is_a_one_line_error(variables, message):
    with pytest.raises(ValueError, match=message) as error:
        config(**variables)
    assert "\n" not in str(error.value)


def test_a_bad_trading_setting_does_not_stop_the_kill_switch():
    # `trading halt` reads only the database URL: a broken trading setup must never block it.
    assert Environment.from_env({"EDGE_TRADING_MODE": "yolo"}).database_url
