"""Faults as the hospitals report them: HIS faults, call-centre calls, and the HIS keys that sign them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from pacs_contracts.common import FaultSource, Identifier, LongText, Phone, Severity, ShortText
from pacs_contracts.envelope import Contract


class SiteKeyCreate(Contract):
    site_id: Identifier
    name: ShortText = Field(description="what uses it, e.g. 'HIS interface engine'")
    expires_days: int | None = Field(None, ge=1, le=3650, description="none: until revoked")


class SiteKeyPublic(Contract):
    key_id: Identifier
    site_id: Identifier
    name: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class SiteKeyCreated(SiteKeyPublic):
    key: str = Field(description="shown this once: only a digest is kept")


class FaultCreate(Contract):
    site_id: Identifier
    external_ref: Identifier
    code: ShortText
    severity: Severity = Severity.major
    equipment_id: Identifier | None = None
    description: LongText
    occurred_at: datetime | None = None


class CallCreate(Contract):
    site_id: Identifier
    incident_id: Identifier | None = Field(
        None,
        description="an open incident of the site this call is about: "
        "the call is added to it instead of opening another",
    )
    caller_role: ShortText = Field(description="the caller's job at the hospital, never a patient")
    callback_phone: Phone | None = None
    code: ShortText = "CALL"
    severity: Severity = Severity.major
    equipment_id: Identifier | None = None
    description: LongText


class FaultAccepted(Contract):
    fault_id: Identifier
    status: str
    duplicate: bool = False


class FaultPublic(Contract):
    fault_id: Identifier
    site_id: Identifier
    source: FaultSource
    external_ref: Identifier | None
    code: str
    severity: Severity
    equipment_id: Identifier | None
    description: str
    status: str
    incident_id: Identifier | None
    received_at: datetime


class CallPublic(Contract):
    call_id: Identifier
    fault_id: Identifier
    site_id: Identifier
    logged_by: str
    received_at: datetime
