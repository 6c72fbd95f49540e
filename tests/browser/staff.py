"""What the page tests do as the platform's people: sign in as one of the demo staff, and have a hospital's HIS
report a fault whose incident they then work on."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, ViewportSize, expect

from tests.browser import DESKTOP
from tests.browser.conftest import PageFactory
from tests.browser.test_console_sign_in import sign_in_by_keyboard
from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault


async def signed_in(new_page: PageFactory, platform: Platform, who: str, *, viewport: ViewportSize = DESKTOP,
                    locale: str = "en-GB") -> Page:  # fmt: skip
    """A fresh page signed in, by keyboard, as the demo account `who` (AGENT, ENGINEER, SUPERVISOR…)."""
    page = await new_page(viewport=viewport, locale=locale)
    user, password = platform.staff[who]
    await page.goto(f"{platform.url}/console/sign-in")
    await sign_in_by_keyboard(page, user, password)
    await expect(page).to_have_url(re.compile(r"/console/$"))
    return page


async def incident_of(platform: Platform, key: str, site_id: str) -> str:
    """A fault from the site's HIS (retried while intake does not know a new site yet), and the incident escalation
    opens for it."""
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:

        async def accepted() -> str | None:
            posted = await client.post("/api/v1/faults", json=make_fault(site_id), headers={"X-API-Key": key})
            return str(posted.json()["fault_id"]) if posted.status_code == 202 else None

        fault_id = await eventually(accepted, timeout=15, what=f"a fault of {site_id} accepted")

        async def opened() -> str | None:
            items = (await client.get("/api/v1/incidents", params={"fault_id": fault_id}, headers=admin)).json()
            return str(items["items"][0]["incident_id"]) if items["items"] else None

        found: str = await eventually(opened, timeout=20, what=f"the incident of {fault_id}")
        return found
