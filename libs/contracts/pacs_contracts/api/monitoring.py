"""Remote monitoring: metric batches, Alertmanager webhooks, heartbeats, and a site's health."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pacs_contracts.api.dicom import DicomNodeHealth
from pacs_contracts.common import Identifier, IsoDuration, parse_duration
from pacs_contracts.envelope import Contract


class MetricSample(Contract):
    host: Identifier
    name: Identifier
    labels: dict[str, str] = {}
    value: float = Field(allow_inf_nan=False)
    timestamp: AwareDatetime | None = Field(None, description="when it was measured (with its offset); default: now")


class MetricBatch(Contract):
    site_id: Identifier
    samples: list[MetricSample] = Field(min_length=1, max_length=20_000)


class MetricBatchAccepted(Contract):
    accepted: int
    breaches: int
    recoveries: int
    held: int = Field(0, description="breaches recorded but not published: the host is in a maintenance window")


class AlertmanagerAlert(BaseModel):
    """One alert of Prometheus Alertmanager's webhook (payload version 4); fields it may add later are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: datetime  # Alertmanager's own field names
    endsAt: datetime | None = None
    fingerprint: str = ""

    @model_validator(mode="after")
    def _named(self) -> AlertmanagerAlert:
        if not self.labels.get("alertname"):
            raise ValueError("every alert needs an alertname label")
        return self


class AlertmanagerWebhook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    truncatedAlerts: int = 0
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=1000)


class AlertmanagerAccepted(Contract):
    alerts: int
    breaches: int
    recoveries: int
    held: int


class HeartbeatCreate(Contract):
    """A sign of life from one of a site's links (remote monitoring, remote access, an agent)."""

    site_id: Identifier
    link: Identifier = Field(description="e.g. remote-monitoring, remote-access")
    allowance: IsoDuration = Field("PT5M", description="how long the link may stay silent before it is a breach")

    @model_validator(mode="after")
    def _sane_allowance(self) -> HeartbeatCreate:
        if not timedelta(seconds=1) <= parse_duration(self.allowance) <= timedelta(days=1):
            raise ValueError("allowance must be between PT1S and P1D")
        return self


class HeartbeatAccepted(Contract):
    site_id: Identifier
    link: Identifier
    silent_after: datetime
    recovered: bool = Field(description="the link had been silent too long and is back")


class RuleStatePublic(Contract):
    host: str
    rule: str
    state: str = Field(description="ok or firing")
    announced: bool = Field(description="false while a breach is held by a maintenance window")
    value: float
    changed_at: datetime


class LinkPublic(Contract):
    link: str
    last_seen: datetime
    silent_after: datetime
    silent: bool


class SiteHealth(Contract):
    site_id: Identifier
    firing: int
    rules: list[RuleStatePublic]
    links: list[LinkPublic]
    dicom_nodes: list[DicomNodeHealth] = Field(default_factory=list, description="every node's last probe")
    maintenance: list[Identifier] = Field(description="maintenance windows running now")
