"""Escalation's handlers, without the broker: a fault opens one incident for the site's account engineer and puts
`incident.opened` in the outbox, saying which channel it came by; the same event twice is handled once; a second call
about an open incident is counted on it. A monitoring breach opens one proactive incident per problem, a recovery is
noted on it; the owner's acknowledgement from a message stops the response clock, timed in contract time; a tick past
the deadline breaches it and climbs the ladder. A fault a platform service sends at a higher tier opens there, with
that tier's on-call; whole-site maintenance windows are kept as they ran, in whatever order their ends arrive, and
take their time out of the downtime charged."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pacs_contracts.common import Tier
from pacs_contracts.events import (
    MaintenanceEnded,
    MaintenanceStarted,
    MetricBreached,
    MetricRecovered,
    NotificationAcknowledged,
    SlaTick,
)
from pacs_escalation.domain.availability import planned_time, summary
from pacs_escalation.domain.incident import open_from_fault
from pacs_escalation.domain.sla import upcoming
from pacs_escalation.usecases import clocks
from tests.factories import make_fault_event, make_site
from tests.handlers.conftest import types_of


async def _with_site(bench: Any) -> Any:
    escalation = await bench("escalation")
    await escalation.kit.mongo.db["sites"].insert_one(make_site())
    return escalation


async def test_a_fault_opens_one_incident_for_the_account_engineer_and_announces_it(bench: Any) -> None:
    escalation = await _with_site(bench)
    event = escalation.envelope(make_fault_event(fault_id="F-7"), correlation_id="corr-7")

    assert await escalation.deliver(event, event) == ["handled", "duplicate"]

    (incident,) = await escalation.stored("incidents")
    assert (incident["fault_id"], incident["site_id"], incident["tier"]) == ("F-7", "SITE-1", "L1")
    assert incident["assignee_id"] == "ENG-1"
    (opened,) = await escalation.emitted("incident.opened")
    assert opened["payload"]["incident_id"] == incident["_id"]
    assert opened["correlation_id"] == "corr-7", "the fault's correlation id goes on with the incident"


async def test_a_second_call_about_an_open_incident_is_counted_on_it_not_opened_again(bench: Any) -> None:
    escalation = await _with_site(bench)
    await escalation.deliver(make_fault_event(fault_id="F-1"))
    (incident,) = await escalation.stored("incidents")

    await escalation.deliver(make_fault_event(fault_id="F-2", source="call", incident_id=incident["_id"]))

    (again,) = await escalation.stored("incidents")
    assert [e["fault_id"] for e in again["timeline"] if e["what"] == "call_logged"] == ["F-2"]
    assert types_of(await escalation.emitted()) == ["incident.opened"]


async def test_an_incident_says_whether_it_came_from_the_his_the_800_line_or_a_pm_visit(bench: Any) -> None:
    escalation = await _with_site(bench)

    await escalation.deliver(make_fault_event(fault_id="F-HIS"), make_fault_event(fault_id="F-CALL", source="call"),
                             make_fault_event(fault_id="PMF-V-1-1", source="pm", code="PM_FOLLOW_UP"))  # fmt: skip

    stored = {i["fault_id"]: i["channel"] for i in await escalation.stored("incidents")}
    assert stored == {"F-HIS": "his", "F-CALL": "call", "PMF-V-1-1": "pm"}
    opened = {e["payload"]["fault_id"]: e["payload"]["channel"] for e in await escalation.emitted("incident.opened")}
    assert opened == stored


async def test_a_fault_for_a_site_escalation_does_not_know_is_refused_and_nothing_is_kept(bench: Any) -> None:
    escalation = await bench("escalation")
    with pytest.raises(LookupError, match="SITE-404"):
        await escalation.deliver(make_fault_event(site_id="SITE-404"))
    assert await escalation.stored("incidents") == [] and await escalation.emitted() == []


def _breach(**overrides: Any) -> MetricBreached:
    values: dict[str, Any] = {"site_id": "SITE-1", "host": "pacs-arch-01", "rule": "disk_used_pct",
                              "problem_class": "storage", "severity": "major", "value": 97.0, "threshold": 90.0,
                              "breached_at": datetime.now(UTC)}  # fmt: skip
    return MetricBreached(**(values | overrides))


def _acknowledgement(incident_id: str, engineer_id: str) -> NotificationAcknowledged:
    return NotificationAcknowledged(notification_id="N-1", incident_id=incident_id, engineer_id=engineer_id,
                                    acknowledged_at=datetime.now(UTC))  # fmt: skip


async def test_a_breach_opens_one_proactive_incident_and_a_repeat_is_counted_on_it(bench: Any) -> None:
    escalation = await _with_site(bench)

    await escalation.deliver(_breach())
    await escalation.deliver(_breach(value=98.5))

    (incident,) = await escalation.stored("incidents")
    assert (incident["source"], incident["site_id"], incident["tier"]) == ("monitoring", "SITE-1", "L1")
    assert incident["occurrences"] == 2
    assert [e["value"] for e in incident["timeline"] if e["what"] == "metric_breached"] == [97.0, 98.5]
    (opened,) = await escalation.emitted("incident.opened")
    assert opened["payload"]["incident_id"] == incident["_id"] and opened["payload"]["fault_id"] is None
    assert (opened["payload"]["channel"], opened["payload"]["problem_class"]) == ("monitoring", "storage")


async def test_a_recovery_is_noted_on_the_open_incident_which_stays_open(bench: Any) -> None:
    escalation = await _with_site(bench)
    await escalation.deliver(_breach())

    await escalation.deliver(MetricRecovered(site_id="SITE-1", host="pacs-arch-01", rule="disk_used_pct", value=71.0,
                                             recovered_at=datetime.now(UTC)))  # fmt: skip
    await escalation.deliver(MetricRecovered(site_id="SITE-1", host="other-host", rule="disk_used_pct", value=5.0,
                                             recovered_at=datetime.now(UTC)))  # fmt: skip

    (incident,) = await escalation.stored("incidents")
    recovered = [e for e in incident["timeline"] if e["what"] == "metric_recovered"]
    assert [(e["host"], e["value"]) for e in recovered] == [("pacs-arch-01", 71.0)]
    assert incident["state"] == "opened", "closing it stays an engineer's call"
    assert types_of(await escalation.emitted()) == ["incident.opened"]


async def test_the_owners_acknowledgement_from_a_message_stops_the_response_clock(bench: Any) -> None:
    escalation = await _with_site(bench)
    await escalation.deliver(make_fault_event())
    (incident,) = await escalation.stored("incidents")

    await escalation.deliver(_acknowledgement(incident["_id"], "ENG-9"))
    assert (await escalation.stored("incidents"))[0]["state"] == "opened", "a former owner does not stop the clock"

    await escalation.deliver(_acknowledgement(incident["_id"], "ENG-1"))
    await escalation.deliver(_acknowledgement(incident["_id"], "ENG-1"))

    (acknowledged,) = await escalation.stored("incidents")
    assert (acknowledged["state"], acknowledged["acknowledged_by"]) == ("acknowledged", "ENG-1")
    (event,) = await escalation.emitted("incident.acknowledged")
    assert (event["payload"]["incident_id"], event["payload"]["engineer_id"]) == (incident["_id"], "ENG-1")


async def test_an_acknowledgement_from_a_message_counts_contract_time_not_the_clock_on_the_wall(bench: Any) -> None:
    escalation = await bench("escalation")
    today = datetime.now(UTC).date()
    # after warranty, in working hours that never open today or yesterday: a public holiday and its eve
    calendar = {"time_zone": "UTC", "hours": [{"weekday": d, "start": "00:00:00", "end": "00:00:00"} for d in range(7)],
                "holidays": [str(today + timedelta(days=d)) for d in (-1, 0, 1)]}  # fmt: skip
    site = make_site(contract={"response": "PT2H", "on_site": "PT6H", "warranty_end": "2020-12-31",
                               "calendar": calendar})  # fmt: skip
    await escalation.kit.mongo.db["sites"].insert_one(site)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    await escalation.kit.mongo.db["incidents"].insert_one(open_from_fault(make_fault_event(), site, two_hours_ago))
    (incident,) = await escalation.stored("incidents")

    await escalation.deliver(_acknowledgement(incident["_id"], "ENG-1"))

    (event,) = await escalation.emitted("incident.acknowledged")
    acknowledged_at = datetime.fromisoformat(event["payload"]["acknowledged_at"])
    assert acknowledged_at - datetime.fromisoformat(event["payload"]["opened_at"]) >= timedelta(hours=2)
    assert event["payload"]["contract_minutes"] == 0, "the holiday's hours do not count against the engineer"


async def test_a_tick_past_the_response_deadline_breaches_it_and_hands_the_incident_to_l2(bench: Any) -> None:
    escalation = await bench("escalation")
    ladder = [{"after": "PT2H", "tier": "L2"}, {"after": "PT4H", "tier": "L3"}]
    site = make_site(contract={"response": "PT2H", "on_site": "PT6H", "warranty_end": None, "ladder": ladder})
    await escalation.kit.mongo.db["sites"].insert_one(site)
    await escalation.kit.mongo.db["engineers"].insert_one({"_id": "ENG-L2", "region": "east", "tier": "L2",
                                                            "retired_at": None})  # fmt: skip
    await escalation.deliver(make_fault_event(fault_id="F-9"))
    (incident,) = await escalation.stored("incidents")

    late = incident["opened_at"].replace(tzinfo=UTC) + timedelta(hours=2, seconds=1)
    assert await escalation.deliver(SlaTick(at=late, sequence=1)) == ["handled"]
    now = escalation.deps.pacer.due()
    assert now is not None and now >= late, "the tick's time is what the next sweep acts up to"
    await escalation.kit.uow.run(functools.partial(clocks.sweep, now, deps=escalation.deps))

    (escalated,) = await escalation.stored("incidents")
    assert (escalated["tier"], escalated["assignee_id"]) == ("L2", "ENG-L2")
    assert escalated["breached_clocks"] == ["response"]
    (breached,) = await escalation.emitted("sla.breached")
    assert breached["payload"]["clock"] == "response"
    (climbed,) = await escalation.emitted("incident.escalated")
    assert (climbed["payload"]["from_tier"], climbed["payload"]["to_tier"]) == ("L1", "L2")
    assert (climbed["payload"]["previous_assignee_id"], climbed["payload"]["assignee_id"]) == ("ENG-1", "ENG-L2")
    assert climbed["correlation_id"] == "F-9"


async def _engineers(escalation: Any, *tiers: str) -> None:
    for tier in tiers:
        await escalation.kit.mongo.db["engineers"].insert_one({"_id": f"ENG-{tier}", "region": "east", "tier": tier,
                                                                "retired_at": None})  # fmt: skip


async def _sweep_at(escalation: Any, at: datetime, sequence: int) -> None:
    """A tick at `at`, and the clock sweep it wakes (an instance's first: it reads everything due)."""
    await escalation.deliver(SlaTick(at=at, sequence=sequence))
    now = escalation.deps.pacer.due()
    assert now is not None and now >= at
    await escalation.kit.uow.run(functools.partial(clocks.sweep, now, deps=escalation.deps))


async def test_a_fault_asking_for_l3_opens_there_with_its_on_call_and_the_ladder_climbs_on_from_opening(
    bench: Any,
) -> None:
    escalation = await bench("escalation")
    ladder = [{"after": "PT2H", "tier": "L2"}, {"after": "PT4H", "tier": "L3"}, {"after": "PT8H", "tier": "L4"}]
    site = make_site(contract={"response": "PT2H", "on_site": "PT6H", "warranty_end": None, "ladder": ladder})
    await escalation.kit.mongo.db["sites"].insert_one(site)
    await _engineers(escalation, "L2", "L3", "L4")

    await escalation.deliver(make_fault_event(fault_id="F-LOSS", source="pm", start_tier=3))

    (incident,) = await escalation.stored("incidents")
    assert (incident["tier"], incident["assignee_id"]) == ("L3", "ENG-L3")
    assert incident["timeline"][0]["what"] == "opened" and incident["timeline"][0]["tier"] == "L3"
    (opened,) = await escalation.emitted("incident.opened")
    assert (opened["payload"]["tier"], opened["payload"]["assignee_id"]) == ("L3", "ENG-L3"), "L3's on-call is told"

    opened_at = incident["opened_at"].replace(tzinfo=UTC)
    ahead = upcoming({**incident, "opened_at": opened_at})
    assert (ahead.next_tier, ahead.next_tier_at) == (Tier.L4, opened_at + timedelta(hours=8)), "timed from opening"
    await _sweep_at(escalation, opened_at + timedelta(hours=8, seconds=1), 1)
    (climbed,) = await escalation.emitted("incident.escalated")
    assert (climbed["payload"]["from_tier"], climbed["payload"]["to_tier"]) == ("L3", "L4"), "no step below L3 is taken"
    assert climbed["payload"]["assignee_id"] == "ENG-L4"


async def test_a_fault_without_a_start_tier_opens_at_l1_for_the_account_engineer(bench: Any) -> None:
    escalation = await _with_site(bench)
    await _engineers(escalation, "L3")

    await escalation.deliver(make_fault_event(fault_id="F-PLAIN"))

    (incident,) = await escalation.stored("incidents")
    assert (incident["tier"], incident["assignee_id"]) == ("L1", "ENG-1")
    (opened,) = await escalation.emitted("incident.opened")
    assert (opened["payload"]["tier"], opened["payload"]["assignee_id"]) == ("L1", "ENG-1")


T = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _started(window_id: str, host: str | None = None, *, at: datetime = T, hours: float = 2) -> MaintenanceStarted:
    return MaintenanceStarted(window_id=window_id, site_id="SITE-1", host=host, ends_at=at + timedelta(hours=hours),
                              started_at=at)  # fmt: skip


def _ended(window_id: str, host: str | None = None, *, at: datetime) -> MaintenanceEnded:
    return MaintenanceEnded(window_id=window_id, site_id="SITE-1", host=host, ended_at=at)


async def _ledger(escalation: Any, *outages: tuple[datetime, datetime]) -> dict[str, Any]:
    """The year's summary of the site as the availability route counts it, over these software outages."""
    entries = [{"_id": f"INC-{n}", "site_id": "SITE-1", "cause": "software", "start": a, "end": b}
               for n, (a, b) in enumerate(outages)]  # fmt: skip
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    windows = await escalation.deps.windows.overlapping("SITE-1", start, end)
    return summary(entries, 2026, 240, planned_time(windows))


async def test_a_whole_site_window_takes_its_time_out_of_the_downtime_charged_and_a_host_window_does_not(
    bench: Any,
) -> None:
    escalation = await _with_site(bench)
    started = escalation.envelope(_started("MW-SITE"))

    assert await escalation.deliver(started, started, _started("MW-HOST", "pacs-db-01")) == ["handled", "duplicate",
                                                                                            "handled"]  # fmt: skip
    (window,) = await escalation.stored("maintenance_windows")
    assert (window["_id"], window["started_at"].replace(tzinfo=UTC)) == ("MW-SITE", T), "one host's window is not kept"
    outage = (T - timedelta(minutes=30), T + timedelta(minutes=90))
    running = await _ledger(escalation, outage)
    assert running["minutes_down_by_cause"] == {"software": 30.0}, "while it runs, it counts up to its agreed end"
    assert running["planned_minutes_excluded"] == 90.0

    await escalation.deliver(_ended("MW-SITE", at=T + timedelta(hours=1)), _ended("MW-HOST", "pacs-db-01", at=T))

    ended = await _ledger(escalation, outage)
    assert (ended["minutes_down_by_cause"], ended["planned_minutes_excluded"]) == ({"software": 60.0}, 60.0)
    assert ended["software_minutes_left"] == 180.0


async def test_an_end_heard_before_its_start_closes_the_window_and_alone_plans_nothing(bench: Any) -> None:
    escalation = await _with_site(bench)
    outage = (T, T + timedelta(hours=3))

    await escalation.deliver(_ended("MW-LATE", at=T + timedelta(minutes=45)))
    alone = await _ledger(escalation, outage)
    assert (alone["minutes_down_by_cause"], alone["planned_minutes_excluded"]) == ({"software": 180.0}, 0.0)

    await escalation.deliver(_started("MW-LATE"))

    (window,) = await escalation.stored("maintenance_windows")
    assert window["ended_at"].replace(tzinfo=UTC) == T + timedelta(minutes=45), "the start does not reopen it"
    closed = await _ledger(escalation, outage)
    assert (closed["minutes_down_by_cause"], closed["planned_minutes_excluded"]) == ({"software": 135.0}, 45.0)
