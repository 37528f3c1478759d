"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Each test module calls ``chromium.require()`` first: without Chromium (or the
``playwright`` package) it is skipped with one line, unless ``CI=true``, when it fails.
"""

import os
from pathlib import Path

import pytest

from . import chromium

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture(scope="module")
def browser():
    chromium.require()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the
    # tests make between browser steps are plain synchronous code all the same.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium.CHROMIUM, args=chromium.ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; afterwards, no request may have left the live server."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield page
    context.close()
    elsewhere = [url for url in requests if not url.startswith(live_server.url + "/")]
    assert requests and not elsewhere, f"requests that left the site: {elsewhere}"


@pytest.fixture
def screenshot(page):
    """``screenshot("name")`` saves the whole page as tests/screenshots/name.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
