"""What an engineer reads: short, localised, and free of patient data by construction."""

from __future__ import annotations

import hashlib
from typing import Any

from pacs_contracts.events import IncidentOpened

TEMPLATES = {
    "en": "[PACS] {incident_id} {severity} at {site_id}: {summary}. You own it at {tier}; respond now.",
    "zh-CN": "[PACS] {incident_id} {site_id} 故障（{severity}）：{summary}。{tier} 由您负责，请立即响应。",
}


def notification_id(event_id: str, engineer_id: str, reason: str) -> str:
    """Deterministic, so one event never creates two notifications for one engineer."""
    digest = hashlib.sha256(f"{event_id}|{engineer_id}|{reason}".encode()).hexdigest()[:16].upper()
    return f"N-{digest}"


def incident_opened_text(event: IncidentOpened, locale: str) -> str:
    template = TEMPLATES.get(locale, TEMPLATES["en"])
    return template.format(
        incident_id=event.incident_id,
        severity=event.severity.value,
        site_id=event.site_id,
        summary=event.summary,
        tier=event.tier.value,
    )


def new_notification(
    *, event_id: str, event: IncidentOpened, engineer: dict[str, Any] | None, channel: str, now: Any
) -> dict[str, Any]:
    locale = engineer["locale"] if engineer else "en"
    return {
        "_id": notification_id(event_id, event.assignee_id, "incident.opened"),
        "incident_id": event.incident_id,
        "engineer_id": event.assignee_id,
        "reason": "incident.opened",
        "channel": channel,
        "status": "queued",
        "text": incident_opened_text(event, locale),
        "created_at": now,
        "sent_at": None,
        "attempts": 0,
    }
