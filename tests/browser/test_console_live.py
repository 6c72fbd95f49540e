"""A live page in a real Chromium: a supervisor watching the queue sees an incident climb to L2 without reloading,
and a page that lost its connection (the console killed) says so, and catches up once it is back."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import expect

from pacs_kit.cli import create_api_key
from tests.browser import axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import signed_in
from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault

SITE = "SITE-LIVE-01"
FAST = {"response": "PT10M", "on_site": "PT1H", "ladder": [{"after": "PT4S", "tier": "L2"}]}


async def test_a_supervisor_sees_an_incident_climb_to_l2_without_reloading(
    platform: Platform, new_page: PageFactory
) -> None:
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        site = {"site_id": SITE, "name": "Live Hospital", "region": "east", "account_engineer_id": "ENG-EAST-1",
                "contract": FAST}  # fmt: skip
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        roster = {"engineers": ["ENG-L2-1"], "rotation_start": "2026-01-01T00:00:00+08:00"}
        assert (await client.put("/api/v1/rosters/east/L2", json=roster)).status_code == 200
    key = await create_api_key(SITE, ["intake"], "live HIS", None, databases=platform.stack.database_urls,
                               namespace=platform.namespace)  # fmt: skip

    page = await signed_in(new_page, platform, "SUPERVISOR")
    await page.goto(f"{platform.url}/console/incidents?site={SITE}&lang=en")
    await expect(page.locator("#none")).to_be_visible()
    await page.evaluate("window.stillTheSamePage = true")

    async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": key}, timeout=30) as his:

        async def accepted() -> bool:
            return (await his.post("/api/v1/faults", json=make_fault(SITE))).status_code == 202

        await eventually(accepted, timeout=15, what="the fault accepted (the new site known to intake)")
    row = page.locator("#live-list tbody tr")
    await expect(row).to_have_count(1, timeout=15_000)  # the new incident appears, unasked
    await expect(row.locator("td").nth(3)).to_have_text("L1")
    await expect(row.locator("td").nth(3)).to_have_text("L2", timeout=20_000)  # and climbs
    await expect(row.locator("td").nth(4)).to_have_text("ENG-L2-1")
    assert await page.evaluate("window.stillTheSamePage === true"), "no reload"
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "incidents-live-en")

    platform.stack.kill("console")  # the page's event stream breaks
    await expect(page.locator("#live-status")).to_be_visible(timeout=15_000)
    await asyncio.to_thread(platform.stack.restart, "console")
    await expect(page.locator("#live-status")).to_be_hidden(timeout=20_000)  # back, and caught up
    await expect(row.locator("td").nth(3)).to_have_text("L2")
