"""Remote access to a hospital's servers, only with its authorisation: a request names what it serves, the
hosts, the purpose, the level and how long; the hospital's approvers grant or deny it; a grant is an SSH
certificate valid for those hosts and that window only, which either side may end early."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from pacs_contracts.common import Identifier, IsoDuration, LongText, ShortText
from pacs_contracts.envelope import Contract

HOSTS_MAX = 20
_PUBLIC_KEY = re.compile(
    r"^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/=]{40,4096}( [^\n]{0,200})?$"
)


def _ssh_public_key(text: str) -> str:
    text = text.strip()
    if not _PUBLIC_KEY.match(text):
        raise ValueError("an OpenSSH public key (ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa), one line")
    return text


SshPublicKey = Annotated[str, AfterValidator(_ssh_public_key)]


class AccessLevel(StrEnum):
    """View reads screens and logs; diagnose runs read-only tools; change alters the system and needs two
    approvals from the hospital."""

    view = "view"
    diagnose = "diagnose"
    change = "change"


class AccessState(StrEnum):
    requested = "requested"  # waiting for the hospital's approval(s)
    granted = "granted"  # approved: the certificate is valid from `valid_from` to `valid_until`
    denied = "denied"
    ended = "ended"  # ended early by either side, or its window ran out
    withdrawn = "withdrawn"  # the engineer withdrew it before the hospital decided


class AccessRequestCreate(Contract):
    site_id: Identifier
    incident_id: Identifier | None = Field(None, description="what the access serves: an incident,")
    visit_id: Identifier | None = Field(None, description="or a PM visit,")
    campaign_id: Identifier | None = Field(None, description="or an upgrade campaign")
    hosts: list[Identifier] = Field(min_length=1, max_length=HOSTS_MAX, description="the hosts, as the site names them")
    purpose: ShortText
    level: AccessLevel
    duration: IsoDuration = Field(description="how long, within the contract's cap; the clock starts at approval")
    starts_at: AwareDatetime | None = Field(None, description="an agreed start later than the approval, if any")
    public_key: SshPublicKey = Field(description="the engineer's SSH public key the certificate is issued for")

    @model_validator(mode="after")
    def _serves_one_thing(self) -> AccessRequestCreate:
        if sum(x is not None for x in (self.incident_id, self.visit_id, self.campaign_id)) != 1:
            raise ValueError("name the one thing the access serves: incident_id, visit_id or campaign_id")
        return self


class Approval(Contract):
    name: ShortText
    at: datetime
    via: str = Field(description="link, api, or standing rule (the contract's, granted at once)")
    credential: str | None = Field(None, description="what gave it: the approver's own link, or the hospital's key")


class Decision(Contract):
    """An approver's answer, through the signed link or with the site's key."""

    name: ShortText = Field(description="the approver, as named on the contract")
    approve: bool
    reason: ShortText | None = Field(None, description="why, when denying")


class DeclarationPublic(Contract):
    patient_data_seen: bool
    note: str | None = None
    at: datetime


class EndCreate(Contract):
    reason: ShortText


class Declaration(Contract):
    """What the engineer declares at the end of a session."""

    patient_data_seen: bool
    note: LongText | None = None


class AccessRequestPublic(Contract):
    request_id: Identifier
    site_id: Identifier
    incident_id: Identifier | None
    visit_id: Identifier | None
    campaign_id: Identifier | None
    hosts: list[Identifier]
    purpose: str
    level: AccessLevel
    duration: str
    starts_at: datetime | None
    requested_by: str
    requested_at: datetime
    state: AccessState
    approvals: list[Approval]
    approvals_needed: int
    standing_rule: int | None = Field(None, description="the contract's standing rule (from 1) that granted it at once")
    denied_by: str | None = None
    denied_reason: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    certificate_serial: int | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    declaration: DeclarationPublic | None = None


class ApprovalLink(Contract):
    approver: str
    url: str
    expires_at: datetime


class CertificatePublic(Contract):
    request_id: Identifier
    serial: int
    principals: list[str] = Field(description="the hosts it logs into")
    valid_from: datetime
    valid_until: datetime
    certificate: str = Field(description="the OpenSSH user certificate, to save beside the private key as -cert.pub")


class LinkDecision(Contract):
    """An approver's answer through their own signed link, which names them."""

    approve: bool
    reason: ShortText | None = Field(None, description="why, when denying")
