"""A seconds-scale contract on the real broker: unsolved faults climb L1→L2→L3→L4 on time, solved ones never."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from pacs_contracts import Envelope
from pacs_contracts.events import IncidentEscalated, SlaBreached, SlaTick
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.service import Kit
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from pacs_scheduler.main import create_app as scheduler_app
from pacs_scheduler.settings import SchedulerSettings
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

ENGINEERS = [("ENG-A", "east", "L1"), ("ENG-B", "east", "L2"), ("ENG-C", "east", "L3"), ("ENG-D", "global", "L4")]
STEPS = {"L2": 5.0, "L3": 10.0, "L4": 15.0}  # seconds of contract time; the next step bounds each one
CONTRACT = {
    "response": "PT3S",
    "on_site": "PT1M",
    "ladder": [{"after": f"PT{int(s)}S", "tier": tier} for tier, s in STEPS.items()],
}


async def _report(amqp_url: str, namespace: str, fault_id: str) -> None:
    await publish(
        amqp_url, namespace, Envelope.wrap(make_fault_event(fault_id=fault_id, site_id="SITE-X"), producer="t")
    )


async def _setup(client: httpx.AsyncClient) -> None:
    for engineer_id, region, tier in ENGINEERS:
        body = {"engineer_id": engineer_id, "name": engineer_id, "region": region, "tier": tier}
        assert (await client.post("/api/v1/engineers", json=body)).status_code == 201
    rotation = {"engineers": [], "rotation_start": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    for engineer_id, region, tier in ENGINEERS[1:]:
        response = await client.put(f"/api/v1/rosters/{region}/{tier}", json={**rotation, "engineers": [engineer_id]})
        assert response.status_code == 200, response.text
    site = {"site_id": "SITE-X", "name": "Ladder Hospital", "region": "east", "account_engineer_id": "ENG-A",
            "contract": CONTRACT}  # fmt: skip
    assert (await client.post("/api/v1/sites", json=site)).status_code == 201


async def _incident(client: httpx.AsyncClient, fault_id: str) -> dict[str, Any] | None:
    items = (await client.get("/api/v1/incidents", params={"fault_id": fault_id})).json()["items"]
    return items[0] if items else None


async def test_an_unsolved_fault_climbs_the_ladder_on_time_and_a_solved_one_never_does(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any], tmp_path: Path
) -> None:
    escalation = escalation_app(settings_for(EscalationSettings))
    kit: Kit = escalation.state.kit
    admin = bearer(kit, "ops", "admin")
    engineer = bearer(kit, "ENG-A", "engineer")
    events = await tap(IncidentEscalated.type, SlaBreached.type)
    ticks = await tap(SlaTick.type)
    notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "messages.log")))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(running(escalation, admin))
        notify_client = await stack.enter_async_context(running(notify, admin))
        await _setup(client)
        await stack.enter_async_context(running(scheduler_app(settings_for(SchedulerSettings))))

        await _report(amqp_url, namespace, "F-UNSOLVED")
        await _report(amqp_url, namespace, "F-SOLVED")
        unsolved = await eventually(lambda: _incident(client, "F-UNSOLVED"), timeout=10, what="unsolved incident")
        solved = await eventually(lambda: _incident(client, "F-SOLVED"), timeout=10, what="solved incident")
        path = f"/api/v1/incidents/{solved['incident_id']}"
        assert (await client.post(f"{path}/acknowledge", headers=engineer)).status_code == 200
        fix = {"root_cause": "service hung", "resolution": "restarted", "caused_by": "software"}
        assert (await client.post(f"{path}/resolve", json=fix, headers=engineer)).status_code == 200

        async def reached_l4() -> bool:
            received = await events.drain()
            return any(m["type"] == "incident.escalated" and m["payload"]["to_tier"] == "L4" for m in received)

        await eventually(reached_l4, timeout=40, what="escalation to L4")
        seen_ticks = len(await ticks.drain())
        await ticks.at_least(seen_ticks + 3, timeout=10, what="three more ticks after L4")
        received = await events.drain()

        opened = datetime.fromisoformat(unsolved["opened_at"])
        climbs = [m["payload"] for m in received if m["type"] == "incident.escalated"]
        assert {c["incident_id"] for c in climbs} == {unsolved["incident_id"]}, "the solved incident never climbs"
        assert [(c["from_tier"], c["to_tier"], c["assignee_id"]) for c in climbs] == [
            ("L1", "L2", "ENG-B"), ("L2", "L3", "ENG-C"), ("L3", "L4", "ENG-D"),
        ]  # fmt: skip
        bounds = [(STEPS["L2"], STEPS["L3"]), (STEPS["L3"], STEPS["L4"]), (STEPS["L4"], STEPS["L4"] + 5.0)]
        for climb, (deadline, next_deadline) in zip(climbs, bounds, strict=True):
            after = (datetime.fromisoformat(climb["escalated_at"]) - opened).total_seconds()
            assert deadline <= after < next_deadline, f"{climb['to_tier']} after {after:.1f}s"

        breaches = [m["payload"] for m in received if m["type"] == "sla.breached"]
        assert [(b["incident_id"], b["clock"]) for b in breaches] == [(unsolved["incident_id"], "response")]

        async def everyone_told() -> list[tuple[str, str]] | None:
            params = {"incident_id": unsolved["incident_id"]}
            items = (await notify_client.get("/api/v1/notifications", params=params)).json()["items"]
            # on-call messages go at once; information for the previous owners waits for their office hours
            told = [(n["kind"], n["engineer_id"]) for n in items if n["status"] == "sent" or n["kind"] == "info"]
            return told if len(told) == 7 else None

        told = await eventually(everyone_told, timeout=10, what="the owner and each new assignee notified")
        assert sorted(e for kind, e in told if kind == "oncall") == ["ENG-A", "ENG-B", "ENG-C", "ENG-D"]
        assert sorted(e for kind, e in told if kind == "info") == ["ENG-A", "ENG-B", "ENG-C"], "previous owners"
        final = await _incident(client, "F-UNSOLVED")
        assert final is not None and (final["tier"], final["assignee_id"]) == ("L4", "ENG-D")

        async def filed() -> dict[str, Any] | None:  # the escalation database holds every climb, with its reason
            response = await client.get(f"/api/v1/knowledge/cases/{unsolved['incident_id']}")
            case: dict[str, Any] | None = response.json() if response.status_code == 200 else None
            return case if case and len(case["escalations"]) == 3 else None

        case = await eventually(filed, timeout=15, what="the climbs filed in the escalation database")
        assert case["status"] == "open" and case["source"] == "incident"
        assert [e["to_tier"] for e in case["escalations"]] == ["L2", "L3", "L4"]
        assert all("unsolved after" in e["reason"] for e in case["escalations"])
        solved_case = (await client.get(f"/api/v1/knowledge/cases/{solved['incident_id']}")).json()
        assert (solved_case["status"], solved_case["root_cause"], solved_case["escalations"]) == (
            "resolved", "service hung", []
        )  # fmt: skip
