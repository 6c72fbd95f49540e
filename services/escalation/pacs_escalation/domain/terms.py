"""Reading a site's contract terms: which calendar the clocks run in, and the ladder."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pacs_contracts.common import Tier, parse_duration
from pacs_escalation.domain.calendar import BusinessCalendar
from pacs_escalation.domain.clock import Step


def in_warranty(terms: dict[str, Any], at: datetime) -> bool:
    start, end = terms.get("warranty_start"), terms.get("warranty_end")
    day = at.date()
    return (start is None or date.fromisoformat(start) <= day) and (end is None or day <= date.fromisoformat(end))


def entitlement(terms: dict[str, Any], at: datetime) -> str:
    """Service is free during warranty and billable after it."""
    return "free" if in_warranty(terms, at) else "billable"


def calendar_for(terms: dict[str, Any], at: datetime) -> BusinessCalendar:
    """Round the clock during warranty; the contract's working hours after it (or always, if it says so)."""
    spec = terms.get("calendar")
    if spec is None or (in_warranty(terms, at) and not terms.get("working_hours_always")):
        return BusinessCalendar.always()
    return BusinessCalendar(
        spec["time_zone"],
        {h["weekday"]: (time.fromisoformat(h["start"]), time.fromisoformat(h["end"])) for h in spec["hours"]},
        frozenset(date.fromisoformat(d) for d in spec.get("holidays", [])),
    )


def ladder(terms: dict[str, Any]) -> list[Step]:
    return [Step(parse_duration(s["after"]), Tier(s["tier"])) for s in terms.get("ladder", [])]


def service_now(terms: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What a caller is entitled to right now: in warranty or not, and whether the contract clocks run (round the
    clock, or inside working hours) with when that next changes."""
    calendar = calendar_for(terms, now)
    window_start, window_end = next(calendar.windows(now))
    running = window_start <= now
    warranty = in_warranty(terms, now)
    round_the_clock = terms.get("calendar") is None or (warranty and not terms.get("working_hours_always"))
    return {"in_warranty": warranty, "entitlement": entitlement(terms, now),
            "round_the_clock": round_the_clock, "clocks_running": running,
            "changes_at": None if round_the_clock else (window_end if running else window_start)}  # fmt: skip
