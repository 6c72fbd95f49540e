"""When PM visits fall: quarterly during warranty, the contract's own interval after it, none when it has none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from pacs_contracts.api import PmPlanTerms, PmVisitCompletion
from pacs_contracts.common import add_period
from pacs_scheduler.domain.pm import schedule, timing, visit_id

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def plan(**changes: object) -> PmPlanTerms:
    return PmPlanTerms.model_validate({"warranty_start": "2026-01-31", "warranty_end": "2027-01-31", **changes})


def test_quarterly_during_warranty_then_the_contracts_own_interval() -> None:
    dues = schedule(plan(after_warranty="P6M"), None, 7, not_before=NOW)
    assert [d.date() for d in dues] == [
        date(2026, 4, 30), date(2026, 7, 30), date(2026, 10, 30), date(2027, 1, 30),  # quarterly, by the calendar
        date(2027, 7, 30), date(2028, 1, 30), date(2028, 7, 30),  # after warranty: every six months
    ]  # fmt: skip


def test_no_visits_after_warranty_when_the_contract_has_none() -> None:
    dues = schedule(plan(after_warranty=None), None, 10, not_before=NOW)
    assert len(dues) == 4 and dues[-1].date() == date(2027, 1, 30)


def test_the_schedule_continues_after_the_last_visit_and_skips_the_past() -> None:
    last = datetime(2026, 7, 30, tzinfo=UTC)
    assert [d.date() for d in schedule(plan(), last, 2, not_before=NOW)] == [date(2026, 10, 30), date(2027, 1, 30)]
    late = datetime(2026, 9, 1, tzinfo=UTC)
    assert schedule(plan(), None, 1, not_before=late)[0].date() == date(2026, 10, 30)


def test_seconds_scale_contracts_step_exactly_and_lead_and_grace_frame_the_visit() -> None:
    terms = plan(during_warranty="PT30S", first_due_at="2026-02-01T08:00:00+00:00", lead="PT5S", grace="PT10S")
    dues = schedule(terms, None, 3, not_before=NOW)
    assert [d.strftime("%H:%M:%S") for d in dues] == ["08:00:00", "08:00:30", "08:01:00"]
    frame = timing(terms, dues[0])
    assert (frame["notify_at"].strftime("%H:%M:%S"), frame["overdue_at"].strftime("%H:%M:%S")) == (
        "07:59:55", "08:00:10"
    )  # fmt: skip


def test_calendar_months_keep_the_day_where_the_month_has_it() -> None:
    assert add_period(datetime(2026, 1, 31, tzinfo=UTC), "P1M").date() == date(2026, 2, 28)
    assert add_period(datetime(2026, 11, 15, tzinfo=UTC), "P1Y2M").date() == date(2028, 1, 15)


@pytest.mark.parametrize("bad", [{"during_warranty": "P0M"}, {"during_warranty": "soon"},
                                 {"warranty_end": "2025-01-01"}, {"ahead": 0}])  # fmt: skip
def test_a_plan_that_makes_no_sense_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        plan(**bad)


def test_a_completion_must_cover_every_check_list_item_once() -> None:
    with pytest.raises(ValidationError, match="missing: server_load"):
        PmVisitCompletion.model_validate({"engineer_id": "E", "checklist": [
            {"item": "server_memory", "result": "ok"}, {"item": "server_memory", "result": "ok"}]})  # fmt: skip


def test_visit_ids_are_shared_by_schedulers_new_with_each_plan_revision_and_short() -> None:
    due = datetime(2027, 4, 1, tzinfo=UTC)
    longest = "S" * 64
    assert visit_id(longest, 1, due) == visit_id(longest, 1, due), "two schedulers plan the same visit"
    assert visit_id(longest, 2, due) != visit_id(longest, 1, due), "a new plan never meets the visits it cancelled"
    assert len(visit_id(longest, 1, due)) <= 64
