"""The live signal lifecycle (pure): one signal per token while its edge lasts.

A signal opens at the as-of time of the change that made a token's ask clear the rule
(`created_at`), is seen again on each later evaluation that still clears it (`last_seen_at`, the
best EV seen in `best_ev`), and closes at the as-of time of the first evaluation that no longer does
(`closed_at`). `detected_at` is the wall-clock time its row was first written. The id is the
comparator's, from the token and `created_at`, so rewriting a row is idempotent and a restart that
reloads the open signals continues them instead of opening a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pandas as pd

from edge_assets.signals.comparator import SIGNAL_COLUMNS

LIVE_SOURCE = "live"
LIFECYCLE_COLUMNS = [*SIGNAL_COLUMNS, "last_seen_at", "closed_at", "best_ev", "source"]


class SignalLifecycle:
    """The open live signals, by token, and the rows each evaluation opens, refreshes or closes."""

    def __init__(self, open_rows: pd.DataFrame | None = None):
        self._open: dict[str, dict] = {}
        if open_rows is not None and len(open_rows):
            for row in open_rows[open_rows["closed_at"].isna()].to_dict("records"):
                self._open[row["pm_token_id"]] = row

    @property
    def open_tokens(self) -> set[str]:
        return set(self._open)

    def observe(
        self, evaluated: Iterable[str], hits: pd.DataFrame, as_of: datetime, detected_at: datetime
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Judge the `evaluated` tokens at `as_of`; `hits` are their `find_signals` rows (after the
        gate). Return (rows to write, the signals this evaluation opened)."""
        by_token = {row["pm_token_id"]: row for row in hits.to_dict("records")}
        changed, opened = [], []
        for token in dict.fromkeys(evaluated):
            hit, current = by_token.get(token), self._open.get(token)
            if hit is not None and current is None:
                current = self._open[token] = _opened(hit, as_of, detected_at)
                opened.append(current)
            elif hit is not None:
                _refresh(current, hit, as_of)
            elif current is not None:
                current = self._open.pop(token) | {"closed_at": pd.Timestamp(as_of)}
            else:
                continue
            changed.append(dict(current))
        return _frame(changed), _frame(opened)

    def close_stale(self, now: datetime, max_silence: timedelta) -> pd.DataFrame:
        """Close, at their last sighting, open signals not seen for `max_silence` (e.g. ones left open
        by a service that stopped while their edge went away)."""
        cutoff = pd.Timestamp(now) - max_silence
        stale = [token for token, row in self._open.items() if pd.Timestamp(row["last_seen_at"]) < cutoff]
        closed = [self._open.pop(token) for token in stale]
        return _frame([row | {"closed_at": pd.Timestamp(row["last_seen_at"])} for row in closed])


def _opened(hit: dict, as_of: datetime, detected_at: datetime) -> dict:
    return hit | {
        "created_at": pd.Timestamp(as_of),
        "detected_at": pd.Timestamp(detected_at),
        "last_seen_at": pd.Timestamp(as_of),
        "closed_at": None,
        "best_ev": hit["ev_after_costs"],
        "source": LIVE_SOURCE,
    }


def _refresh(current: dict, hit: dict, as_of: datetime) -> None:
    """The signal is still there: its latest price and EV, and the best EV it has shown."""
    keep = {"signal_id", "created_at", "detected_at", "best_ev", "source", "provenance"}
    current.update({name: value for name, value in hit.items() if name not in keep})
    current["last_seen_at"] = pd.Timestamp(as_of)
    current["best_ev"] = max(float(current["best_ev"]), float(hit["ev_after_costs"]))


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=LIFECYCLE_COLUMNS)
