"""Object-level access: an engineer sees and acts on the incidents of the regions they serve and those they
own, nothing else; call agents, supervisors and admins see the whole estate; an engineer's numbers and push
tokens are theirs and the admins'."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from tests.integration.conftest import running
from tests.support import bearer, eventually, incident_for_fault

REGIONS = {"east": ("SITE-OA-E", "ENG-OA-E"), "north": ("SITE-OA-N", "ENG-OA-N")}


async def test_an_engineer_sees_the_regions_they_serve_and_what_they_own(
    settings_for: Callable[..., Any], amqp_url: str, namespace: str
) -> None:
    app = escalation_app(settings_for(EscalationSettings))
    kit = app.state.kit
    async with contextlib.AsyncExitStack() as stack:
        admin = await stack.enter_async_context(running(app, bearer(kit, "root", "admin")))
        for region, (site, engineer) in REGIONS.items():
            body = {"engineer_id": engineer, "name": engineer, "region": region, "tier": "L1"}
            assert (await admin.post("/api/v1/engineers", json=body)).status_code == 201
            body = {"site_id": site, "name": site, "region": region, "account_engineer_id": engineer}
            assert (await admin.post("/api/v1/sites", json=body)).status_code == 201

        east = await incident_for_fault(admin, amqp_url, namespace, "SITE-OA-E")
        north = await incident_for_fault(admin, amqp_url, namespace, "SITE-OA-N")

        async def as_(subject: str, *roles: str, regions: list[str] | None = None) -> httpx.AsyncClient:
            token = kit.auth.tokens.mint(subject, list(roles), timedelta(minutes=5), regions)
            return await stack.enter_async_context(running(app, {"Authorization": f"Bearer {token}"}))

        east_engineer = await as_("ENG-OA-E", "engineer")
        listed = {i["incident_id"] for i in (await east_engineer.get("/api/v1/incidents")).json()["items"]}
        assert east in listed and north not in listed
        assert (await east_engineer.get(f"/api/v1/incidents/{north}")).status_code == 404
        assert (await east_engineer.get(f"/api/v1/incidents/{north}/timeline")).status_code == 404
        refused = await east_engineer.post(f"/api/v1/incidents/{north}/acknowledge")
        assert refused.status_code == 404, "no action on an incident outside the engineer's regions"
        assert (await east_engineer.post(f"/api/v1/incidents/{east}/acknowledge")).status_code == 200

        expert = await as_("ENG-OA-X", "engineer", regions=["north"])  # serves north by its token, not registered
        listed = {i["incident_id"] for i in (await expert.get("/api/v1/incidents")).json()["items"]}
        assert north in listed and east not in listed

        reassignment = {"engineer_id": "ENG-OA-E", "reason": "the east engineer is on site nearby"}
        handed = await admin.post(f"/api/v1/incidents/{north}/reassign", json=reassignment)
        assert handed.status_code == 200, handed.text
        assert (await east_engineer.get(f"/api/v1/incidents/{north}")).status_code == 200, "what they own"

        for roles in (("call-agent",), ("supervisor",)):
            staff = await as_("STAFF-1", *roles)
            listed = {i["incident_id"] for i in (await staff.get("/api/v1/incidents")).json()["items"]}
            assert {east, north} <= listed, roles


async def test_contacts_are_their_engineers_and_admins_only(settings_for: Callable[..., Any], tmp_path: Any) -> None:
    escalation = escalation_app(settings_for(EscalationSettings))
    notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "log")))
    kit = escalation.state.kit
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, bearer(kit, "root", "admin")))
        ntf = await stack.enter_async_context(running(notify))
        body = {"engineer_id": "ENG-OA-C", "name": "C", "region": "east", "tier": "L1"}
        assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        contacts = {"phones": ["+8613800138123"], "rules": [{"channel": "sms"}]}
        path = "/api/v1/engineers/ENG-OA-C/contacts"

        async def saved() -> bool:
            return (await ntf.put(path, json=contacts, headers=bearer(kit, "ENG-OA-C", "engineer"))).status_code == 200

        await eventually(saved, timeout=10, what="the engineer setting their own contacts")
        for who in (bearer(kit, "ENG-OA-C", "engineer"), bearer(kit, "root", "admin")):
            assert (await ntf.get(path, headers=who)).json()["phones"] == contacts["phones"]
        for who in (bearer(kit, "ENG-OTHER", "engineer"), bearer(kit, "SUP-1", "supervisor"),
                    bearer(kit, "AGENT-1", "call-agent")):  # fmt: skip
            refused = await ntf.get(path, headers=who)
            assert refused.status_code == 403 and "+86" not in refused.text
            assert (await ntf.put(path, json=contacts, headers=who)).status_code == 403
