"""The trader's modes and limits, with their defaults written here once.

`environment.py` reads the variables that override them; this module only validates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from enum import StrEnum

# Live trading needs this exact value in EDGE_TRADING_LIVE_CONFIRM besides EDGE_TRADING_MODE=live.
LIVE_TRADING_CONFIRMATION = "yes-send-real-orders"
# The window `max_orders_per_minute` counts orders in.
ORDER_RATE_WINDOW = timedelta(minutes=1)


class TradingMode(StrEnum):
    """`dry` decides and records but sends nothing; `paper` sends real orders to the simulator's CLOB;
    `live` sends them to Polymarket's CLOB."""

    DRY = "dry"
    PAPER = "paper"
    LIVE = "live"


@dataclass(frozen=True)
class RiskLimits:
    """What the risk guard allows. Stakes and P&L are in USDC."""

    max_stake_per_order: float = 25.0
    max_stake_per_market: float = 100.0
    max_open_exposure: float = 500.0
    # Realised plus marked-to-market P&L of the UTC day, counting the new order as lost.
    daily_loss_limit: float = 100.0
    cooldown_seconds: float = 300.0
    max_orders_per_minute: int = 10
    blocked_leagues: frozenset[str] = frozenset()
    blocked_market_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, int | float) and value < 0:
                raise ValueError(f"risk limit {item.name} must not be negative, got {value}")
        if self.max_orders_per_minute < 1:
            raise ValueError("risk limit max_orders_per_minute must be at least 1")

    @property
    def order_lookback(self) -> timedelta:
        """How far back the cooldown and the per-minute cap look at past orders."""
        return max(timedelta(seconds=self.cooldown_seconds), ORDER_RATE_WINDOW)


@dataclass(frozen=True)
class ExecutionSettings:
    """How an order is placed: the price tolerance at placement, the per-market lock and the retries."""

    # A price this much worse than the signal's (in probability points) means the edge has gone.
    price_tolerance: float = 0.01
    # Outlasts a placement's worst case (4 attempts of up to three 5 s requests each), so a lock
    # expires only when its holder has died.
    lock_ttl_seconds: float = 120.0
    max_attempts: int = 4
    retry_backoff_seconds: float = 0.2
    # Fill-or-kill: a paper or live order either fills at the checked price or leaves nothing behind.
    order_type: str = "FOK"
    # How often the trader sweeps orders left `sending` by a process that died mid-placement.
    sweep_interval_seconds: float = 60.0

    def __post_init__(self) -> None:
        if not 0 <= self.price_tolerance < 1:
            raise ValueError(f"price tolerance must lie in [0, 1), got {self.price_tolerance}")
        if self.lock_ttl_seconds <= 0:
            raise ValueError("lock TTL must be positive")
        if self.max_attempts < 1:
            raise ValueError("max attempts must be at least 1")
        if self.sweep_interval_seconds < 0:
            raise ValueError("sweep interval must not be negative")
        if self.order_type not in ("FOK", "FAK", "GTC"):
            raise ValueError(f"order type must be FOK, FAK or GTC, not {self.order_type!r}")


@dataclass(frozen=True)
class VenueCredentials:
    """The CLOB signing key and L2 API credentials; kept out of every repr. Without the API
    credentials the venue derives them from the key (`create_or_derive_api_creds`)."""

    private_key: str = field(repr=False)
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    api_passphrase: str | None = field(default=None, repr=False)
    chain_id: int = 137

    def secrets(self) -> list[str]:
        return [
            secret
            for secret in (self.private_key, self.api_key, self.api_secret, self.api_passphrase)
            if secret
        ]


@dataclass(frozen=True)
class TradingConfig:
    """A validated trading setup: refuses at construction what must never run."""

    mode: TradingMode = TradingMode.DRY
    environment: str = "local"
    clob_url: str = ""
    credentials: VenueCredentials | None = field(default=None, repr=False)
    live_confirmed: bool = False
    limits: RiskLimits = RiskLimits()
    execution: ExecutionSettings = ExecutionSettings()

    def __post_init__(self) -> None:
        mode = self.mode
        if mode is TradingMode.DRY:
            return
        if mode is TradingMode.LIVE:
            if self.environment == "local":
                raise ValueError("trading mode live refuses to start in the local environment")
            if not self.live_confirmed:
                raise ValueError(
                    f"trading mode live needs EDGE_TRADING_LIVE_CONFIRM={LIVE_TRADING_CONFIRMATION}"
                )
        elif self.environment != "local":
            raise ValueError("trading mode paper sends to the simulator, which runs only in local")
        if not self.clob_url:
            raise ValueError(f"trading mode {mode} needs the CLOB URL")
        if self.credentials is None:
            raise ValueError(f"trading mode {mode} needs CLOB credentials (EDGE_CLOB_PRIVATE_KEY)")
