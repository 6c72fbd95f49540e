"""A hospital notice reaches the site's named contacts by e-mail: a real SMTP server (aiosmtpd) on loopback, the
real notify service on the real bus. Each contact of the notice's role gets one e-mail in their language with the
link and until when it works, once, however often the notice comes; a contact of another role gets none."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pacs_contracts import Envelope
from pacs_devstack.processes import free_port
from pacs_notify.adapters.providers import ProviderSettings
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from tests.factories import make_hospital_notice, make_site_registered
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

SENDER = "service@vendor.example"


@dataclass
class Mailbox:
    """What the SMTP server accepted: each message with the recipients of its envelope."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [mail for rcpts, mail in self.received if address in rcpts]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a free loopback port, in its own thread, for the test's length."""
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_a_notice_is_mailed_once_to_each_contact_of_its_role_in_their_language(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], mailbox: Mailbox, tmp_path: Path
) -> None:
    relay = ProviderSettings(smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_from=f"PACS Service <{SENDER}>",
                             smtp_starttls=False, retry_base_delay_seconds=0.05)  # fmt: skip
    notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "log"), providers=relay))
    async with running(notify, bearer(notify.state.kit, "ops", "admin")) as api:
        await publish(amqp_url, namespace, Envelope.wrap(make_site_registered(), producer="escalation"))
        await eventually(lambda: notify.state.deps.sites.get("SITE-1"), timeout=15, what="SITE-1 known to notify")
        notice = make_hospital_notice()
        told = Envelope.wrap(notice, producer="scheduler")
        await publish(amqp_url, namespace, told)
        await publish(amqp_url, namespace, told)  # redelivered
        await publish(amqp_url, namespace, Envelope.wrap(notice, producer="scheduler"))  # the notice sent again
        # then one for the access contact: once it is in, everything published before it has been handled
        access = make_hospital_notice(notice_id="HN-2", role="access", topic="access.approval_requested")
        await publish(amqp_url, namespace, Envelope.wrap(access, producer="access"))

        [chen] = await eventually(lambda: mailbox.to("chen@hospital.example.cn"), timeout=20, what="the access mail")
        await eventually(lambda: len(mailbox.received) >= 3, timeout=20, what="the two upgrade mails")
        idle = {"status": {"$in": ["queued", "sending"]}}
        await eventually(lambda: _none_waiting(notify, idle), timeout=20, what="nothing left to send")

        assert len(mailbox.received) == 3, [rcpts for rcpts, _ in mailbox.received]
        [wang] = mailbox.to("wang.it@hospital.example.cn")
        [lee] = mailbox.to("lee@hospital.example.cn")
        assert str(wang["Subject"]) == "[PACS] 请确认Demo Hospital的升级窗口"
        assert str(lee["Subject"]) == "[PACS] Please agree an upgrade window for Demo Hospital"
        assert str(chen["Subject"]) == "[PACS] Demo Hospital的远程访问申请待您批准"
        assert notice.link is not None
        for mail in (wang, lee):
            assert notice.link in text_of(mail) and "2099-03-09 16:00" in text_of(mail)
            assert SENDER in str(mail["From"]) and mail["Message-ID"]
        assert "王主任" in text_of(wang) and "链接有效期至" in text_of(wang)
        assert "Dear Dr Lee," in text_of(lee) and "Version: 5.2.0" in text_of(lee)

        log = (await api.get("/api/v1/notifications", params={"limit": 10})).json()["items"]
        assert sorted((n["notice_id"], n["status"], n["channel"]) for n in log) == [
            ("HN-1", "sent", "email"), ("HN-1", "sent", "email"), ("HN-2", "sent", "email"),
        ]  # fmt: skip
        assert all(notice.link not in n["text"] for n in log), "the delivery log shows the link masked"


async def _none_waiting(notify: Any, query: dict[str, Any]) -> bool:
    return await notify.state.deps.sends.collection.count_documents(query) == 0
