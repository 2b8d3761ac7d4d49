"""Deliver the `alerts` table's pending alerts to the configured sinks and record each outcome in its row.

Delivery is at least once: an alert is `sent` only when every sink took it; if any sink failed it
is `failed` with one more attempt counted, and the next run sends it to every sink again. Signal
alerts travel in batches (one message lists up to `signals_per_message` of them); every other alert
is a message of its own. Run delivery from one place at a time (one sensor): two concurrent runs
could both send the same pending alert.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from edge_assets.notify.alerts import FAILED, LOGGED, PENDING, SENT, SIGNAL_ALERT
from edge_assets.notify.formatting import plain_text
from edge_assets.notify.sinks import AlertSink, SinkError
from edge_assets.storage.db import Warehouse

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 12
DEFAULT_BATCH_SIZE = 200
DEFAULT_SIGNALS_PER_MESSAGE = 10

_PENDING_SQL = """
SELECT alert_id, created_at, kind, severity, subject, message, payload,
       delivery_status, attempts, delivered_at
FROM alerts
WHERE delivery_status IN (:pending, :failed) AND attempts < :max_attempts
ORDER BY created_at, alert_id
LIMIT :batch_size
"""

_RECENT_SQL = """
SELECT alert_id, created_at, kind, payload
FROM alerts
WHERE kind = :kind AND created_at >= :since
"""


@dataclass(frozen=True)
class DeliveryReport:
    """What one `deliver_pending` call did: alert ids by outcome, messages tried, and the sinks'
    (redacted) reasons for each failure."""

    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    logged: tuple[str, ...] = ()
    messages: int = 0
    errors: tuple[str, ...] = ()


def deliver_pending(
    warehouse: Warehouse,
    sinks: Sequence[AlertSink],
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    signals_per_message: int = DEFAULT_SIGNALS_PER_MESSAGE,
) -> DeliveryReport:
    """Send the oldest `pending` or `failed` alerts (fewer than `max_attempts` tries) to every sink.

    Each message's outcome is written to its alerts' rows before the next message goes out, so an
    interrupted run loses nothing. Every try counts in `attempts`, including the one that succeeds.
    With no sinks the alerts are written to the log and marked `logged`: nothing will deliver them.
    """
    pending = warehouse.read_frame(
        _PENDING_SQL,
        {"pending": PENDING, "failed": FAILED, "max_attempts": max_attempts, "batch_size": batch_size},
    )
    if pending.empty:
        return DeliveryReport()
    if not sinks:
        return _log_only(warehouse, pending)

    sent: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    messages = 0
    for group in _message_groups(pending, signals_per_message):
        alerts = group.to_dict("records")
        group_errors = []
        for sink in sinks:
            try:
                sink.send(alerts)
            except SinkError as error:
                group_errors.append(str(error))
        messages += 1
        ids = group["alert_id"].tolist()
        outcome = group.assign(attempts=group["attempts"].astype(int) + 1)
        if group_errors:
            outcome = outcome.assign(delivery_status=FAILED, delivered_at=None)
            failed.extend(ids)
            errors.extend(group_errors)
            logger.warning(
                "%d alert(s) not delivered (attempt %d of %d): %s",
                len(ids),
                int(outcome["attempts"].max()),
                max_attempts,
                "; ".join(group_errors),
            )
        else:
            outcome = outcome.assign(delivery_status=SENT, delivered_at=pd.Timestamp(now))
            sent.extend(ids)
            logger.info("Delivered %d alert(s) to %s", len(ids), ", ".join(sink.name for sink in sinks))
        warehouse.upsert("alerts", outcome, ["alert_id"])
    return DeliveryReport(tuple(sent), tuple(failed), (), messages, tuple(errors))


def recent_signal_alerts(warehouse: Warehouse, since: datetime) -> pd.DataFrame:
    """Signal alerts raised at or after `since`: the `recent_alerts` that `signal_alerts` cools down on."""
    return warehouse.read_frame(_RECENT_SQL, {"kind": SIGNAL_ALERT, "since": since})


def _message_groups(pending: pd.DataFrame, signals_per_message: int) -> Iterator[pd.DataFrame]:
    """Signal alerts in chunks of `signals_per_message`, then every other alert alone, oldest first."""
    is_signal = pending["kind"] == SIGNAL_ALERT
    signals = pending[is_signal]
    for first in range(0, len(signals), max(1, signals_per_message)):
        yield signals.iloc[first : first + signals_per_message]
    for index in pending.index[~is_signal]:
        yield pending.loc[[index]]


def _log_only(warehouse: Warehouse, pending: pd.DataFrame) -> DeliveryReport:
    """No sink configured: the log line is the delivery."""
    for alert in pending.to_dict("records"):
        logger.info("Alert (no sink configured): %s", plain_text(alert))
    warehouse.upsert("alerts", pending.assign(delivery_status=LOGGED), ["alert_id"])
    return DeliveryReport(logged=tuple(pending["alert_id"]))


def alert_log_lines(alerts: pd.DataFrame, dagster_ui_url: str | None = None) -> list[str]:
    """One readable line per alert, for the log of an alert raised with no sink configured."""
    records: list[dict[str, Any]] = alerts.to_dict("records")
    return [plain_text(alert, dagster_ui_url) for alert in records]
