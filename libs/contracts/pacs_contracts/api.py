"""Public request and response models of the HTTP APIs (XCreate / XPublic)."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from pacs_contracts.common import (
    CausedBy,
    FaultSource,
    Identifier,
    IsoDuration,
    LongText,
    Period,
    Severity,
    ShortText,
    Tier,
    TimeZone,
    parse_duration,
)
from pacs_contracts.envelope import Contract

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{5,20}$")]
MAX_MAINTENANCE = timedelta(days=14)
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=20)]


class LadderStep(Contract):
    after: IsoDuration
    tier: Tier


class WorkingHours(Contract):
    weekday: Annotated[int, Field(ge=0, le=6, description="0 is Monday")]
    start: time
    end: time = Field(description="00:00 means midnight at the end of the day")

    @model_validator(mode="after")
    def _ends_after_start(self) -> WorkingHours:
        if self.end != time(0) and self.end <= self.start:
            raise ValueError("working hours must end after they start")
        return self


class CalendarTerms(Contract):
    time_zone: TimeZone = "Asia/Shanghai"
    hours: list[WorkingHours] = Field(min_length=1)
    holidays: list[date] = []


DEFAULT_LADDER = (LadderStep(after="PT2H", tier=Tier.L2), LadderStep(after="PT4H", tier=Tier.L3),
                  LadderStep(after="PT8H", tier=Tier.L4))  # fmt: skip


MIN_SHIFT = timedelta(hours=1)
MAX_SHIFT = timedelta(days=366)


class RosterOverride(Contract):
    engineer_id: Identifier
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> RosterOverride:
        if self.end <= self.start:
            raise ValueError(f"the override for {self.engineer_id} must end after it starts")
        return self


class RosterPut(Contract):
    time_zone: TimeZone = "Asia/Shanghai"
    engineers: list[Identifier] = Field(min_length=1, max_length=100, description="in rotation order")
    rotation_start: AwareDatetime = Field(description="the first hand-over; later ones fall at the same local time")
    shift: IsoDuration = Field("P7D", description="from PT1H to P366D")
    overrides: list[RosterOverride] = Field([], max_length=500)

    @model_validator(mode="after")
    def _shift_in_range(self) -> RosterPut:
        if not MIN_SHIFT <= parse_duration(self.shift) <= MAX_SHIFT:
            raise ValueError(f"shift {self.shift!r} must be from PT1H to P366D")
        return self


class RosterPublic(RosterPut):
    region: Identifier
    tier: Tier


class OnCallPublic(Contract):
    region: Identifier
    tier: Tier
    at: datetime
    engineer_id: Identifier | None
    source: str | None = Field(None, description="rotation, override, or tier: any engineer of the tier")
    until: datetime | None = None


class ContractTerms(Contract):
    """The service terms of one site; an incident keeps the terms in force when it opened."""

    warranty_start: date | None = None
    warranty_end: date | None = None
    response: IsoDuration = "PT2H"
    on_site: IsoDuration = "PT6H"
    ladder: list[LadderStep] = Field(default_factory=lambda: list(DEFAULT_LADDER))
    calendar: CalendarTerms | None = Field(None, description="working hours that apply after warranty")
    working_hours_always: bool = Field(False, description="apply the calendar during warranty too")
    software_downtime_budget: IsoDuration = "PT4H"


class SiteCreate(Contract):
    site_id: Identifier
    name: ShortText
    region: Identifier
    time_zone: TimeZone = "Asia/Shanghai"
    account_engineer_id: Identifier
    contract: ContractTerms = ContractTerms()
    phones: list[Phone] = Field([], max_length=10, description="numbers the hospital calls from, to find it by")
    city: ShortText | None = None
    aliases: list[ShortText] = Field([], max_length=10, description="other names: pinyin, English, short forms")


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


class ServiceNow(Contract):
    """What a caller is entitled to at the moment of reading."""

    in_warranty: bool
    entitlement: str = Field(description="free in warranty, billable after")
    round_the_clock: bool
    clocks_running: bool = Field(description="the contract clocks run now (round the clock or in working hours)")
    changes_at: datetime | None = Field(None, description="when working hours next begin or end")


class SitePublic(SiteCreate):
    created_at: datetime
    service_now: ServiceNow | None = None


class EngineerRole(StrEnum):
    engineer = "engineer"
    supervisor = "supervisor"


class EngineerCreate(Contract):
    engineer_id: Identifier
    name: ShortText
    region: Identifier
    tier: Tier = Tier.L1
    locale: Annotated[str, StringConstraints(pattern=r"^(zh-CN|en)$")] = "en"
    roles: list[EngineerRole] = Field(
        default_factory=lambda: [EngineerRole.engineer], min_length=1, description="a supervisor hears of SLA breaches"
    )


class EngineerPublic(EngineerCreate):
    created_at: datetime
    retired_at: datetime | None = Field(None, description="set once retired: rosters, sites and the ladder skip them")


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
    response_due: datetime | None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    source: str = Field("fault", description="fault (HIS or call) or monitoring")
    occurrences: int = Field(1, description="breaches of the same problem folded into this incident")
    region: Identifier | None = None
    on_site_required_at: datetime | None = Field(None, description="when remote service gave up")
    on_site_due: datetime | None = Field(None, description="the on-site deadline; none while paused or met")
    on_site_at: datetime | None = None
    next_tier: Tier | None = Field(None, description="the tier the ladder climbs to next, if still unsolved")
    next_tier_at: datetime | None = Field(None, description="when it climbs; none while paused")
    actions: list[str] = Field(default_factory=list, description="lifecycle actions the incident's state allows")


class BoardCell(Contract):
    region: Identifier
    tier: Tier
    open: int
    at_risk: int = Field(description="response due within 30 minutes, nobody has answered")
    breached: int = Field(description="a response or on-site deadline already missed")


class BoardPublic(Contract):
    """The escalation board: open incidents by region and tier, and the ones that need a supervisor now."""

    at: datetime
    cells: list[BoardCell]
    at_risk: list[IncidentPublic] = Field(description="at most 50, the response due soonest first")
    breached: list[IncidentPublic] = Field(description="at most 50, the oldest first")


class PendingCreate(Contract):
    reason: ShortText


class EscalationCreate(Contract):
    reason: ShortText
    to_tier: Tier | None = Field(None, description="default: the next tier up")


class ReassignmentCreate(Contract):
    engineer_id: Identifier
    reason: ShortText


class ReopenCreate(Contract):
    reason: ShortText


class ResolutionCreate(Contract):
    root_cause: LongText
    resolution: LongText
    caused_by: CausedBy
    whole_system_down: bool = False
    down_from: datetime | None = Field(None, description="when the whole system went down, if it did")
    # what the escalation database files the case under, for the next engineer who searches
    product: ShortText | None = None
    version: ShortText | None = None
    module: ShortText | None = None
    tags: Tags = []


class KnowledgeCaseCreate(Contract):
    """One historical escalation record to import into the escalation database."""

    external_id: Identifier = Field(description="the record's id in the system it came from; re-import updates it")
    title: ShortText
    symptom: LongText
    root_cause: LongText | None = None
    resolution: LongText | None = None
    product: ShortText | None = None
    version: ShortText | None = None
    module: ShortText | None = None
    tags: Tags = []


class KnowledgeImported(Contract):
    received: int
    created: int
    updated: int


class KnowledgeEscalation(Contract):
    at: datetime
    from_tier: Tier
    to_tier: Tier
    reason: str


class KnowledgeCasePublic(Contract):
    external_id: Identifier
    source: str = Field(description="import: a historical record; incident: filed from an incident on this platform")
    status: str = Field(description="resolved, or open while the incident is still being worked")
    title: str
    symptom: str
    root_cause: str | None
    resolution: str | None
    product: str | None
    version: str | None
    module: str | None
    tags: list[str]
    caused_by: CausedBy | None = None
    site_id: Identifier | None = None
    escalations: list[KnowledgeEscalation] = []
    updated_at: datetime


class KnowledgeHit(KnowledgeCasePublic):
    score: float = Field(description="similarity to the query, higher is closer (at most 1)")


class KnowledgeResults(Contract):
    query: str
    items: list[KnowledgeHit]


class DeliveryAttempt(Contract):
    provider: str
    outcome: str = Field(description="sent, transient or permanent")
    error: str | None = None
    at: datetime


class DeliveryPublic(Contract):
    """One message on one channel: the first, a later step of the rule (SMS after N minutes), or a repeat."""

    delivery_id: str
    channel: str
    address: str | None = Field(description="the number or push target, masked but for its last digits")
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
    incident_id: Identifier | None
    engineer_id: Identifier
    channel: str
    status: str
    text: str
    created_at: datetime
    sent_at: datetime | None
    kind: str = Field("oncall", description="oncall (any hour) or info (waits for working hours)")
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


T = TypeVar("T")


class Page(Contract, Generic[T]):
    items: list[T]
    total: int | None = Field(
        None, description="how many match: on listings paged by cursor only when asked (`total=true`), up to 10,000"
    )
    next: str | None = Field(None, description="the link to the next page (with its `cursor`), when there is one")


class MaintenanceKind(StrEnum):
    upgrade = "upgrade"
    patch = "patch"
    pm = "pm"
    other = "other"


class MaintenanceWindowCreate(Contract):
    """Planned downtime: monitoring holds its alarms and the availability budget does not count it."""

    site_id: Identifier
    host: Identifier | None = Field(None, description="one host of the site; none means the whole site")
    starts_at: datetime
    ends_at: datetime
    kind: MaintenanceKind = MaintenanceKind.other
    reason: ShortText

    @model_validator(mode="after")
    def _sane_times(self) -> MaintenanceWindowCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a UTC offset, e.g. 2026-12-01T22:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > MAX_MAINTENANCE:
            raise ValueError(f"a maintenance window lasts at most {MAX_MAINTENANCE.days} days")
        return self


class MaintenanceWindowPublic(Contract):
    window_id: Identifier
    site_id: Identifier
    host: Identifier | None
    starts_at: datetime
    ends_at: datetime
    kind: MaintenanceKind
    reason: str
    state: str = Field(description="scheduled, active, ended or cancelled")
    created_by: str
    started_at: datetime | None = None
    ended_at: datetime | None = None


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


class DicomNodeHealth(Contract):
    node_id: Identifier
    name: Identifier
    ae_title: str
    up: bool | None = Field(description="the last C-ECHO's outcome; none before the first probe")
    rtt_seconds: float | None
    checked_at: datetime | None
    error: str | None


class SiteHealth(Contract):
    site_id: Identifier
    firing: int
    rules: list[RuleStatePublic]
    links: list[LinkPublic]
    dicom_nodes: list[DicomNodeHealth] = Field(default_factory=list, description="every node's last probe")
    maintenance: list[Identifier] = Field(description="maintenance windows running now")


AE_TITLE_MAX = 16
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _ae_title(value: str) -> str:
    """A DICOM AE title (PS3.5 VR AE): its edge spaces are not significant, so they are dropped."""
    title = value.strip(" ")
    if not title:
        raise ValueError("an AE title must not be empty or all spaces")
    if len(title) > AE_TITLE_MAX:
        raise ValueError(f"an AE title has at most {AE_TITLE_MAX} characters")
    if "\\" in title or any(not " " <= c <= "~" for c in title):
        raise ValueError("an AE title is printable ASCII without backslashes or control characters")
    return title


def _dicom_host(value: str) -> str:
    """An IP literal in its canonical form, or a DNS name in lower case without its final dot."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    name = value.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{value!r} is neither an IP address nor a DNS name")
    return name


AeTitle = Annotated[str, AfterValidator(_ae_title)]
DicomHost = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_dicom_host)]


class DicomNodeCreate(Contract):
    """A DICOM node that monitoring C-ECHOes on a schedule, calling it as the site's PACS knows monitoring."""

    site_id: Identifier
    name: Identifier | None = Field(None, description="the host in rule states and breaches; default host:port")
    ae_title: AeTitle = Field(description="the node's own (called) AE title")
    host: DicomHost = Field(description="IP address or DNS name, inside the networks monitoring may probe")
    port: int = Field(ge=1, le=65535)
    calling_ae_title: AeTitle = Field(description="the AE title monitoring calls with, as configured on the node")
    interval_seconds: int | None = Field(None, ge=10, le=86_400, description="between probes; default: the service's")


class DicomProbeSummary(Contract):
    up: bool
    rtt_seconds: float | None = Field(description="association and C-ECHO, in seconds; none when down")
    checked_at: datetime
    error: str | None


class DicomNodePublic(Contract):
    node_id: Identifier
    site_id: Identifier
    name: Identifier
    ae_title: str
    host: str
    port: int
    calling_ae_title: str
    interval_seconds: int = Field(description="in force: the node's own, else the service's")
    created_at: datetime
    next_probe_at: datetime
    last_probe: DicomProbeSummary | None = Field(description="none until the first probe")


class DicomProbePublic(Contract):
    node_id: Identifier
    at: datetime
    up: bool = Field(description="association accepted and C-ECHO status 0x0000")
    rtt_seconds: float | None = Field(description="association and C-ECHO, in seconds; none when down")
    error: str | None = Field(description="why it was down, e.g. connection refused")


# --- Preventive maintenance (scheduler) ---


class ChecklistItem(StrEnum):
    """The quarterly check list of the service plan, in its order."""

    server_load = "server_load"
    server_memory = "server_memory"
    system_disk = "system_disk"
    fans_cooling = "fans_cooling"
    ha_state = "ha_state"
    storage_indicators = "storage_indicators"
    storage_fans_capacity = "storage_fans_capacity"
    san_switch = "san_switch"
    database_backups = "database_backups"
    database_locks = "database_locks"
    database_file_growth = "database_file_growth"
    tablespace_use = "tablespace_use"
    top_wait_events = "top_wait_events"
    pacs_processes = "pacs_processes"
    admin_passwords = "admin_passwords"
    remote_links = "remote_links"
    log_review = "log_review"


class CheckResult(StrEnum):
    ok = "ok"
    attention = "attention"
    fault = "fault"


class ChecklistEntry(Contract):
    item: ChecklistItem
    result: CheckResult
    value: ShortText | None = Field(None, description="what was measured, e.g. '62 %' or 'last backup 03:10'")
    note: LongText | None = None


class FollowUp(Contract):
    text: ShortText = Field(description="what remains to be done; no patient data")
    open_incident: bool = Field(False, description="open an incident for it at once")
    severity: Severity = Severity.minor


class PmVisitCompletion(Contract):
    """What the engineer records at the end of a PM visit: every check list item once, and the outcome."""

    engineer_id: Identifier
    completed_at: AwareDatetime | None = Field(None, description="default: now")
    system: ShortText | None = Field(None, description="the system visited, e.g. 'PACS 7.2 with RIS'")
    checklist: list[ChecklistEntry]
    findings: LongText | None = None
    actions: LongText | None = None
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=50)
    hospital_signatory: ShortText | None = Field(None, description="who signs for the hospital")

    @model_validator(mode="after")
    def _every_item_once(self) -> PmVisitCompletion:
        seen = [entry.item for entry in self.checklist]
        missing = [i.value for i in ChecklistItem if i not in seen]
        twice = sorted({i.value for i in seen if seen.count(i) > 1})
        if missing or twice:
            parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
                [f"given twice: {', '.join(twice)}"] if twice else []
            )
            raise ValueError("the check list must have every item once; " + "; ".join(parts))
        return self


class PmStatus(StrEnum):
    planned = "planned"  # before its pm.due
    due = "due"  # the engineer has been told
    overdue = "overdue"  # its window passed without completion
    completed = "completed"
    cancelled = "cancelled"  # the plan changed before it was due


class PmPlanTerms(Contract):
    """A site's PM plan: quarterly during warranty, the contract's own interval after it.

    Intervals are ISO-8601 periods: months (P3M) step by the calendar; days and times (P90D,
    PT30S) are exact, which is what a seconds-scale test contract uses.
    """

    warranty_start: date
    warranty_end: date
    during_warranty: Period = Field("P3M", description="between visits while under warranty")
    after_warranty: Period | None = Field("P6M", description="between visits after warranty; none: no more visits")
    first_due_at: AwareDatetime | None = Field(None, description="default: one interval after warranty_start")
    lead: IsoDuration = Field("P14D", description="pm.due is published this long before a visit")
    grace: IsoDuration = Field("P14D", description="pm.overdue when a visit is not completed this long after it")
    ahead: int = Field(4, ge=1, le=12, description="visits kept planned ahead")
    engineer_id: Identifier | None = Field(None, description="default: the site's account engineer")
    system: ShortText | None = Field(None, description="the installed system, for the report")

    @model_validator(mode="after")
    def _warranty_in_order(self) -> PmPlanTerms:
        if self.warranty_end < self.warranty_start:
            raise ValueError("warranty_end is before warranty_start")
        return self


class Reschedule(Contract):
    due_at: AwareDatetime
    reason: ShortText


class RescheduleEntry(Contract):
    from_: datetime = Field(alias="from")
    to: datetime
    reason: str
    by: str
    at: datetime

    model_config = Contract.model_config | {"populate_by_name": True}


class PmVisitPublic(Contract):
    visit_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    due_at: datetime
    notify_at: datetime
    overdue_at: datetime
    status: PmStatus
    rescheduled: list[RescheduleEntry] = Field(default_factory=list)
    completion: PmVisitCompletion | None = None
    completed_at: datetime | None = None


class PmPlanPublic(Contract):
    site_id: Identifier
    terms: PmPlanTerms
    updated_at: datetime
    upcoming: list[PmVisitPublic]


class AuditActor(Contract):
    subject: str | None
    roles: list[str]
    site_id: str | None = None


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


class ProblemDetails(BaseModel):
    """Every error answer (RFC 9457): what kind of problem, its HTTP status, and what was wrong."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="each invalid field, for a 422")
