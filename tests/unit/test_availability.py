from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pacs_contracts.api import ContractTerms
from pacs_escalation.domain.availability import InvalidOutage, minutes_in_year, outage, summary
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
