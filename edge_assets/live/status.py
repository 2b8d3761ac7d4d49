"""The live service's heartbeat, as Dagster observes and judges it (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

STATUS_SQL = "SELECT * FROM live_status WHERE service = :service"
# The service writes its heartbeat every few seconds and the channel speaks at least every
# heartbeat (PONG); longer silences than these mean the detector has stalled.
MAX_HEARTBEAT_AGE = timedelta(minutes=2)
MAX_MESSAGE_AGE = timedelta(minutes=2)


@dataclass(frozen=True)
class Verdict:
    running: bool
    reason: str


def judge_status(status: pd.DataFrame, now: datetime) -> Verdict:
    """Whether the detector is alive: a recent heartbeat and a channel that still speaks."""
    if status.empty:
        return Verdict(False, "the live service has never run against this warehouse")
    row = status.iloc[0]
    beat_age = pd.Timestamp(now) - pd.Timestamp(row["updated_at"])
    if beat_age > MAX_HEARTBEAT_AGE:
        return Verdict(False, f"no heartbeat for {beat_age}: the live service is not running")
    if pd.isna(row["last_message_at"]):
        return Verdict(False, "the market channel has sent nothing since the service started")
    message_age = pd.Timestamp(now) - pd.Timestamp(row["last_message_at"])
    if message_age > MAX_MESSAGE_AGE:
        return Verdict(False, f"the market channel has been silent for {message_age}")
    return Verdict(True, f"{int(row['tokens'])} tokens followed, last message {message_age} ago")


def stream_figures(status: pd.DataFrame) -> dict:
    """What the odds stream's observation shows."""
    row = status.iloc[0]
    return {
        "messages": int(row["messages"]),
        "messages_per_second": float(row["messages_per_second"]),
        "consumer_lag": int(row["consumer_lag"]) if pd.notna(row["consumer_lag"]) else 0,
        "last_message_at": str(row["last_message_at"]),
        "tokens": int(row["tokens"]),
    }


def signal_figures(status: pd.DataFrame) -> dict:
    """What the live signals' observation shows."""
    row = status.iloc[0]
    return {
        "open_signals": int(row["open_signals"]),
        "signals_opened": int(row["signals_opened"]),
        "evaluations": int(row["evaluations"]),
        "heartbeat_at": str(row["updated_at"]),
    }
