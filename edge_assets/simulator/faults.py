"""Fault injection: failed requests (429, 5xx, slow answers), damaged records (malformed, stale) and
market-channel faults (silent streams, dropped connections)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields

from .randomness import uniform

STALE_HOURS = (3, 9)  # stale records carry timestamps this many hours in the past
_SILENT_KEY, _DROP_KEY = 11, 12  # keys of the market-channel draws, apart from the world's own


@dataclass(frozen=True)
class Faults:
    """Fault rates, each a probability per request (429, 5xx, timeout), per record (malformed,
    stale, empty side: a CLOB book served with one side's levels gone), per market-channel
    connection (silent) or per connection and minute (drop).

    `rate_order_timeout` is the ambiguous placement: the order is accepted and matched (the order
    and trade logs show it) but its answer stalls `timeout_delay_s`, so the client times out."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    rate_malformed: float = 0.0
    rate_stale: float = 0.0
    rate_empty_side: float = 0.0
    rate_silent: float = 0.0
    rate_drop: float = 0.0
    rate_order_timeout: float = 0.0
    retry_after_s: int = 1
    timeout_delay_s: float = 5.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (field.name for field in fields(self) if field.name.startswith("rate_")):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")


class FaultInjector:
    """Draws faults from one seeded generator shared by the server's threads."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()

    def _hit(self, rate: float) -> bool:
        if rate <= 0.0:
            return False
        with self._lock:
            return self._random.random() < rate

    def _choice(self, options: list | tuple):
        with self._lock:
            return self._random.choice(options)

    def delay(self) -> float:
        """Seconds to stall before answering (0 unless a timeout fault hits)."""
        return self.faults.timeout_delay_s if self._hit(self.faults.rate_timeout) else 0.0

    def failure(self) -> tuple[int, dict[str, str]] | None:
        """An error status and headers to answer with instead of the payload, or None."""
        if self._hit(self.faults.rate_429):
            return 429, {"Retry-After": str(self.faults.retry_after_s)}
        if self._hit(self.faults.rate_5xx):
            return self._choice((500, 502, 503)), {}
        return None

    def order_timeout(self) -> float:
        """Seconds to stall an order's answer after it was matched (0 unless the fault hits)."""
        return self.faults.timeout_delay_s if self._hit(self.faults.rate_order_timeout) else 0.0

    def malformed(self) -> bool:
        return self._hit(self.faults.rate_malformed)

    def emptied_side(self) -> str | None:
        """Which side of a book to serve without levels ("bids" or "asks"; None unless the fault hits)."""
        return self._choice(("bids", "asks")) if self._hit(self.faults.rate_empty_side) else None

    def stale_seconds(self) -> float:
        """How far to push a record's timestamps into the past (0 unless a stale fault hits)."""
        if not self._hit(self.faults.rate_stale):
            return 0.0
        with self._lock:
            return self._random.uniform(*STALE_HOURS) * 3600

    def pick(self, options: list | tuple):
        """A seeded choice (which corruption to apply, which level to damage)."""
        return self._choice(options)

    # Market-channel faults are hashed from (seed, connection number[, minute]) rather than drawn from
    # the shared generator, so they repeat under a seed whatever the HTTP traffic in between.

    def silent(self, connection: int) -> bool:
        """Whether the `connection`-th market-channel connection goes silent once subscribed."""
        return uniform(self.faults.seed, _SILENT_KEY, connection) < self.faults.rate_silent

    def dropped(self, connection: int, minute: int) -> bool:
        """Whether the server drops the `connection`-th connection at world minute `minute`."""
        return uniform(self.faults.seed, _DROP_KEY, connection, minute) < self.faults.rate_drop
