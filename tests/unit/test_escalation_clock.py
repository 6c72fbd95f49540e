"""The contract clock in working time: nights, weekends, holidays, DST, pauses, and the ladder."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pacs_contracts.common import Tier
from pacs_escalation.domain.calendar import BusinessCalendar
from pacs_escalation.domain.clock import Step, due_at, ladder_position, next_step, running_time, steps_due
from pacs_escalation.domain.roster import Override, Roster, on_call

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {d: (time(8), time(18)) for d in range(5)}  # Monday to Friday, 08:00-18:00


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def office(holidays: frozenset[date] = frozenset()) -> BusinessCalendar:
    return BusinessCalendar("Asia/Shanghai", OFFICE, holidays)


def test_in_warranty_the_clock_runs_round_the_clock() -> None:
    start = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # a Friday night
    assert BusinessCalendar.always().add(start, timedelta(hours=2)) == start + timedelta(hours=2)


@pytest.mark.parametrize(
    ("start", "work", "due"),
    [
        # across a night: 30 minutes on Tuesday evening, 30 on Wednesday morning
        (local(SHANGHAI, 2026, 3, 3, 17, 30), timedelta(hours=1), local(SHANGHAI, 2026, 3, 4, 8, 30)),
        # across a weekend: Friday 17:00 + 2 h of work is Monday 09:00
        (local(SHANGHAI, 2026, 3, 6, 17, 0), timedelta(hours=2), local(SHANGHAI, 2026, 3, 9, 9, 0)),
        # a fault reported before opening starts counting at 08:00
        (local(SHANGHAI, 2026, 3, 2, 6, 0), timedelta(minutes=30), local(SHANGHAI, 2026, 3, 2, 8, 30)),
        # reported on a Sunday
        (local(SHANGHAI, 2026, 3, 8, 12, 0), timedelta(hours=4), local(SHANGHAI, 2026, 3, 9, 12, 0)),
        # exactly at closing: the next working morning
        (local(SHANGHAI, 2026, 3, 2, 8, 0), timedelta(hours=10), local(SHANGHAI, 2026, 3, 2, 18, 0)),
        # several working days
        (local(SHANGHAI, 2026, 3, 2, 8, 0), timedelta(hours=25), local(SHANGHAI, 2026, 3, 4, 13, 0)),
    ],
)
def test_after_warranty_the_clock_runs_in_working_hours(start: datetime, work: timedelta, due: datetime) -> None:
    calendar = office()
    assert calendar.add(start, work) == due
    assert calendar.elapsed(start, due) == work


def test_holidays_do_not_count() -> None:
    qingming = frozenset({date(2026, 4, 6)})  # a Monday
    start = local(SHANGHAI, 2026, 4, 3, 17, 0)  # the Friday before
    assert office(qingming).add(start, timedelta(hours=2)) == local(SHANGHAI, 2026, 4, 7, 9, 0)


def test_a_night_shift_on_the_spring_dst_change_is_one_hour_shorter() -> None:
    nights = BusinessCalendar("Europe/Berlin", {d: (time(0), time(6)) for d in range(7)})
    start = local(BERLIN, 2026, 3, 29, 0, 0)  # clocks jump from 02:00 to 03:00
    assert nights.elapsed(start, local(BERLIN, 2026, 3, 29, 6, 0)) == timedelta(hours=5)
    assert nights.add(start, timedelta(hours=5)) == local(BERLIN, 2026, 3, 29, 6, 0)
    assert nights.add(start, timedelta(hours=6)) == local(BERLIN, 2026, 3, 30, 1, 0)


def test_a_night_shift_on_the_autumn_dst_change_is_one_hour_longer() -> None:
    nights = BusinessCalendar("Europe/Berlin", {d: (time(0), time(6)) for d in range(7)})
    start = local(BERLIN, 2026, 10, 25, 0, 0)  # clocks fall back from 03:00 to 02:00
    assert nights.elapsed(start, local(BERLIN, 2026, 10, 25, 6, 0)) == timedelta(hours=7)


def test_round_the_clock_across_dst_counts_real_hours() -> None:
    calendar = BusinessCalendar("Europe/Berlin", {d: (time(0), time(0)) for d in range(7)})
    start = local(BERLIN, 2026, 3, 28, 12, 0)
    assert calendar.add(start, timedelta(hours=24)).astimezone(BERLIN) == local(BERLIN, 2026, 3, 29, 13, 0)


def test_whether_the_site_is_open() -> None:
    calendar = office()
    assert calendar.is_open(local(SHANGHAI, 2026, 3, 2, 9, 0))
    assert not calendar.is_open(local(SHANGHAI, 2026, 3, 2, 19, 0))
    assert not calendar.is_open(local(SHANGHAI, 2026, 3, 7, 10, 0))  # Saturday


@pytest.mark.parametrize(
    ("hours", "zone"),
    [({}, "Asia/Shanghai"), ({0: (time(18), time(8))}, "Asia/Shanghai"), (OFFICE, "Mars/Olympus_Mons")],
)
def test_a_calendar_that_cannot_work_is_refused(hours: dict[int, tuple[time, time]], zone: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        BusinessCalendar(zone, hours)


def test_a_pause_moves_the_deadline_by_the_working_time_it_took() -> None:
    calendar = office()
    opened = local(SHANGHAI, 2026, 3, 2, 8, 0)
    pause = (local(SHANGHAI, 2026, 3, 2, 9, 0), local(SHANGHAI, 2026, 3, 2, 11, 0))
    assert due_at(calendar, opened, timedelta(hours=2), [pause]) == local(SHANGHAI, 2026, 3, 2, 12, 0)
    assert running_time(calendar, opened, local(SHANGHAI, 2026, 3, 2, 12, 0), [pause]) == timedelta(hours=2)


def test_a_clock_paused_before_its_deadline_has_none_until_resumed() -> None:
    calendar = office()
    opened = local(SHANGHAI, 2026, 3, 2, 8, 0)
    waiting = [(local(SHANGHAI, 2026, 3, 2, 9, 0), None)]
    assert due_at(calendar, opened, timedelta(hours=2), waiting) is None
    assert running_time(calendar, opened, local(SHANGHAI, 2026, 3, 3, 9, 0), waiting) == timedelta(hours=1)


def test_a_pause_after_the_deadline_does_not_move_it() -> None:
    calendar = office()
    opened = local(SHANGHAI, 2026, 3, 2, 8, 0)
    late_pause = [(local(SHANGHAI, 2026, 3, 2, 15, 0), local(SHANGHAI, 2026, 3, 3, 9, 0))]
    assert due_at(calendar, opened, timedelta(hours=2), late_pause) == local(SHANGHAI, 2026, 3, 2, 10, 0)


LADDER = [Step(timedelta(hours=2), Tier.L2), Step(timedelta(hours=4), Tier.L3), Step(timedelta(hours=8), Tier.L4)]


@pytest.mark.parametrize(
    ("ran", "tier"),
    [(timedelta(minutes=119), Tier.L1), (timedelta(hours=2), Tier.L2), (timedelta(hours=5), Tier.L3),
     (timedelta(hours=9), Tier.L4)],
)  # fmt: skip
def test_unsolved_faults_climb_the_ladder(ran: timedelta, tier: Tier) -> None:
    assert ladder_position(LADDER, ran) == tier


def test_each_step_is_due_once_and_in_order() -> None:
    assert [s.tier for s in steps_due(LADDER, Tier.L1, timedelta(hours=5))] == [Tier.L2, Tier.L3]
    assert [s.tier for s in steps_due(LADDER, Tier.L3, timedelta(hours=5))] == []
    assert next_step(LADDER, Tier.L3) == LADDER[2]
    assert next_step(LADDER, Tier.L4) is None


def _roster(**overrides: Any) -> Roster:
    values: dict[str, Any] = {
        "time_zone": "Europe/Berlin",
        "engineers": ("ANNA", "BORIS", "CHEN"),
        "rotation_start": local(BERLIN, 2026, 3, 23, 9, 0),  # a Monday, hand-over at 09:00 local
        "shift": timedelta(days=7),
    }
    values.update(overrides)
    return Roster(**values)


def holder(roster: Roster, at: datetime) -> str | None:
    found = on_call(roster, at)
    return found.engineer_id if found else None


def test_the_rotation_hands_over_at_local_time_even_across_dst() -> None:
    roster = _roster()
    assert holder(roster, local(BERLIN, 2026, 3, 25, 12, 0)) == "ANNA"
    # the week after the spring change: still 09:00 local, though only 167 real hours later
    assert holder(roster, local(BERLIN, 2026, 3, 30, 8, 59)) == "ANNA"
    second = on_call(roster, local(BERLIN, 2026, 3, 30, 9, 0))
    assert second is not None and second.engineer_id == "BORIS" and second.until == local(BERLIN, 2026, 4, 6, 9, 0)
    assert holder(roster, local(BERLIN, 2026, 4, 13, 10, 0)) == "ANNA"


def test_an_override_takes_the_pager_for_its_time_only() -> None:
    holiday = Override("DAVID", local(BERLIN, 2026, 3, 25, 0, 0), local(BERLIN, 2026, 3, 26, 0, 0))
    roster = _roster(overrides=(holiday,))
    during = on_call(roster, local(BERLIN, 2026, 3, 25, 12, 0))
    assert during is not None and (during.engineer_id, during.source) == ("DAVID", "override")
    assert holder(roster, local(BERLIN, 2026, 3, 26, 12, 0)) == "ANNA"


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    assert on_call(_roster(), local(BERLIN, 2026, 3, 1, 12, 0)) is None
