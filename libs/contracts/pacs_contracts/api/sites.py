"""Sites and their service contracts: terms, ladder, working hours, and what a caller is entitled to now."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from pydantic import Field, model_validator

from pacs_contracts.api.access import AccessLevel
from pacs_contracts.common import Identifier, IsoDuration, Phone, Severity, ShortText, Tier, TimeZone, parse_duration
from pacs_contracts.contacts import HospitalContact
from pacs_contracts.envelope import Contract


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


class StandingAccessRule(Contract):
    """Remote access the contract grants at once, without asking the approvers, and tells the hospital of: e.g.
    view for two hours on a critical incident out of working hours."""

    level: AccessLevel = Field(description="view or diagnose: a change always needs two of the hospital's approvers")
    max_minutes: int = Field(gt=0, le=24 * 60, description="the longest such a grant runs, within remote_access_max")
    severities: list[Severity] = Field(min_length=1, max_length=len(Severity), description="the incidents it covers")
    out_of_hours_only: bool = Field(description="only outside the working hours of the contract's calendar")

    @model_validator(mode="after")
    def _never_a_change(self) -> StandingAccessRule:
        if self.level is AccessLevel.change:
            raise ValueError("a standing rule grants view or diagnose: a change always needs two approvers")
        if len(set(self.severities)) != len(self.severities):
            raise ValueError("severities: name each severity once")
        return self


DEFAULT_LADDER = (LadderStep(after="PT2H", tier=Tier.L2), LadderStep(after="PT4H", tier=Tier.L3),
                  LadderStep(after="PT8H", tier=Tier.L4))  # fmt: skip


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
    availability_percent: float | None = Field(
        None, gt=0, le=100, description="the system availability the contract commits to, e.g. 99.9"
    )
    remote_access_approvers: list[ShortText] = Field(
        [], max_length=10, description="who at the hospital authorises remote access (a change needs two of them)"
    )
    remote_access_max: IsoDuration = Field("PT4H", description="the longest one remote-access grant may run")
    contacts: list[HospitalContact] = Field(
        [], max_length=10, description="the hospital's named contacts, told by e-mail of what their roles name"
    )
    remote_access_standing_rules: list[StandingAccessRule] = Field(
        [], max_length=5, description="access granted at once, without the approvers, and told to the hospital"
    )

    @model_validator(mode="after")
    def _standing_rules_fit(self) -> ContractTerms:
        cap = parse_duration(self.remote_access_max)
        for n, rule in enumerate(self.remote_access_standing_rules, 1):
            if timedelta(minutes=rule.max_minutes) > cap:
                raise ValueError(f"standing rule {n}: max_minutes {rule.max_minutes} exceeds remote_access_max "
                                 f"({self.remote_access_max})")  # fmt: skip
            if rule.out_of_hours_only and self.calendar is None:
                raise ValueError(f"standing rule {n}: out_of_hours_only needs the contract's calendar (its hours)")
        return self


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
