"""The alerting resource: which sinks are configured, and raising alerts into the `alerts` table."""

from __future__ import annotations

import logging
from datetime import datetime

import dagster as dg
import pandas as pd
from dagster_slack import SlackResource

from edge_assets.notify.alerts import with_initial_delivery_status
from edge_assets.notify.delivery import DeliveryReport, alert_log_lines, deliver_pending
from edge_assets.notify.sinks import AlertSink, GenericWebhookSink, SlackBotSink, SlackWebhookSink
from edge_assets.storage.db import Warehouse

logger = logging.getLogger(__name__)


class AlertingResource(dg.ConfigurableResource):
    """Where alerts go: a Slack bot (token + channel), a Slack incoming webhook, a generic JSON
    webhook — any that are set. With none, alerts are logged and kept in the `alerts` table."""

    slack_token: str | None = None
    slack_channel: str | None = None
    slack_webhook_url: str | None = None
    alert_webhook_url: str | None = None
    dagster_ui_url: str | None = None
    signal_cooldown_minutes: float = 60.0
    # Only signals this recent are news; a backfill's old signals are history, not alerts.
    signal_max_age_hours: float = 2.0

    def sinks(self) -> list[AlertSink]:
        options = {"dagster_ui_url": self.dagster_ui_url}
        sinks: list[AlertSink] = []
        if self.slack_token and self.slack_channel:
            sinks.append(SlackBotSink(SlackResource(token=self.slack_token), self.slack_channel, **options))
        if self.slack_webhook_url:
            sinks.append(SlackWebhookSink(self.slack_webhook_url, **options))
        if self.alert_webhook_url:
            sinks.append(GenericWebhookSink(self.alert_webhook_url, **options))
        return sinks

    @property
    def has_sinks(self) -> bool:
        return bool(
            (self.slack_token and self.slack_channel) or self.slack_webhook_url or self.alert_webhook_url
        )

    def raise_alerts(self, warehouse: Warehouse, alerts: pd.DataFrame) -> int:
        """Store new alerts (an alert already stored is not stored again); return how many were new.

        Without sinks they are written to the log now, since nothing will deliver them later.
        """
        if alerts.empty:
            return 0
        alerts = with_initial_delivery_status(alerts, self.has_sinks)
        new = warehouse.insert_missing("alerts", alerts, ["alert_id"])
        if new and not self.has_sinks:
            for line in alert_log_lines(alerts, self.dagster_ui_url):
                logger.warning(line)
        return new

    def deliver(self, warehouse: Warehouse, now: datetime) -> DeliveryReport:
        return deliver_pending(warehouse, self.sinks(), now)
