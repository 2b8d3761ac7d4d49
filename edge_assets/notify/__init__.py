"""Alert delivery (Slack bot, Slack webhook, generic webhook) and Prometheus monitoring figures.

Plain Python over the `alerts` table and the warehouse: the Dagster sensors call it.
"""

import importlib

# Names load from their submodule on first use, so importing `edge_assets.notify.logs` (which the
# venue HTTP client needs) does not also load the sinks' Dagster-Slack resource and the warehouse.
_SUBMODULE_OF = {
    "AlertSink": "sinks",
    "DeliveryReport": "delivery",
    "GenericWebhookSink": "sinks",
    "RetryPolicy": "sinks",
    "SinkError": "sinks",
    "SlackBotSink": "sinks",
    "SlackWebhookSink": "sinks",
    "add_metrics_arguments": "metrics",
    "alert_log_lines": "delivery",
    "collect": "metrics",
    "deliver_pending": "delivery",
    "plain_text": "formatting",
    "recent_signal_alerts": "delivery",
    "run_metrics": "metrics",
    "serve_metrics": "metrics",
    "slack_message": "formatting",
    "webhook_document": "formatting",
}

__all__ = sorted(_SUBMODULE_OF)


def __getattr__(name: str):
    if name not in _SUBMODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_SUBMODULE_OF[name]}"), name)
