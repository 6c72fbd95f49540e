"""Notifications and their deliveries, and how each engineer wants to be reached."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from pacs_contracts.common import Identifier, IsoDuration, TimeZone
from pacs_contracts.envelope import Contract


class DeliveryAttempt(Contract):
    provider: str
    outcome: str = Field(description="sent, transient or permanent")
    error: str | None = None
    at: datetime


class DeliveryPublic(Contract):
    """One message on one channel: the first, a later step of the rule (SMS after N minutes), or a repeat."""

    delivery_id: str
    channel: str
    address: str | None = Field(description="the number, push target or e-mail address, masked but for its end")
    due_at: datetime
    status: str = Field(
        description="queued, sending, sent, delivered, undelivered, failed, skipped (acknowledged first)"
    )
    provider: str | None = None
    provider_message_id: str | None = None
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    sent_at: datetime | None = None
    bundled_with: list[str] = Field(default_factory=list, description="other notifications sent in this message")


class NotificationPublic(Contract):
    notification_id: Identifier
    incident_id: Identifier | None = Field(description="the incident it is about; none for a PM visit's")
    visit_id: Identifier | None = Field(None, description="the PM visit it is about, when it is one")
    engineer_id: Identifier | None = Field(description="the engineer told; none for a hospital contact's e-mail")
    notice_id: Identifier | None = Field(None, description="the hospital notice an e-mail tells of")
    channel: str
    status: str
    text: str = Field(description="the text as sent; a hospital notice's link shown masked")
    created_at: datetime
    sent_at: datetime | None
    kind: str = Field(
        "oncall", description="oncall (any hour), info (waits for working hours) or notice (a hospital contact's)"
    )
    acknowledged_at: datetime | None = None
    deliveries: list[DeliveryPublic] = Field(default_factory=list)


class NotificationRule(Contract):
    """One step: reach the engineer on `channel` `after` the message was raised, then every `repeat`."""

    channel: Literal["push", "sms"]
    after: IsoDuration = "PT0S"
    repeat: IsoDuration | None = Field(None, description="again every so often until acknowledged")


class PushTarget(Contract):
    provider: Literal["fcm", "jpush", "ntfy", "webhook"]
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class OfficeHours(Contract):
    """When information-only messages may reach an engineer (on-call messages come at any hour)."""

    start: time = time(8, 30)
    end: time = time(17, 30)
    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5],
                                                          description="ISO weekdays, Monday 1")  # fmt: skip


DEFAULT_RULES = [{"channel": "push", "after": "PT0S"}, {"channel": "sms", "after": "PT5M", "repeat": "PT15M"}]


class Contacts(Contract):
    """How to reach an engineer: push targets, phone numbers, language, working hours, and the rules."""

    phones: list[Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]] = Field(
        default_factory=list, max_length=5, description="E.164"
    )
    push: list[PushTarget] = Field(default_factory=list, max_length=10)
    locale: Literal["zh-CN", "en"] | None = Field(None, description="default: as registered")
    time_zone: TimeZone = "Asia/Shanghai"
    working_hours: OfficeHours = Field(default_factory=OfficeHours)
    rules: list[NotificationRule] = Field(
        default_factory=lambda: [NotificationRule.model_validate(r) for r in DEFAULT_RULES], min_length=1, max_length=5
    )
