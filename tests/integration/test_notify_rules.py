"""The engineer's rules: push at once, SMS if not acknowledged after a delay, repeated until acknowledged;
a burst for one engineer is held to the number's rate limit and bundled; information waits for office hours."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from pacs_contracts import Envelope
from pacs_contracts.common import Severity, Tier
from pacs_contracts.events import IncidentEscalated, IncidentOpened, NotificationAcknowledged, PmDue
from pacs_notify.adapters.providers import ProviderSettings
from pacs_notify.domain.ack import twilio_signature
from pacs_notify.main import create_app
from pacs_notify.settings import NotifySettings
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish, register_engineer

PHONE = "+8613800138000"


def opened(incident_id: str, engineer_id: str) -> IncidentOpened:
    return IncidentOpened(incident_id=incident_id, site_id="SITE-R", fault_id=None, tier=Tier.L1,
                          assignee_id=engineer_id, severity=Severity.major, summary="PACS-STORE-FAIL on ARCHIVE-01",
                          opened_at=datetime.now(UTC))  # fmt: skip


def office_hours_later(now: datetime) -> dict[str, Any]:
    """Office hours (UTC, every day) that begin two hours from `now`, so it is outside them now."""
    start, end = (now + timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=3)).strftime("%H:%M")
    if end <= start:  # near midnight UTC: office hours in the early morning instead
        start, end = "02:00", "03:00"
    return {"start": start, "end": end, "days": [1, 2, 3, 4, 5, 6, 7]}


class Phone:
    """The log channel's file, read as the engineer's phone: push and SMS lines with their addresses."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self, channel: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        found = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]
        return [m for m in found if channel is None or m["channel"] == channel]


async def test_sms_follows_an_unacknowledged_push_and_repeats_until_the_link_is_used(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    phone = Phone(tmp_path / "phone.log")
    app = create_app(settings_for(NotifySettings, log_path=str(phone.path), public_url="https://pso.example"))
    async with running(app) as client:
        rules = [{"channel": "push", "after": "PT0S"}, {"channel": "sms", "after": "PT2S", "repeat": "PT2S"}]
        await register_engineer(
            amqp_url,
            namespace,
            client,
            "ENG-R",
            {"phones": [PHONE], "rules": rules, "push": [{"provider": "ntfy", "address": "pso-eng-r"}]},
            bearer(app.state.kit, "ENG-R", "engineer"),
        )
        raised = datetime.now(UTC)
        await publish(amqp_url, namespace, Envelope.wrap(opened("INC-R1", "ENG-R"), producer="escalation"))

        [push] = await eventually(lambda: phone.lines("push") or None, timeout=10, what="the push")
        assert push["address"] == "pso-eng-r" and "INC-R1" in push["text"]
        sms = await eventually(lambda: phone.lines("sms")[:2] if len(phone.lines("sms")) >= 2 else None,
                               timeout=15, what="the SMS and its first repeat")  # fmt: skip
        assert sms[0]["address"] == PHONE
        first_sms = (datetime.fromisoformat(sms[0]["at"]) - raised).total_seconds()
        assert first_sms >= 2.0, f"the SMS came {first_sms:.1f}s after the push, before the rule's delay"
        assert (datetime.fromisoformat(sms[1]["at"]) - datetime.fromisoformat(sms[0]["at"])).total_seconds() >= 2.0

        token = re.search(r"/ack/(\S+)", push["text"]).group(1)  # type: ignore[union-attr]
        assert (await client.get(f"/ack/{token}")).status_code == 200
        stopped_at = len(phone.lines("sms"))

        staff = bearer(app.state.kit, "SUP-1", "supervisor")

        async def repeats_stopped() -> bool:
            log = (await client.get("/api/v1/notifications", params={"engineer_id": "ENG-R"}, headers=staff)).json()
            return all(d["status"] not in ("queued", "sending") for n in log["items"] for d in n["deliveries"])

        await eventually(repeats_stopped, timeout=10, what="no repeat left to send after the acknowledgement")
        assert len(phone.lines("sms")) <= stopped_at + 1, "at most the repeat already on its way"
        log = (await client.get("/api/v1/notifications", params={"engineer_id": "ENG-R"}, headers=staff)).json()
        [notification] = log["items"]
        assert notification["status"] == "acknowledged"
        statuses = Counter(d["status"] for d in notification["deliveries"])
        assert statuses["sent"] >= 3 and statuses["queued"] == 0, statuses
        sent = {d["address"] for d in notification["deliveries"] if d["status"] == "sent"}
        assert sent == {"…8000", "…ng-r"}, "numbers masked in the log"


async def test_a_burst_is_held_to_the_rate_limit_and_bundled(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    phone = Phone(tmp_path / "phone.log")
    settings = settings_for(NotifySettings, log_path=str(phone.path), rate_limit=5, rate_window_seconds=4.0)
    app = create_app(settings)
    async with running(app) as client:
        await register_engineer(
            amqp_url,
            namespace,
            client,
            "ENG-S",
            {"phones": [PHONE], "rules": [{"channel": "sms"}]},
            bearer(app.state.kit, "ENG-S", "engineer"),
        )
        incidents = {f"INC-S{i:03d}" for i in range(100)}
        for incident_id in sorted(incidents):
            await publish(amqp_url, namespace, Envelope.wrap(opened(incident_id, "ENG-S"), producer="escalation"))

        def told() -> Counter[str]:
            return Counter(i for m in phone.lines("sms") for i in m["incident_ids"])

        await eventually(lambda: set(told()) == incidents or None, timeout=30, what="all 100 incidents told")
        assert max(told().values()) == 1, "each incident told once"
        messages = phone.lines("sms")
        assert len(messages) < 20, f"{len(messages)} SMS for 100 incidents: bundling did not hold"
        times = sorted(datetime.fromisoformat(m["at"]) for m in messages)
        for i, at in enumerate(times):
            in_window = [t for t in times[: i + 1] if at - t < timedelta(seconds=4.0)]
            assert len(in_window) <= 5, f"{len(in_window)} SMS within the 4 s window"
        assert any(len(m["incident_ids"]) > 1 and m["text"].startswith("[PACS] ") for m in messages)


async def _out_of_office_hours(client: httpx.AsyncClient, app: FastAPI, bus: tuple[str, str],
                               phones: dict[str, str]) -> datetime:  # fmt: skip
    """Engineers (id → phone) told by SMS, each with office hours that are closed now; the moment taken."""
    now = datetime.now(UTC)
    closed = office_hours_later(now)
    for engineer, number in phones.items():
        contacts = {"phones": [number], "time_zone": "UTC", "working_hours": closed, "rules": [{"channel": "sms"}]}
        await register_engineer(*bus, client, engineer, contacts, bearer(app.state.kit, engineer, "engineer"))
    return now


async def _told(client: httpx.AsyncClient, app: FastAPI, engineer_id: str) -> list[dict[str, Any]]:
    """The messages to an engineer, as a supervisor sees them."""
    staff = bearer(app.state.kit, "SUP-1", "supervisor")
    response = await client.get("/api/v1/notifications", params={"engineer_id": engineer_id}, headers=staff)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _waits_for_office_hours(message: dict[str, Any], now: datetime) -> None:
    [delivery] = message["deliveries"]
    waits = (datetime.fromisoformat(delivery["due_at"]) - now).total_seconds()
    assert waits > 3600, f"information due {waits:.0f}s from now, outside office hours"


async def test_information_waits_for_office_hours(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    phone = Phone(tmp_path / "phone.log")
    app = create_app(settings_for(NotifySettings, log_path=str(phone.path)))
    async with running(app) as client:
        now = await _out_of_office_hours(client, app, (amqp_url, namespace), {"ENG-P": PHONE})
        due = PmDue(visit_id="PM-SITE-R-1", site_id="SITE-R", engineer_id="ENG-P", due_at=now + timedelta(days=14))
        await publish(amqp_url, namespace, Envelope.wrap(due, producer="scheduler"))
        await publish(amqp_url, namespace, Envelope.wrap(opened("INC-P1", "ENG-P"), producer="escalation"))

        await eventually(lambda: phone.lines("sms") or None, timeout=10, what="the on-call message, at any hour")

        async def held() -> dict[str, Any] | None:
            info = [n for n in await _told(client, app, "ENG-P") if n["kind"] == "info"]
            return info[0] if info else None

        pm = await eventually(held, timeout=10, what="the PM message recorded")
        assert (pm["status"], pm["incident_id"], pm["visit_id"]) == ("queued", None, "PM-SITE-R-1")
        assert "PM-SITE-R-1" in pm["text"]
        _waits_for_office_hours(pm, now)
        assert [m["incident_ids"] for m in phone.lines("sms")] == [["INC-P1"]]


async def test_an_sms_reply_acknowledges_when_the_provider_signed_it(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any], tmp_path: Path
) -> None:
    events = await tap(NotificationAcknowledged.type)
    phone = Phone(tmp_path / "phone.log")
    secret = "twilio-auth-token-for-tests"
    providers = ProviderSettings(twilio_auth_token=secret)
    app = create_app(settings_for(NotifySettings, log_path=str(phone.path), public_url="https://pso.example",
                                  providers=providers))  # fmt: skip
    async with running(app) as client:
        await register_engineer(
            amqp_url,
            namespace,
            client,
            "ENG-T",
            {"phones": [PHONE], "rules": [{"channel": "sms"}]},
            bearer(app.state.kit, "ENG-T", "engineer"),
        )
        await publish(amqp_url, namespace, Envelope.wrap(opened("INC-T1", "ENG-T"), producer="escalation"))
        [sms] = await eventually(lambda: phone.lines("sms") or None, timeout=10, what="the SMS")
        code = re.search(r"reply ACK (\d{4})", sms["text"]).group(1)  # type: ignore[union-attr]
        path = "/api/v1/sms/inbound/twilio"

        async def reply(body: str, sender: str = PHONE, key: str = secret) -> int:
            form = {"MessageSid": "SM" + "0" * 32, "From": sender, "To": "+15005550006", "Body": body}
            signature = twilio_signature(key, f"https://pso.example{path}", form)
            r = await client.post(path, data=form, headers={"X-Twilio-Signature": signature})
            return r.status_code

        assert await reply(f"ACK {code}", key="someone-else") == 403, "unsigned by the provider"
        assert await reply(f"ACK {code}", sender="+8613900000000") == 200  # a stranger's number: nothing happens
        wrong = f"{(int(code) + 1) % 10_000:04d}"
        assert await reply(f"ACK {wrong}") == 200
        assert await reply(f"ack {code}") == 200
        [acked] = await events.at_least(1, timeout=10, what="the reply's acknowledgement")
        assert acked["payload"]["incident_id"] == "INC-T1" and acked["payload"]["engineer_id"] == "ENG-T"
        tokens = app.state.kit.mongo.db["ack_tokens"]
        [used] = await tokens.find({"engineer_id": "ENG-T", "used_at": {"$ne": None}}).to_list()
        assert await reply(f"ACK {code}") == 200  # the same code again: spent already, nothing happens
        [still] = await tokens.find({"engineer_id": "ENG-T", "used_at": {"$ne": None}}).to_list()
        assert still["used_at"] == used["used_at"], "a spent code is never spent again (no second event)"


async def test_the_previous_owner_is_told_for_information_in_their_office_hours_not_asked_to_respond(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    phone = Phone(tmp_path / "phone.log")
    app = create_app(settings_for(NotifySettings, log_path=str(phone.path)))
    async with running(app) as client:
        engineers = {"ENG-OLD": "+8613800138001", "ENG-NEW": "+8613800138002"}
        now = await _out_of_office_hours(client, app, (amqp_url, namespace), engineers)
        escalated = IncidentEscalated(incident_id="INC-E1", site_id="SITE-R", from_tier=Tier.L1, to_tier=Tier.L2,
                                      previous_assignee_id="ENG-OLD", assignee_id="ENG-NEW",
                                      reason="unsolved after PT2H of contract time", escalated_at=now)  # fmt: skip
        await publish(amqp_url, namespace, Envelope.wrap(escalated, producer="escalation"))

        await eventually(lambda: phone.lines("sms") or None, timeout=10, what="the new owner's message, at any hour")

        async def told(engineer_id: str) -> dict[str, Any] | None:
            items = await _told(client, app, engineer_id)
            return items[0] if items else None

        old = await eventually(lambda: told("ENG-OLD"), timeout=10, what="the previous owner's message recorded")
        new = await told("ENG-NEW")
    assert new is not None and "You own it now" in new["text"] and "Acknowledge" in new["text"]
    assert old["kind"] == "info" and old["status"] == "queued"
    assert "You own it" not in old["text"] and "respond" not in old["text"].lower(), old["text"]
    assert "ENG-NEW" in old["text"] and "L2" in old["text"], "the previous owner learns who has it now"
    _waits_for_office_hours(old, now)
    assert [m["to"] for m in phone.lines("sms")] == ["ENG-NEW"], "only the new owner was messaged"


async def test_a_message_left_half_sent_by_a_dead_dispatcher_goes_again_as_the_same_message_not_in_a_new_bundle(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    phone = Phone(tmp_path / "phone.log")
    app = create_app(settings_for(NotifySettings, log_path=str(phone.path), stale_send_seconds=1.0))
    deps = app.state.deps
    async with running(app) as client:
        await register_engineer(amqp_url, namespace, client, "ENG-D", {"phones": [PHONE], "rules": [
            {"channel": "sms", "after": "PT1H"}]}, bearer(app.state.kit, "ENG-D", "engineer"))  # fmt: skip
        for incident_id in ("INC-D1", "INC-D2"):
            await publish(amqp_url, namespace, Envelope.wrap(opened(incident_id, "ENG-D"), producer="escalation"))

        async def both_queued() -> list[dict[str, Any]] | None:
            found = await deps.sends.collection.find({"engineer_id": "ENG-D"}).to_list()
            return found if len(found) == 2 else None

        first, second = sorted(await eventually(both_queued, timeout=10, what="two queued messages"),
                               key=lambda d: d["incident_id"])  # fmt: skip
        now = datetime.now(UTC)
        # INC-D1's message was claimed and handed to the provider by a dispatcher that then died; INC-D2's is due
        await deps.sends.collection.update_one({"_id": first["_id"]}, {"$set": {
            "status": "sending", "claim": "dead-dispatcher", "claimed_at": now - timedelta(minutes=5),
            "due_at": now - timedelta(minutes=10)}})  # fmt: skip
        await deps.sends.collection.update_one({"_id": second["_id"]},
                                                    {"$set": {"due_at": now - timedelta(minutes=8)}})  # fmt: skip
        deps.dispatch.ring()
        sms = await eventually(lambda: phone.lines("sms") if len(phone.lines("sms")) >= 2 else None, timeout=10,
                               what="both messages sent")  # fmt: skip
    assert sorted(m["incident_ids"] for m in sms) == [["INC-D1"], ["INC-D2"]], "the resent one went alone"
    resent = next(m for m in sms if m["incident_ids"] == ["INC-D1"])
    assert resent["notification_id"] == first["notification_id"], "as the same message the provider may have had"
