"""A fault posted by a hospital's HIS becomes an incident and a message to the L1 engineer."""

from __future__ import annotations

import json

import httpx

from pacs_devstack.seed import SITES
from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault


async def _incident_for(admin: httpx.AsyncClient, fault_id: str) -> dict | None:
    page = (await admin.get("/api/v1/incidents", params={"fault_id": fault_id})).json()
    return page["items"][0] if page["items"] else None


async def test_fault_becomes_incident_and_l1_notification_within_5s(
    platform: Platform, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    response = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
    assert response.status_code == 202, response.text
    fault_id = response.json()["fault_id"]

    incident = await eventually(lambda: _incident_for(admin, fault_id), timeout=5, what="incident opened")
    account_engineer = SITES[0]["account_engineer_id"]
    assert incident["tier"] == "L1"
    assert incident["assignee_id"] == account_engineer

    def delivered() -> list[dict]:
        lines = [json.loads(line) for line in platform.notification_lines()]
        return [m for m in lines if incident["incident_id"] in m["incident_ids"]]

    messages = await eventually(delivered, timeout=5, what="L1 notification in the log channel")
    assert [m["to"] for m in messages] == [account_engineer]
    assert "Archive rejects" not in messages[0]["text"], "free text stays out of messages"

    fault = (await his.get(f"/api/v1/faults/{fault_id}")).json()
    assert fault["incident_id"] == incident["incident_id"]
    notes = (await admin.get("/api/v1/notifications", params={"incident_id": incident["incident_id"]})).json()
    assert [n["status"] for n in notes["items"]] == ["sent"]


async def test_same_external_ref_twice_gives_one_fault_and_one_incident(
    platform: Platform, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    fault = make_fault(platform.site_id)
    first = await his.post("/api/v1/faults", json=fault)
    second = await his.post("/api/v1/faults", json=fault)
    assert first.status_code == second.status_code == 202
    assert first.json()["fault_id"] == second.json()["fault_id"]
    assert second.json()["duplicate"] is True

    fault_id = first.json()["fault_id"]
    await eventually(lambda: _incident_for(admin, fault_id), timeout=5, what="incident opened")
    page = (await admin.get("/api/v1/incidents", params={"fault_id": fault_id, "total": "true"})).json()
    assert page["total"] == 1 and len(page["items"]) == 1


async def test_reusing_an_external_ref_for_a_different_fault_is_a_conflict(
    platform: Platform, his: httpx.AsyncClient
) -> None:
    fault = make_fault(platform.site_id)
    assert (await his.post("/api/v1/faults", json=fault)).status_code == 202
    response = await his.post("/api/v1/faults", json={**fault, "description": "something else"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


async def test_call_centre_logs_a_call_that_opens_an_incident(platform: Platform, admin: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {platform.agent_token}"}
    call = {"site_id": platform.site_id, "caller_role": "radiology nurse", "description": "Viewer cannot load studies"}
    response = await admin.post("/api/v1/calls", json=call, headers=headers)
    assert response.status_code == 201, response.text
    fault_id = response.json()["fault_id"]
    incident = await eventually(lambda: _incident_for(admin, fault_id), timeout=5, what="incident from a call")
    assert incident["site_id"] == platform.site_id


async def test_gateway_serves_every_services_openapi(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url) as client:
        for service, path in [
            ("intake", "/api/v1/faults"),
            ("escalation", "/api/v1/incidents"),
            ("monitoring", "/api/v1/metrics"),
            ("scheduler", "/api/v1/clock"),
            ("notify", "/api/v1/notifications"),
            ("access", "/api/v1/audit/access"),  # the skeleton's own route, whatever routes it gains
        ]:
            document = (await client.get(f"/openapi/{service}.json")).json()
            assert path in document["paths"], f"{service} documents {path}"
