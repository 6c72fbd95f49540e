"""A fault's incident reaches the L1 engineer's push provider at once; unacknowledged, the SMS provider is
called after the rule's delay and again on repeat; the ack link in the push acknowledges the incident in
escalation and the repeats stop. Real provider-shaped HTTP servers on loopback, the real broker."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pacs_contracts import Envelope
from pacs_contracts.common import Severity, Tier
from pacs_contracts.events import IncidentOpened
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_notify.adapters.providers import ProviderSettings
from pacs_notify.domain.ack import twilio_signature
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.integration.test_notify_providers import FakeApi, Seen, serving
from tests.support import bearer, eventually, publish, register_engineer

PHONE = "+8613800138000"


def check_ntfy(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/pso-eng-a")
    assert seen.headers["authorization"] == "Bearer tk_e2e"
    assert seen.headers["click"].startswith("https://pso.example/ack/")


def check_twilio(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/2010-04-01/Accounts/AC0123456789/Messages.json")
    assert seen.basic_auth() == ("AC0123456789", "twilio-auth-token")
    assert seen.form()["To"] == PHONE and re.search(r"ACK \d{4}$", seen.form()["Body"])


async def test_push_then_sms_until_the_link_acknowledges_the_incident(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    ntfy = FakeApi(check_ntfy, [(200, {"id": "nt1", "event": "message"}, {})])
    twilio = FakeApi(check_twilio, [(201, {"sid": "SM0123", "status": "queued"}, {})])
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(serving(ntfy))
        await stack.enter_async_context(serving(twilio))
        providers = ProviderSettings(
            sms_providers=["twilio"], push_providers=["ntfy"], ntfy_base_url=ntfy.base_url, ntfy_token="tk_e2e",
            twilio_base_url=twilio.base_url, twilio_account_sid="AC0123456789", twilio_auth_token="twilio-auth-token",
            twilio_from="+15005550006", retry_base_delay_seconds=0.05,
        )  # fmt: skip
        escalation = escalation_app(settings_for(EscalationSettings))
        notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "log"), providers=providers,
                                         public_url="https://pso.example"))  # fmt: skip
        admin = bearer(escalation.state.kit, "ops", "admin")
        esc = await stack.enter_async_context(running(escalation, admin))
        ntf = await stack.enter_async_context(running(notify, admin))
        body = {"engineer_id": "ENG-A", "name": "A", "region": "east", "tier": "L1", "locale": "zh-CN"}
        assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        contacts = {"phones": [PHONE], "push": [{"provider": "ntfy", "address": "pso-eng-a"}],
                    "rules": [{"channel": "push"}, {"channel": "sms", "after": "PT2S", "repeat": "PT2S"}]}  # fmt: skip

        async def saved() -> bool:
            r = await ntf.put("/api/v1/engineers/ENG-A/contacts", json=contacts)
            return r.status_code == 200

        await eventually(saved, timeout=10, what="ENG-A known to notify, contacts saved")
        site = {"site_id": "SITE-E", "name": "E Hospital", "region": "east", "account_engineer_id": "ENG-A"}
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        fault = make_fault_event(fault_id="F-E1", site_id="SITE-E")
        await publish(amqp_url, namespace, Envelope.wrap(fault, producer="intake"))

        [push] = await eventually(lambda: ntfy.requests or None, timeout=15, what="the push at the provider")
        await eventually(lambda: len(twilio.requests) >= 2 or None, timeout=15, what="the SMS, then its repeat")
        gap = twilio.requests[0].at - push.at
        assert gap >= 2.0, f"the SMS came {gap:.1f}s after the push, before the rule's delay"

        link = re.search(r"/ack/(\S+)", push.headers["click"]).group(1)  # type: ignore[union-attr]
        assert (await ntf.get(f"/ack/{link}")).status_code == 200
        incidents = (await esc.get("/api/v1/incidents", params={"fault_id": "F-E1"})).json()["items"]

        async def acknowledged() -> bool:
            found = (await esc.get(f"/api/v1/incidents/{incidents[0]['incident_id']}")).json()
            return found["state"] == "acknowledged"

        await eventually(acknowledged, timeout=10, what="the incident acknowledged in escalation")
        calls = len(twilio.requests)

        async def no_more_repeats() -> bool:
            log = (await ntf.get("/api/v1/notifications", params={"engineer_id": "ENG-A"})).json()["items"]
            pending = [d for n in log for d in n["deliveries"] if d["status"] in ("queued", "sending")]
            return not pending

        await eventually(no_more_repeats, timeout=10, what="the remaining repeats skipped")
        assert len(twilio.requests) <= calls + 1, "at most the one repeat already on its way"
        log = (await ntf.get("/api/v1/notifications", params={"engineer_id": "ENG-A"})).json()["items"]
        sent = [d for d in log[0]["deliveries"] if d["status"] == "sent"]
        assert {d["provider"] for d in sent} == {"ntfy", "twilio"}
        assert all(d["attempts"] and d["attempts"][0]["outcome"] == "sent" for d in sent)

        # Twilio's status callback, signed as Twilio signs it, turns the SMS deliveries into delivered
        path = "/api/v1/sms/status/twilio"
        form = {"MessageSid": "SM0123", "MessageStatus": "delivered", "AccountSid": "AC0123456789"}
        signed = {"X-Twilio-Signature": twilio_signature("twilio-auth-token", f"https://pso.example{path}", form)}
        assert (await ntf.post(path, data=form, headers={"X-Twilio-Signature": "forged"})).status_code == 403
        assert (await ntf.post(path, data=form, headers=signed)).status_code == 204
        log = (await ntf.get("/api/v1/notifications", params={"engineer_id": "ENG-A"})).json()["items"]
        by_provider = {(d["provider"], d["status"]) for d in log[0]["deliveries"] if d["provider"]}
        assert by_provider == {("ntfy", "sent"), ("twilio", "delivered")}


async def test_an_sms_every_provider_refuses_for_now_goes_again_later(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    down: tuple[int, Any, dict[str, str]] = (503, {"code": 20500, "message": "Service unavailable", "status": 503}, {})
    twilio = FakeApi(check_twilio, [down, down, down, (201, {"sid": "SM0456", "status": "queued"}, {})])
    async with serving(twilio):
        providers = ProviderSettings(
            sms_providers=["twilio"], twilio_base_url=twilio.base_url, twilio_account_sid="AC0123456789",
            twilio_auth_token="twilio-auth-token", twilio_from="+15005550006", retry_base_delay_seconds=0.01,
            retry_max_delay_seconds=0.05,
        )  # fmt: skip
        notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "log"), providers=providers,
                                         public_url="https://pso.example", retry_later_seconds=[1.0]))  # fmt: skip
        admin = bearer(notify.state.kit, "ops", "admin")
        async with running(notify, admin) as ntf:
            await register_engineer(
                amqp_url, namespace, ntf, "ENG-B", {"phones": [PHONE], "rules": [{"channel": "sms"}]}
            )
            opened = IncidentOpened(incident_id="INC-B1", site_id="SITE-E", fault_id=None, tier=Tier.L1,
                                    assignee_id="ENG-B", severity=Severity.major, summary="PACS-STORE-FAIL",
                                    opened_at=datetime.now(UTC))  # fmt: skip
            await publish(amqp_url, namespace, Envelope.wrap(opened, producer="escalation"))

            async def delivered() -> dict[str, Any] | None:
                log = (await ntf.get("/api/v1/notifications", params={"engineer_id": "ENG-B"})).json()["items"]
                sent = [d for n in log for d in n["deliveries"] if d["status"] == "sent"]
                return sent[0] if sent else None

            delivery = await eventually(delivered, timeout=20, what="the SMS sent on the later round")
            assert [a["outcome"] for a in delivery["attempts"]] == ["transient"] * 3 + ["sent"]
            assert delivery["provider_message_id"] == "SM0456" and len(twilio.requests) == 4
