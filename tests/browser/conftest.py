"""One headless Chromium for the session (Debian's: Playwright cannot download its own build here) and a fresh
browser context, so fresh cookies and storage, for every page a test opens."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from tests.browser import AXE_JS, DESKTOP
from tests.e2e.conftest import Platform, started_platform

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
MISSING = "{what} is missing ({where}): run `make test` (or `make browser-deps`), which installs it."


def chromium_path() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(MISSING.format(what="Chromium", where=f"no {CHROMIUM}, none on PATH"), pytrace=False)
    return Path(found)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Fails, never skips, when Chromium or axe-core is missing: the browser tests are a required part."""
    executable = chromium_path()
    if not AXE_JS.is_file():
        pytest.fail(MISSING.format(what="axe-core", where=str(AXE_JS)), pytrace=False)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # Chromium's sandbox needs user namespaces and refuses root (as in CI); the pages are our own.
            chromium_sandbox=False,
            # A container's /dev/shm may be 64 MB, too small for the renderer: use /tmp instead.
            args=["--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            await browser.close()


class PageFactory(Protocol):
    async def __call__(self, *, viewport: ViewportSize = DESKTOP, locale: str = "en-GB") -> Page: ...


@pytest.fixture
async def new_page(browser: Browser) -> AsyncIterator[PageFactory]:
    """Opens a page in a context of its own at a viewport (tests.browser.PHONE, DESKTOP) and a locale (which sets
    navigator.language and the Accept-Language header); all closed when the test ends."""
    contexts: list[BrowserContext] = []

    async def open_page(*, viewport: ViewportSize = DESKTOP, locale: str = "en-GB") -> Page:
        context = await browser.new_context(viewport=viewport, locale=locale)
        contexts.append(context)
        return await context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            await context.close()


@pytest.fixture
async def page(new_page: PageFactory) -> Page:
    """A desktop-sized page in British English; new_page for another viewport or locale."""
    return await new_page()


@pytest.fixture(scope="session")
def platform(amqp_url: str) -> Iterator[Platform]:
    """The whole platform behind its gateway, seeded with the demo estate and staff accounts, for every page test."""
    with started_platform(amqp_url) as started:
        yield started
