"""The access service's handlers, without the broker: a registered site is kept (a grant is asked for a site, in
its region, with its account engineer, under its contract's standing rules and working hours), once per event, and
a re-registration replaces it; incidents are kept with their severity and whether they are open, in any order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_access.domain.standing import open_severity

from pacs_contracts.events import IncidentReopened, IncidentResolved, SiteRegistered
from tests.factories import make_incident_opened


def _registered(**overrides: Any) -> SiteRegistered:
    values: dict[str, Any] = {"site_id": "SITE-1", "name": "Demo Hospital", "region": "east",
                              "account_engineer_id": "ENG-1", "time_zone": "Asia/Shanghai"}  # fmt: skip
    return SiteRegistered(**{**values, **overrides})


async def test_a_registered_site_is_kept_once_however_often_the_event_comes(bench: Any) -> None:
    access = await bench("access")
    event = access.envelope(_registered())

    assert await access.deliver(event) == ["handled"]
    assert await access.deliver(event) == ["duplicate"]

    kept = {"_id": "SITE-1", "name": "Demo Hospital", "region": "east", "account_engineer_id": "ENG-1",
            "time_zone": "Asia/Shanghai"}  # fmt: skip
    (site,) = await access.stored("sites")
    assert {key: site[key] for key in kept} == kept
    assert await access.emitted() == [], "keeping a site announces nothing"


async def test_a_re_registration_replaces_the_site_access_kept(bench: Any) -> None:
    access = await bench("access")
    await access.deliver(_registered())

    await access.deliver(_registered(region="north", account_engineer_id="ENG-2"))

    (site,) = await access.stored("sites")
    assert (site["region"], site["account_engineer_id"]) == ("north", "ENG-2")
    assert site == await access.deps.sites.get("SITE-1")


async def test_the_standing_rules_and_working_hours_of_the_contract_are_kept(bench: Any) -> None:
    access = await bench("access")
    rule = {"level": "view", "max_minutes": 120, "severities": ["critical"], "out_of_hours_only": True}
    hours = {"time_zone": "Asia/Shanghai", "hours": [{"weekday": 0, "start": "08:00", "end": "18:00"}],
             "holidays": ["2026-10-01"]}  # fmt: skip

    await access.deliver(_registered(access_standing_rules=[rule], working_hours=hours))

    site = await access.deps.sites.get("SITE-1")
    assert site["access_standing_rules"] == [rule]
    assert site["working_hours"] == {"time_zone": "Asia/Shanghai", "holidays": ["2026-10-01"],
                                     "hours": [{"weekday": 0, "start": "08:00:00", "end": "18:00:00"}]}  # fmt: skip


async def test_an_incident_is_open_for_the_standing_rules_until_resolved_whatever_order_the_events_come(
    bench: Any,
) -> None:
    access = await bench("access")
    opened_at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    resolved = IncidentResolved(incident_id="INC-1", site_id="SITE-1", engineer_id="ENG-1", caused_by="software",
                                resolved_at=opened_at + timedelta(hours=1))  # fmt: skip
    reopened = IncidentReopened(incident_id="INC-1", site_id="SITE-1", engineer_id="ENG-1",
                                reopened_at=opened_at + timedelta(hours=2))  # fmt: skip

    await access.deliver(resolved)  # the resolution overtook the opening
    await access.deliver(make_incident_opened(severity="critical", opened_at=opened_at))
    assert open_severity(await access.deps.incidents.get("INC-1"), "SITE-1") is None

    await access.deliver(reopened)
    assert open_severity(await access.deps.incidents.get("INC-1"), "SITE-1") == "critical"
    assert await access.emitted() == [], "keeping incidents announces nothing"
