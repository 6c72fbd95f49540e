"""What the contract clocks demand of an incident at a given moment: breaches, ladder steps, next check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pacs_contracts.common import FINISHED, Tier, parse_duration
from pacs_escalation.domain.calendar import BusinessCalendar
from pacs_escalation.domain.clock import Pause, Step, due_at, next_step, running_time, steps_due
from pacs_escalation.domain.terms import calendar_for, ladder

CLOSED = tuple(state.value for state in FINISHED)
AT_RISK_WITHIN = timedelta(minutes=30)  # an open incident whose response is due this soon is at risk


@dataclass(frozen=True)
class Decision:
    breaches: list[tuple[str, datetime]] = field(default_factory=list)  # (clock, deadline), each once
    steps: list[Step] = field(default_factory=list)  # rungs to climb now, lowest first
    next_check_at: datetime | None = None  # None: nothing can fall due (closed or paused)


def _pauses(incident: dict[str, Any]) -> list[Pause]:
    return [(p["from"], p["until"]) for p in incident.get("pauses", [])]


def _waiting_on_site(incident: dict[str, Any]) -> bool:
    return incident.get("on_site_required_at") is not None and incident.get("on_site_at") is None


def _on_site_due(incident: dict[str, Any], calendar: BusinessCalendar, pauses: list[Pause]) -> datetime | None:
    """The on-site deadline: the contract's time from when remote service gave up, less later pauses."""
    started = incident["on_site_required_at"]
    later = [p for p in pauses if p[0] >= started]
    return due_at(calendar, started, parse_duration(incident["terms"]["on_site"]), later)


def evaluate(incident: dict[str, Any], now: datetime) -> Decision:
    """Pure: the same incident and moment always give the same decision."""
    if incident["state"] in CLOSED:
        return Decision()
    terms = incident["terms"]
    calendar = calendar_for(terms, incident["opened_at"])
    pauses = _pauses(incident)
    breached = set(incident.get("breached_clocks", []))
    breaches: list[tuple[str, datetime]] = []
    upcoming: list[datetime] = []

    def watch(clock: str, deadline: datetime | None) -> None:
        if deadline is None or clock in breached:
            return
        if now >= deadline:
            breaches.append((clock, deadline))
        else:
            upcoming.append(deadline)

    if incident.get("acknowledged_at") is None:
        watch("response", incident["response_due"])
    if _waiting_on_site(incident):
        watch("on_site", _on_site_due(incident, calendar, pauses))

    rungs = ladder(terms)
    ran = running_time(calendar, incident["opened_at"], now, pauses)
    steps = steps_due(rungs, Tier(incident["tier"]), ran)
    top = steps[-1].tier if steps else Tier(incident["tier"])
    following = next_step(rungs, top)
    if following is not None:
        deadline = due_at(calendar, incident["opened_at"], following.after, pauses)
        if deadline is not None:
            upcoming.append(deadline)
    return Decision(breaches, steps, min(upcoming) if upcoming else None)


@dataclass(frozen=True)
class Upcoming:
    """The deadlines ahead of an incident, for people to watch: None where a clock is stopped or paused."""

    on_site_due: datetime | None = None
    next_tier: Tier | None = None
    next_tier_at: datetime | None = None


def upcoming(incident: dict[str, Any]) -> Upcoming:
    if incident["state"] in CLOSED:
        return Upcoming()
    terms = incident["terms"]
    calendar = calendar_for(terms, incident["opened_at"])
    pauses = _pauses(incident)
    on_site_due = _on_site_due(incident, calendar, pauses) if _waiting_on_site(incident) else None
    following = next_step(ladder(terms), Tier(incident["tier"]))
    if following is None:
        return Upcoming(on_site_due)
    return Upcoming(on_site_due, following.tier, due_at(calendar, incident["opened_at"], following.after, pauses))


def contract_minutes(incident: dict[str, Any], at: datetime) -> float:
    """Minutes of contract time from opening to `at`, as the clocks count it: in the calendar the incident opened
    under (working hours after warranty), waiting for the hospital left out. What the contract is measured by, where
    wall-clock time would count a night as a slow answer."""
    calendar = calendar_for(incident["terms"], incident["opened_at"])
    return running_time(calendar, incident["opened_at"], at, _pauses(incident)).total_seconds() / 60


def at_risk(incident: dict[str, Any], now: datetime) -> bool:
    """A deadline already missed, or the response due within AT_RISK_WITHIN and nobody has answered."""
    if incident.get("breached_clocks"):
        return True
    due = incident.get("response_due")
    return incident.get("acknowledged_at") is None and due is not None and due <= now + AT_RISK_WITHIN
