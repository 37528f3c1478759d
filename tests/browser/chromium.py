"""Where the browser tests find Chromium, and whether they can run here.

Debian's ``chromium`` package (``make test`` installs it); Playwright's own browser
download is never used. ``ATM_CHROMIUM`` points at another binary.
"""

import os

CHROMIUM = os.environ.get("ATM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (`make test` installs Debian's chromium package)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require() -> None:
    """Skip the calling test module with one line, or fail it when ``CI=true``."""
    import pytest

    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs the browser tests: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)
