"""Notify's handlers, without the broker: an opened incident queues one message for its owner, with a send per
contact rule; an acknowledgement stops what still waits; a PM visit is told as a visit; a breach reaches the
supervisors of the site's region; the same event twice is one message. Once sent, a message is announced under the
correlation id of the event that raised it. A hospital notice is one e-mail per named contact of its role."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pacs_contracts.api import Contacts
from pacs_contracts.common import Tier
from pacs_contracts.events import EngineerRegistered, IncidentAcknowledged, PmDue, SiteRegistered, SlaBreached
from pacs_devstack.processes import free_port
from pacs_notify.adapters.providers import ProviderSettings
from pacs_notify.jobs.send_due_messages import send_due
from pacs_notify.usecases.acknowledge import spend
from tests.factories import HOSPITAL_CONTACTS, make_hospital_notice, make_incident_opened, make_site_registered

RULES = [{"channel": "push", "after": "PT0S"}, {"channel": "sms", "after": "PT5M", "repeat": "PT15M"}]


def _engineer(engineer_id: str, region: str = "east", roles: tuple[str, ...] = ()) -> EngineerRegistered:
    return EngineerRegistered(engineer_id=engineer_id, name=engineer_id, region=region, tier=Tier.L1, roles=roles)


async def _notify(bench: Any, tmp_path: Path) -> Any:
    """Notify knowing ENG-1, who takes a push at once and an SMS five minutes on."""
    notify = await bench("notify", log_path=str(tmp_path / "phone.log"))
    await notify.deliver(_engineer("ENG-1"))
    contacts = Contacts(phones=["+8613800138000"], push=[{"provider": "ntfy", "address": "eng-1"}], rules=RULES)
    await notify.deps.contacts.put("ENG-1", contacts.model_dump(mode="json"))
    return notify


async def test_an_opened_incident_queues_one_message_for_its_owner_with_a_send_per_rule(
    bench: Any, tmp_path: Path
) -> None:
    notify = await _notify(bench, tmp_path)
    opened = notify.envelope(make_incident_opened())

    assert await notify.deliver(opened, opened) == ["handled", "duplicate"]
    await notify.deliver(make_incident_opened())  # the same event again, in an envelope of its own

    (message,) = await notify.stored("notifications")
    assert (message["incident_id"], message["engineer_id"], message["status"]) == ("INC-1", "ENG-1", "queued")
    assert "INC-1" in message["text"] and message["ack_url"] in message["text"]
    sends = sorted(await notify.stored("deliveries"), key=lambda s: s["step"])
    assert [(s["channel"], s["status"]) for s in sends] == [("push", "queued"), ("sms", "queued")]
    assert sends[1]["due_at"] - sends[0]["due_at"] == timedelta(minutes=5)
    assert len(await notify.stored("ack_tokens", {"notification_id": message["_id"]})) == 1
    assert await notify.emitted() == [], "nothing is announced before it is sent"


async def test_an_acknowledged_incident_stops_the_messages_still_waiting(bench: Any, tmp_path: Path) -> None:
    notify = await _notify(bench, tmp_path)
    await notify.deliver(make_incident_opened())

    await notify.deliver(IncidentAcknowledged(incident_id="INC-1", site_id="SITE-1", engineer_id="ENG-1",
                                              acknowledged_at=datetime.now(UTC)))  # fmt: skip

    (message,) = await notify.stored("notifications")
    assert message["status"] == "acknowledged" and message["acknowledged_at"] is not None
    assert {s["status"] for s in await notify.stored("deliveries")} == {"skipped"}


async def test_a_pm_visit_due_is_told_as_the_visit_not_as_an_incident(bench: Any, tmp_path: Path) -> None:
    notify = await _notify(bench, tmp_path)

    await notify.deliver(PmDue(visit_id="PM-SITE-1-3", site_id="SITE-1", engineer_id="ENG-1",
                               due_at=datetime.now(UTC) + timedelta(days=14)))  # fmt: skip

    (message,) = await notify.stored("notifications")
    assert (message["visit_id"], message["incident_id"], message["kind"]) == ("PM-SITE-1-3", None, "info")
    assert "PM-SITE-1-3" in message["text"]
    (send,) = await notify.stored("deliveries")
    assert (send["visit_id"], send["incident_id"]) == ("PM-SITE-1-3", None)


async def test_a_breach_tells_the_supervisors_of_the_sites_region(bench: Any, tmp_path: Path) -> None:
    notify = await _notify(bench, tmp_path)
    await notify.deliver(_engineer("SUP-EAST", "east", ("supervisor",)), _engineer("SUP-WEST", "west", ("supervisor",)))
    await notify.deliver(SiteRegistered(site_id="SITE-1", name="Demo Hospital", region="east",
                                        account_engineer_id="ENG-1"))  # fmt: skip

    now = datetime.now(UTC)
    await notify.deliver(SlaBreached(incident_id="INC-1", site_id="SITE-1", clock="response", deadline=now,
                                     breached_at=now))  # fmt: skip

    (message,) = await notify.stored("notifications")
    assert (message["engineer_id"], message["incident_id"], message["reason"]) == ("SUP-EAST", "INC-1", "sla.breached")


async def test_what_is_sent_is_announced_under_the_correlation_id_of_the_event_that_raised_it(
    bench: Any, tmp_path: Path
) -> None:
    notify = await bench("notify", log_path=str(tmp_path / "phone.log"))  # no contacts: the log channel, at once
    await notify.deliver(make_incident_opened(), correlation_id="corr-7")
    await notify.deliver(PmDue(visit_id="PM-SITE-1-3", site_id="SITE-1", engineer_id="ENG-2",
                               due_at=datetime.now(UTC)), correlation_id="corr-pm")  # fmt: skip
    for send in await notify.stored("deliveries"):  # the visit's waits for office hours: due now, for the test
        await notify.kit.mongo.db["deliveries"].update_one(
            {"_id": send["_id"]}, {"$set": {"due_at": send["created_at"]}}
        )

    assert await send_due(notify.kit, notify.deps) == 2

    sent = await notify.emitted("notification.sent")
    by_subject = {(e["payload"]["incident_id"], e["payload"]["visit_id"]): e["correlation_id"] for e in sent}
    assert by_subject == {("INC-1", None): "corr-7", (None, "PM-SITE-1-3"): "corr-pm"}
    (token,) = await notify.stored("ack_tokens", {"incident_id": "INC-1"})

    assert await spend(notify.kit, notify.deps, [token["_id"]], datetime.now(UTC)) == ["INC-1"]

    (acknowledged,) = await notify.emitted("notification.acknowledged")
    assert acknowledged["payload"]["incident_id"] == "INC-1" and acknowledged["correlation_id"] == "corr-7"


async def test_a_registered_site_keeps_its_named_contacts_and_a_new_contract_replaces_them(
    bench: Any, tmp_path: Path
) -> None:
    notify = await bench("notify", log_path=str(tmp_path / "phone.log"))

    await notify.deliver(make_site_registered())
    (site,) = await notify.stored("sites")
    assert [(c["email"], c["language"], c["roles"]) for c in site["contacts"]] == [
        ("wang.it@hospital.example.cn", "zh-CN", ["upgrade", "review"]),
        ("lee@hospital.example.cn", "en", ["upgrade"]),
        ("chen@hospital.example.cn", "zh-CN", ["access"]),
    ]

    await notify.deliver(make_site_registered(contacts=[HOSPITAL_CONTACTS[2]]))
    (site,) = await notify.stored("sites")
    assert [c["name"] for c in site["contacts"]] == ["陈工"]


async def test_a_hospital_notice_queues_one_email_per_contact_of_its_role_once_in_their_language(
    bench: Any, tmp_path: Path
) -> None:
    notify = await bench("notify", log_path=str(tmp_path / "phone.log"))
    await notify.deliver(make_site_registered())
    notice = make_hospital_notice()

    assert await notify.deliver(make_hospital_notice(), make_hospital_notice()) == ["handled", "handled"]
    await notify.deliver(make_hospital_notice(reference="CAMP-7"))  # told again, in an envelope of its own

    messages = {m["contact"]["email"]: m for m in await notify.stored("notifications")}
    assert sorted(messages) == ["lee@hospital.example.cn", "wang.it@hospital.example.cn"], "the access contact: no"
    zh, en = messages["wang.it@hospital.example.cn"], messages["lee@hospital.example.cn"]
    assert zh["mail"]["subject"] == "[PACS] 请确认Demo Hospital的升级窗口" and "王主任" in zh["mail"]["body"]
    assert en["mail"]["subject"] == "[PACS] Please agree an upgrade window for Demo Hospital"
    assert notice.link and notice.link in en["mail"]["body"] and "5.2.0" in en["mail"]["body"]
    assert "2099-03-09 16:00 (Asia/Shanghai)" in en["mail"]["body"], "the link's expiry in the hospital's time"
    assert notice.link not in en["text"] and "/agreements/(link)" in en["text"], "the delivery log masks the link"
    assert {(m["engineer_id"], m["notice_id"], m["channel"], m["kind"]) for m in messages.values()} == {
        (None, "HN-1", "email", "notice")
    }
    sends = await notify.stored("deliveries")
    assert sorted((s["address"], s["channel"], s["status"]) for s in sends) == [
        ("lee@hospital.example.cn", "email", "queued"),
        ("wang.it@hospital.example.cn", "email", "queued"),
    ]


async def test_a_notice_heard_after_its_link_expired_is_not_mailed(bench: Any, tmp_path: Path) -> None:
    notify = await bench("notify", log_path=str(tmp_path / "phone.log"))
    await notify.deliver(make_site_registered())
    stale = make_hospital_notice(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert await notify.deliver(stale) == ["handled"], "handled (not retried): a later delivery would be as late"
    assert await notify.stored("notifications") == [] and await notify.stored("deliveries") == []


async def test_without_an_smtp_relay_the_email_goes_to_the_log_channel(bench: Any, tmp_path: Path) -> None:
    phone = tmp_path / "phone.log"
    notify = await bench("notify", log_path=str(phone))
    await notify.deliver(make_site_registered(), make_hospital_notice(role="access", topic="access.approval_requested"))

    assert await send_due(notify.kit, notify.deps) == 1

    (line,) = [json.loads(x) for x in phone.read_text(encoding="utf-8").splitlines()]
    assert line["channel"] == "email" and line["address"] == "chen@hospital.example.cn"
    assert "远程访问申请待您批准" in line["text"]
    (send,) = await notify.stored("deliveries")
    assert (send["status"], send["provider"]) == ("sent", "log")
    assert await notify.emitted() == [], "a hospital's e-mail names no engineer: nothing to announce"


async def test_an_unreachable_smtp_relay_fails_clearly_and_the_email_is_tried_again_later(
    bench: Any, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    relay = ProviderSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="PACS <service@vendor.example>",
                             smtp_starttls=False, retry_attempts=1)  # fmt: skip
    notify = await bench("notify", log_path=str(tmp_path / "phone.log"), providers=relay)
    await notify.deliver(make_site_registered(), make_hospital_notice(role="access"))

    assert await send_due(notify.kit, notify.deps) == 1

    (send,) = await notify.stored("deliveries")
    assert send["status"] == "queued" and len(send["retries"]) == 1, "queued again, for later"
    (attempt,) = send["attempts"]
    assert (attempt["provider"], attempt["outcome"]) == ("smtp", "transient")
    assert f"cannot reach 127.0.0.1:{port}" in attempt["error"]
