"""Alert delivery (Slack bot, Slack webhook, generic webhook) and Prometheus monitoring figures.

Plain Python over the `alerts` table and the warehouse: the Dagster sensors call it.
"""

from edge_assets.notify.delivery import DeliveryReport, alert_log_lines, deliver_pending, recent_signal_alerts
from edge_assets.notify.formatting import plain_text, slack_message, webhook_document
from edge_assets.notify.metrics import add_metrics_arguments, collect, run_metrics, serve_metrics
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
    "add_metrics_arguments",
    "alert_log_lines",
    "collect",
    "deliver_pending",
    "plain_text",
    "recent_signal_alerts",
    "run_metrics",
    "serve_metrics",
    "slack_message",
    "webhook_document",
]
