"""Staff accounts kept from the pages in a real Chromium: an admin creates an engineer's account who then signs in,
and disabling it ends their session and refuses their sign-in; an account locked by wrong passwords is unlocked from
the page, and a new password, generated and shown once, ends the old session; a supervisor is refused, page and
form alike."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser import axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import signed_in
from tests.browser.test_console_sign_in import sign_in_by_keyboard, untranslated
from tests.e2e.conftest import Platform

PASSWORD = "a pass phrase for the new engineer"


async def _user_signs_in(new_page: PageFactory, platform: Platform, username: str, password: str) -> Page:
    page = await new_page()
    await page.goto(f"{platform.url}/console/sign-in")
    await sign_in_by_keyboard(page, username, password)
    await expect(page.locator("#who")).to_contain_text(f"({username})")
    return page


async def _accessible_and_translated(page: Page) -> None:
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))


async def test_an_admin_creates_an_engineer_who_signs_in_until_the_admin_disables_the_account(
    platform: Platform, new_page: PageFactory
) -> None:
    admin = await signed_in(new_page, platform, "ADMIN")
    await admin.get_by_role("link", name="Staff accounts").click()
    await admin.locator("#username").fill("zhao.lei")
    await admin.locator("#display_name").fill("Zhao Lei")
    await admin.locator("#role-engineer").check()
    await admin.locator("#engineer_id").select_option("ENG-NORTH-1")
    await admin.locator("#regions").fill("north")
    await admin.locator("#locale").select_option("en")
    await admin.locator("#password").fill(PASSWORD)
    await admin.locator("#password_again").fill(PASSWORD)
    await admin.locator("#password_again").press("Enter")
    await expect(admin.locator("#done")).to_have_text("Account zhao.lei created.")
    await expect(admin.locator("[id='account-zhao.lei']")).to_contain_text("Engineer")
    await _accessible_and_translated(admin)
    await shot(admin, "accounts-created-en")

    # the same user name again: the API's 409, said as a sentence, with what was typed kept
    await admin.locator("#username").fill("zhao.lei")
    await admin.locator("#display_name").fill("Another Zhao")
    await admin.locator("#role-call-agent").check()
    await admin.locator("#generate").check()
    await admin.locator("#create-account").click()
    await expect(admin.get_by_role("alert")).to_have_text("The user name zhao.lei is already taken: choose another.")
    await expect(admin.locator("#display_name")).to_have_value("Another Zhao")
    assert await admin.locator("#new-password").count() == 0

    engineer = await _user_signs_in(new_page, platform, "zhao.lei", PASSWORD)
    await expect(engineer.locator("main")).to_contain_text("ENG-NORTH-1")

    await admin.get_by_role("link", name="Manage the account zhao.lei").click()
    await _accessible_and_translated(admin)
    await admin.locator("#disable").focus()
    await admin.keyboard.press("Enter")
    await expect(admin.get_by_role("status")).to_have_text("zhao.lei is disabled: their sessions have ended.")
    await expect(admin.locator("#state")).to_have_text("disabled")

    await engineer.reload()
    await expect(engineer).to_have_url(re.compile(r"/console/sign-in$"))  # the session ended
    await sign_in_by_keyboard(engineer, "zhao.lei", PASSWORD)
    await expect(engineer.get_by_role("alert")).to_contain_text("or the account is disabled")

    await admin.locator("#enable").click()
    await expect(admin.locator("#state")).to_have_text("active")
    await _user_signs_in(new_page, platform, "zhao.lei", PASSWORD)

    await admin.locator("#role-supervisor").check()
    await admin.locator("#regions").fill("north, east")
    await admin.locator("#locale").select_option("zh-CN")
    await admin.locator("#save-account").click()
    await expect(admin.get_by_role("status")).to_have_text("The changes to zhao.lei are saved.")
    await expect(admin.locator("#roles")).to_have_text("Engineer, Supervisor")
    await expect(admin.locator("#regions-now")).to_have_text("north, east")
    await admin.locator("#time_zone").fill("Mars/Olympus_Mons")
    await admin.locator("#save-account").click()  # refused by the API: said on the page
    await expect(admin.get_by_role("alert")).to_contain_text("Not saved: time_zone")
    await expect(admin.locator("#regions-now")).to_have_text("north, east")


async def test_a_locked_account_is_unlocked_from_the_page_and_a_new_password_is_shown_once(
    platform: Platform, new_page: PageFactory
) -> None:
    body = {"username": "chen.jing", "display_name": "Chen Jing", "password": PASSWORD, "roles": ["call-agent"],
            "locale": "zh-CN"}  # fmt: skip
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as api:
        admin_token = {"Authorization": f"Bearer {platform.admin_token}"}
        assert (await api.post("/api/v1/accounts", json=body, headers=admin_token)).status_code == 201
        for _ in range(5):
            wrong = await api.post("/api/v1/auth/token", data={"username": "chen.jing", "password": "not it at all"})
        assert wrong.status_code == 423, wrong.text

    admin = await signed_in(new_page, platform, "ADMIN", locale="zh-CN")
    await admin.goto(f"{platform.url}/console/admin/accounts/chen.jing?lang=zh-CN")
    await expect(admin.locator("#state")).to_contain_text("已锁定")
    await _accessible_and_translated(admin)
    await shot(admin, "account-locked-zh-CN")
    await admin.locator("#unlock").click()
    await expect(admin.get_by_role("status")).to_have_text("chen.jing 已解除锁定，可以再次登录。")
    await expect(admin.locator("#state")).to_have_text("正常")
    agent = await _user_signs_in(new_page, platform, "chen.jing", PASSWORD)

    await admin.locator("#generate").check()
    await admin.locator("#reset-password").click()
    await expect(admin.get_by_role("status")).to_have_text("chen.jing 已设置新密码，其会话已全部结束。")
    new_password = await admin.locator("#new-password").input_value()
    assert len(new_password) >= 20 and new_password != PASSWORD
    await _accessible_and_translated(admin)
    await agent.reload()
    await expect(agent).to_have_url(re.compile(r"/console/sign-in$"))  # a new password ends the sessions
    await _user_signs_in(new_page, platform, "chen.jing", new_password)
    await admin.goto(f"{platform.url}/console/admin/accounts/chen.jing")
    assert await admin.locator("#new-password").count() == 0, "the password is never shown again"


async def test_a_supervisor_is_refused_the_accounts_pages_and_their_forms(
    platform: Platform, new_page: PageFactory
) -> None:
    supervisor = await signed_in(new_page, platform, "SUPERVISOR")
    for path in ("/console/admin/accounts", "/console/admin/accounts/li.wei"):
        answer = await supervisor.goto(f"{platform.url}{path}")
        assert answer is not None and answer.status == 403, path
        await expect(supervisor.locator("main")).to_contain_text("Only administrators may open this page.")
    await supervisor.goto(f"{platform.url}/console/")
    csrf = await supervisor.locator("input[name=csrf]").first.input_value()  # this session's own, valid token
    forms: dict[str, dict[str, str | float | bool]] = {
        "/li.wei/disable": {"csrf": csrf},
        "": {"csrf": csrf, "username": "sneaky", "display_name": "S", "roles": "admin", "generate": "1"},
    }
    for action, form in forms.items():
        refused = await supervisor.request.post(f"{platform.url}/console/admin/accounts{action}", form=form)
        assert refused.status == 403, action
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as api:
        admin_token = {"Authorization": f"Bearer {platform.admin_token}"}
        assert (await api.get("/api/v1/accounts/li.wei", headers=admin_token)).json()["disabled"] is False
        assert (await api.get("/api/v1/accounts/sneaky", headers=admin_token)).status_code == 404
