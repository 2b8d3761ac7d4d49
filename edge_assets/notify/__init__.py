"""Alert delivery: Slack bot, Slack webhook and generic webhook sinks over the `alerts` table.

Plain Python over the `alerts` table and the warehouse: the Dagster sensors call it.
"""

from edge_assets.notify.delivery import DeliveryReport, alert_log_lines, deliver_pending, recent_signal_alerts
from edge_assets.notify.formatting import plain_text, slack_message, webhook_document
from edge_assets.notify.sinks import (
    AlertSink,
    GenericWebhookSink,
    RetryPolicy,
    SinkError,
    SlackBotSink,
    SlackWebhookSink,
)

__all__ = [
    "AlertSink",
    "DeliveryReport",
    "GenericWebhookSink",
    "RetryPolicy",
    "SinkError",
    "SlackBotSink",
    "SlackWebhookSink",
    "alert_log_lines",
    "deliver_pending",
    "plain_text",
    "recent_signal_alerts",
    "slack_message",
    "webhook_document",
]
