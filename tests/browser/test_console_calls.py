"""The call centre in a real Chromium, keyboard only: the telephony system opens the page with the caller's number
(or the agent types it), the hospital is found, its open incidents, the maintenance running and who is on call
shown; logging the call opens the incident and gives its id and deadline to read out; a second call about the same
fault is added to that incident, not a new one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, Response, expect

from tests.browser import axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import signed_in
from tests.browser.test_console_sign_in import untranslated
from tests.e2e.conftest import Platform
from tests.support import eventually

SOUTH_PHONE = "020 5555 0303"  # the south demo hospital's number, as a caller ID shows it nationally


async def log_by_keyboard(page: Page, role: str, description: str) -> None:
    """The caller's role field has the focus once the hospital is shown: Tab through the form, Enter on the button."""
    await expect(page.locator("#caller_role")).to_be_focused()
    await page.keyboard.type(role)
    await page.keyboard.press("Tab")  # the call-back number, filled from the caller ID
    await page.keyboard.press("Tab")  # severity: major
    await page.keyboard.press("Tab")
    await page.keyboard.type(description)
    await page.keyboard.press("Tab")
    await expect(page.locator("#log-call")).to_be_focused()
    await page.keyboard.press("Enter")


async def test_an_agent_logs_two_calls_about_one_fault_with_the_keyboard_alone(
    platform: Platform, new_page: PageFactory
) -> None:
    page = await signed_in(new_page, platform, "AGENT", locale="zh-CN")

    loaded: list[Response] = []
    page.on("response", lambda response: loaded.append(response))
    await page.goto(f"{platform.url}/console/calls/new?phone={SOUTH_PHONE}")
    await expect(page.locator("#site-name")).to_contain_text("South Demo Hospital")
    await expect(page.locator("#on-call")).to_contain_text("L1: ENG-SOUTH-1")
    weight = sum([len(await r.body()) for r in loaded])
    assert weight < 200_000, f"{weight} bytes on the call page's first load"
    assert all(r.url.startswith(platform.url) for r in loaded), "nothing from outside the console"
    await expect(page.locator("#open-incidents")).to_have_text("无未关闭工单。")
    await expect(page.locator("#maintenance")).to_have_text("当前没有进行中的维护。")
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "call-new-zh-CN")
    await log_by_keyboard(page, "放射科技师", "PACS 工作站无法调阅昨日的 CT 影像")
    await expect(page.locator("h1")).to_have_text("来电已记录")
    incident_id = (await page.locator("#incident-id").inner_text()).strip()
    assert re.fullmatch(r"INC-[0-9A-F]+", incident_id)
    await expect(page.locator("#deadline")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC\+08:00$"))
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "call-logged-zh-CN")

    # the same fault, a second caller: the open incident is offered first and the call is added to it
    await page.goto(f"{platform.url}/console/calls/new?phone={SOUTH_PHONE}")
    await expect(page.locator(f"#open-{incident_id}")).to_be_visible()
    await expect(page.locator(f"#about-{incident_id}")).to_be_checked()
    await log_by_keyboard(page, "放射科主任", "仍然无法调阅，影响早上的门诊")
    await expect(page.locator("#incident-id")).to_have_text(incident_id)
    await expect(page.locator("#read-back")).to_contain_text("并入")

    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        admin = {"Authorization": f"Bearer {platform.admin_token}"}
        south = (await client.get("/api/v1/incidents", params={"site_id": "SITE-SOUTH-01"}, headers=admin)).json()
        incident = (await client.get(f"/api/v1/incidents/{incident_id}", headers=admin)).json()
    assert [i["incident_id"] for i in south["items"]] == [incident_id], "one incident for the two calls"
    assert incident["occurrences"] == 2


async def test_the_search_answers_as_the_agent_types_a_chinese_name(platform: Platform, new_page: PageFactory) -> None:
    page = await signed_in(new_page, platform, "AGENT")
    await page.goto(f"{platform.url}/console/calls/new?lang=en")
    await expect(page.locator("#q")).to_be_focused()
    await page.keyboard.type("北区示范")
    await expect(page.locator("#site-SITE-NORTH-01")).to_be_visible()  # without pressing Enter
    assert await page.locator("#site-SITE-SOUTH-01").count() == 0
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")  # past the search button, onto the hospital
    await expect(page.locator("#site-SITE-NORTH-01")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#site-name")).to_contain_text("North Demo Hospital")
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "call-site-en")


async def test_the_agent_types_the_callers_number_and_the_hospitals_card_appears(
    platform: Platform, new_page: PageFactory
) -> None:
    page = await signed_in(new_page, platform, "AGENT")
    await page.goto(f"{platform.url}/console/calls/new?lang=en")  # no ?phone=: the telephony system did not say
    await expect(page.locator("#q")).to_be_focused()
    await page.keyboard.type(SOUTH_PHONE)
    await expect(page.locator("#site-SITE-SOUTH-01")).to_be_visible()  # found as the digits are typed
    await page.keyboard.press("Enter")
    await expect(page.locator("#site-name")).to_contain_text("South Demo Hospital")
    await expect(page.locator("#on-call")).to_contain_text("L1: ENG-SOUTH-1")
    await expect(page.locator("#caller_role")).to_be_focused()  # the agent goes on to the call itself


async def test_the_call_card_shows_the_maintenance_running_at_the_hospital_and_about_to_start(
    platform: Platform, new_page: PageFactory
) -> None:
    now = datetime.now(UTC)
    running = {
        "site_id": "SITE-NORTH-01",
        "host": "PACS-DB-01",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "kind": "upgrade",
        "reason": "Database upgrade",
    }
    soon = {"site_id": "SITE-NORTH-01", "starts_at": (now + timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(), "kind": "patch", "reason": "Viewer hotfix"}  # fmt: skip
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        planned = [(await client.post("/api/v1/maintenance-windows", json=w)).json() for w in (running, soon)]
        first, second = (w["window_id"] for w in planned)
        try:

            async def started() -> bool:
                got = await client.get(f"/api/v1/maintenance-windows/{first}")
                return bool(got.json()["state"] == "active")

            await eventually(started, timeout=15, what="the database upgrade window started")
            page = await signed_in(new_page, platform, "AGENT")
            await page.goto(f"{platform.url}/console/calls/new?lang=en&q=SITE-NORTH-01")
            now_running = page.locator(f"#window-{first}")
            await expect(now_running).to_contain_text(re.compile(r"Running until \d{4}-\d\d-\d\d \d\d:\d\d UTC\+08:00"))
            await expect(now_running).to_contain_text("upgrade · host PACS-DB-01 · Database upgrade")
            await expect(page.locator(f"#window-{second}")).to_contain_text("patch · the whole site · Viewer hotfix")
            await expect(page.locator(f"#window-{second}")).to_contain_text("Starts ")
            assert await untranslated(page) == []
            assert not describe(await axe(page)), describe(await axe(page))
            await shot(page, "call-maintenance-en")
        finally:
            for window_id in (first, second):
                await client.delete(f"/api/v1/maintenance-windows/{window_id}")
