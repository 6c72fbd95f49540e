"""The scheduler's handlers, without the broker: a registered site is kept (its account engineer plans its PM
visits, its name and time zone head its reports), once per event, and a re-registration replaces it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_contracts.events import (
    IncidentEscalated,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    LicenceUpdated,
    MetricBreached,
    MetricRecovered,
    SiteRegistered,
    SoftwareVersionChanged,
)
from pacs_scheduler.domain.review import incident_row


def _registered(**overrides: Any) -> SiteRegistered:
    values: dict[str, Any] = {"site_id": "SITE-1", "name": "Demo Hospital", "region": "east",
                              "account_engineer_id": "ENG-1", "time_zone": "Asia/Shanghai"}  # fmt: skip
    return SiteRegistered(**{**values, **overrides})


async def test_a_registered_site_is_kept_once_however_often_the_event_comes(bench: Any) -> None:
    scheduler = await bench("scheduler")
    event = scheduler.envelope(_registered())

    assert await scheduler.deliver(event) == ["handled"]
    assert await scheduler.deliver(event) == ["duplicate"]

    kept = {"_id": "SITE-1", "name": "Demo Hospital", "region": "east", "account_engineer_id": "ENG-1",
            "time_zone": "Asia/Shanghai", "availability_commitment_percent": None,
            "software_downtime_budget_minutes": None}  # fmt: skip
    assert await scheduler.stored("sites") == [kept]
    assert await scheduler.emitted() == [], "keeping a site announces nothing"


async def test_a_re_registration_replaces_the_site_the_scheduler_kept(bench: Any) -> None:
    scheduler = await bench("scheduler")
    await scheduler.deliver(_registered())

    await scheduler.deliver(_registered(name="Demo Hospital East Campus", account_engineer_id="ENG-2", time_zone="UTC"))

    (site,) = await scheduler.stored("sites")
    assert (site["name"], site["account_engineer_id"], site["time_zone"]) == ("Demo Hospital East Campus", "ENG-2",
                                                                              "UTC")  # fmt: skip
    assert site == await scheduler.deps.sites.get("SITE-1"), "PM plans and reports read the new registration"


OPENED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _opened() -> IncidentOpened:
    return IncidentOpened(incident_id="INC-1", site_id="SITE-1", fault_id="F-1", tier="L1", assignee_id="ENG-1",
                          severity="critical", summary="PACS-ARCHIVE-DOWN", opened_at=OPENED_AT,
                          response_due=OPENED_AT + timedelta(hours=2), channel="call")  # fmt: skip


def _resolved(minutes: int) -> IncidentResolved:
    return IncidentResolved(incident_id="INC-1", site_id="SITE-1", engineer_id="ENG-1", caused_by="software",
                            resolved_at=OPENED_AT + timedelta(minutes=minutes), contract_minutes=minutes,
                            down_from=OPENED_AT, product="PACS")  # fmt: skip


async def test_an_incidents_facts_come_out_the_same_whatever_order_its_events_arrive_in(bench: Any) -> None:
    """The review's read model: a resolution heard before the opening, and an escalation heard twice."""
    scheduler = await bench("scheduler")
    climbed = IncidentEscalated(incident_id="INC-1", site_id="SITE-1", from_tier="L1", to_tier="L3",
                                assignee_id="ENG-3", reason="index corrupt", escalated_at=OPENED_AT)  # fmt: skip
    await scheduler.deliver(_resolved(90))
    await scheduler.deliver(climbed)
    await scheduler.deliver(climbed)  # the same step, published again under a new event id
    await scheduler.deliver(_opened())

    (fact,) = await scheduler.stored("review_incidents")
    assert (fact["channel"], fact["caused_by"], fact["resolve_minutes"], fact["down_from"]) == (
        "call",
        "software",
        90,
        OPENED_AT,
    )
    assert [e["to_tier"] for e in fact["escalations"]] == ["L3"], "one climb, however often it was told"
    assert await scheduler.emitted() == [], "the read model announces nothing"


async def test_a_reopened_incident_is_unsolved_again_until_its_next_resolution(bench: Any) -> None:
    scheduler = await bench("scheduler")
    await scheduler.deliver(_opened())
    await scheduler.deliver(_resolved(30))
    reopened = IncidentReopened(incident_id="INC-1", site_id="SITE-1", engineer_id="ENG-1",
                                reopened_at=OPENED_AT + timedelta(minutes=45))  # fmt: skip
    await scheduler.deliver(reopened)
    (fact,) = await scheduler.stored("review_incidents")
    assert fact["resolved_at"] is None and len(fact["reopened"]) == 1

    await scheduler.deliver(_resolved(120))
    (fact,) = await scheduler.stored("review_incidents")
    assert fact["resolved_at"] == OPENED_AT + timedelta(minutes=120) and fact["resolve_minutes"] == 120


def _version(version: str, minutes: int, previous: str | None = None) -> SoftwareVersionChanged:
    return SoftwareVersionChanged(site_id="SITE-1", host="ARCH-1", component="pacs-archive", kind="archive",
                                  installed_version=version, previous_version=previous,
                                  reported_at=OPENED_AT + timedelta(minutes=minutes))  # fmt: skip


async def test_an_older_or_repeated_version_report_never_undoes_a_newer_one(bench: Any) -> None:
    """Releases are judged on what runs: monitoring's reports, which may come late, twice, or in one batch."""
    scheduler = await bench("scheduler")
    await scheduler.deliver(_version("7.1.4", 0), _version("7.2.3", 10, previous="7.1.4"))
    await scheduler.deliver(_version("7.1.4", 0))  # published again, under a new event id
    await scheduler.deliver(_version("7.2.3-hf1", 10))  # the same moment told otherwise: the first word stands

    (kept,) = await scheduler.stored("installed_software")
    assert (kept["_id"], kept["installed_version"], kept["previous_version"]) == ("SITE-1|ARCH-1|pacs-archive",
                                                                                  "7.2.3", "7.1.4")  # fmt: skip
    await scheduler.deliver(_version("7.2.4", 20, previous="7.2.3"))
    (kept,) = await scheduler.stored("installed_software")
    assert kept["installed_version"] == "7.2.4" and kept["reported_at"] == OPENED_AT + timedelta(minutes=20)
    assert await scheduler.emitted() == [], "the read model announces nothing"


async def test_a_licence_is_kept_as_last_reported_whatever_order_the_reports_arrive_in(bench: Any) -> None:
    scheduler = await bench("scheduler")
    renewed = LicenceUpdated(site_id="SITE-1", licence="feature:3d-viewer", expires_at=OPENED_AT + timedelta(days=365),
                             reported_at=OPENED_AT + timedelta(days=1))  # fmt: skip
    lapsing = LicenceUpdated(site_id="SITE-1", licence="feature:3d-viewer", expires_at=OPENED_AT,
                             reported_at=OPENED_AT)  # fmt: skip
    await scheduler.deliver(renewed)
    await scheduler.deliver(lapsing)

    (kept,) = await scheduler.stored("licences")
    assert kept["_id"] == "SITE-1|feature:3d-viewer" and kept["expires_at"] == OPENED_AT + timedelta(days=365)


async def test_a_resolution_heard_after_the_reopening_that_undid_it_changes_nothing(bench: Any) -> None:
    scheduler = await bench("scheduler")
    reopened = IncidentReopened(incident_id="INC-1", site_id="SITE-1", engineer_id="ENG-1",
                                reopened_at=OPENED_AT + timedelta(minutes=45))  # fmt: skip
    await scheduler.deliver(_opened(), reopened)
    await scheduler.deliver(_resolved(30))  # the first resolution, late
    (fact,) = await scheduler.stored("review_incidents")
    assert fact.get("resolved_at") is None, "the incident is open again: its late first resolution does not close it"


async def test_a_dicom_recovery_heard_before_its_breach_still_ends_it(bench: Any) -> None:
    scheduler = await bench("scheduler")
    node = {"site_id": "SITE-1", "host": "CT2-STORE", "rule": "dicom-node-down"}
    breached = MetricBreached(**node, problem_class="dicom_node", severity="major", value=0, threshold=0,
                              breached_at=OPENED_AT)  # fmt: skip
    await scheduler.deliver(MetricRecovered(**node, value=1, recovered_at=OPENED_AT + timedelta(minutes=12)))
    await scheduler.deliver(breached)
    (outage,) = [m for m in await scheduler.stored("review_metrics") if "breached_at" in m]
    assert outage["recovered_at"] == OPENED_AT + timedelta(minutes=12)
    assert len(await scheduler.stored("review_metrics")) == 1, "the waiting recovery is used up"


async def test_an_incident_opened_above_l1_counts_at_its_tier_in_the_review(bench: Any) -> None:
    """A data-loss fault opens at L3: the review's row says L3 though it never climbed."""
    scheduler = await bench("scheduler")
    await scheduler.deliver(IncidentOpened.model_validate({**_opened().model_dump(), "tier": "L3"}))
    (fact,) = await scheduler.stored("review_incidents")
    assert incident_row(fact, OPENED_AT + timedelta(hours=1))["tier"] == "L3"
