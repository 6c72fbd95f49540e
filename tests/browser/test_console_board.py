"""Supervisors' pages in a real Chromium: the escalation board counts a region's open incidents by tier, names the
one at risk and counts a new one without reloading; the rosters say who holds the pager now and next, and an
admin's override takes the pager at once. Only supervisors and admins open them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import expect

from pacs_kit.cli import create_api_key
from tests.browser import axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import incident_of, signed_in
from tests.browser.test_console_sign_in import untranslated
from tests.e2e.conftest import Platform

REGION = "west"  # a region of this test's own, so the board's counts are exactly its incidents
SITE = "SITE-WEST-01"
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_supervisor_watches_the_board_count_a_regions_incidents_live(
    platform: Platform, new_page: PageFactory
) -> None:
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        site = {"site_id": SITE, "name": "West Hospital", "region": REGION, "account_engineer_id": "ENG-EAST-1",
                "contract": {"response": "PT10M", "on_site": "PT2H"}}  # fmt: skip
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
    key = await create_api_key(SITE, ["intake"], "west HIS", None, databases=platform.stack.database_urls,
                               namespace=platform.namespace)  # fmt: skip
    first = await incident_of(platform, key, SITE)

    page = await signed_in(new_page, platform, "SUPERVISOR")
    await page.get_by_role("link", name="Escalation board").click()
    cell = page.locator(f"#cell-{REGION}-L1")
    await expect(cell.locator("a")).to_have_text("1")
    await expect(cell).to_contain_text("1 at risk")  # a response due in 10 minutes, nobody has answered
    await expect(page.locator(f"#at_risk-{first}")).to_contain_text("West Hospital")
    await expect(page.locator(f"#cell-{REGION}-L2")).to_have_text("0")
    await page.evaluate("window.stillTheSamePage = true")
    second = await incident_of(platform, key, SITE)
    await expect(cell.locator("a")).to_have_text("2", timeout=15_000)  # counted live
    await expect(page.locator(f"#at_risk-{second}")).to_be_visible()
    assert await page.evaluate("window.stillTheSamePage === true"), "no reload"
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "board-en")

    engineer = await signed_in(new_page, platform, "ENGINEER", locale="zh-CN")
    for path in ("/console/board", "/console/rosters"):
        refused = await engineer.goto(f"{platform.url}{path}")
        assert refused is not None and refused.status == 403, path


async def test_an_admins_override_takes_the_pager_and_the_supervisor_sees_who_holds_it_now_and_next(
    platform: Platform, new_page: PageFactory
) -> None:
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        roster = {"engineers": ["ENG-EAST-1"], "rotation_start": "2026-01-01T08:00:00+08:00", "shift": "P7D"}
        assert (await client.put(f"/api/v1/rosters/{REGION}/L1", json=roster)).status_code == 200

    page = await signed_in(new_page, platform, "ADMIN")
    await page.goto(f"{platform.url}/console/rosters?region={REGION}")
    await expect(page.locator("#now-L1")).to_contain_text("ENG-EAST-1")
    now = datetime.now(UTC).astimezone(SHANGHAI)
    await page.locator("#engineer-L1").select_option("ENG-NORTH-1")
    await page.locator("#start-L1").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    await page.locator("#end-L1").fill((now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    await page.locator("#override-L1").click()
    await expect(page.locator("#now-L1")).to_contain_text("ENG-NORTH-1")  # the override holds the pager now
    await expect(page.locator("#now-L1")).to_contain_text("override")
    await expect(page.locator("#next-L1")).to_have_text("ENG-EAST-1")  # and hands it back to the rotation
    await expect(page.locator("#overrides-L1")).to_contain_text("UTC+08:00")
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "rosters-admin-en")

    supervisor = await signed_in(new_page, platform, "SUPERVISOR", locale="zh-CN")
    await supervisor.goto(f"{platform.url}/console/rosters?region={REGION}&lang=zh-CN")
    await expect(supervisor.locator("#now-L1")).to_contain_text("ENG-NORTH-1")
    assert await supervisor.locator("#override-L1").count() == 0, "supervisors see the rosters; admins change them"
    assert await untranslated(supervisor) == []
    assert not describe(await axe(supervisor)), describe(await axe(supervisor))
    await shot(supervisor, "rosters-zh-CN")


async def test_a_supervisor_reads_the_sla_report_for_a_period_and_downloads_it_as_csv(
    platform: Platform, new_page: PageFactory
) -> None:
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        site = {"site_id": "SITE-SW-01", "name": "西南示范医院", "region": "southwest",
                "account_engineer_id": "ENG-EAST-1", "contract": {"response": "PT2H", "on_site": "PT6H"}}  # fmt: skip
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        key = await create_api_key("SITE-SW-01", ["intake"], "sw HIS", None, databases=platform.stack.database_urls,
                                   namespace=platform.namespace)  # fmt: skip
        answered = await incident_of(platform, key, "SITE-SW-01")
        await incident_of(platform, key, "SITE-SW-01")  # a second, not answered yet: its clock still runs
        assert (await client.post(f"/api/v1/incidents/{answered}/acknowledge")).status_code == 200

    page = await signed_in(new_page, platform, "SUPERVISOR")
    await page.get_by_role("link", name="SLA report").click()
    await page.locator("#group_by").select_option("site")
    await page.get_by_role("button", name="Apply").click()
    row = page.locator("#row-SITE-SW-01")
    await expect(row).to_contain_text("西南示范医院")
    await expect(row.locator("td").nth(1)).to_have_text("2")
    await expect(row.locator("td").nth(4)).to_have_text("100.0 % (1 met, 0 missed)")  # the running clock not counted
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "report-sla-en")

    async with page.expect_download() as downloading:
        await page.locator("#csv").click()
    sheet = await downloading.value
    path = await sheet.path()
    assert path is not None
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("site,name,incidents,mtta_minutes,mttr_minutes,response_met,response_breached")
    [mine] = [line for line in lines if line.startswith("SITE-SW-01,")]
    cells = mine.split(",")
    assert cells[1:3] == ["西南示范医院", "2"] and cells[5:8] == ["1", "0", "100.0"], mine
