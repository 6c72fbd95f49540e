"""A hospital's named contacts on its contract, announced with the site; what a notice's e-mail says to each; how
an SMTP relay's refusals are read."""

from __future__ import annotations

from typing import Any

import aiosmtplib
import pytest
from pydantic import ValidationError

from pacs_contracts.api import ContractTerms
from pacs_contracts.events import SiteRegistered
from pacs_escalation.domain.sites import registered
from pacs_notify.adapters.providers import PermanentError, TransientError
from pacs_notify.adapters.providers.smtp import classified
from pacs_notify.domain.hospital import notice_mail, recipients, shown, without_link
from tests.factories import HOSPITAL_CONTACTS, make_hospital_notice, make_site

CONTACT = {"name": "王主任", "email": "wang.it@hospital.example.cn", "roles": ["upgrade"]}


def test_a_contract_names_its_contacts_each_in_chinese_unless_stated() -> None:
    terms = ContractTerms(contacts=[CONTACT, {**CONTACT, "email": "lee@hospital.example.cn", "language": "en"}])

    assert [(c.email, c.language, c.roles) for c in terms.contacts] == [
        ("wang.it@hospital.example.cn", "zh-CN", ("upgrade",)),
        ("lee@hospital.example.cn", "en", ("upgrade",)),
    ]
    assert ContractTerms().contacts == [], "a contract stored before contacts existed stays valid"


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-address"},
        {"email": "wang@localhost"},
        {"email": "wang@hospital.example.cn\r\nBcc: x@evil.example"},
        {"roles": ["billing"]},
        {"roles": ["upgrade", "upgrade"]},
        {"roles": []},
        {"language": "fr"},
    ],
)
def test_a_contact_with_a_bad_address_role_or_language_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ContractTerms(contacts=[{**CONTACT, **change}])


def test_a_contract_names_ten_contacts_at_most() -> None:
    with pytest.raises(ValidationError):
        ContractTerms(contacts=[{**CONTACT, "email": f"c{n}@hospital.example.cn"} for n in range(11)])


def test_a_registered_site_announces_its_contacts_from_its_contract() -> None:
    terms = ContractTerms(contacts=list(HOSPITAL_CONTACTS)).model_dump(mode="json")

    announced = registered(make_site(contract=terms))

    assert [(c.name, c.roles) for c in announced.contacts] == [
        ("王主任", ("upgrade", "review")), ("Dr Lee", ("upgrade",)), ("陈工", ("access",)),
    ]  # fmt: skip
    assert registered(make_site()).contacts == ()
    payload = {"site_id": "SITE-1", "name": "Demo", "region": "east", "account_engineer_id": "ENG-1"}
    assert SiteRegistered.model_validate(payload).contacts == (), "an announcement from before contacts is valid"


def test_the_contacts_of_a_role_are_told_each_address_once() -> None:
    contacts = [*HOSPITAL_CONTACTS, {**HOSPITAL_CONTACTS[1], "email": "LEE@hospital.example.cn"}]

    assert [c["name"] for c in recipients(contacts, "upgrade")] == ["王主任", "Dr Lee"]
    assert [c["name"] for c in recipients(contacts, "review")] == ["王主任"]
    assert [c["name"] for c in recipients(contacts, "upgrade", "Dr Lee")] == ["Dr Lee"], "a link naming one person"
    assert recipients(contacts, "access", "Dr Lee") == [], "only if that person looks after the role"


def test_a_topic_without_words_of_its_own_is_told_by_its_role_and_a_notice_without_a_link_has_none() -> None:
    notice = make_hospital_notice(topic="upgrade.rescheduled", link=None, expires_at=None, facts={})

    mail = notice_mail(notice, {"name": "Dr Lee", "language": "en"}, "Demo Hospital", "Asia/Shanghai")

    assert mail.subject == "[PACS] Software upgrade at Demo Hospital"
    assert "http" not in mail.body and "Reference: CAMP-7" in mail.body


def test_a_link_is_shown_masked_and_one_of_an_unknown_shape_not_at_all() -> None:
    assert shown("https://pso.example/agreements/abc.def.ghi") == "https://pso.example/agreements/(link)"
    assert shown("https://pso.example/windows/abc.def.ghi") == "(link)"
    assert without_link("open https://x.example/w/t1 now", "https://x.example/w/t1") == "open (link) now"


@pytest.mark.parametrize(
    ("error", "kind", "about"),
    [
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@h.cn")]),
         PermanentError, "recipient"),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "mailbox busy", "x@h.cn")]),
         TransientError, None),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), PermanentError, "provider"),
        (aiosmtplib.SMTPDataError(421, "try later"), TransientError, None),
        (aiosmtplib.SMTPNotSupported("STARTTLS extension not supported by server."), PermanentError, "provider"),
        (aiosmtplib.SMTPConnectError("Error connecting"), TransientError, None),
        (aiosmtplib.SMTPServerDisconnected("lost"), TransientError, None),
    ],
)  # fmt: skip
def test_an_smtp_failure_is_retried_only_when_it_may_pass(error: Exception, kind: type, about: str | None) -> None:
    assert isinstance(error, aiosmtplib.SMTPException)
    found = classified("smtp", error, "mail.example:587")

    assert isinstance(found, kind)
    assert getattr(found, "about", None) == about
