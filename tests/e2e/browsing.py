"""What the browser tests do over and over: sign in, photograph a page, ask axe about it."""

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's own browser download does not work on these machines; Debian's build does.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"  # git-ignored: for a developer to open
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"  # committed: shown in the README
PASSWORD = "correct horse battery staple"
# Long enough for a slow CI machine, short enough that a missing element fails quickly.
TIMEOUT_MS = 10_000

# axe-core's four impacts are minor, moderate, serious and critical; the last two fail a test.
BLOCKING_IMPACTS = {"serious", "critical"}
# WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices (landmarks, headings, …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
_axe = Axe()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile(r"^Password\W*$")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as var/screenshots/<name>.png, where a developer can open it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="initial")
    return path


def axe_violations(page: Page, *, rules: list[str] | None = None) -> list[dict]:
    """Every axe-core violation on the page as it is now (all impacts)."""
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    else:
        options["runOnly"] = {"type": "tag", "values": AXE_TAGS}
    return _axe.run(page, options=options).response["violations"]


def describe(violations: list[dict]) -> str:
    """One line per violation and up to three of its elements: enough to find and fix it."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:3]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def press_tab_until(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus.

    Only key presses move the focus; the page is read, never clicked.
    """
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab pressed {limit} times never reached {selector}")


def focus_ring(page: Page) -> dict:
    """The focused element's outline, as the browser draws it now."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(),
                text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
                focusVisible: el.matches(':focus-visible'),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth),
                outlineColor: style.outlineColor,
            };
        }"""
    )
