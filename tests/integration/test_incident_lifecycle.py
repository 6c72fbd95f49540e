"""Engineers drive an incident through its lifecycle over HTTP; contract edits never touch a running one; a
whole-system outage counts against the software budget, except inside a maintenance window agreed for the site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pacs_contracts import Envelope
from pacs_contracts.events import (
    IncidentAcknowledged,
    IncidentEscalated,
    IncidentReassigned,
    IncidentResolved,
    MaintenanceStarted,
    SiteRegistered,
)
from pacs_escalation.main import create_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.service import Kit
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

SITE = {"site_id": "SITE-L", "name": "Lifecycle Hospital", "region": "east", "account_engineer_id": "ENG-L"}


async def _estate(client: httpx.AsyncClient, contract: dict[str, Any] | None = None, *extra: tuple[str, str]) -> None:
    """ENG-L (L1) owning SITE-L, plus any (engineer, tier) given."""
    for engineer_id, tier in (("ENG-L", "L1"), *extra):
        body = {"engineer_id": engineer_id, "name": engineer_id, "region": "east", "tier": tier}
        assert (await client.post("/api/v1/engineers", json=body)).status_code == 201
    site = {**SITE, "contract": contract} if contract else SITE
    assert (await client.post("/api/v1/sites", json=site)).status_code == 201


async def _open_incident(amqp_url: str, namespace: str, admin: httpx.AsyncClient, fault_id: str) -> dict[str, Any]:
    await publish(
        amqp_url, namespace, Envelope.wrap(make_fault_event(fault_id=fault_id, site_id="SITE-L"), producer="t")
    )

    async def opened() -> dict[str, Any] | None:
        items = (await admin.get("/api/v1/incidents", params={"fault_id": fault_id})).json()["items"]
        return items[0] if items else None

    incident: dict[str, Any] = await eventually(opened, timeout=10, what=f"incident for {fault_id}")
    return incident


async def test_an_incident_goes_from_fault_to_closed_and_refuses_illegal_steps(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    admin = bearer(kit, "ops", "admin")
    engineer = bearer(kit, "ENG-L", "engineer")
    agent = bearer(kit, "bob", "call-agent")
    events = await tap(IncidentAcknowledged.type, IncidentResolved.type)
    async with running(app, admin) as client:
        await _estate(client)
        incident = await _open_incident(amqp_url, namespace, client, "F-L1")
        path = f"/api/v1/incidents/{incident['incident_id']}"

        assert (await client.post(f"{path}/acknowledge", headers=agent)).status_code == 403
        acked = await client.post(f"{path}/acknowledge", headers=engineer)
        assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
        again = await client.post(f"{path}/acknowledge", headers=engineer)
        assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
        assert "allowed now" in again.json()["detail"]

        steps = [("request-on-site", None, "on_site_required"), ("check-in", None, "on_site"),
                 ("pending", {"reason": "waiting for the hospital's IT to open the VPN"}, "pending_customer"),
                 ("resume", None, "on_site")]  # fmt: skip
        for action, body, state in steps:
            response = await client.post(f"{path}/{action}", json=body, headers=engineer)
            assert response.status_code == 200 and response.json()["state"] == state, response.text
        resolution = {"root_cause": "RAID controller cache battery failed", "resolution": "battery replaced",
                      "caused_by": "hardware", "whole_system_down": False}  # fmt: skip
        assert (await client.post(f"{path}/resolve", json=resolution, headers=engineer)).json()["state"] == "resolved"
        assert (await client.post(f"{path}/close", headers=engineer)).json()["state"] == "closed"
        bad = await client.post(f"{path}/resolve", json={**resolution, "caused_by": "aliens"}, headers=engineer)
        assert bad.status_code == 422

        received = await events.at_least(2, timeout=10, what="acknowledged and resolved on the bus")
        assert [m["type"] for m in received] == [
            "incident.acknowledged",
            "incident.resolved",
        ]
        assert events.received[0]["payload"]["engineer_id"] == "ENG-L"


async def test_editing_a_contract_never_changes_a_running_incident(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    admin = bearer(kit, "ops", "admin")
    announced = await tap(SiteRegistered.type)
    async with running(app, admin) as client:
        await _estate(client)
        before = await _open_incident(amqp_url, namespace, client, "F-BEFORE")

        terms = {"response": "PT30S", "on_site": "PT1M", "ladder": [{"after": "PT10S", "tier": "L2"}],
                 "availability_percent": 99.5, "software_downtime_budget": "PT2H"}  # fmt: skip
        updated = await client.put("/api/v1/sites/SITE-L/contract", json=terms)
        assert updated.status_code == 200 and updated.json()["contract"]["response"] == "PT30S"
        # the services that keep what the contract commits to hear of the new terms
        registrations = await announced.at_least(2, timeout=10, what="the site announced again with its new terms")
        latest = registrations[-1]["payload"]
        assert (latest["availability_commitment_percent"], latest["software_downtime_budget_minutes"]) == (99.5, 120)
        after = await _open_incident(amqp_url, namespace, client, "F-AFTER")

        def response_time(incident: dict[str, Any]) -> timedelta:
            return datetime.fromisoformat(incident["response_due"]) - datetime.fromisoformat(incident["opened_at"])

        assert response_time(before) == timedelta(hours=2)
        assert response_time(after) == timedelta(seconds=30)

        bad_zone = {**terms, "calendar": {"time_zone": "Mars/Base", "hours": [{"weekday": 0, "start": "08:00"}]}}
        refused = await client.put("/api/v1/sites/SITE-L/contract", json=bad_zone)
        assert refused.status_code == 422 and "IANA" in refused.text
        assert (await client.put("/api/v1/sites/SITE-NONE/contract", json=terms)).status_code == 404


async def test_a_supervisor_escalates_by_hand_and_reassigns_within_the_tier(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    admin = bearer(kit, "ops", "admin")
    engineer = bearer(kit, "ENG-L", "engineer")
    events = await tap(IncidentEscalated.type, IncidentReassigned.type)
    async with running(app, admin) as client:
        await _estate(client, None, ("ENG-S1", "L2"), ("ENG-S2", "L2"))
        incident = await _open_incident(amqp_url, namespace, client, "F-MANUAL")
        path = f"/api/v1/incidents/{incident['incident_id']}"

        up = await client.post(f"{path}/escalate", json={"reason": "beyond L1 skills"}, headers=engineer)
        assert up.status_code == 200 and (up.json()["tier"], up.json()["assignee_id"]) == ("L2", "ENG-S1")
        refused = await client.post(f"{path}/reassign", json={"engineer_id": "ENG-S2", "reason": "x"}, headers=engineer)
        assert refused.status_code == 403, "engineers do not reassign; supervisors do"
        moved = await client.post(f"{path}/reassign", json={"engineer_id": "ENG-S2", "reason": "ENG-S1 is on leave"})
        assert moved.status_code == 200 and moved.json()["assignee_id"] == "ENG-S2"
        down = await client.post(f"{path}/reassign", json={"engineer_id": "ENG-L", "reason": "back"})
        assert down.status_code == 409

        received = await events.at_least(2, timeout=10, what="escalated and reassigned on the bus")
        assert [m["type"] for m in received] == [
            "incident.escalated",
            "incident.reassigned",
        ]


async def test_a_whole_system_outage_is_counted_against_the_software_budget(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    admin = bearer(kit, "ops", "admin")
    async with running(app, admin) as client:
        await _estate(client, {"software_downtime_budget": "PT4H"})
        incident = await _open_incident(amqp_url, namespace, client, "F-DOWN")
        path = f"/api/v1/incidents/{incident['incident_id']}"
        fix = {"root_cause": "archive service deadlock", "resolution": "patched", "caused_by": "software",
               "whole_system_down": True}  # fmt: skip
        missing = await client.post(f"{path}/resolve", json=fix)
        assert missing.status_code == 422 and "down_from" in missing.json()["detail"]
        down_from = (datetime.now(UTC) - timedelta(minutes=90)).isoformat()
        assert (await client.post(f"{path}/resolve", json={**fix, "down_from": down_from})).status_code == 200

        report = (await client.get("/api/v1/sites/SITE-L/availability")).json()
        assert report["minutes_down_by_cause"]["software"] == pytest.approx(90, abs=0.5)
        assert report["software_budget_minutes"] == 240
        assert report["software_minutes_left"] == pytest.approx(150, abs=0.5)
        assert report["planned_minutes_excluded"] == 0


async def test_an_outage_inside_a_maintenance_window_agreed_for_the_whole_site_is_planned_not_charged(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    admin = bearer(kit, "ops", "admin")
    now = datetime.now(UTC)
    async with running(app, admin) as client:
        await _estate(client, {"software_downtime_budget": "PT4H"})
        window = MaintenanceStarted(window_id="MW-L", site_id="SITE-L", ends_at=now + timedelta(hours=1),
                                    started_at=now - timedelta(hours=2))  # fmt: skip
        await publish(amqp_url, namespace, Envelope.wrap(window, producer="scheduler"))
        await eventually(lambda: kit.mongo.db["maintenance_windows"].find_one({"_id": "MW-L"}), timeout=10,
                         what="the window kept by escalation")  # fmt: skip
        incident = await _open_incident(amqp_url, namespace, client, "F-PLANNED")
        down_from = (datetime.now(UTC) - timedelta(minutes=60)).isoformat()
        fix = {"root_cause": "archive migration ran long", "resolution": "migration finished", "caused_by": "software",
               "whole_system_down": True, "down_from": down_from}  # fmt: skip
        resolved = await client.post(f"/api/v1/incidents/{incident['incident_id']}/resolve", json=fix)
        assert resolved.status_code == 200, resolved.text

        report = (await client.get("/api/v1/sites/SITE-L/availability")).json()
        assert report["minutes_down_by_cause"]["software"] == 0, "inside the agreed window: nothing charged"
        assert report["planned_minutes_excluded"] == pytest.approx(60, abs=0.5)
        assert report["software_minutes_left"] == 240
