from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pacs_contracts.common import Tier, parse_duration
from pacs_contracts.events import (
    IncidentAcknowledged,
    IncidentEscalated,
    IncidentOnSite,
    IncidentReassigned,
    IncidentReopened,
    IncidentResolved,
    MetricBreached,
)
from pacs_escalation.domain.actions import NotAllowed, apply, hand_over
from pacs_escalation.domain.calendar import BusinessCalendar
from pacs_escalation.domain.incident import open_from_breach, open_from_fault, opened_event, public
from pacs_escalation.domain.lifecycle import Action, IllegalTransition, State
from pacs_escalation.domain.terms import calendar_for, entitlement, service_now
from tests.factories import make_fault_event, make_site

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def walk(incident: dict[str, Any], *actions: Action, details: dict[str, Any] | None = None) -> dict[str, Any]:
    for i, action in enumerate(actions):
        change = apply(incident, action, NOW + timedelta(minutes=i), "ENG-1", details or {})
        incident = {**incident, **change.fields}
    return incident


def fresh() -> dict[str, Any]:
    return open_from_fault(make_fault_event(), make_site(), NOW)


def test_the_way_through_a_fault_fixed_on_site() -> None:
    resolution = {"caused_by": "hardware", "root_cause": "disk", "resolution": "replaced"}
    incident = walk(fresh(), Action.acknowledge, Action.request_on_site, Action.check_in, details=resolution)
    assert incident["state"] == State.on_site
    change = apply(incident, Action.resolve, NOW, "ENG-1", resolution)
    assert change.fields["state"] == State.resolved
    assert [type(e) for e in change.events] == [IncidentResolved]


def test_acknowledging_stops_the_response_clock_and_is_announced() -> None:
    change = apply(fresh(), Action.acknowledge, NOW, "ENG-1", {})
    assert change.fields["acknowledged_at"] == NOW and change.fields["acknowledged_by"] == "ENG-1"
    assert isinstance(change.events[0], IncidentAcknowledged)


def test_waiting_for_the_hospital_pauses_and_resumes_where_it_was() -> None:
    incident = walk(fresh(), Action.acknowledge, Action.request_on_site, Action.pend)
    assert incident["state"] == State.pending_customer and incident["pauses"][-1]["until"] is None
    incident = walk(incident, Action.resume)
    assert incident["state"] == State.on_site_required
    assert incident["pauses"][-1]["until"] is not None


@pytest.mark.parametrize(
    ("actions", "illegal"),
    [
        ((), Action.check_in),  # not asked to go on site
        ((Action.acknowledge,), Action.acknowledge),  # twice
        ((Action.resolve,), Action.pend),
        ((), Action.close),  # close before resolve
        ((Action.resolve, Action.close), Action.resolve),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused_with_what_is_allowed(
    actions: tuple[Action, ...], illegal: Action
) -> None:
    incident = walk(fresh(), *actions, details={"caused_by": "software"})
    with pytest.raises(IllegalTransition, match="allowed now"):
        apply(incident, illegal, NOW, "ENG-1", {})


def test_a_resolved_fault_can_come_back() -> None:
    incident = walk(fresh(), Action.resolve, Action.reopen, details={"caused_by": "software"})
    assert incident["state"] == State.opened and incident["reopen_count"] == 1


def test_warranty_decides_calendar_and_entitlement() -> None:
    hours = [{"weekday": d, "start": "08:00:00", "end": "18:00:00"} for d in range(5)]
    terms = {"warranty_end": "2026-06-30", "calendar": {"time_zone": "Asia/Shanghai", "hours": hours}}
    in_warranty, after = datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 7, 4, tzinfo=UTC)
    assert calendar_for(terms, in_warranty) == BusinessCalendar.always()
    assert calendar_for(terms, after).time_zone == "Asia/Shanghai"
    assert (entitlement(terms, in_warranty), entitlement(terms, after)) == ("free", "billable")


def test_a_manual_escalation_climbs_and_a_reassignment_stays_in_the_tier() -> None:
    incident = fresh()
    up = hand_over(incident, Tier.L2, "ENG-2", NOW, "sup", "customer escalated to management")
    assert up.fields["tier"] == "L2" and isinstance(up.events[0], IncidentEscalated)
    moved = hand_over({**incident, **up.fields}, Tier.L2, "ENG-3", NOW, "sup", "ENG-2 is ill")
    assert isinstance(moved.events[0], IncidentReassigned) and moved.events[0].previous_assignee_id == "ENG-2"


@pytest.mark.parametrize(
    ("tier", "assignee", "state", "why"),
    [(Tier.L1, "ENG-1", "opened", "already owns"), (Tier.L1, "ENG-9", "resolved", "reopen it first")],
)
def test_hand_overs_that_make_no_sense_are_refused(tier: Tier, assignee: str, state: str, why: str) -> None:
    with pytest.raises(NotAllowed, match=why):
        hand_over({**fresh(), "state": state}, tier, assignee, NOW, "sup", "because")


def test_nobody_escalates_downwards() -> None:
    with pytest.raises(NotAllowed, match="down"):
        hand_over({**fresh(), "tier": "L3"}, Tier.L2, "ENG-2", NOW, "sup", "because")


def test_the_public_incident_offers_what_its_state_allows_and_the_deadlines_ahead() -> None:
    contract = {"response": "PT2H", "on_site": "PT6H", "ladder": [{"after": "PT2H", "tier": "L2"}]}
    incident = open_from_fault(make_fault_event(), make_site(contract=contract), NOW)
    shown = public(incident)
    assert shown.actions == ["acknowledge", "resolve"]
    assert (shown.next_tier, shown.next_tier_at, shown.on_site_due) == (Tier.L2, NOW + timedelta(hours=2), None)
    on_site = walk(incident, Action.acknowledge, Action.request_on_site)  # asked at NOW + 1 min
    shown = public(on_site)
    assert shown.on_site_due == NOW + timedelta(minutes=1) + parse_duration(on_site["terms"]["on_site"])
    assert shown.actions == ["check-in", "pending", "resolve"]
    paused = public({**on_site, **apply(on_site, Action.pend, NOW + timedelta(minutes=10), "ENG-1", {}).fields})
    assert (paused.actions, paused.on_site_due, paused.next_tier_at) == (["resume"], None, None)  # clocks wait
    done = public(walk(on_site, Action.resolve, details={"caused_by": "software"}))
    assert (done.actions, done.next_tier, done.on_site_due) == (["reopen", "close"], None, None)


def test_a_site_says_whether_its_clocks_run_now_and_when_that_changes() -> None:
    hours = [{"weekday": d, "start": "08:00:00", "end": "18:00:00"} for d in range(5)]
    terms = {"warranty_end": "2026-06-30", "calendar": {"time_zone": "Asia/Shanghai", "hours": hours}}
    in_warranty = service_now(terms, datetime(2026, 3, 7, tzinfo=UTC))
    assert in_warranty["round_the_clock"] and in_warranty["clocks_running"] and in_warranty["changes_at"] is None
    friday_evening = datetime(2026, 7, 3, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai: closed until Monday 08:00
    closed = service_now(terms, friday_evening)
    assert (closed["in_warranty"], closed["clocks_running"]) == (False, False)
    assert closed["changes_at"] == datetime(2026, 7, 6, 0, 0, tzinfo=UTC)
    monday = service_now(terms, datetime(2026, 7, 6, 2, 0, tzinfo=UTC))
    assert monday["clocks_running"] and monday["changes_at"] == datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


WEEKDAYS = [{"weekday": d, "start": "08:00:00", "end": "18:00:00"} for d in range(5)]
OFFICE_HOURS = {"warranty_end": "2025-12-31", "response": "PT2H", "on_site": "PT6H",
                "calendar": {"time_zone": "Asia/Shanghai", "hours": WEEKDAYS}}  # fmt: skip
TUESDAY_EVENING = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai, half an hour before closing


def after_warranty() -> dict[str, Any]:
    return open_from_fault(make_fault_event(), make_site(contract=OFFICE_HOURS), TUESDAY_EVENING)


def test_time_to_acknowledge_is_counted_in_working_hours_so_the_night_does_not_count() -> None:
    next_morning = datetime(2026, 3, 4, 0, 30, tzinfo=UTC)  # Wednesday 08:30 in Shanghai
    (event,) = apply(after_warranty(), Action.acknowledge, next_morning, "ENG-1", {}).events
    assert isinstance(event, IncidentAcknowledged)
    assert event.opened_at == TUESDAY_EVENING and event.acknowledged_at == next_morning
    assert event.contract_minutes == 60, "30 minutes on Tuesday evening and 30 on Wednesday morning, not 15 hours"


def test_time_to_resolve_leaves_out_the_wait_for_the_hospital() -> None:
    wednesday = datetime(2026, 3, 4, tzinfo=UTC)  # 08:00 in Shanghai
    incident = after_warranty()
    for action, hour in ((Action.acknowledge, 0.5), (Action.pend, 1), (Action.resume, 2)):
        incident = {**incident, **apply(incident, action, wednesday + timedelta(hours=hour), "ENG-1", {}).fields}
    resolution = {"caused_by": "software", "root_cause": "archive index", "resolution": "rebuilt the index",
                  "whole_system_down": False, "down_from": None, "product": "PACS", "module": "archive"}  # fmt: skip
    (event,) = apply(incident, Action.resolve, wednesday + timedelta(hours=3), "ENG-1", resolution).events
    assert isinstance(event, IncidentResolved)
    assert event.contract_minutes == 30 + 180 - 60, "Tuesday's half hour and Wednesday's three, less the hour paused"
    assert (event.product, event.module, event.down_from) == ("PACS", "archive", None)


def test_a_resolution_that_took_the_system_down_says_from_when() -> None:
    resolution = {"caused_by": "hardware", "root_cause": "RAID", "resolution": "replaced the controller",
                  "whole_system_down": True, "down_from": "2026-03-02T07:45:00+00:00"}  # fmt: skip
    (event,) = apply(fresh(), Action.resolve, NOW + timedelta(hours=1), "ENG-1", resolution).events
    assert isinstance(event, IncidentResolved)
    assert event.down_from == datetime(2026, 3, 2, 7, 45, tzinfo=UTC)
    assert event.contract_minutes == 60, "in warranty the clock runs round the clock"


def test_checking_in_announces_the_engineer_on_site_with_the_deadline_that_ran() -> None:
    asked = walk(fresh(), Action.acknowledge, Action.request_on_site)  # remote service gave up at NOW + 1 min
    (event,) = apply(asked, Action.check_in, NOW + timedelta(hours=5), "ENG-2", {}).events
    assert isinstance(event, IncidentOnSite)
    assert (event.engineer_id, event.on_site_at) == ("ENG-2", NOW + timedelta(hours=5))
    assert event.on_site_required_at == NOW + timedelta(minutes=1)
    assert event.on_site_due == NOW + timedelta(hours=6, minutes=1), "within the contract's six hours"


def test_reopening_a_resolved_incident_is_announced() -> None:
    resolved = walk(fresh(), Action.resolve, details={"caused_by": "software"})
    (event,) = apply(resolved, Action.reopen, NOW + timedelta(days=1), "ENG-3", {"reason": "it came back"}).events
    assert isinstance(event, IncidentReopened)
    assert (event.incident_id, event.engineer_id, event.reopened_at) == (resolved["_id"], "ENG-3",
                                                                          NOW + timedelta(days=1))  # fmt: skip


@pytest.mark.parametrize("source", ["his", "call", "pm"])
def test_an_incident_says_which_channel_its_fault_came_in_by(source: str) -> None:
    incident = open_from_fault(make_fault_event(source=source), make_site(), NOW)
    assert incident["channel"] == source and opened_event(incident).channel == source


def test_a_proactive_incident_came_from_monitoring_with_its_problem_class() -> None:
    breach = MetricBreached(site_id="SITE-1", host="pacs-db-01", rule="tablespace-full", problem_class="database",
                            severity="major", value=97.0, threshold=90.0, breached_at=NOW)  # fmt: skip
    opened = opened_event(open_from_breach(breach, make_site(), NOW))
    assert (opened.channel, opened.problem_class) == ("monitoring", "database")


def test_an_incident_stored_before_channels_were_kept_opens_without_one() -> None:
    older = {k: v for k, v in fresh().items() if k != "channel"}
    assert opened_event(older).channel is None
