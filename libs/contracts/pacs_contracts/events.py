"""Version 1 of every event named in the architecture; the class is the contract."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from pacs_contracts.api.sites import CalendarTerms, StandingAccessRule
from pacs_contracts.common import Channel, Identifier, LongText, Severity, ShortText, Tier
from pacs_contracts.contacts import ContactRole, HospitalContact, NoticeFact, NoticeLink
from pacs_contracts.envelope import Event


class SiteRegistered(Event):
    type = "site.registered"
    site_id: Identifier
    name: ShortText
    region: Identifier
    account_engineer_id: Identifier
    time_zone: str = "UTC"
    # what the contract commits to, for the service review: availability and the yearly software downtime budget
    availability_commitment_percent: float | None = None
    software_downtime_budget_minutes: float | None = None
    # who at the hospital authorises remote access to its servers, and the longest a grant may run
    access_approvers: tuple[ShortText, ...] = ()
    access_max_minutes: float | None = None
    # the hospital's named contacts (its staff, by e-mail): who hears of upgrade windows, access and reviews
    contacts: tuple[HospitalContact, ...] = ()
    # what the contract grants at once (told to the hospital), and its working hours, outside which is out of hours
    access_standing_rules: tuple[StandingAccessRule, ...] = ()
    working_hours: CalendarTerms | None = None


class SiteKeyIssued(Event):
    """A hospital's API key, issued by intake: the other services where a hospital acts keep its digest too, so one
    key works for faults, metrics and PM reports. The key itself never travels; its secret part is 192 random
    bits, so the SHA-256 digest tells nothing that could be guessed back."""

    type = "site_key.issued"
    key_id: Identifier
    site_id: Identifier
    name: ShortText
    digest: str
    created_at: datetime
    expires_at: datetime | None = None


class SiteKeyRevoked(Event):
    type = "site_key.revoked"
    key_id: Identifier
    site_id: Identifier
    revoked_at: datetime


class EngineerRegistered(Event):
    type = "engineer.registered"
    engineer_id: Identifier
    name: ShortText
    region: Identifier
    tier: Tier
    roles: tuple[str, ...] = ()
    locale: str = "en"


class FaultReported(Event):
    type = "fault.reported"
    fault_id: Identifier
    site_id: Identifier
    source: str
    code: ShortText
    severity: Severity
    equipment_id: Identifier | None = None
    description: LongText
    reported_at: datetime
    incident_id: Identifier | None = None  # a call about an open incident: added to it, no new one
    # The tier (1-4) its incident opens at, its on-call engineer taking it; None opens at L1 as every fault does. Set
    # only by platform services, never from a hospital's request: e.g. the scheduler's upgrade data-loss fault, which
    # the service plan says opens at L3.
    start_tier: int | None = Field(None, ge=1, le=4)


class IncidentOpened(Event):
    type = "incident.opened"
    incident_id: Identifier
    site_id: Identifier
    fault_id: Identifier | None = None
    tier: Tier
    assignee_id: Identifier
    severity: Severity
    summary: ShortText
    opened_at: datetime
    response_due: datetime | None = Field(None, description="when the contract wants an engineer's response")
    channel: Channel | None = Field(None, description="how it reached the platform: HIS, 800 line, monitoring, PM")
    problem_class: Identifier | None = Field(None, description="monitoring's problem class, when a breach opened it")


class IncidentEscalated(Event):
    type = "incident.escalated"
    incident_id: Identifier
    site_id: Identifier
    from_tier: Tier
    to_tier: Tier
    previous_assignee_id: Identifier | None = None
    assignee_id: Identifier
    reason: ShortText
    escalated_at: datetime


class IncidentReassigned(Event):
    """Ownership moved within a tier (a supervisor's decision); escalation moves it between tiers."""

    type = "incident.reassigned"
    incident_id: Identifier
    site_id: Identifier
    tier: Tier
    previous_assignee_id: Identifier
    assignee_id: Identifier
    reason: ShortText
    reassigned_at: datetime


class IncidentAcknowledged(Event):
    type = "incident.acknowledged"
    incident_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    acknowledged_at: datetime
    opened_at: datetime | None = Field(None, description="when the incident opened: time to acknowledge")
    contract_minutes: float | None = Field(
        None, description="time to acknowledge in contract time (business hours, pauses left out), in minutes"
    )


class IncidentResolved(Event):
    type = "incident.resolved"
    incident_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    caused_by: Identifier
    resolved_at: datetime
    opened_at: datetime | None = Field(None, description="when the incident opened: time to resolve")
    contract_minutes: float | None = Field(
        None, description="time to resolve in contract time (business hours, pauses left out), in minutes"
    )
    down_from: datetime | None = Field(None, description="when the whole system went down, if it did")
    product: ShortText | None = None
    module: ShortText | None = None


class IncidentOnSite(Event):
    """An engineer checked in at the hospital after remote service gave up."""

    type = "incident.on_site"
    incident_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    on_site_at: datetime
    on_site_required_at: datetime | None = None
    on_site_due: datetime | None = Field(None, description="the contract's on-site deadline, if one ran")


class IncidentReopened(Event):
    """A resolved incident came back: its resolution did not hold."""

    type = "incident.reopened"
    incident_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    reopened_at: datetime


class SlaBreached(Event):
    type = "sla.breached"
    incident_id: Identifier
    site_id: Identifier
    clock: Identifier
    deadline: datetime
    breached_at: datetime


class SlaTick(Event):
    type = "sla.tick"
    at: datetime
    sequence: int


class MetricBreached(Event):
    type = "metric.breached"
    site_id: Identifier
    host: Identifier
    rule: Identifier
    problem_class: Identifier
    severity: Severity
    value: float
    threshold: float
    breached_at: datetime
    exhausted_at: datetime | None = Field(
        None, description="capacity_forecast only: when the capacity is predicted to run out"
    )


class MetricRecovered(Event):
    type = "metric.recovered"
    site_id: Identifier
    host: Identifier
    rule: Identifier
    value: float
    recovered_at: datetime


class PmDue(Event):
    type = "pm.due"
    visit_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    due_at: datetime


class PmOverdue(Event):
    type = "pm.overdue"
    visit_id: Identifier
    site_id: Identifier
    due_at: datetime


class MaintenanceStarted(Event):
    type = "maintenance.started"
    window_id: Identifier
    site_id: Identifier
    host: Identifier | None = None
    ends_at: datetime
    started_at: datetime | None = Field(None, description="when it really started (escalation's downtime ledger)")


class MaintenanceEnded(Event):
    type = "maintenance.ended"
    window_id: Identifier
    site_id: Identifier
    host: Identifier | None = None
    ended_at: datetime | None = Field(None, description="when it really ended (escalation's downtime ledger)")


class NotificationSent(Event):
    type = "notification.sent"
    notification_id: Identifier
    incident_id: Identifier | None = None
    visit_id: Identifier | None = None  # a PM visit's message names its visit, and no incident
    engineer_id: Identifier
    channel: Identifier
    sent_at: datetime


class NotificationFailed(Event):
    type = "notification.failed"
    notification_id: Identifier
    incident_id: Identifier | None = None
    visit_id: Identifier | None = None  # a PM visit's message names its visit, and no incident
    engineer_id: Identifier
    channel: Identifier
    error: ShortText


class NotificationAcknowledged(Event):
    type = "notification.acknowledged"
    notification_id: Identifier
    incident_id: Identifier
    engineer_id: Identifier
    acknowledged_at: datetime


class HospitalNotice(Event):
    """Something the hospital's contacts of one role are to be told by e-mail (notify sends it, once per contact):
    an upgrade window to agree, a remote access to approve, a review to read. `link` is the signed, expiring link
    they act through, when there is one; it is a credential, so it is never logged whole. `facts` are short words
    the message shows (product, version, window length): never patient data."""

    type = "hospital.notice"
    notice_id: Identifier
    site_id: Identifier
    role: ContactRole
    topic: Identifier = Field(description="what it is about, e.g. upgrade.window_requested")
    reference: Identifier = Field(description="the campaign, request or review it belongs to")
    link: NoticeLink | None = None
    expires_at: datetime | None = None
    facts: dict[Identifier, NoticeFact] = Field(default_factory=dict, max_length=12)
    contact: ShortText | None = Field(None, description="only the contact of this name (a link naming its approver)")


class ServiceReviewPublished(Event):
    """A service review was approved and handed to the hospital. Its acknowledgement link is a credential and
    does not travel on the bus."""

    type = "service_review.published"
    review_id: Identifier
    site_ids: tuple[Identifier, ...]
    period: ShortText
    published_at: datetime


class ServiceReviewAcknowledged(Event):
    type = "service_review.acknowledged"
    review_id: Identifier
    site_ids: tuple[Identifier, ...]
    period: ShortText
    acknowledged_at: datetime


class RemoteAccessRequested(Event):
    type = "remote_access.requested"
    request_id: Identifier
    site_id: Identifier
    incident_id: Identifier | None = None
    visit_id: Identifier | None = None
    campaign_id: Identifier | None = None
    level: Identifier
    hosts: tuple[Identifier, ...]
    requested_by: Identifier
    requested_at: datetime


class RemoteAccessGranted(Event):
    type = "remote_access.granted"
    request_id: Identifier
    site_id: Identifier
    incident_id: Identifier | None = None
    approvers: tuple[ShortText, ...]
    valid_from: datetime
    valid_until: datetime


class RemoteAccessDenied(Event):
    type = "remote_access.denied"
    request_id: Identifier
    site_id: Identifier
    incident_id: Identifier | None = None
    denied_by: ShortText
    denied_at: datetime


class RemoteAccessEnded(Event):
    """A grant ended: early by either side (its certificate revoked) or at the end of its window."""

    type = "remote_access.ended"
    request_id: Identifier
    site_id: Identifier
    incident_id: Identifier | None = None
    ended_at: datetime
    ended_by: ShortText
    reason: ShortText
    revoked: bool = False


class RemoteAccessEnding(Event):
    """A grant ends in ten minutes: an extension is a new request, approved again."""

    type = "remote_access.ending"
    request_id: Identifier
    site_id: Identifier
    engineer_id: Identifier
    valid_until: datetime


class SoftwareVersionChanged(Event):
    """A site's agent reported a component at another version than before (or for the first time)."""

    type = "software.version_changed"
    site_id: Identifier
    host: Identifier
    component: Identifier = Field(description="e.g. pacs-archive, ris, viewer, database, os, or an embedded package")
    kind: Identifier = Field(description="archive, ris, viewer, database, os or package")
    installed_version: ShortText
    previous_version: ShortText | None = None
    reported_at: datetime


class LicenceUpdated(Event):
    """A site's licence as its agent (or an admin) reports it: a feature, or a capacity with how much is used."""

    type = "licence.updated"
    site_id: Identifier
    licence: Identifier = Field(description="e.g. feature:3d-viewer or capacity:archive-tb")
    capacity: float | None = Field(None, description="what a capacity licence allows, in its own unit")
    used: float | None = None
    expires_at: datetime | None = None
    reported_at: datetime


class UpgradeSiteMoved(Event):
    """A site of an upgrade campaign moved state: every move is told, with why."""

    type = "upgrade.site_moved"
    campaign_id: Identifier
    site_id: Identifier
    from_state: Identifier | None = None
    to_state: Identifier
    reason: ShortText
    at: datetime


class UpgradeCampaignPaused(Event):
    """Too many sites of a wave failed: no further wave starts and no further site is started."""

    type = "upgrade.campaign_paused"
    campaign_id: Identifier
    wave: int
    reason: ShortText
    at: datetime


class UpgradeCampaignAdvanced(Event):
    """A wave succeeded and its soak passed: the next wave's sites are notified."""

    type = "upgrade.campaign_advanced"
    campaign_id: Identifier
    wave: int
    at: datetime
