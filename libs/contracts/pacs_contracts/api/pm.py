"""Preventive maintenance: a site's PM plan, its visits, and the check list an engineer completes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, Field, model_validator

from pacs_contracts.common import Identifier, IsoDuration, LongText, Period, Severity, ShortText
from pacs_contracts.envelope import Contract


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
