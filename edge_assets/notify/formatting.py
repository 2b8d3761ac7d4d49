"""How an alert reads: its fields, its Dagster UI link, and its Slack, webhook and log renderings (pure).

An alert is a row of the `alerts` table (a mapping with ALERT_COLUMNS, `payload` as JSON text).
Signal alerts render as one line each so a batch reads as a list; every other alert gets a title,
labelled fields and a link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd

from edge_assets.notify.alerts import (
    CHECK_FAILURE_ALERT,
    FRESHNESS_ALERT,
    QUOTA_LOW_ALERT,
    RUN_FAILURE_ALERT,
    SIGNAL_ALERT,
)

SEVERITY_EMOJI = {"error": ":rotating_light:", "warning": ":warning:", "info": ":large_green_circle:"}
# Slack rejects a header over 150 characters and a section text over 3000.
SLACK_HEADER_LIMIT = 150
SLACK_SECTION_LIMIT = 3000


@dataclass(frozen=True)
class AlertView:
    """What a reader sees of one alert, whatever the channel."""

    kind: str
    severity: str
    title: str
    fields: tuple[tuple[str, str], ...]
    link: str | None
    link_label: str


def alert_payload(alert: Mapping[str, Any]) -> dict[str, Any]:
    """The alert's payload decoded from its JSON text (empty when it has none)."""
    text = alert.get("payload")
    return json.loads(text) if isinstance(text, str) and text else {}


def dagster_link(payload: Mapping[str, Any], dagster_ui_url: str | None) -> str | None:
    """Where the alert points in the Dagster UI: the run, the asset's checks, or the asset's partition."""
    if not dagster_ui_url:
        return None
    base = dagster_ui_url.rstrip("/")
    if payload.get("asset_key"):
        path = "/".join(quote(part, safe="") for part in str(payload["asset_key"]).split("/"))
        query: dict[str, str] = {}
        if payload.get("check_name"):
            query["view"] = "checks"
        elif payload.get("partition"):
            query = {"view": "partitions", "partition": str(payload["partition"])}
        return f"{base}/assets/{path}" + (f"?{urlencode(query)}" if query else "")
    if payload.get("run_id"):
        return f"{base}/runs/{quote(str(payload['run_id']), safe='')}"
    return None


def alert_view(alert: Mapping[str, Any], dagster_ui_url: str | None) -> AlertView:
    """The title, labelled fields and link of one alert."""
    payload = alert_payload(alert)
    kind, message = str(alert["kind"]), str(alert["message"])
    link = dagster_link(payload, dagster_ui_url)
    if kind == SIGNAL_ALERT:
        fields = _signal_fields(payload)
        title = str(alert["subject"])
        return AlertView(kind, str(alert["severity"]), title, fields, link, "Open the signals partition")
    if kind == CHECK_FAILURE_ALERT:
        fields = (
            ("Asset", str(payload.get("asset_key"))),
            ("Check", str(payload.get("check_name"))),
            ("What failed", message),
            ("Partition", str(payload.get("partition") or "-")),
        )
        title = f"Check {payload.get('check_name')} failed on {payload.get('asset_key')}"
        return AlertView(kind, str(alert["severity"]), title, fields, link, "Open the asset's checks")
    if kind == RUN_FAILURE_ALERT:
        fields = (
            ("Job", str(payload.get("job_name"))),
            ("Run", str(payload.get("run_id"))),
            ("Error", message),
        )
        return AlertView(kind, str(alert["severity"]), str(alert["subject"]), fields, link, "Open the run")
    if kind == FRESHNESS_ALERT:
        fields = (("Asset", str(payload.get("asset_key"))), ("Freshness", message))
        return AlertView(kind, str(alert["severity"]), str(alert["subject"]), fields, link, "Open the asset")
    if kind == QUOTA_LOW_ALERT:
        fields = (
            ("Requests left", str(payload.get("remaining"))),
            ("Threshold", str(payload.get("threshold"))),
        )
        return AlertView(kind, str(alert["severity"]), str(alert["subject"]), fields, link, "Open the asset")
    # Mapping alerts and any later kind: the message says it all.
    return AlertView(
        kind, str(alert["severity"]), str(alert["subject"]), (("Details", message),), link, "Open"
    )


def _signal_fields(payload: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    price = f"{payload['pm_price']:.3f} ask"
    if payload.get("vwap") is not None:
        price += f", {payload['vwap']:.3f} VWAP for the stake"
    stake = "-" if payload.get("stake") is None else f"{payload['stake']:,.2f} USDC"
    model = payload.get("model_version") or "rule only"
    if payload.get("devig_method"):
        model += f" ({payload['devig_method']} de-vig)"
    return (
        ("Market", str(payload.get("market"))),
        ("Outcome", str(payload.get("outcome"))),
        ("Polymarket price", f"{price} + {payload['fee']:.3f} fee"),
        ("Fair probability", f"{payload['fair_prob']:.1%}"),
        ("EV after costs", f"{payload['ev_after_costs']:+.1%}"),
        ("Stake", stake),
        ("Size at ask", f"{payload['size_available']:,.0f}"),
        ("Model version", model),
        ("As of", str(payload.get("as_of"))),
    )


def plain_text(alert: Mapping[str, Any], dagster_ui_url: str | None = None) -> str:
    """One log line: severity, title, fields and link."""
    view = alert_view(alert, dagster_ui_url)
    parts = [f"[{view.severity}] {view.title}"]
    parts.extend(f"{label}: {value}" for label, value in view.fields)
    if view.link:
        parts.append(view.link)
    return " | ".join(parts)


def slack_message(alerts: Sequence[Mapping[str, Any]], dagster_ui_url: str | None) -> dict[str, Any]:
    """Slack `text` (the notification fallback) and Block Kit `blocks` for one message.

    Several signal alerts make one message with a line per signal; any other alert is sent alone.
    """
    views = [alert_view(alert, dagster_ui_url) for alert in alerts]
    if all(view.kind == SIGNAL_ALERT for view in views):
        return _slack_signals(views)
    if len(views) != 1:
        raise ValueError("Only signal alerts are batched into one Slack message")
    view = views[0]
    title = f"{SEVERITY_EMOJI.get(view.severity, '')} {view.title}".strip()
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_escape(value)}"[:2000]} for label, value in view.fields
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:SLACK_HEADER_LIMIT], "emoji": True}},
        {"type": "section", "fields": fields[:10]},
    ]
    if view.link:
        blocks.append(_slack_link_block(view.link, view.link_label))
    return {"text": plain_text(alerts[0], dagster_ui_url)[:SLACK_SECTION_LIMIT], "blocks": blocks}


def _slack_signals(views: Sequence[AlertView]) -> dict[str, Any]:
    count = len(views)
    header = f"{SEVERITY_EMOJI['info']} {count} new +EV signal{'s' if count > 1 else ''}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}
    ]
    for view in views:
        fields = dict(view.fields)
        title = _escape(view.title)
        heading = f"*<{view.link}|{title}>*" if view.link else f"*{title}*"
        line = (
            f"{heading}\nPrice {fields['Polymarket price']} · fair {fields['Fair probability']} · "
            f"EV {fields['EV after costs']} · stake {_escape(fields['Stake'])} · "
            f"size {fields['Size at ask']} · model {_escape(fields['Model version'])} · "
            f"as of {fields['As of']}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line[:SLACK_SECTION_LIMIT]}})
    summary = "; ".join(f"{view.title} (EV {dict(view.fields)['EV after costs']})" for view in views)
    return {"text": f"{count} new +EV signal(s): {summary}"[:SLACK_SECTION_LIMIT], "blocks": blocks}


def _slack_link_block(link: str, label: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|{_escape(label)}>"}]}


def _escape(text: str) -> str:
    """Slack mrkdwn control characters, escaped as Slack documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_document(alerts: Sequence[Mapping[str, Any]], dagster_ui_url: str | None) -> dict[str, Any]:
    """The JSON body for a generic webhook: every alert with its columns, decoded payload and link."""
    return {
        "source": "edge_assets",
        "alerts": [_webhook_alert(alert, dagster_ui_url) for alert in alerts],
    }


def _webhook_alert(alert: Mapping[str, Any], dagster_ui_url: str | None) -> dict[str, Any]:
    view = alert_view(alert, dagster_ui_url)
    created_at = pd.Timestamp(alert["created_at"])
    return {
        "alert_id": alert["alert_id"],
        "created_at": created_at.isoformat(),
        "kind": alert["kind"],
        "severity": alert["severity"],
        "subject": alert["subject"],
        "message": alert["message"],
        "title": view.title,
        "fields": dict(view.fields),
        "payload": alert_payload(alert),
        "link": view.link,
    }
