"""Browser fixtures: Debian's Chromium driven by Playwright against the app served on a loopback port.

The live server is a second app on the session's database (the `app` fixture migrated it), with CSRF
on as in production and plain-HTTP cookies. The autouse fixture in tests/conftest.py empties every
table after each test, so each test builds the data it needs (fair.demo.build_demo or the factories).

Chromium is looked for at $FAIR_CHROMIUM, /usr/bin/chromium, then on PATH. Without it the browser
tests skip, unless FAIR_REQUIRE_BROWSER is set (CI sets it): then they fail, so CI never skips silently."""
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from fair import create_app
from fair.demo import DEMO_PASSWORD, build_demo
from tests.conftest import test_config

# This machine has no internet: nothing in Chromium may try to reach it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TIMEOUT_MS = 15_000


def _required() -> bool:
    return os.environ.get("FAIR_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"{reason} (FAIR_REQUIRE_BROWSER is set, so the browser tests may not skip)", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    """$FAIR_CHROMIUM, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    candidates = [os.environ.get("FAIR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        looked = os.environ.get("FAIR_CHROMIUM") or "/usr/bin/chromium"
        _unavailable(f"Chromium not found at {looked} nor on PATH; install Debian's chromium package")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed; pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _ServerThread(threading.Thread):
    def __init__(self, app):
        super().__init__(name="live-server", daemon=True)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def run(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.join(timeout=10)


@pytest.fixture(scope="session")
def live_app(app, database_url, tmp_path_factory):
    """Depends on `app`, which has migrated the schema this app uses."""
    return create_app(test_config(
        database_url, str(tmp_path_factory.mktemp("live-instance")),
        WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False))


@pytest.fixture(scope="session")
def live_server(live_app) -> str:
    """The base URL of the live app, served in a daemon thread until the session ends."""
    thread = _ServerThread(live_app)
    thread.start()
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)      # one line per request would bury a failure's story
    yield thread.url
    requests_log.setLevel(level)
    thread.stop()


@dataclass
class Problems:
    """What the browser complained about: console errors (CSP violations among them) and uncaught errors."""
    messages: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        def console(message) -> None:
            if message.type != "error":
                return
            # Chromium logs a page's own 4xx status (a refused log-in is a 401, a missing page a 404) as a
            # failed load; the app answers so on purpose. A stylesheet or script that fails still counts.
            own_status = message.text.startswith("Failed to load resource") and \
                message.location.get("url") == page.url
            if not own_status:
                self.messages.append(f"console: {message.text} ({message.location.get('url')})")

        page.on("console", console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error} ({page.url})"))


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def new_context(browser, live_server, problems):
    """new_context(viewport=PHONE, locale="en-US") → a fresh browser context (own cookies) on the live
    server; each page opened in it reports to `problems`. Closed at the end of the test."""
    contexts = []

    def make(viewport: dict | None = None, locale: str = "zh-CN"):
        context = browser.new_context(base_url=live_server, viewport=viewport or DESKTOP, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", problems.watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a new desktop-sized context whose browser asks for Chinese, as most users' do."""
    return new_context().new_page()


@pytest.fixture
def demo():
    """The demo fair and its people (fair.demo.PEOPLE), built through the services."""
    return build_demo()


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the log-in form, as a person would, in either language; waits for the page after it."""
    page.goto("/login")
    form = page.locator("main form")
    form.locator("#email").fill(email)
    form.locator("#password").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
