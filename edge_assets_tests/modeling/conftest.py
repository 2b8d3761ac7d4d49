"""A synthetic, labelled training set: a few hundred token-hours where the edge is learnable."""

import numpy as np
import pandas as pd
import pytest

from edge_assets.features import FEATURE_COLUMNS

T0 = pd.Timestamp("2026-11-01 00:00", tz="UTC")


def synthetic_training_set(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    """Token-hours over ~8 days, two tokens per event, each event's game 6-30 hours after its rows.

    The closing EV is the current EV plus noise, so the classifier has something to find; the rule
    fires where the current EV is high, and half of those are noise the model can learn to drop.
    """
    rng = np.random.default_rng(seed)
    hours = np.sort(rng.integers(0, 8 * 24, rows))
    event = hours // 12  # one event per 12-hour block
    frame = pd.DataFrame(rng.normal(0.0, 1.0, (rows, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS)
    frame["quote_ts"] = T0 + pd.to_timedelta(hours, unit="h")
    frame["pm_token_id"] = [f"tok{e}-{k}" for e, k in zip(event, rng.integers(0, 2, rows), strict=True)]
    frame["event_id"] = [f"ev{e}" for e in event]
    frame["game_start_ts"] = T0 + pd.to_timedelta((event + 1) * 12 + 6, unit="h")
    frame["hours_to_start"] = (frame["game_start_ts"] - frame["quote_ts"]) / pd.Timedelta(hours=1)
    frame["ev_after_costs"] = rng.normal(-0.02, 0.05, rows)
    frame["closing_ev"] = frame["ev_after_costs"] + 0.05 * frame["gap_drift_1h"] + rng.normal(0, 0.01, rows)
    frame["edge_valid"] = frame["closing_ev"] > 0
    frame["filled"] = True
    frame["effective_price"] = 0.5
    frame["closing_fair_prob"] = 0.5 * (1 + frame["closing_ev"])
    frame["clv"] = frame["closing_fair_prob"] - frame["effective_price"]
    frame["payout"] = (rng.random(rows) < frame["closing_fair_prob"]).astype(float)
    frame["realized_return"] = frame["payout"] / frame["effective_price"] - 1
    frame["rule_fired"] = frame["ev_after_costs"] > 0.02
    return frame.sort_values(["quote_ts", "pm_token_id"], ignore_index=True)


@pytest.fixture
def training_set() -> pd.DataFrame:
    return synthetic_training_set()
