"""Signing in to the console in a real Chromium, through the gateway of a running platform: keyboard only, in
Chinese and English with no untranslated key, a lockout after repeated wrong passwords, a form without its CSRF
token refused, and no serious accessibility violation on any page."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from playwright.async_api import Page, expect

from tests.browser import PHONE, axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.e2e.conftest import Platform


def catalogue_keys() -> set[str]:
    folder = resources.files("pacs_console").joinpath("locales")
    keys = {key for locale in ("en", "zh-CN") for key in json.loads(folder.joinpath(f"{locale}.json").read_text())}
    return keys


async def untranslated(page: Page) -> list[str]:
    """Catalogue keys shown as themselves: any word shaped like one (a known prefix, a dot, more), such as a
    state the catalogue lacks, not only the keys it has."""
    text = await page.locator("body").inner_text()
    prefixes = "|".join(sorted({key.split(".")[0] for key in catalogue_keys()}))
    return sorted(set(re.findall(rf"(?<![\w.])(?:{prefixes})\.[a-z_][\w.-]*", text)))


async def sign_in_by_keyboard(page: Page, username: str, password: str) -> None:
    """The user name field has the focus when the page opens; Tab to the password, Enter sends the form."""
    await expect(page.locator("#username")).to_be_focused()
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")


@pytest.mark.parametrize(("locale", "title"), [("zh-CN", "登录"), ("en-GB", "Sign in")])
async def test_an_agent_signs_in_and_out_with_the_keyboard_alone(
    platform: Platform, new_page: PageFactory, locale: str, title: str
) -> None:
    """The sign-in page speaks the browser's language; once signed in, the account's own (the demo agent's is
    Chinese), until the user switches."""
    user, password = platform.staff["AGENT"]
    page = await new_page(locale=locale)
    await page.goto(f"{platform.url}/console/")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await expect(page.locator("h1")).to_have_text(title)
    assert await page.evaluate("document.activeElement.id") == "username"
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, f"sign-in-{locale}")

    await sign_in_by_keyboard(page, user, password)
    await expect(page).to_have_url(re.compile(r"/console/$"))
    await expect(page.locator("#who")).to_contain_text(f"({user})")
    for language, signed_in_as, switch_to in (("zh-CN", "当前用户", "English"), ("en", "Signed in as", "中文")):
        assert signed_in_as in await page.locator("main").inner_text()
        assert await untranslated(page) == []
        assert not describe(await axe(page)), describe(await axe(page))
        await shot(page, f"home-{language}")
        await page.get_by_role("link", name=switch_to).click()

    sign_out = page.locator("form[action='/console/sign-out'] button")
    await sign_out.focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await page.goto(f"{platform.url}/console/")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))  # the session ended


async def test_the_language_switches_and_the_phone_width_page_needs_no_sideways_scrolling(
    platform: Platform, new_page: PageFactory
) -> None:
    page = await new_page(viewport=PHONE, locale="zh-CN")
    await page.goto(f"{platform.url}/console/sign-in")
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("h1")).to_have_text("Sign in")
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.goto(f"{platform.url}/console/sign-in")
    await expect(page.locator("h1")).to_have_text("Sign in")  # the choice is remembered
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "sign-in-en-phone")


async def test_wrong_passwords_lock_the_account_and_the_page_says_so(platform: Platform, new_page: PageFactory) -> None:
    user, password = platform.staff["ENGINEER2"]
    page = await new_page(locale="en-GB")
    await page.goto(f"{platform.url}/console/sign-in")
    for _ in range(4):
        await page.locator("#username").fill(user)
        await page.locator("#password").fill("a wrong password, again")
        await page.locator("#password").press("Enter")
        await expect(page.get_by_role("alert")).to_contain_text("wrong")
    await page.locator("#password").fill("a wrong password, again")
    await page.locator("#password").press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("locked")
    await page.locator("#password").fill(password)
    await page.locator("#password").press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("locked")  # the right password waits out the lock
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "sign-in-locked-en")


async def test_a_form_posted_without_its_csrf_token_is_refused(platform: Platform, new_page: PageFactory) -> None:
    user, password = platform.staff["SUPERVISOR"]
    page = await new_page(locale="en-GB")
    await page.goto(f"{platform.url}/console/sign-in")
    forged = await page.request.post(f"{platform.url}/console/sign-in", form={"username": user, "password": password})
    assert forged.status == 403
    await page.goto(f"{platform.url}/console/")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))  # no session came of it
