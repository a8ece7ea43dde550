"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against a live server.

The live server runs in a thread of this process, on the real PostgreSQL test database
(transactional: the browser's requests and the test see the same committed rows). Celery runs
eagerly and mail goes to Django's locmem outbox, so a test reads the e-mails people get.

Without Chromium or PostgreSQL these tests skip locally and fail under CI=true.
"""

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import require_service

from .browsing import CHROMIUM, CHROMIUM_ARGS, DESKTOP, SCREENSHOTS, TIMEOUT_MS

FAILED_SCREENSHOTS = SCREENSHOTS / "failed"


@dataclass
class Site:
    url: str
    mail: list


@pytest.fixture
def site(postgres, live_server, settings, mailoutbox, tmp_path) -> Site:
    """The live help desk: e-mail links point at it, uploads land in a temporary folder."""
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    return Site(url=live_server.url, mail=mailoutbox)


@pytest.fixture
def browser(site, monkeypatch) -> Iterator:
    """Chromium, started once the test database is ready and stopped before it is flushed.

    Playwright's sync API leaves its event loop marked as running on this thread while the
    browser is up. Django then sees an "async context": it refuses ORM calls unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set, and hands this thread a second database connection
    (connections are per async context). Starting the browser per test, after pytest-django
    has prepared the database on its own connection, keeps that setup (and the flush at the
    end) on the connection it knows; the second one is closed here before the browser stops.
    """
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        require_service("Chromium", f"{CHROMIUM} not found (run .ci/install-chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import Error, sync_playwright

    manager = sync_playwright().start()
    try:
        try:
            chromium = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            require_service("Chromium", f"{CHROMIUM} did not start: {error}")
        yield chromium
        chromium.close()
    finally:
        connections.close_all()  # the test's own connection, opened while the loop ran
        manager.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(site, browser, request) -> Iterator[Callable]:
    """new_page(**context options) → a page in a fresh browser context (its own cookies):
    one per person, as if each sat at their own computer.

    When the test fails, each page's last state is saved in var/screenshots/failed/.
    """
    contexts = []

    def make(viewport: dict = DESKTOP, **options):
        context = browser.new_context(
            viewport=viewport,
            base_url=site.url,
            accept_downloads=True,
            locale="en-GB",
            timezone_id="Europe/Berlin",
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        FAILED_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts, start=1):
            for page in context.pages:
                name = f"{request.node.name}-{number}.png"
                page.screenshot(path=FAILED_SCREENSHOTS / name, full_page=True)
    for context in contexts:
        context.close()
