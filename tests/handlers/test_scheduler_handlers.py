"""The scheduler's handlers, without the broker: a registered site is kept (its account engineer plans its PM
visits, its name and time zone head its reports), once per event, and a re-registration replaces it."""

from __future__ import annotations

from typing import Any

from pacs_contracts.events import SiteRegistered


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
            "time_zone": "Asia/Shanghai"}  # fmt: skip
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
