from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pacs_contracts.api import ContractTerms
from pacs_contracts.intervals import covered_minutes, union
from pacs_escalation.domain.availability import InvalidOutage, minutes_in_year, outage, planned_time, summary
from pacs_escalation.domain.sites import registered
from tests.factories import make_site

RESOLVED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
INCIDENT = {"_id": "INC-1", "site_id": "SITE-1"}


def test_a_resolution_that_took_the_system_down_enters_the_ledger() -> None:
    entry = outage(INCIDENT, {"whole_system_down": True, "down_from": "2026-05-01T10:30:00+00:00",
                              "caused_by": "software"}, RESOLVED)  # fmt: skip
    assert entry is not None and entry["cause"] == "software"
    assert minutes_in_year(entry, 2026) == 90
    assert outage(INCIDENT, {"whole_system_down": False, "caused_by": "software"}, RESOLVED) is None


@pytest.mark.parametrize("down_from", [None, "2026-05-01T13:00:00+00:00"])
def test_an_outage_needs_a_start_before_its_resolution(down_from: str | None) -> None:
    with pytest.raises(InvalidOutage, match="down_from"):
        outage(INCIDENT, {"whole_system_down": True, "down_from": down_from, "caused_by": "software"}, RESOLVED)


def test_an_outage_over_new_year_counts_in_both_years() -> None:
    entry = {"start": datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "end": datetime(2027, 1, 1, 1, 0, tzinfo=UTC),
             "cause": "hardware"}  # fmt: skip
    assert (minutes_in_year(entry, 2026), minutes_in_year(entry, 2027)) == (60, 60)


def test_software_downtime_is_counted_against_the_budget_by_cause() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    entries = [
        {"start": start, "end": start + timedelta(minutes=100), "cause": "software"},
        {"start": start, "end": start + timedelta(minutes=30), "cause": "network"},
        {"start": start, "end": start + timedelta(minutes=50), "cause": "software"},
    ]
    result = summary(entries, 2026, software_budget_minutes=240)
    assert result["minutes_down_by_cause"] == {"network": 30.0, "software": 150.0}
    assert result["software_minutes_left"] == 90.0
    assert result["availability_percent"] == pytest.approx(100 * (1 - 180 / (365 * 24 * 60)), abs=1e-4)


def test_a_registered_site_announces_the_availability_and_downtime_budget_its_contract_commits_to() -> None:
    terms = ContractTerms(software_downtime_budget="PT2H30M", availability_percent=99.9).model_dump(mode="json")
    announced = registered(make_site(contract=terms))
    assert (announced.site_id, announced.availability_commitment_percent) == ("SITE-1", 99.9)
    assert announced.software_downtime_budget_minutes == 150
    unstated = registered(make_site())
    assert (unstated.availability_commitment_percent, unstated.software_downtime_budget_minutes) == (None, 240)


@pytest.mark.parametrize("percent", [0, -1, 100.5])
def test_an_availability_commitment_is_a_percentage_above_zero(percent: float) -> None:
    with pytest.raises(ValidationError, match="availability_percent"):
        ContractTerms(availability_percent=percent)


T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_overlapping_and_touching_intervals_merge_and_count_once() -> None:
    windows = [(_at(30), _at(60)), (_at(0), _at(40)), (_at(60), _at(70)), (_at(90), _at(90)), (_at(100), _at(110))]
    assert union(windows) == [(_at(0), _at(70)), (_at(100), _at(110))], "an empty window is dropped"
    assert covered_minutes(_at(-10), _at(200), windows) == 80
    assert covered_minutes(_at(65), _at(105), windows) == 10, "only the part inside counts"
    assert covered_minutes(_at(200), _at(300), windows) == 0


def test_an_outage_inside_an_agreed_window_is_planned_and_one_partly_inside_is_charged_for_the_rest() -> None:
    planned = [(_at(0), _at(60)), (_at(30), _at(90))]  # overlapping windows: 90 minutes planned, not 120
    entries = [
        {"start": _at(10), "end": _at(80), "cause": "software"},  # wholly inside: nothing charged
        {"start": _at(60), "end": _at(150), "cause": "hardware"},  # 30 inside, 60 after
        {"start": _at(-20), "end": _at(0), "cause": "network"},  # ends as the window begins: all charged
    ]
    result = summary(entries, 2026, software_budget_minutes=240, planned=planned)
    assert result["minutes_down_by_cause"] == {"hardware": 60.0, "network": 20.0, "software": 0.0}
    assert result["planned_minutes_excluded"] == 100.0
    assert result["software_minutes_left"] == 240.0
    assert result["availability_percent"] == pytest.approx(100 * (1 - 80 / (365 * 24 * 60)), abs=1e-4)
    assert summary(entries, 2026, 240)["planned_minutes_excluded"] == 0, "no window, everything charged"


def test_a_window_runs_from_its_start_to_its_end_or_its_agreed_end_and_one_never_started_plans_nothing() -> None:
    windows = [
        {"site_id": "SITE-1", "started_at": _at(0), "ends_at": _at(60), "ended_at": _at(20)},  # ended early
        {"site_id": "SITE-1", "started_at": _at(100), "ends_at": _at(130)},  # still running: up to its agreed end
        {"site_id": "SITE-1", "started_at": _at(200), "ends_at": _at(210), "ended_at": _at(500)},  # ended late
        {"site_id": "SITE-1", "ended_at": _at(300)},  # its end came first; its start never did
    ]
    assert planned_time(windows) == [(_at(0), _at(20)), (_at(100), _at(130)), (_at(200), _at(210))]
