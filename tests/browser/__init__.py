"""Pages in a real Chromium (Debian's, driven by Playwright), checked with axe-core: the helpers the browser tests
share. The fixtures (browser, page, new_page) are in conftest.py; `make test` installs both browser parts."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Final, TypedDict

from playwright.async_api import Page, ViewportSize

HERE: Final = Path(__file__).parent
AXE_JS: Final = HERE / "node_modules" / "axe-core" / "axe.min.js"  # put there by `make browser-deps`
ARTIFACTS: Final = HERE / "artifacts"  # screenshots, gitignored

PHONE: Final[ViewportSize] = {"width": 375, "height": 812}
DESKTOP: Final[ViewportSize] = {"width": 1280, "height": 800}

# Impacts that fail a page; axe's "minor" and "moderate" ones are left to review.
BLOCKING_IMPACTS: Final = frozenset({"serious", "critical"})


class AxeNode(TypedDict):
    target: list[Any]
    html: str
    failureSummary: str


class Violation(TypedDict):
    id: str
    impact: str
    help: str
    helpUrl: str
    tags: list[str]
    nodes: list[AxeNode]


@functools.cache
def axe_source() -> str:
    """axe.min.js, read once."""
    return AXE_JS.read_text(encoding="utf-8")


async def axe(page: Page) -> list[Violation]:
    """The serious and critical accessibility violations axe-core finds in the page's main frame as it stands.

    axe-core is evaluated into the page through the DevTools protocol (as @axe-core/playwright does), not added as
    a <script>: no network, and a page whose Content-Security-Policy forbids inline scripts is checked all the same,
    with its policy still enforced for everything else (no bypass_csp)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    violations: list[Violation] = await page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
                nodes: v.nodes.map((n) => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
            }));
        }"""
    )
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[Violation]) -> str:
    """A readable list for an assertion message: rule, impact, what it asks, and the offending elements."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        lines.extend(f"    {node['target']}: {node['html']}" for node in v["nodes"])
    return "\n".join(lines)


async def shot(page: Page, name: str) -> Path:
    """A full-page PNG screenshot in tests/browser/artifacts/NAME.png (overwritten each run); its path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = ARTIFACTS / f"{safe}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    return path
