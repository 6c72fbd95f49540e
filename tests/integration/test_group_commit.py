"""Requests made at the same moment share transactions (group commit), and each still gets its own answer: its own
fault or action, its own event, its own audit record; a conflicting retry or a lost race among them is refused
alone."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from pacs_contracts import Envelope
from pacs_contracts.events import FaultReported, IncidentAcknowledged, SiteRegistered
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_intake.main import create_app as intake_app
from pacs_intake.settings import IntakeSettings
from pacs_kit.service import Kit
from tests.integration.conftest import running
from tests.support import bearer, eventually, incident_for_fault, make_fault, publish

FAULTS = 120


async def all_published(kit: Kit) -> None:
    """Every event the service saved has left its outbox, confirmed by the broker (so routed to our tap)."""

    async def empty() -> bool:
        return await kit.outbox.collection.count_documents({}) == 0

    await eventually(empty, timeout=15, what="the outbox emptied")


async def test_faults_posted_together_each_get_their_own_fault_event_and_audit_record(
    settings_for: Callable[..., Any], amqp_url: str, namespace: str, tap: Callable[..., Any]
) -> None:
    reported = await tap(FaultReported.type)
    app = intake_app(settings_for(IntakeSettings))
    kit: Kit = app.state.kit
    async with running(app) as client:
        site = SiteRegistered(site_id="SITE-GC", name="Group Hospital", region="east", account_engineer_id="ENG-GC")
        await publish(amqp_url, namespace, Envelope.wrap(site, producer="escalation"))
        await eventually(lambda: app.state.deps.sites.exists("SITE-GC"), timeout=10, what="intake knows the site")
        key = await kit.auth.api_keys.create("SITE-GC", name="HIS")
        his = {"X-API-Key": key}
        first = make_fault("SITE-GC", external_ref="HIS-GC-SAME")
        assert (await client.post("/api/v1/faults", json=first, headers=his)).status_code == 202

        bodies = [
            make_fault("SITE-GC", description=f"Archive rejects studies from modality {n}") for n in range(FAULTS)
        ]
        conflicting = {**first, "description": "A different fault under a used external_ref"}
        answers = await asyncio.gather(
            *(client.post("/api/v1/faults", json=b, headers=his) for b in [*bodies, conflicting, first])
        )

        *fresh, refused, retried = answers
        assert [a.status_code for a in fresh] == [202] * FAULTS, [a.text for a in fresh if a.status_code != 202]
        assert refused.status_code == 409 and refused.json()["type"].endswith("conflicting-retry")
        assert retried.status_code == 202 and retried.json()["duplicate"] is True
        ids = [a.json()["fault_id"] for a in fresh]
        assert len(set(ids)) == FAULTS

        events = await reported.at_least(FAULTS + 1, timeout=15, what="one fault.reported per accepted fault")
        await all_published(kit)  # a doubled event would have been published, and routed, by then
        per_fault = Counter(e["payload"]["fault_id"] for e in await reported.drain())
        assert len(events) >= FAULTS + 1 and all(per_fault[i] == 1 for i in ids) and max(per_fault.values()) == 1

        staff = bearer(kit, "auditor", "admin")
        for n in (0, FAULTS // 2, FAULTS - 1):  # each fault is found by its own request
            got = await client.get(f"/api/v1/faults/{ids[n]}", headers=staff)
            assert got.json()["description"] == bodies[n]["description"]
        records = await kit.audit.collection.find({"action": "POST /api/v1/faults"}).to_list()
        outcomes = Counter(r["outcome"] for r in records)
        assert outcomes["committed"] == FAULTS + 1, outcomes  # the first, then every fresh fault
        assert outcomes[409] == 1 and outcomes[202] == 1, outcomes  # the refusal and the retry, after their answers
        bodies_kept = {r["request"] for r in records if r["outcome"] == "committed"}
        assert all(any(b["external_ref"] in kept for kept in bodies_kept) for b in bodies), "each its own record"


async def test_actions_taken_together_each_get_their_own_answer_and_a_race_on_one_incident_is_refused_once(
    settings_for: Callable[..., Any], amqp_url: str, namespace: str, tap: Callable[..., Any]
) -> None:
    acknowledged = await tap(IncidentAcknowledged.type)
    app = escalation_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    async with running(app, bearer(kit, "ops", "admin")) as client:
        engineer = {"engineer_id": "ENG-GA", "name": "Acting", "region": "east", "tier": "L1"}
        assert (await client.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-GA", "name": "Acting Hospital", "region": "east", "account_engineer_id": "ENG-GA"}
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        ids = [await incident_for_fault(client, amqp_url, namespace, "SITE-GA") for _ in range(8)]
        owner = bearer(kit, "ENG-GA", "engineer")

        def ack(incident_id: str) -> Any:
            return client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=owner)

        answers = await asyncio.gather(*(ack(i) for i in [*ids, ids[0]]))  # the first twice, at the same moment
        assert sorted(a.status_code for a in answers) == [200] * 8 + [409], [a.text for a in answers]
        assert all(a.status_code == 200 for a in answers[1:8]), "the others are untouched by the race"
        states = {i: (await client.get(f"/api/v1/incidents/{i}")).json()["state"] for i in ids}
        assert set(states.values()) == {"acknowledged"}
        events = await acknowledged.at_least(8, timeout=10, what="one incident.acknowledged per incident")
        await all_published(kit)
        assert Counter(e["payload"]["incident_id"] for e in await acknowledged.drain()) == Counter(ids)
        assert len(events) == 8
