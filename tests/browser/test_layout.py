"""Phones: nothing wider than the screen, a working nav toggler. Every page: no console errors or CSP
violations (Chromium reports a blocked inline script or style as a console error)."""
import pytest
from playwright.sync_api import expect

from fair.demo import DEMO_SLUG
from tests.browser.conftest import PHONE, log_in

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def check_phone_page(page) -> None:
    assert page.evaluate(OVERFLOW) <= 0, f"{page.url} is wider than the phone's screen"
    menu = page.locator("#main-nav")
    expect(menu).to_be_hidden()
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(menu).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link").first).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0, f"{page.url} is wider than the phone's screen with the menu open"


def test_phone_pages_fit_and_the_menu_opens(new_context, demo, problems):
    page = new_context(viewport=PHONE).new_page()
    for path in ("/login", "/"):
        page.goto(path)
        check_phone_page(page)
    log_in(page, "organizer@demo.fair")
    for path in ("/", f"/fairs/{DEMO_SLUG}/"):
        page.goto(path)
        check_phone_page(page)
    # The fair's sections sit in a bar of their own that scrolls sideways inside the screen.
    fair_bar = page.get_by_role("navigation", name=demo.fair.name)
    expect(fair_bar.get_by_role("link", name="概览")).to_be_visible()
    settings = fair_bar.get_by_role("link", name="设置", exact=True)
    settings.scroll_into_view_if_needed()
    expect(settings).to_be_in_viewport()
    settings.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("展会设置")
    assert page.evaluate(OVERFLOW) <= 0
    # The settings group's pages are tabs under the bar, inside the screen too.
    tabs = page.get_by_role("navigation", name="设置")
    people = tabs.get_by_role("link", name="人员与邀请")
    people.scroll_into_view_if_needed()
    people.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("人员")
    assert page.evaluate(OVERFLOW) <= 0
    assert problems.messages == []


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_pages_raise_no_console_errors_or_csp_violations(new_context, demo, problems, locale):
    page = new_context(locale=locale).new_page()
    page.goto("/")
    page.goto("/login")
    page.locator("#email").fill("organizer@demo.fair")
    page.locator("#password").fill("wrong password")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()

    log_in(page, "organizer@demo.fair")
    for path in ("/", f"/fairs/{DEMO_SLUG}/", f"/fairs/{DEMO_SLUG}/edit", f"/fairs/{DEMO_SLUG}/people",
                 f"/fairs/{DEMO_SLUG}/audit", "/fairs/new", "/no-such-page"):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
    page.locator("#user-menu").click()
    expect(page.locator(".dropdown-menu")).to_be_visible()
    assert problems.messages == []
