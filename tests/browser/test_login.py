"""Logging in through the real form, with CSRF on as in production."""
import re

from playwright.sync_api import expect

from fair.demo import DEMO_PASSWORD
from tests.browser.conftest import log_in


def test_organizer_logs_in_and_sees_the_chinese_console(page, demo):
    log_in(page, "organizer@demo.fair")

    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的展会")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("link", name=demo.fair.name)).to_be_visible()
    expect(page.locator("#user-menu")).to_have_text("王静")


def test_wrong_password_is_refused_next_to_the_field_and_keeps_the_email(page, demo):
    page.goto("/login")
    assert page.locator("main input[name=csrf_token]").get_attribute("value")
    page.get_by_label("邮箱").fill("organizer@demo.fair")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD + "x")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    error = page.locator("#password-error")
    expect(error).to_have_text("邮箱或密码不正确。")
    # Next to the field: in the password field's own group, right after the input.
    expect(page.locator(".mb-3", has=page.locator("#password")).locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_class("form-control is-invalid")
    expect(page.get_by_label("邮箱")).to_have_value("organizer@demo.fair")
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    expect(page.locator("#user-menu")).to_have_count(0)
