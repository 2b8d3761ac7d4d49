"""Alerts as rows of the `alerts` table (pure): what happened, how bad, and whether it was sent.

An alert's id is a hash of what it is about, so raising the same alert on every poll stores it once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from edge_assets.mapping import AMBIGUOUS, SUSPECT, UNMAPPED

ALERT_COLUMNS = [
    "alert_id",
    "created_at",
    "kind",
    "severity",
    "subject",
    "message",
    "payload",
    "delivery_status",
    "attempts",
    "delivered_at",
]
# With no sink configured an alert is logged and kept here (see `initial_delivery_status`).
LOGGED = "logged"


def alert_row(
    kind: str, severity: str, subject: str, message: str, payload: dict, created_at: datetime
) -> dict:
    """An alert identified by its kind, subject and payload: the same facts make the same id."""
    identity = json.dumps([kind, subject, payload], sort_keys=True, default=str)
    return {
        "alert_id": hashlib.sha256(identity.encode()).hexdigest()[:32],
        "created_at": created_at,
        "kind": kind,
        "severity": severity,
        "subject": subject,
        "message": message,
        "payload": json.dumps(payload, sort_keys=True, default=str),
        "delivery_status": LOGGED,
        "attempts": 0,
        "delivered_at": None,
    }


def mapping_alerts(mappings: pd.DataFrame, created_at: datetime) -> pd.DataFrame:
    """One alert per suspect or ambiguous market, and one per league with unmapped markets.

    Non-sports markets are not alerts: they are not meant to map.
    """
    rows = []
    held = ((SUSPECT, "mapping_suspect", "error"), (AMBIGUOUS, "mapping_ambiguous", "warning"))
    for status, kind, severity in held:
        for market_id, group in mappings[mappings["status"] == status].groupby("pm_market_id"):
            reasons = sorted(set(group["reason"].dropna()))
            rows.append(
                alert_row(
                    kind,
                    severity,
                    f"Polymarket market {market_id}",
                    "; ".join(reasons),
                    {"pm_market_id": market_id, "tokens": group["pm_token_id"].tolist()},
                    created_at,
                )
            )
    unmapped = mappings[(mappings["status"] == UNMAPPED) & mappings["sport_key"].notna()]
    for sport_key, group in unmapped.groupby("sport_key"):
        markets = sorted(group["pm_market_id"].unique())
        rows.append(
            alert_row(
                "mapping_unmapped",
                "warning",
                f"{sport_key}: unmapped markets",
                f"{len(markets)} market(s) unmapped, e.g. "
                + "; ".join(sorted(set(group["reason"].dropna()))[:3]),
                {"sport_key": sport_key, "pm_market_ids": markets},
                created_at,
            )
        )
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


# Delivery states of an alert row. `logged` means no sink was configured when it was raised.
PENDING = "pending"
SENT = "sent"
FAILED = "failed"
DELIVERY_STATUSES = (LOGGED, PENDING, SENT, FAILED)

SIGNAL_ALERT = "signal"
CHECK_FAILURE_ALERT = "check_failure"
RUN_FAILURE_ALERT = "run_failure"
FRESHNESS_ALERT = "freshness_breach"
QUOTA_LOW_ALERT = "quota_low"

SIGNALS_ASSET_KEY = "signals"
# The format of HourlyPartitionsDefinition keys, so a signal alert can link to its partition.
HOURLY_PARTITION_KEY_FORMAT = "%Y-%m-%d-%H:%M"


def initial_delivery_status(sinks_configured: bool) -> str:
    """`pending` when some sink will deliver the alert, `logged` (log and table only) otherwise."""
    return PENDING if sinks_configured else LOGGED


def with_initial_delivery_status(alerts: pd.DataFrame, sinks_configured: bool) -> pd.DataFrame:
    """A copy of `alerts` ready to insert: status set by `initial_delivery_status`, no attempts yet."""
    ready = alerts.copy()
    ready["delivery_status"] = initial_delivery_status(sinks_configured)
    ready["attempts"] = 0
    ready["delivered_at"] = None
    return ready


def alerts_frame(rows: list[dict]) -> pd.DataFrame:
    """Alert rows (from the constructors here) as a frame with ALERT_COLUMNS, ready to insert."""
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def signal_alerts(
    signals: pd.DataFrame,
    created_at: datetime,
    cooldown: timedelta,
    recent_alerts: pd.DataFrame,
    *,
    market_questions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One alert per Polymarket token with signals, unless that token was alerted within `cooldown`.

    `signals` holds rows of the `signals` table; `recent_alerts` holds earlier rows of the `alerts`
    table (at least kind, created_at, payload) and may hold other kinds or older rows. A token with
    several signals in the frame (e.g. after a backfill) gets one alert, for its latest signal (the
    highest EV at that hour). Each alert is a row of its own, so its delivery is tracked on its
    own; delivery batches several signal alerts into one message. `market_questions` maps
    Polymarket market ids to their question, for a readable subject.
    """
    if signals.empty:
        return alerts_frame([])
    cooled_down = _tokens_alerted_since(recent_alerts, _utc(created_at) - cooldown)
    latest = signals.sort_values(["created_at", "ev_after_costs"]).groupby("pm_token_id").tail(1)
    best_first = latest.sort_values(["ev_after_costs", "pm_token_id"], ascending=[False, True])
    questions = market_questions or {}
    rows = [
        _signal_alert(signal, questions.get(signal["pm_market_id"]), created_at)
        for signal in best_first.to_dict("records")
        if signal["pm_token_id"] not in cooled_down
    ]
    return alerts_frame(rows)


def _tokens_alerted_since(recent_alerts: pd.DataFrame, since: pd.Timestamp) -> set[str]:
    """Tokens with a signal alert raised after `since`."""
    if recent_alerts.empty:
        return set()
    recent = recent_alerts[
        (recent_alerts["kind"] == SIGNAL_ALERT)
        & (pd.to_datetime(recent_alerts["created_at"], utc=True) > since)
    ]
    return {json.loads(text).get("pm_token_id") for text in recent["payload"].dropna()}


def _signal_alert(signal: Mapping[str, Any], question: str | None, created_at: datetime) -> dict:
    """The alert for one row of the `signals` table.

    The stake, VWAP and fill probability are the comparator's (columns of schema version 2); a
    signal without them still alerts, showing no stake.
    """
    as_of = _utc(signal["created_at"])
    market = question or f"market {signal['pm_market_id']}"
    payload = {
        "signal_id": signal["signal_id"],
        "market": market,
        "pm_market_id": signal["pm_market_id"],
        "pm_token_id": signal["pm_token_id"],
        "outcome": signal["outcome"],
        "event_id": signal["event_id"],
        **{name: _rounded(signal.get(name)) for name in _SIGNAL_FIGURES},
        "model_version": _text_or_none(signal.get("model_version")),
        "devig_method": _text_or_none(signal.get("devig_method")),
        "as_of": as_of.isoformat(),
        "asset_key": SIGNALS_ASSET_KEY,
        "partition": as_of.strftime(HOURLY_PARTITION_KEY_FORMAT),
    }
    message = (
        f"Buy {signal['outcome']} at {payload['pm_price']:.3f} (+{payload['fee']:.3f} fee) against a fair "
        f"{payload['fair_prob']:.1%}: EV {payload['ev_after_costs']:+.1%} after costs"
    )
    return alert_row(SIGNAL_ALERT, "info", f"{market}: {signal['outcome']}", message, payload, created_at)


# Numeric columns of a signal carried into its alert; rounded so float noise cannot change the alert id.
_SIGNAL_FIGURES = (
    "pm_price",
    "fee",
    "fair_prob",
    "ev_after_costs",
    "size_available",
    "vwap",
    "stake",
    "fill_prob",
)


def _rounded(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def check_failure_alert(
    asset_key: str,
    check_name: str,
    metadata_summary: Mapping[str, Any],
    partition: str | None,
    created_at: datetime,
    *,
    severity: str = "error",
) -> dict:
    """An asset check that failed: which asset, which check, on which partition, and what failed (its
    metadata).

    Its identity is what is alerted, not the run that evaluated it: a rerun that fails the same check
    on the same partition in the same way raises no second alert.
    """
    what_failed = "; ".join(f"{key}: {value}" for key, value in metadata_summary.items()) or "check failed"
    payload = {
        "asset_key": asset_key,
        "check_name": check_name,
        "partition": partition,
        "metadata": {key: _jsonable(value) for key, value in metadata_summary.items()},
    }
    return alert_row(
        CHECK_FAILURE_ALERT, severity, f"{asset_key} / {check_name}", what_failed, payload, created_at
    )


def run_failure_alert(job_name: str, run_id: str, error: str, created_at: datetime) -> dict:
    """A failed run of any job; `error` is the failure's message (pass it redacted)."""
    payload = {"job_name": job_name, "run_id": run_id}
    return alert_row(RUN_FAILURE_ALERT, "error", f"run of {job_name} failed", error, payload, created_at)


def freshness_alert(
    asset_key: str, last_updated_at: datetime | None, max_lag: timedelta, created_at: datetime
) -> dict:
    """An asset older than its allowed lag. One alert per stale state: raised again only after the
    asset was updated and went stale anew (the lag itself is in the message, not the identity)."""
    last = None if last_updated_at is None else _utc(last_updated_at)
    identity = {
        "asset_key": asset_key,
        "last_updated_at": None if last is None else last.isoformat(),
        "max_lag_seconds": max_lag.total_seconds(),
    }
    if last is None:
        message = "never updated"
    else:
        message = f"last updated {_duration(_utc(created_at) - last)} ago"
    message += f" (allowed {_duration(max_lag)})"
    return alert_row(FRESHNESS_ALERT, "warning", f"{asset_key} is stale", message, identity, created_at)


def quota_low_alert(remaining: int, threshold: int, created_at: datetime) -> dict:
    """The Odds API requests left fell below `threshold`. At most one alert per threshold and UTC day:
    every poll spends quota, so the remaining count alone would raise a new alert each minute."""
    day = _utc(created_at).date().isoformat()
    row = alert_row(
        QUOTA_LOW_ALERT,
        "warning",
        "Odds API quota running low",
        f"{remaining} requests left (threshold {threshold})",
        {"threshold": threshold, "day": day},
        created_at,
    )
    row["payload"] = json.dumps({"threshold": threshold, "day": day, "remaining": remaining}, sort_keys=True)
    return row


def _utc(moment: Any) -> pd.Timestamp:
    """An instant as a UTC timestamp; a naive one is taken to be UTC already."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _jsonable(value: Any) -> Any:
    """A metadata value as plain JSON: numbers and strings stay, anything else becomes its text."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _duration(span: timedelta) -> str:
    """A lag as a person reads it: `2h 05m`, `12m 30s`."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"
