"""Notify killed in the middle of a send: after its restart the message goes out again as a new attempt,
and the provider sees at most one request per attempt; a redelivered incident.opened sends nothing more."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from pacs_contracts import Envelope
from pacs_contracts.common import Severity, Tier
from pacs_contracts.events import IncidentOpened
from pacs_kit.cli import create_api_key
from tests.e2e.conftest import Platform, notify_with, started_platform
from tests.integration.test_notify_providers import FakeApi, Seen, serving
from tests.support import eventually, make_fault, publish

HELD = threading.Event()


@pytest.fixture(scope="module")
def platform(amqp_url: str) -> Iterator[Platform]:
    """A platform of this test's own: the test judges every request the provider sees, so nothing another test
    left queued or running on the shared platform may be counted with them."""
    with started_platform(amqp_url) as started:
        yield started


class SlowPush(FakeApi):
    """An ntfy-shaped server that holds the first request until released, so the sender can die waiting."""

    async def endpoint(self, request: Request) -> JSONResponse:
        self.requests.append(Seen(0.0, request.method, request.url.path, {}, await request.body()))
        if len(self.requests) == 1:
            await asyncio.to_thread(HELD.wait, 30)
        return JSONResponse({"id": f"nt{len(self.requests)}", "event": "message"})


async def test_a_kill_mid_send_resends_once_as_a_new_attempt(platform: Platform, admin: httpx.AsyncClient) -> None:
    push = SlowPush(lambda seen: None, [])
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(serving(push))
        extra = {"NOTIFY_PUSH_PROVIDERS": '["ntfy"]', "NOTIFY_NTFY_BASE_URL": push.base_url,
                 "NOTIFY_STALE_SEND_SECONDS": "8", "NOTIFY_RETRY_ATTEMPTS": "1"}  # fmt: skip
        await stack.enter_async_context(notify_with(platform, extra))
        engineer = {"engineer_id": "ENG-KILL", "name": "K", "region": "east", "tier": "L1"}
        assert (await admin.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-KILL", "name": "Kill Hospital", "region": "east", "account_engineer_id": "ENG-KILL"}
        assert (await admin.post("/api/v1/sites", json=site)).status_code == 201
        contacts = {"push": [{"provider": "ntfy", "address": "eng-kill"}], "rules": [{"channel": "push"}]}

        async def saved() -> bool:
            return (await admin.put("/api/v1/engineers/ENG-KILL/contacts", json=contacts)).status_code == 200

        await eventually(saved, timeout=15, what="ENG-KILL known to notify, contacts saved")
        key = await create_api_key("SITE-KILL", ["intake"], "kill HIS", None, databases=platform.stack.database_urls,
                                   namespace=platform.namespace)  # fmt: skip

        async def accepted() -> bool:
            async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": key}) as his:
                return (await his.post("/api/v1/faults", json=make_fault("SITE-KILL"))).status_code == 202

        await eventually(accepted, timeout=15, what="the fault accepted (the site known to intake)")
        await eventually(lambda: push.requests or None, timeout=15, what="the push request, held by the server")
        platform.stack.kill("notify")  # dies waiting for the provider's answer
        HELD.set()
        await asyncio.to_thread(platform.stack.restart, "notify")

        async def sent() -> dict[str, Any] | None:
            log = (await admin.get("/api/v1/notifications", params={"engineer_id": "ENG-KILL"})).json()["items"]
            return log[0] if log and log[0]["status"] == "sent" else None

        # the killed send is taken up again once it is 8 s stale: long enough that the resend itself, however
        # slow a loaded machine makes it, is never taken for stale too
        notification = await eventually(sent, timeout=45, what="the message sent again after the restart")
        assert len(push.requests) == 2, f"{len(push.requests)} requests for two attempts"
        [delivery] = notification["deliveries"]
        assert [a["outcome"] for a in delivery["attempts"]] == ["sent"], "the killed attempt left no record"
        # the incident.opened event again, as a redelivery after a crash would bring it
        incident_id = notification["incident_id"]
        incident = (await admin.get(f"/api/v1/incidents/{incident_id}")).json()
        again = IncidentOpened(incident_id=incident_id, site_id="SITE-KILL", fault_id=incident["fault_id"],
                               tier=Tier.L1, assignee_id="ENG-KILL", severity=Severity(incident["severity"]),
                               summary=incident["summary"], opened_at=incident["opened_at"])  # fmt: skip
        metrics = f"{platform.stack.service_url('notify')}/metrics"
        handled = 'pacs_handler_messages_total{event_type="incident.opened",outcome="handled"}'

        def count() -> float:
            line = next((ln for ln in httpx.get(metrics).text.splitlines() if ln.startswith(handled)), f"{handled} 0")
            return float(line.split()[-1])

        before = count()
        await publish(platform.stack.config.amqp_url, platform.namespace, Envelope.wrap(again, producer="escalation"))
        await eventually(lambda: count() > before or None, timeout=15, what="the repeated event handled by notify")
        everything = (
            await admin.get("/api/v1/notifications", params={"incident_id": incident_id, "total": "true"})
        ).json()
        assert everything["total"] == 1, "one message for the incident, however often its event came"
        assert len(push.requests) == 2, "nothing more reached the provider"
