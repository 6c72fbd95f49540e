"""Remote monitoring finds the problem first: a storm of breaches gives one incident per site and problem."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.service import Kit
from pacs_monitoring.main import create_app as monitoring_app
from pacs_monitoring.settings import MonitoringSettings
from tests.integration.conftest import running
from tests.support import bearer, eventually


def _disk(site_id: str, hosts: list[str], value: float) -> dict[str, Any]:
    samples = [{"host": h, "name": "disk_used_percent", "labels": {"mount": "/"}, "value": value} for h in hosts]
    return {"site_id": site_id, "samples": samples}


async def test_a_storm_of_breaches_opens_one_incident_that_counts_them(settings_for: Callable[..., Any]) -> None:
    escalation = escalation_app(settings_for(EscalationSettings))
    monitoring = monitoring_app(settings_for(MonitoringSettings))
    kit: Kit = escalation.state.kit
    admin = bearer(kit, "ops", "admin")
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        mon = await stack.enter_async_context(running(monitoring))
        await esc.post("/api/v1/engineers", json={"engineer_id": "ENG-M", "name": "M", "region": "east"})
        site = {"site_id": "SITE-M", "name": "Monitored Hospital", "region": "east", "account_engineer_id": "ENG-M"}
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        key = {"X-API-Key": await monitoring.state.kit.auth.api_keys.create("SITE-M", name="agent")}

        hosts = ["pacs-db-01", "pacs-app-01", "pacs-web-01"]
        first = await mon.post("/api/v1/metrics", json=_disk("SITE-M", hosts[:1], 96.0), headers=key)
        assert first.json()["breaches"] == 1
        storm = await mon.post("/api/v1/metrics", json=_disk("SITE-M", hosts[1:], 97.0), headers=key)
        assert storm.json()["breaches"] == 2

        async def counted() -> dict[str, Any] | None:
            found = (await esc.get("/api/v1/incidents", params={"site_id": "SITE-M"})).json()["items"]
            return found[0] if len(found) == 1 and found[0]["occurrences"] == 3 else None

        incident = await eventually(counted, timeout=15, what="one incident counting three breaches")
        assert incident["fault_id"] is None and incident["source"] == "monitoring"
        assert (incident["tier"], incident["assignee_id"]) == ("L1", "ENG-M")

        recovered = await mon.post("/api/v1/metrics", json=_disk("SITE-M", hosts[:1], 70.0), headers=key)
        assert recovered.json()["recoveries"] == 1

        async def recovery_recorded() -> bool:
            doc = await kit.mongo.db["incidents"].find_one({"_id": incident["incident_id"]})
            return doc is not None and any(e["what"] == "metric_recovered" for e in doc["timeline"])

        await eventually(recovery_recorded, timeout=10, what="the recovery on the incident's timeline")
        listed = (await esc.get("/api/v1/incidents", params={"site_id": "SITE-M", "total": "true"})).json()
        assert listed["total"] == 1, "still one incident for the one problem"
