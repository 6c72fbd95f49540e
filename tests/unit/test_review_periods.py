"""How a service review names its period, and what it compares it with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pacs_scheduler.domain.review import (
    BadPeriod,
    Facts,
    budget_year_start,
    closed_period,
    downtime_rows,
    holes,
    parse_period,
    previous,
    year_before,
)


def test_a_quarter_is_the_hospitals_own_calendar_quarter() -> None:
    q3 = parse_period("2026Q3", "Asia/Shanghai")
    assert (q3.start, q3.end) == (datetime(2026, 6, 30, 16, tzinfo=UTC), datetime(2026, 9, 30, 16, tzinfo=UTC))
    assert previous(q3, "Asia/Shanghai").label == "2026Q2"
    assert previous(parse_period("2026Q1"), "UTC").label == "2025Q4"
    assert year_before(q3, "Asia/Shanghai").label == "2025Q3"


def test_a_month_and_an_interval_compare_with_what_came_before() -> None:
    assert previous(parse_period("2026-01")).label == "2025-12"
    interval = parse_period("2026-12-04T10:00:00Z/2026-12-04T10:00:30Z")
    before = previous(interval)
    assert (before.start, before.end) == (datetime(2026, 12, 4, 9, 59, 30, tzinfo=UTC), interval.start)
    assert year_before(interval).start == datetime(2025, 12, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026Q5", "2026-13", "Q3", "2026-12-04T10:00:00/2026-12-04T11:00:00Z",
                                  "2026-12-04T11:00:00Z/2026-12-04T10:00:00Z", "yesterday/today"])  # fmt: skip
def test_a_period_that_does_not_parse_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(BadPeriod):
        parse_period(text)


def test_the_closed_period_is_the_last_whole_one() -> None:
    now = datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert closed_period(now, "quarter", "Asia/Shanghai").label == "2026Q3"
    seconds = closed_period(datetime(2026, 12, 4, 10, 0, 7, tzinfo=UTC), "PT5S", "UTC")
    assert (seconds.start, seconds.end) == (datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
                                            datetime(2026, 12, 4, 10, 0, 5, tzinfo=UTC))  # fmt: skip


def test_an_unsolved_or_unanswered_incident_is_a_hole_until_waived() -> None:
    rows = [{"incident_id": "I-1", "resolved_at": None, "acknowledged_at": None},
            {"incident_id": "I-2", "resolved_at": datetime(2026, 1, 1, tzinfo=UTC),
             "acknowledged_at": datetime(2026, 1, 1, tzinfo=UTC)}]  # fmt: skip
    found = holes(rows, {("I-1", "clock_never_stopped"): "the hospital answered by phone"})
    assert [(h["incident_id"], h["kind"], h["waived"]) for h in found] == [
        ("I-1", "no_root_cause", None),
        ("I-1", "clock_never_stopped", "the hospital answered by phone"),
    ]


def _outage(incident: str, start: datetime, end: datetime, site: str = "S-1") -> dict:
    return {"_id": incident, "site_id": site, "caused_by": "software", "down_from": start, "resolved_at": end}


def test_downtime_counts_one_outage_once_and_only_whole_site_windows_as_planned() -> None:
    t = datetime(2026, 7, 1, 8, tzinfo=UTC)
    m = timedelta(minutes=1)
    outages = [_outage("I-1", t, t + 60 * m), _outage("I-2", t + 30 * m, t + 90 * m)]  # the phone and monitoring
    windows = [
        {"site_id": "S-1", "host": None, "starts_at": t + 80 * m, "ends_at": t + 120 * m, "ended_at": t + 85 * m},
        {"site_id": "S-1", "host": "pacs-db-01", "starts_at": t, "ends_at": t + 20 * m},  # one host's window
    ]
    rows = downtime_rows(outages, windows, t, t + 200 * m)
    assert [(r["minutes"], r["planned_minutes"], r["counted_minutes"]) for r in rows] == [(60, 0, 60), (60, 5, 25)]


def test_the_software_budget_year_begins_on_new_years_day_in_the_hospitals_zone() -> None:
    q1 = parse_period("2027Q1", "Asia/Shanghai")
    facts = Facts([], [], [], [], {}, [], [{"time_zone": "Asia/Shanghai"}])
    assert budget_year_start(q1, facts) == datetime(2026, 12, 31, 16, tzinfo=UTC)
