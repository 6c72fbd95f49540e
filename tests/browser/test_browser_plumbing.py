"""The browser plumbing itself, on tiny pages served here: Chromium opens them, the keyboard alone operates a form,
axe-core passes a good page and catches a bad one, and screenshots land in tests/browser/artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import Page, expect

from tests.browser import PHONE, axe, describe, shot
from tests.browser.conftest import PageFactory

# A strict policy, as real pages should have: no inline script or style. axe must still run under it.
CSP = "default-src 'self'"

FORM = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Find a patient</title>
  <link rel="stylesheet" href="/site.css">
  <script src="/app.js" defer></script>
</head>
<body>
  <main>
    <h1>Find a patient</h1>
    <form id="search">
      <label for="patient">Patient name</label>
      <input id="patient" name="patient" autocomplete="off">
      <button type="submit">Search</button>
    </form>
    <p id="result" role="status">No search yet.</p>
  </main>
  <script>window.inlineRan = true;</script>
</body>
</html>
"""

APP_JS = """document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = document.getElementById("patient").value.trim();
  document.getElementById("result").textContent = `Searching for ${name} (${navigator.language})`;
});
"""

BROKEN = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Broken on purpose</title>
  <link rel="stylesheet" href="/site.css">
</head>
<body>
  <main>
    <h1>Broken on purpose</h1>
    <p class="faint">Grey on white, barely readable.</p>
    <input id="nameless" type="text">
  </main>
</body>
</html>
"""

SITE_CSS = """body { font: 16px/1.5 sans-serif; margin: 1rem; color: #111; background: #fff; }
form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
input, button { font: inherit; padding: 0.4rem 0.6rem; }
.faint { color: #c8c8c8; }
"""

FILES = {
    "/form.html": ("text/html; charset=utf-8", FORM),
    "/broken.html": ("text/html; charset=utf-8", BROKEN),
    "/app.js": ("text/javascript; charset=utf-8", APP_JS),
    "/site.css": ("text/css; charset=utf-8", SITE_CSS),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path not in FILES:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        content_type, text = FILES[self.path]
        body = text.encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The pages above on 127.0.0.1 at a free port; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="test-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def test_a_form_works_by_keyboard_alone_and_passes_axe(page: Page, site: str) -> None:
    await page.goto(f"{site}/form.html")
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.id") == "patient"
    await page.keyboard.type("Ada Lovelace")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Searching for Ada Lovelace (en-GB)")

    # The page's policy is enforced (its inline script was blocked), and axe ran regardless.
    assert await page.evaluate("() => window.inlineRan") is None
    violations = await axe(page)
    assert not violations, describe(violations)
    path = await shot(page, "plumbing-form-desktop")
    assert path.stat().st_size > 1000


async def test_a_phone_viewport_and_another_locale(new_page: PageFactory, site: str) -> None:
    page = await new_page(viewport=PHONE, locale="de-DE")
    await page.goto(f"{site}/form.html")
    assert await page.evaluate("() => [window.innerWidth, navigator.language]") == [375, "de-DE"]
    await page.get_by_label("Patient name").fill("Grace Hopper")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Searching for Grace Hopper (de-DE)")
    violations = await axe(page)
    assert not violations, describe(violations)
    await shot(page, "plumbing-form-phone")


async def test_axe_catches_an_unlabelled_input_and_low_contrast(page: Page, site: str) -> None:
    await page.goto(f"{site}/broken.html")
    violations = await axe(page)
    found = {v["id"] for v in violations}
    assert {"label", "color-contrast"} <= found, describe(violations)
    await shot(page, "plumbing-broken")
