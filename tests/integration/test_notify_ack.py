"""Acknowledge from the message: the link in an engineer's message acknowledges the incident in escalation,
once; a forged link is refused; a message that seems to name a patient is refused, not sent."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pacs_contracts import Envelope
from pacs_contracts.events import IncidentAcknowledged, NotificationAcknowledged
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

LINK = re.compile(r"https://pso\.example/ack/(\S+)")


async def test_the_ack_link_acknowledges_the_incident_once_and_patient_data_is_never_sent(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any], tmp_path: Path
) -> None:
    events = await tap(NotificationAcknowledged.type, IncidentAcknowledged.type)
    log = tmp_path / "messages.log"
    escalation = escalation_app(settings_for(EscalationSettings))
    notify = notify_app(settings_for(NotifySettings, log_path=str(log), public_url="https://pso.example"))
    admin = bearer(escalation.state.kit, "ops", "admin")
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        ntf = await stack.enter_async_context(running(notify, admin))
        for engineer, tier, locale in (("ENG-A", "L1", "zh-CN"), ("ENG-B", "L2", "en")):  # English carries the reason
            body = {"engineer_id": engineer, "name": engineer, "region": "east", "tier": tier, "locale": locale}
            assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        site = {"site_id": "SITE-K", "name": "Ack Hospital", "region": "east", "account_engineer_id": "ENG-A"}
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        await publish(
            amqp_url, namespace, Envelope.wrap(make_fault_event(fault_id="F-K1", site_id="SITE-K"), producer="t")
        )

        def messages() -> list[dict[str, Any]]:
            return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []

        [message] = await eventually(lambda: messages() or None, timeout=15, what="ENG-A's message")
        assert message["to"] == "ENG-A" and "确认：https://pso.example/ack/" in message["text"]
        token = LINK.search(message["text"]).group(1)  # type: ignore[union-attr]

        forged = await ntf.get(f"/ack/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
        assert forged.status_code == 404 and forged.headers["content-type"] == "application/problem+json"
        first = await ntf.get(f"/ack/{token}", headers={"Authorization": ""})  # the link is the credential
        assert first.status_code == 200 and "已确认" in first.text, first.text
        second = await ntf.get(f"/ack/{token}")
        assert second.status_code == 200 and "Already acknowledged" in second.text

        incident_id = message["incident_id"]

        async def acknowledged() -> dict[str, Any] | None:
            found = (await esc.get(f"/api/v1/incidents/{incident_id}")).json()
            return found if found["state"] == "acknowledged" else None

        incident = await eventually(acknowledged, timeout=10, what="the incident acknowledged in escalation")
        assert incident["acknowledged_at"] is not None
        timeline = (await esc.get(f"/api/v1/incidents/{incident_id}/timeline")).json()
        assert any(e["what"] == "acknowledge" and e["by"] == "ENG-A" for e in timeline), timeline
        received = await events.at_least(2, timeout=10, what="acknowledgement events")
        assert sorted(m["type"] for m in received) == ["incident.acknowledged", "notification.acknowledged"]
        logged = (await ntf.get("/api/v1/notifications", params={"incident_id": incident_id})).json()["items"]
        assert [n["status"] for n in logged] == ["acknowledged"]

        # a supervisor's reason naming a patient reaches notify in incident.escalated: refused, counted, not sent
        supervisor = bearer(escalation.state.kit, "SUP-1", "supervisor", "engineer")
        moved = await esc.post(f"/api/v1/incidents/{incident_id}/escalate", headers=supervisor,
                               json={"reason": "images of PatientName DOE^JOHN fail to load"})  # fmt: skip
        assert moved.status_code == 200, moved.text

        async def refused() -> list[dict[str, Any]] | None:
            items = (await ntf.get("/api/v1/notifications", params={"incident_id": incident_id})).json()["items"]
            found = [n for n in items if n["status"] == "refused"]
            return found or None

        [kept] = await eventually(refused, timeout=10, what="the message refused")
        assert "DOE" not in kept["text"] and kept["engineer_id"] == "ENG-B"
        metrics = (await ntf.get("/metrics")).text
        assert 'pacs_notify_refused_total{kind="person_name"} 1.0' in metrics
        assert all("DOE" not in m["text"] for m in messages()), "nothing with the patient's name was sent"
