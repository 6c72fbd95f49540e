"""What an engineer reads: short, localised, and free of patient data by construction."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pacs_contracts.events import IncidentEscalated, IncidentOpened, IncidentReassigned, PmDue, SlaBreached

OPENED = {
    "en": "[PACS] {incident_id} {severity} at {site_id}: {summary}. You own it at {tier}; respond now{due}.",
    "zh-CN": "[PACS] {incident_id} {site_id} 故障（{severity}）：{summary}。{tier} 由您负责，请立即响应{due}。",
}
DUE = {"en": " (by {at:%Y-%m-%d %H:%M} UTC)", "zh-CN": "（{at:%Y-%m-%d %H:%M} UTC 前）"}
ESCALATED = {
    "en": "[PACS] {incident_id} at {site_id} escalated {from_tier}→{to_tier}: {reason}. You own it now; respond now.",
    "zh-CN": "[PACS] {incident_id} {site_id} 已升级 {from_tier}→{to_tier}。现由您负责，请立即响应。",
}
PASSED_ON = {
    "en": "[PACS] {incident_id} at {site_id} escalated {from_tier}→{to_tier}: {assignee_id} owns it now. "
    "For your information; nothing to do.",
    "zh-CN": "[PACS] {incident_id} {site_id} 已升级 {from_tier}→{to_tier}，现由 {assignee_id} 负责。"
    "仅供知悉，无需处理。",
}
REASSIGNED = {
    "en": "[PACS] {incident_id} at {site_id} ({tier}) is now yours: {reason}. Respond now.",
    "zh-CN": "[PACS] {incident_id} {site_id}（{tier}）已转交给您，请立即响应。",
}


BREACHED = {
    "en": "[PACS] {incident_id} at {site_id} missed its {clock} deadline ({deadline:%Y-%m-%d %H:%M} UTC).",
    "zh-CN": "[PACS] {incident_id} {site_id} 已超出{clock}时限（{deadline:%Y-%m-%d %H:%M} UTC）。",
}
PM_DUE = {
    "en": "[PACS] Preventive maintenance {visit_id} at {site_id} is due {due_at:%Y-%m-%d}.",
    "zh-CN": "[PACS] {site_id} 预防性维护 {visit_id} 将于 {due_at:%Y-%m-%d} 到期。",
}
CLOCKS_ZH = {"response": "响应", "on_site": "到场"}
ACK = {"en": " Acknowledge: {url} or reply ACK {code}", "zh-CN": " 确认：{url} 或回复 ACK {code}"}


def ack_line(locale: str, url: str, code: str) -> str:
    return ACK.get(locale, ACK["en"]).format(url=url, code=code)


def notification_id(event_key: str, engineer_id: str, reason: str) -> str:
    """Deterministic, so one event never creates two notifications for one engineer."""
    digest = hashlib.sha256(f"{event_key}|{engineer_id}|{reason}".encode()).hexdigest()[:16].upper()
    return f"N-{digest}"


def incident_opened_text(event: IncidentOpened, locale: str) -> str:
    due = DUE.get(locale, DUE["en"]).format(at=event.response_due) if event.response_due else ""
    return OPENED.get(locale, OPENED["en"]).format(
        incident_id=event.incident_id, severity=event.severity.value, site_id=event.site_id,
        summary=event.summary, tier=event.tier.value, due=due,
    )  # fmt: skip


def incident_escalated_text(event: IncidentEscalated, locale: str) -> str:
    return ESCALATED.get(locale, ESCALATED["en"]).format(
        incident_id=event.incident_id, site_id=event.site_id, from_tier=event.from_tier.value,
        to_tier=event.to_tier.value, reason=event.reason,
    )  # fmt: skip


def passed_on_text(event: IncidentEscalated, locale: str) -> str:
    """For the owner the ladder took the incident from: who has it now, nothing asked of them."""
    return PASSED_ON.get(locale, PASSED_ON["en"]).format(
        incident_id=event.incident_id, site_id=event.site_id, from_tier=event.from_tier.value,
        to_tier=event.to_tier.value, assignee_id=event.assignee_id,
    )  # fmt: skip


def incident_reassigned_text(event: IncidentReassigned, locale: str) -> str:
    return REASSIGNED.get(locale, REASSIGNED["en"]).format(
        incident_id=event.incident_id, site_id=event.site_id, tier=event.tier.value, reason=event.reason
    )


def sla_breached_text(event: SlaBreached, locale: str) -> str:
    clock = CLOCKS_ZH.get(event.clock, event.clock) if locale == "zh-CN" else event.clock.replace("_", "-")
    return BREACHED.get(locale, BREACHED["en"]).format(
        incident_id=event.incident_id, site_id=event.site_id, clock=clock, deadline=event.deadline
    )


def pm_due_text(event: PmDue, locale: str) -> str:
    return PM_DUE.get(locale, PM_DUE["en"]).format(visit_id=event.visit_id, site_id=event.site_id,
                                                   due_at=event.due_at)  # fmt: skip


def new_notification(
    *, event_key: str, incident_id: str | None, visit_id: str | None, engineer_id: str, reason: str, text: str,
    channel: str, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """A message about an incident, or about a PM visit (`incident_id` None: a visit is no incident)."""
    return {
        "_id": notification_id(event_key, engineer_id, reason),
        "incident_id": incident_id,
        "visit_id": visit_id,
        "engineer_id": engineer_id,
        "reason": reason,
        "channel": channel,
        "status": "queued",
        "text": text,
        "created_at": now,
        "sent_at": None,
        "attempts": 0,
    }
