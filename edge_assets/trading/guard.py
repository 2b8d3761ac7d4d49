"""The risk guard: the one function every order passes, and the only holder of the venue.

`check_order` is pure: given a proposed order, the book of what is held and sent, the limits and the
time, it names the first limit the order would break, or None. `RiskGuard.submit` runs it and, only
when it passes, hands the venue a clearance sealed with this module's private seal; the venue refuses
anything else. No other module imports `trading._venue` (a test checks it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge_assets.trading._venue import UNCONFIRMED as UNCONFIRMED
from edge_assets.trading._venue import ClobVenue, VenueOutcome

# Re-exported for the trader, which may not import the venue module.
from edge_assets.trading._venue import VenueError as VenueError
from edge_assets.trading._venue import VenueFill as VenueFill
from edge_assets.trading.limits import ORDER_RATE_WINDOW, RiskLimits, TradingConfig, TradingMode

# Proof that a clearance came from this module; never leaves it except into the venue it builds.
_SEAL = object()


@dataclass(frozen=True)
class ProposedOrder:
    """A buy of `size` shares of one outcome token at `price` (stake = price * size USDC)."""

    signal_id: str
    market_id: str
    token_id: str
    outcome: str
    price: float
    size: float
    league: str | None = None
    market_type: str | None = None

    @property
    def stake(self) -> float:
        return self.price * self.size


@dataclass(frozen=True)
class RiskState:
    """What the guard judges against: the kill switch, stakes held or in flight, today's P&L and
    recent orders."""

    halted: bool = False
    open_exposure: float = 0.0
    market_stakes: dict[str, float] = field(default_factory=dict)
    daily_pnl: float = 0.0
    # When each (market, outcome) was last ordered, and every order's time (for the per-minute cap).
    last_order_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    order_times: tuple[datetime, ...] = ()


# Limit names as they appear in `executions.stopped_by`, in the order they are checked.
KILL_SWITCH = "kill_switch"
BLOCKED_LEAGUE = "blocked_league"
BLOCKED_MARKET_TYPE = "blocked_market_type"
MAX_STAKE_PER_ORDER = "max_stake_per_order"
MAX_STAKE_PER_MARKET = "max_stake_per_market"
MAX_OPEN_EXPOSURE = "max_open_exposure"
DAILY_LOSS_LIMIT = "daily_loss_limit"
COOLDOWN = "cooldown"
MAX_ORDERS_PER_MINUTE = "max_orders_per_minute"
# A tiny slack so a stake computed as price * size is not refused for rounding at an exact cap.
_EPSILON = 1e-9


def check_order(order: ProposedOrder, state: RiskState, limits: RiskLimits, now: datetime) -> str | None:
    """The first limit `order` would break at `now`, or None when every limit allows it."""
    stake = order.stake
    last = state.last_order_at.get((order.market_id, order.outcome))
    checks = [
        (KILL_SWITCH, state.halted),
        (BLOCKED_LEAGUE, order.league is not None and order.league in limits.blocked_leagues),
        (
            BLOCKED_MARKET_TYPE,
            order.market_type is not None and order.market_type in limits.blocked_market_types,
        ),
        (MAX_STAKE_PER_ORDER, stake > limits.max_stake_per_order + _EPSILON),
        (
            MAX_STAKE_PER_MARKET,
            state.market_stakes.get(order.market_id, 0.0) + stake > limits.max_stake_per_market + _EPSILON,
        ),
        (MAX_OPEN_EXPOSURE, state.open_exposure + stake > limits.max_open_exposure + _EPSILON),
        (DAILY_LOSS_LIMIT, state.daily_pnl - stake < -limits.daily_loss_limit - _EPSILON),
        (COOLDOWN, last is not None and now - last < timedelta(seconds=limits.cooldown_seconds)),
        (
            MAX_ORDERS_PER_MINUTE,
            sum(now - ORDER_RATE_WINDOW < moment <= now for moment in state.order_times)
            >= limits.max_orders_per_minute,
        ),
    ]
    return next((name for name, broken in checks if broken), None)


@dataclass(frozen=True)
class Clearance:
    """The guard's permission for one order; the venue accepts nothing else."""

    order: ProposedOrder
    clearance_id: str
    seal: object = field(repr=False)


@dataclass(frozen=True)
class GuardDecision:
    """`stopped_by` names the limit that refused the order; `outcome` is the venue's answer (None when
    refused, or in dry mode, where nothing is sent)."""

    stopped_by: str | None
    outcome: VenueOutcome | None = None


class RiskGuard:
    """Checks every order and, in paper and live mode, places those that pass."""

    def __init__(self, config: TradingConfig, sleep: Callable[[float], None] | None = None) -> None:
        self.config = config
        self._venue: ClobVenue | None = None
        if config.mode is not TradingMode.DRY:
            assert config.credentials is not None  # TradingConfig refuses paper/live without them
            extra = {} if sleep is None else {"sleep": sleep}
            self._venue = ClobVenue(config.clob_url, config.credentials, config.execution, _SEAL, **extra)

    def submit(
        self,
        order: ProposedOrder,
        state: RiskState,
        now: datetime,
        on_signed: Callable[[str], None] | None = None,
    ) -> GuardDecision:
        stopped_by = check_order(order, state, self.config.limits, now)
        if stopped_by is not None or self._venue is None:
            return GuardDecision(stopped_by)
        clearance = Clearance(order, uuid.uuid4().hex, _SEAL)
        return GuardDecision(None, self._venue.place(clearance, on_signed))

    def reconcile(self, order_id: str, token_id: str) -> VenueOutcome | None:
        """What the venue knows of an order sent earlier whose answer was lost with its process: its
        status and fills, or None when it never arrived. Reads only; raises VenueError when the venue
        cannot tell now."""
        if self._venue is None:
            raise RuntimeError("dry mode sends nothing, so it has no order to reconcile")
        found = self._venue.reconcile(order_id, token_id)
        return None if found is None else VenueOutcome(order_id, found[0], 0, found[1])
