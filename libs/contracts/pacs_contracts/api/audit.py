"""The audit trail every service keeps: its records and the check of their hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from pacs_contracts.envelope import Contract


class AuditActor(Contract):
    subject: str | None
    roles: list[str]
    site_id: str | None = None
    username: str | None = Field(
        None, description="the staff account's user name, for a request made from the console for a signed-in user"
    )


class AuditRecordPublic(Contract):
    """One audited request: who, from where, what, on which object, with its outcome (chained in blocks)."""

    id: str
    service: str
    at: datetime
    actor: AuditActor
    address: str | None
    correlation_id: str | None
    action: str = Field(description="method and route template, e.g. POST /api/v1/incidents/{incident_id}/resolve")
    object: dict[str, str] = Field(description="the route's path parameters: which object")
    request: Any = Field(description="the request body, secrets blanked")
    outcome: str | int = Field(
        description="'committed' with the change, or the HTTP status of a request that changed nothing"
    )
    before: Any = None
    after: Any = None
    expire_at: datetime = Field(description="when retention removes it")


class AuditVerification(Contract):
    intact: bool
    checked: int = Field(description="records whose hash was checked against their block")
    pending: int = Field(description="records not chained yet (a few seconds' worth)")
    first_seq: int | None = Field(description="the oldest block kept; older ones expired with their records")
    last_seq: int | None = Field(description="the newest block, the chain's head")
    broken_at: int | None = Field(None, description="the block where the chain breaks")
    problem: str | None = None
