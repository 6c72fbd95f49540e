"""Escalation killed in the middle of the ladder: no step is lost and none is taken twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pacs_kit.cli import create_api_key
from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault

LADDER = [{"after": "PT5S", "tier": "L2"}, {"after": "PT10S", "tier": "L3"}, {"after": "PT15S", "tier": "L4"}]


async def test_a_kill_mid_ladder_loses_no_step_and_repeats_none(platform: Platform, admin: httpx.AsyncClient) -> None:
    site = {"site_id": "SITE-LADDER", "name": "Ladder Hospital", "region": "east",
            "account_engineer_id": "ENG-EAST-1", "contract": {"response": "PT3S", "ladder": LADDER}}  # fmt: skip
    assert (await admin.post("/api/v1/sites", json=site)).status_code == 201
    key = await create_api_key(
        "SITE-LADDER", ["intake"], "ladder HIS", None, databases=platform.stack.database_urls,
        namespace=platform.namespace,
    )  # fmt: skip

    async def accepted() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": key}) as his:
            response = await his.post("/api/v1/faults", json=make_fault("SITE-LADDER"))
        return response.json() if response.status_code == 202 else None  # 422 until intake knows the site

    fault = await eventually(accepted, timeout=15, what="a fault for the new site accepted")

    async def incident_at(tier: str) -> dict[str, Any] | None:
        items = (await admin.get("/api/v1/incidents", params={"fault_id": fault["fault_id"]})).json()["items"]
        return items[0] if items and items[0]["tier"] == tier else None

    incident = await eventually(lambda: incident_at("L2"), timeout=30, what="the first step, to L2")
    platform.stack.kill("escalation")
    await asyncio.to_thread(platform.stack.restart, "escalation")
    # a tick transaction cut off by the kill may hold the incident until the database expires it (60 s)
    await eventually(lambda: incident_at("L4"), timeout=150, what="the ladder finished after the restart")

    timeline = (await admin.get(f"/api/v1/incidents/{incident['incident_id']}/timeline")).json()
    climbs = [(e["from"], e["to"]) for e in timeline if e["what"] == "escalated"]
    assert climbs == [("L1", "L2"), ("L2", "L3"), ("L3", "L4")]
    breaches = [e["clock"] for e in timeline if e["what"] == "sla_breached"]
    assert breaches == ["response"]

    async def told() -> Counter[tuple[str, str]] | None:
        params = {"incident_id": incident["incident_id"]}
        items = (await admin.get("/api/v1/notifications", params=params)).json()["items"]
        # on-call messages go at once; information for a previous owner waits for their office hours
        sent = Counter((n["kind"], n["engineer_id"]) for n in items if n["status"] == "sent" or n["kind"] == "info")
        return sent if sum(sent.values()) >= 7 else None

    sent = await eventually(told, timeout=15, what="the owner and every new owner told, the previous ones informed")
    assert sent == Counter({("oncall", "ENG-EAST-1"): 1, ("oncall", "ENG-L2-1"): 1, ("oncall", "ENG-L3-1"): 1,
                            ("oncall", "ENG-L4-1"): 1, ("info", "ENG-EAST-1"): 1, ("info", "ENG-L2-1"): 1,
                            ("info", "ENG-L3-1"): 1})  # fmt: skip

    window = {"from": incident["opened_at"], "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()}
    response = await admin.get("/api/v1/reports/sla", params={**window, "group_by": "site"})
    assert response.status_code == 200, response.text
    report = response.json()
    ladder_site = next(g for g in report["groups"] if g["site"] == "SITE-LADDER")
    assert ladder_site["compliance"]["response"] == {"met": 0, "breached": 1, "percent": 0.0}
    on_call = (await admin.get("/api/v1/oncall", params={"region": "east", "tier": "L3"})).json()
    assert on_call["engineer_id"] == "ENG-L3-1", "with no roster, any engineer of the tier takes it"
