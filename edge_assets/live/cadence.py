"""How often each sport's live odds are polled (pure): fast near game time, within the quota.

A sport with a followed market whose game starts soon is polled every `near_interval_s`, the others
every `interval_s`. The Odds API bills each call (markets x regions credits, its
`x-requests-last`), and what may be spent is what remains above the floor
(`x-requests-remaining` - floor), spread over the time left until the quota renews. When the
asked cadence would spend faster than that, every interval is stretched by the same factor, so
the spend rate never exceeds the budget's; at or below the floor nothing is polled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class OddsCadence:
    """The odds poll's cadence and the quota it lives within."""

    interval_s: float = 60.0
    near_interval_s: float = 15.0
    near_game: timedelta = timedelta(hours=2)  # a game starting within this is "near"
    quota_floor: int = 100

    def wanted_intervals(self, next_starts: Mapping[str, datetime | None], now: datetime) -> dict[str, float]:
        """Each sport's interval before the budget: near when its next followed game is near."""
        return {
            sport: self.near_interval_s
            if start is not None and start - now <= self.near_game
            else self.interval_s
            for sport, start in next_starts.items()
        }

    def intervals(
        self,
        wanted: Mapping[str, float],
        call_cost: Mapping[str, int],
        remaining: int | None,
        seconds_left: float,
    ) -> dict[str, float | None]:
        """Each sport's interval within the budget, None for no poll (the quota at its floor).

        `call_cost` is a sport's credits per call (1 until a response has said); `remaining` is
        None before any response, when the wanted intervals stand."""
        if remaining is None:
            return dict(wanted)
        budget = remaining - self.quota_floor
        if budget <= 0:
            return dict.fromkeys(wanted)
        spend_per_s = sum(call_cost.get(sport, 1) / interval for sport, interval in wanted.items())
        allowed_per_s = budget / max(seconds_left, 1.0)
        stretch = max(1.0, spend_per_s / allowed_per_s) if spend_per_s else 1.0
        return {sport: interval * stretch for sport, interval in wanted.items()}


def quota_renews_at(now: datetime) -> datetime:
    """When the Odds API quota renews: its plans are monthly, taken as the next UTC month's start."""
    now = now.astimezone(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)
