"""Public request and response models of the HTTP APIs (XCreate / XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import Field, StringConstraints

from pacs_contracts.common import (
    FaultSource,
    Identifier,
    IsoDuration,
    LongText,
    Severity,
    ShortText,
    Tier,
)
from pacs_contracts.envelope import Contract

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{5,20}$")]


class ContractTerms(Contract):
    response: IsoDuration = "PT2H"
    on_site: IsoDuration = "PT6H"
    warranty_end: datetime | None = None


class SiteCreate(Contract):
    site_id: Identifier
    name: ShortText
    region: Identifier
    time_zone: ShortText = "Asia/Shanghai"
    account_engineer_id: Identifier
    contract: ContractTerms = ContractTerms()


class SitePublic(SiteCreate):
    created_at: datetime


class EngineerCreate(Contract):
    engineer_id: Identifier
    name: ShortText
    region: Identifier
    tier: Tier = Tier.L1
    locale: Annotated[str, StringConstraints(pattern=r"^(zh-CN|en)$")] = "en"


class EngineerPublic(EngineerCreate):
    created_at: datetime


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


class IncidentPublic(Contract):
    incident_id: Identifier
    site_id: Identifier
    fault_id: Identifier | None
    state: str
    tier: Tier
    assignee_id: Identifier
    severity: Severity
    summary: str
    opened_at: datetime
    response_due: datetime


class NotificationPublic(Contract):
    notification_id: Identifier
    incident_id: Identifier | None
    engineer_id: Identifier
    channel: str
    status: str
    text: str
    created_at: datetime
    sent_at: datetime | None


class MetricSample(Contract):
    host: Identifier
    name: Identifier
    labels: dict[str, str] = {}
    value: float
    timestamp: datetime | None = None


class MetricBatch(Contract):
    site_id: Identifier
    samples: list[MetricSample] = Field(min_length=1, max_length=20_000)


class MetricBatchAccepted(Contract):
    accepted: int
    breaches: int
    recoveries: int


T = TypeVar("T")


class Page(Contract, Generic[T]):
    items: list[T]
    total: int
