"""A contract's standing rules, pure: remote access the hospital agreed to in advance (e.g. view for two hours on a
critical incident out of hours), granted at once without its approvers, and told to it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pacs_contracts.api import AccessLevel, AccessRequestCreate, CalendarTerms, StandingAccessRule
from pacs_contracts.common import Severity, parse_duration

# a rule for a level covers the levels below it; a change is never granted by a rule
RANK = {AccessLevel.view: 0, AccessLevel.diagnose: 1, AccessLevel.change: 2}


def in_working_hours(calendar: CalendarTerms, at: datetime) -> bool:
    """Whether `at` falls in the calendar's working hours, in its time zone; a holiday has none."""
    local = at.astimezone(ZoneInfo(calendar.time_zone))
    if local.date() in calendar.holidays:
        return False
    clock = local.time().replace(tzinfo=None)
    return any(h.weekday == local.weekday() and h.start <= clock and (h.end == time(0) or clock < h.end)
               for h in calendar.hours)  # fmt: skip


def open_severity(incident: dict[str, Any] | None, site_id: str) -> Severity | None:
    """The severity of an incident of this site that is open now (never resolved, or reopened since), else None."""
    if incident is None or incident.get("site_id") != site_id or incident.get("severity") is None:
        return None
    resolved, reopened = incident.get("resolved_at"), incident.get("reopened_at")
    if resolved is not None and (reopened is None or reopened <= resolved):
        return None
    return Severity(incident["severity"])


def covers(rule: StandingAccessRule, level: AccessLevel, length: timedelta, severity: Severity | None,
           out_of_hours: bool | None) -> bool:  # fmt: skip
    """Whether one rule grants this: its level or below, within its minutes, on an incident of its severities, and
    out of hours if it says so (`out_of_hours` None: the contract has no working hours to be outside of)."""
    return (RANK[level] <= RANK[rule.level] and length <= timedelta(minutes=rule.max_minutes)
            and severity in rule.severities and (not rule.out_of_hours_only or out_of_hours is True))  # fmt: skip


def rule_for(body: AccessRequestCreate, site: dict[str, Any], incident: dict[str, Any] | None,
             now: datetime) -> int | None:  # fmt: skip
    """The number (from 1) of the first standing rule of the site's contract that grants this request at once, or
    None: it goes to the approvers. Only for access that starts now, on an open incident of the site."""
    rules = [StandingAccessRule.model_validate(r) for r in site.get("access_standing_rules") or []]
    if not rules or body.starts_at is not None or body.level is AccessLevel.change:
        return None
    calendar = site.get("working_hours")
    out_of_hours = None if calendar is None else not in_working_hours(CalendarTerms.model_validate(calendar), now)
    length, severity = parse_duration(body.duration), open_severity(incident, body.site_id)
    return next((n for n, rule in enumerate(rules, 1) if covers(rule, body.level, length, severity, out_of_hours)),
                None)  # fmt: skip
