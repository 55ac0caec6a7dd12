"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, against
pytest-django's live server on a seeded database.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which CI installs
from Debian (see .ci/run). Without it the tests fail, they do not skip.

Every test leaves a full-page screenshot of the last page it saw in
test-artifacts/screenshots/<test name>.png (and, through ``snap``, of the pages before).
"""

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from tests.conftest import NEW_YORK, load_seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all browser tests."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}, which is missing. Install it with "
            "`apt-get update && apt-get install -y --no-install-recommends chromium` "
            "(never `playwright install`); .ci/run does it on a fresh machine.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "The browser tests need Playwright: `.venv/bin/pip install -r requirements-dev.txt`.",
            pytrace=False,
        )

    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    # refuse ORM calls ("You cannot call this from an async context"). The ORM calls of
    # these tests (seeding, expected figures) are plain synchronous code, so allow them,
    # for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def screenshot_path(request, suffix: str = "") -> Path:
    name = re.sub(r"[^\w.-]+", "_", request.node.name) + (f"-{suffix}" if suffix else "")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


@pytest.fixture
def page(browser, request, site):
    """A fresh page at desktop size (own context: no cookies or storage shared between
    tests). When the test ends, pass or fail, the page it is on is saved as a full-page
    screenshot."""
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    try:
        yield page
    finally:
        try:
            if page.url.startswith("http"):
                page.screenshot(path=str(screenshot_path(request)), full_page=True)
        finally:
            context.close()


@pytest.fixture
def snap(page, request):
    """``snap("step")`` saves the current page as test-artifacts/screenshots/<test name>-step.png."""

    def take(suffix: str) -> Path:
        path = screenshot_path(request, suffix)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def site(request, transactional_db, live_server, settings, seed_snapshot):
    """The live server, on the database after `manage.py seed`, on 2026-11-22 in New York.

    The live server runs in a thread of this process, so it sees this test's database
    rows (committed: ``transactional_db``), the settings below and the pinned clock. The
    flush at the end of each test also removes the staff roles that a migration created;
    the fixtures that need them make them again (tests.helpers.ensure_roles).
    """
    # Static files from the apps' folders, without collectstatic's manifest (as in the
    # admin tests' ``plain_static_files``); the live server serves them itself.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    # A moving clock (tick=True): the server thread, sockets and Playwright keep working.
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=NEW_YORK), tick=True):
        from tracker.models import Treaty

        load_seed(seed_snapshot)  # the rows of `manage.py seed` (tests/conftest.py)
        live_server.treaty = Treaty.objects.get(slug="hanoi-convention")
        yield live_server
