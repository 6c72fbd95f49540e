"""Contract clocks that pause while the hospital owes an answer, and the escalation ladder they drive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pacs_contracts.common import Tier
from pacs_escalation.domain.calendar import BusinessCalendar

Pause = tuple[datetime, datetime | None]  # (paused at, resumed at or still paused)


def running_time(calendar: BusinessCalendar, started: datetime, now: datetime, pauses: Sequence[Pause]) -> timedelta:
    """Working time the clock has run since `started`, not counting pauses."""
    total = calendar.elapsed(started, now)
    for paused, resumed in pauses:
        total -= calendar.elapsed(max(paused, started), min(resumed or now, now))
    return total


def due_at(
    calendar: BusinessCalendar, started: datetime, target: timedelta, pauses: Sequence[Pause]
) -> datetime | None:
    """When the clock reaches `target`; None while it is paused before getting there."""
    remaining = target
    cursor = started
    for paused, resumed in sorted(pauses, key=lambda p: p[0]):
        if paused <= cursor:
            cursor = max(cursor, resumed) if resumed else cursor
            if resumed is None:
                return None
            continue
        ran = calendar.elapsed(cursor, paused)
        if ran >= remaining:
            return calendar.add(cursor, remaining)
        remaining -= ran
        if resumed is None:
            return None
        cursor = resumed
    return calendar.add(cursor, remaining)


@dataclass(frozen=True)
class Step:
    """Unsolved after `after` of working time, the incident belongs to `tier`."""

    after: timedelta
    tier: Tier


def ladder_position(steps: Sequence[Step], ran: timedelta) -> Tier:
    """The tier an unsolved incident belongs to after the clock ran for `ran`."""
    tier = Tier.L1
    for step in sorted(steps, key=lambda s: s.after):
        if ran >= step.after:
            tier = step.tier
    return tier


def steps_due(steps: Sequence[Step], current: Tier, ran: timedelta) -> list[Step]:
    """Steps above the current tier whose threshold has passed, lowest first (each is taken once)."""
    order = list(Tier)
    return [
        s for s in sorted(steps, key=lambda s: s.after)
        if ran >= s.after and order.index(s.tier) > order.index(current)
    ]  # fmt: skip


def next_step(steps: Sequence[Step], current: Tier) -> Step | None:
    """The next rung above the current tier, if any."""
    order = list(Tier)
    above = [s for s in steps if order.index(s.tier) > order.index(current)]
    return min(above, key=lambda s: s.after) if above else None
