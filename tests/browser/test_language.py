"""The language switch in the nav: a cookie that every later page honours."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def nav(page):
    """The main bar and, on a fair's pages, the fair's own bar."""
    return page.get_by_role("navigation")


def test_switching_to_english_and_back_persists_across_pages(page, demo):
    log_in(page, "organizer@demo.fair")
    page.get_by_role("link", name=demo.fair.name).click()
    expect(page).to_have_url(re.compile(r"/fairs/js-2026/$"))
    overview_url = page.url

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == overview_url, "the switch goes back to the page it was clicked on"
    expect(nav(page).get_by_role("link", name="My fairs")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Overview")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Settings", exact=True)).to_be_visible()
    page.locator("#user-menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # The choice is remembered: the next pages are English too.
    nav(page).get_by_role("link", name="My fairs").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav(page).get_by_role("link", name="New fair")).to_be_visible()
    expect(nav(page).get_by_role("link", name="中文")).to_be_visible()

    nav(page).get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(nav(page).get_by_role("link", name="我的展会")).to_be_visible()
    page.goto("/fairs/js-2026/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(nav(page).get_by_role("link", name="设置", exact=True)).to_be_visible()
    page.locator("#user-menu").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_the_switch_works_before_logging_in(page):
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_an_english_browser_gets_english_until_it_chooses(new_context):
    page = new_context(locale="en-US").new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
