"""Full-page screenshots of the key pages, for looking at what people see.

    python scripts/screenshots.py [OUTPUT]        (default ./screenshots, which git ignores)

Serves the app on a fresh temporary SQLite database holding the demo fair, then drives Debian's
Chromium through Playwright at phone, tablet and desktop widths, in Chinese and English. Files are
named <language>-<width>-<page>.png. Pages wider than the window are listed at the end."""
import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from fair import LANGUAGE_COOKIE, create_app  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.auth.models import Role  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402

WIDTHS = (390, 768, 1366)
LANGUAGES = ("zh_Hans", "en")
HEIGHT = 900
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def build_app(workdir: Path):
    app = create_app({
        "INSTANCE_PATH": str(workdir / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'fair.sqlite'}",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": False,     # one log-in per language, width and person adds up
    })
    with app.app_context():
        upgrade()
        demo = build_demo()
        organizer = auth.find_user("organizer@demo.fair")
        # Something on the people page's list of pending invitations.
        auth.invite(demo.fair, "volunteer@example.cn", Role.exhibitor, name="周晓梅", actor=organizer)
        auth.invite(demo.fair, "a.very.long.address.for.a.judge@university-example.edu.cn", Role.judge,
                    actor=organizer)
    return app


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="screenshots-server", daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def find_chromium() -> str:
    for candidate in (os.environ.get("FAIR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    sys.exit("Chromium not found; install Debian's chromium package (apt-get install chromium fonts-noto-cjk)")


class Shooter:
    def __init__(self, browser, base_url: str, output: Path):
        self.browser = browser
        self.base_url = base_url
        self.output = output
        self.overflowing: list[str] = []
        self.taken = 0

    def context(self, language: str, width: int):
        context = self.browser.new_context(base_url=self.base_url, viewport={"width": width, "height": HEIGHT},
                                           locale="zh-CN" if language.startswith("zh") else "en-US")
        context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": self.base_url}])
        context.set_default_timeout(15_000)
        return context

    def shot(self, page, language: str, width: int, name: str) -> None:
        page.wait_for_load_state("load")
        path = self.output / f"{language}-{width}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken += 1
        extra = page.evaluate(OVERFLOW)
        if extra > 0:
            self.overflowing.append(f"{path.name}: {extra}px wider than the window")

    def log_in(self, page, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/login")
        page.locator("main form #email").fill(email)
        page.locator("main form #password").fill(password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()

    def run(self, language: str, width: int) -> None:
        anonymous = self.context(language, width)
        page = anonymous.new_page()
        page.goto("/")
        self.shot(page, language, width, "01-welcome")
        page.goto("/login")
        self.shot(page, language, width, "02-login")
        page.goto(f"/fairs/{DEMO_SLUG}/plan")
        self.shot(page, language, width, "23-public-plan")
        page.goto(f"/fairs/{DEMO_SLUG}/plan?q=A-01")
        self.shot(page, language, width, "24-public-plan-search")
        page.goto(page.locator('g[data-code="A-01"] a').first.get_attribute("href"))
        self.shot(page, language, width, "25-project-page")
        page.goto(f"/fairs/{DEMO_SLUG}/sponsorship/catalog")
        self.shot(page, language, width, "40-catalog-public")
        page.goto(f"/fairs/{DEMO_SLUG}/sponsorship/wall")
        self.shot(page, language, width, "41-signing-wall")
        page.goto(f"/fairs/{DEMO_SLUG}/numbers")
        self.shot(page, language, width, "42-fair-in-numbers")
        self.log_in(page, "organizer@demo.fair", "not the password")
        self.shot(page, language, width, "03-login-error")
        anonymous.close()

        organizer = self.context(language, width)
        page = organizer.new_page()
        self.log_in(page, "organizer@demo.fair")
        self.shot(page, language, width, "04-home-organizer")
        page.goto(f"/fairs/{DEMO_SLUG}/")
        self.shot(page, language, width, "05-overview-organizer")
        if width < 992:     # the collapsed menu, opened
            page.locator(".navbar-toggler").click()
            page.locator("#main-nav.show").wait_for()
            page.wait_for_timeout(400)      # Bootstrap's collapse transition
            self.shot(page, language, width, "05b-overview-organizer-menu")
        page.goto(f"/fairs/{DEMO_SLUG}/edit")
        page.locator("#ends_on").fill("2020-01-01")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        self.shot(page, language, width, "06-edit-error")
        page.goto(f"/fairs/{DEMO_SLUG}/people")
        self.shot(page, language, width, "07-people")
        page.goto(f"/fairs/{DEMO_SLUG}/audit")
        self.shot(page, language, width, "08-audit")
        page.goto(f"/fairs/{DEMO_SLUG}/booths")
        self.shot(page, language, width, "20-booth-plan-editor")
        page.goto(f"/fairs/{DEMO_SLUG}/booths/allocation")
        self.shot(page, language, width, "21-booth-allocation")
        page.goto(f"/fairs/{DEMO_SLUG}/booths/A-01/placement")
        self.shot(page, language, width, "22-booth-placement")
        page.goto(f"/fairs/{DEMO_SLUG}/console")
        self.shot(page, language, width, "30-dashboard")
        for name, path in (("50-sponsors", "sponsors"), ("51-meeting-grid", "meetings/grid"),
                           ("52-agreements-organizer", "agreements"), ("53-ceremony", "signing-ceremony"),
                           ("54-ledger", "ledger"), ("55-caring-units", "caring-units")):
            page.goto(f"/fairs/{DEMO_SLUG}/sponsorship/{path}")
            self.shot(page, language, width, name)
        page.goto("/fairs/no-such-fair/")
        self.shot(page, language, width, "09-not-found")
        organizer.close()

        sponsor = self.context(language, width)
        page = sponsor.new_page()
        self.log_in(page, "sponsor@demo.fair")
        for name, path in (("60-catalog-sponsor", "catalog"), ("61-recommendations", "recommendations"),
                           ("62-sponsor-profile", "profile"), ("63-sponsor-meetings", "meetings"),
                           ("64-sponsor-agreements", "agreements")):
            page.goto(f"/fairs/{DEMO_SLUG}/sponsorship/{path}")
            self.shot(page, language, width, name)
        page.locator("main a[href*='/sponsorship/agreements/']").first.click()
        self.shot(page, language, width, "65-agreement")
        sponsor.close()

        judge = self.context(language, width)
        page = judge.new_page()
        self.log_in(page, "judge@demo.fair")
        page.goto(f"/fairs/{DEMO_SLUG}/")
        self.shot(page, language, width, "10-overview-judge")
        page.goto(f"/fairs/{DEMO_SLUG}/edit")
        self.shot(page, language, width, "11-forbidden")
        judge.close()

        exhibitor = self.context(language, width)
        page = exhibitor.new_page()
        self.log_in(page, "exhibitor@demo.fair")
        page.goto(f"/fairs/{DEMO_SLUG}/my-booth")
        self.shot(page, language, width, "26-my-booth")
        for name, path in (("70-exhibitor-recommendations", "recommendations"), ("71-exhibitor-meetings", "meetings"),
                           ("72-exhibitor-agreements", "agreements")):
            page.goto(f"/fairs/{DEMO_SLUG}/sponsorship/{path}")
            self.shot(page, language, width, name)
        exhibitor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="screenshots", help="folder for the PNGs (default: %(default)s)")
    parser.add_argument("--width", type=int, action="append", help=f"window width; repeatable (default: {WIDTHS})")
    parser.add_argument("--language", choices=LANGUAGES, action="append", help="default: both")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)     # not a line per request
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from playwright.sync_api import sync_playwright

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="fair-screenshots-") as workdir:
        app = build_app(Path(workdir))
        server, base_url = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
                shooter = Shooter(browser, base_url, output)
                for language in args.language or LANGUAGES:
                    for width in args.width or WIDTHS:
                        print(f"{language} at {width}px", flush=True)
                        shooter.run(language, width)
                browser.close()
        finally:
            server.shutdown()
    print(f"{shooter.taken} screenshots in {output.resolve()}")
    if shooter.overflowing:
        print("Wider than the window:")
        for line in shooter.overflowing:
            print(f"  {line}")


if __name__ == "__main__":
    main()
