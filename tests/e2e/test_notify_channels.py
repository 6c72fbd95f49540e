"""Through the gateway, on the real broker: a fault reaches the L1 engineer's push provider; unacknowledged,
the SMS provider is called after the rule's delay; the ack link acknowledges the incident in escalation and
the repeats stop. The providers are ntfy- and Twilio-shaped servers on loopback."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import httpx

from pacs_kit.cli import create_api_key
from tests.e2e.conftest import Platform, notify_with
from tests.integration.test_notify_providers import FakeApi, Seen, serving
from tests.support import eventually, make_fault

PHONE = "+8613800138001"


def check_ntfy(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/eng-chan")


def check_twilio(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/2010-04-01/Accounts/AC0123456789/Messages.json")
    assert seen.form()["To"] == PHONE


async def test_push_then_sms_through_the_gateway_until_the_link_is_used(
    platform: Platform, admin: httpx.AsyncClient
) -> None:
    ntfy = FakeApi(check_ntfy, [(200, {"id": "nt", "event": "message"}, {})])
    twilio = FakeApi(check_twilio, [(201, {"sid": "SM0789", "status": "queued"}, {})])
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(serving(ntfy))
        await stack.enter_async_context(serving(twilio))
        extra = {"NOTIFY_PUSH_PROVIDERS": '["ntfy"]', "NOTIFY_NTFY_BASE_URL": ntfy.base_url,
                 "NOTIFY_SMS_PROVIDERS": '["twilio"]', "NOTIFY_TWILIO_BASE_URL": twilio.base_url,
                 "NOTIFY_TWILIO_ACCOUNT_SID": "AC0123456789", "NOTIFY_TWILIO_AUTH_TOKEN": "twilio-auth-token",
                 "NOTIFY_TWILIO_FROM": "+15005550006"}  # fmt: skip
        await stack.enter_async_context(notify_with(platform, extra))
        engineer = {"engineer_id": "ENG-CHAN", "name": "C", "region": "east", "tier": "L1"}
        assert (await admin.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-CHAN", "name": "Chan Hospital", "region": "east", "account_engineer_id": "ENG-CHAN"}
        assert (await admin.post("/api/v1/sites", json=site)).status_code == 201
        contacts = {"phones": [PHONE], "push": [{"provider": "ntfy", "address": "eng-chan"}],
                    "rules": [{"channel": "push"}, {"channel": "sms", "after": "PT2S", "repeat": "PT2S"}]}  # fmt: skip

        async def saved() -> bool:
            return (await admin.put("/api/v1/engineers/ENG-CHAN/contacts", json=contacts)).status_code == 200

        await eventually(saved, timeout=15, what="ENG-CHAN known to notify, contacts saved")
        key = await create_api_key("SITE-CHAN", ["intake"], "chan HIS", None, databases=platform.stack.database_urls,
                                   namespace=platform.namespace)  # fmt: skip

        async def accepted() -> dict[str, Any] | None:
            async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": key}) as his:
                r = await his.post("/api/v1/faults", json=make_fault("SITE-CHAN"))
                return r.json() if r.status_code == 202 else None

        await eventually(accepted, timeout=15, what="the fault accepted at the gateway")
        [push] = await eventually(lambda: ntfy.requests or None, timeout=15, what="the push at the provider")
        await eventually(lambda: len(twilio.requests) >= 2 or None, timeout=15, what="the SMS, then a repeat")
        assert twilio.requests[0].at - push.at >= 2.0, "the SMS waited for the rule's delay"

        link = re.search(r"/ack/(\S+)", push.body.decode()).group(1)  # type: ignore[union-attr]
        async with httpx.AsyncClient(base_url=platform.url) as phone:  # no credential: the link is one
            assert (await phone.get(f"/ack/{link}")).status_code == 200

        async def acknowledged() -> bool:
            items = (await admin.get("/api/v1/incidents", params={"site_id": "SITE-CHAN"})).json()["items"]
            return bool(items) and items[0]["state"] == "acknowledged"

        await eventually(acknowledged, timeout=15, what="the incident acknowledged in escalation")

        async def repeats_stopped() -> bool:
            log = (await admin.get("/api/v1/notifications", params={"engineer_id": "ENG-CHAN"})).json()["items"]
            return all(d["status"] not in ("queued", "sending") for n in log for d in n["deliveries"])

        calls = len(twilio.requests)
        await eventually(repeats_stopped, timeout=15, what="no repeat left to send")
        assert len(twilio.requests) <= calls + 1, "at most the repeat already on its way"
