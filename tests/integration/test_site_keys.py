"""Hospital keys over the API, against the real database and broker: intake issues a key shown once, monitoring
takes it from `site_key.issued`, and a revocation is refused by both."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from pacs_contracts import Envelope
from pacs_contracts.events import SiteKeyIssued, SiteRegistered
from pacs_intake.main import create_app as intake_app
from pacs_intake.settings import IntakeSettings
from pacs_monitoring.main import create_app as monitoring_app
from pacs_monitoring.settings import MonitoringSettings
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

BEAT = {"site_id": "SITE-K", "link": "remote-monitoring", "allowance": "PT5M"}


async def test_a_key_issued_by_intake_works_at_monitoring_until_revoked_everywhere(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    issued_events = await tap(SiteKeyIssued.type)
    intake, monitoring = intake_app(settings_for(IntakeSettings)), monitoring_app(settings_for(MonitoringSettings))
    async with contextlib.AsyncExitStack() as stack:
        admin = bearer(intake.state.kit, "ops", "admin")
        keys = await stack.enter_async_context(running(intake, admin))
        agent = await stack.enter_async_context(running(monitoring))
        site = SiteRegistered(site_id="SITE-K", name="Key Hospital", region="east", account_engineer_id="ENG-K")
        await publish(amqp_url, namespace, Envelope.wrap(site, producer="escalation"))
        await eventually(lambda: intake.state.deps.sites.exists("SITE-K"), timeout=10, what="intake knows the site")

        unknown = await keys.post("/api/v1/site-keys", json={"site_id": "SITE-NONE", "name": "HIS"})
        assert unknown.status_code == 422 and unknown.json()["type"].endswith("unknown-site")
        bad = await keys.post("/api/v1/site-keys", json={"site_id": "SITE-K", "name": "HIS", "expires_days": 0})
        assert bad.status_code == 422
        answer = await keys.post("/api/v1/site-keys", json={"site_id": "SITE-K", "name": "HIS engine",
                                                              "expires_days": 365})  # fmt: skip
        assert answer.status_code == 201, answer.text
        issued = answer.json()
        key, key_id = issued["key"], issued["key_id"]
        assert key.startswith(f"pso_{key_id}_") and issued["expires_at"] is not None

        [event] = [m["payload"] for m in await issued_events.at_least(1, timeout=10, what="site_key.issued")]
        assert key.split("_", 2)[2] not in str(event), "the key's secret never travels"
        listed = (await keys.get("/api/v1/site-keys", params={"site_id": "SITE-K"})).json()["items"]
        assert [(k["key_id"], k["name"], k["revoked_at"]) for k in listed] == [(key_id, "HIS engine", None)]
        assert "key" not in listed[0] and "hash" not in listed[0]

        async def beat() -> int:
            return (await agent.post("/api/v1/heartbeats", json=BEAT, headers={"X-API-Key": key})).status_code

        await eventually(_status(beat, 202), timeout=15, what="monitoring taking the key from the event")

        revoked = await keys.delete(f"/api/v1/site-keys/{key_id}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        again = await keys.delete(f"/api/v1/site-keys/{key_id}")
        assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
        assert (await keys.delete("/api/v1/site-keys/000000000000")).status_code == 404
        await eventually(_status(beat, 401), timeout=15, what="monitoring refusing the revoked key")
        staff_only = await keys.get("/api/v1/site-keys", headers=bearer(intake.state.kit, "SUP", "supervisor"))
        assert staff_only.status_code == 403


def _status(call: Callable[[], Any], wanted: int) -> Callable[[], Any]:
    async def check() -> bool | None:
        return await call() == wanted or None

    return check
