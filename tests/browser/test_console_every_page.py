"""Every page of the console, opened fresh (an empty cache) by the role it is for, in both languages: under 200 KB
of transfer on its first load, nothing fetched from outside the console, no untranslated key, and no serious or
critical accessibility violation."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, Response

from tests.browser import PHONE, axe, describe
from tests.browser.conftest import PageFactory
from tests.browser.staff import incident_of, signed_in
from tests.browser.test_console_sign_in import untranslated
from tests.e2e.conftest import Platform

FIRST_LOAD_LIMIT = 200_000  # bytes, the page and all it loads
PAGES = {  # who opens which page (the incident and PM visit paths are filled in by the test)
    "AGENT": ["/console/", "/console/calls/new?phone=021 5555 0101", "/console/incidents",
              "/console/knowledge?q=archive", "/console/sites"],
    "ENGINEER": ["/console/incidents?view=mine", "/console/incidents/{incident}", "/console/pm",
                 "/console/pm/{visit}", "/console/me/contacts"],
    "SUPERVISOR": ["/console/board", "/console/rosters?region=east", "/console/reports/sla",
                   "/console/incidents?view=due"],
    "ADMIN": ["/console/admin/accounts", "/console/admin/accounts/li.wei", "/console/admin/site-keys",
              "/console/sites/SITE-EAST-01"],
}  # fmt: skip


async def _without_cache(page: Page) -> Page:
    """Every load of the page fetches everything again, as a first visit does (the browser's cache is off)."""
    devtools = await page.context.new_cdp_session(page)
    await devtools.send("Network.enable")
    await devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    return page


async def _weighed(page: Page, origin: str, url: str) -> tuple[int, list[str]]:
    """The bytes the page and everything it loads transfer (the event stream aside: it stays open), and any
    address outside the console."""
    loaded: list[Response] = []

    def seen(response: Response) -> None:
        loaded.append(response)

    page.on("response", seen)
    answer = await page.goto(url)  # returns once the page and its scripts, styles and images have loaded
    assert answer is not None and answer.status == 200, f"{url}: {answer and answer.status}"
    page.remove_listener("response", seen)
    kept = [r for r in loaded if r.request.resource_type != "eventsource"]
    weight = sum([len(await r.body()) for r in kept if r.status < 300])
    return weight, [r.url for r in loaded if not r.url.startswith(origin)]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_every_page_is_light_self_contained_translated_and_accessible(
    platform: Platform, new_page: PageFactory, locale: str
) -> None:
    incident = await incident_of(platform, platform.his_key, platform.site_id)
    plan = {"warranty_start": "2026-01-01", "warranty_end": "2028-12-31", "engineer_id": "ENG-EAST-1"}
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        admin = {"Authorization": f"Bearer {platform.admin_token}"}
        answer = await client.put(f"/api/v1/sites/{platform.other_site_id}/pm-plan", json=plan, headers=admin)
        assert answer.status_code == 200, answer.text
        visit = answer.json()["upcoming"][0]["visit_id"]
    faults: list[str] = []
    visitors = {who: await signed_in(new_page, platform, who, viewport=PHONE, locale=locale) for who in PAGES}
    visitors["nobody"] = await new_page(viewport=PHONE, locale=locale)  # not signed in: the sign-in page
    for who, paths in {"nobody": ["/console/sign-in"], **PAGES}.items():
        page = await _without_cache(visitors[who])
        for path in paths:
            url = platform.url + path.format(incident=incident, visit=visit)
            url += ("&" if "?" in url else "?") + f"lang={locale}"
            weight, outside = await _weighed(page, platform.url, url)
            if weight >= FIRST_LOAD_LIMIT:
                faults.append(f"{path}: {weight} bytes on first load")
            if outside:
                faults.append(f"{path}: fetched from outside the console: {outside}")
            if missing := await untranslated(page):
                faults.append(f"{path}: untranslated {missing}")
            if violations := describe(await axe(page)):
                faults.append(f"{path}: {violations}")
    assert faults == [], "\n".join(faults)
