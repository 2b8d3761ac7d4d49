"""Fault injection: failed requests (429, 5xx, slow answers) and damaged records (malformed, stale)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

STALE_HOURS = (3, 9)  # stale records carry timestamps this many hours in the past


@dataclass(frozen=True)
class Faults:
    """Fault rates, each a probability per request (429, 5xx, timeout) or per record (malformed, stale)."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    rate_malformed: float = 0.0
    rate_stale: float = 0.0
    retry_after_s: int = 1
    timeout_delay_s: float = 5.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_5xx", "rate_timeout", "rate_malformed", "rate_stale"):
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

    def malformed(self) -> bool:
        return self._hit(self.faults.rate_malformed)

    def stale_seconds(self) -> float:
        """How far to push a record's timestamps into the past (0 unless a stale fault hits)."""
        if not self._hit(self.faults.rate_stale):
            return 0.0
        with self._lock:
            return self._random.uniform(*STALE_HOURS) * 3600

    def pick(self, options: list | tuple):
        """A seeded choice (which corruption to apply, which level to damage)."""
        return self._choice(options)
