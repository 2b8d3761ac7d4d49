"""Alerts as rows of the `alerts` table (pure): what happened, how bad, and whether it was sent.

An alert's id is a hash of what it is about, so raising the same alert on every poll stores it once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

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
# With no sink configured an alert is logged and kept here; sinks come with the alerting work.
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
