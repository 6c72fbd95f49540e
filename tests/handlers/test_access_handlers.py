"""The access service's handlers, without the broker: a registered site is kept (a grant is asked for a site, in
its region, with its account engineer), once per event, and a re-registration replaces it."""

from __future__ import annotations

from typing import Any

from pacs_contracts.events import SiteRegistered


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
