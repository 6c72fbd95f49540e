"""Who is on call: a rotation with hand-overs at local wall-clock time, and overrides on top."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Override:
    engineer_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Roster:
    time_zone: str
    engineers: tuple[str, ...]
    rotation_start: datetime  # the first hand-over; later ones fall at the same local time
    shift: timedelta
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class OnCall:
    engineer_id: str
    source: str  # "rotation", "override", "tier" (any engineer of the tier) or "supervisor"
    until: datetime
    note: str | None = None  # why the roster's own answer was passed over


def _wall(at: datetime, zone: ZoneInfo) -> datetime:
    """Local wall-clock time without the zone, so shifts are counted in local hours across DST."""
    return at.astimezone(zone).replace(tzinfo=None)


def on_call(roster: Roster, at: datetime) -> OnCall | None:
    """Who holds the pager at `at`; the latest override covering it wins over the rotation."""
    for override in reversed(roster.overrides):
        if override.start <= at < override.end:
            return OnCall(override.engineer_id, "override", override.end)
    if not roster.engineers or at < roster.rotation_start:
        return None
    zone = ZoneInfo(roster.time_zone)
    shifts = int((_wall(at, zone) - _wall(roster.rotation_start, zone)) / roster.shift)
    hand_over = _wall(roster.rotation_start, zone) + (shifts + 1) * roster.shift
    engineer = roster.engineers[shifts % len(roster.engineers)]
    return OnCall(engineer, "rotation", hand_over.replace(tzinfo=zone))
