"""Creating a fair through the 新建展会 form, and a refused one coming back with what was typed."""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fair.extensions import db
from fair.fairs.models import Fair
from tests.browser.conftest import log_in


def fill_fair_form(page, *, name: str, slug: str, starts_on: str, ends_on: str) -> None:
    page.get_by_label("展会名称").fill(name)
    page.get_by_label("网址标识").fill(slug)
    page.get_by_label("举办城市").fill("苏州市")
    page.get_by_label("举办场馆").fill("苏州国际博览中心")
    page.get_by_label("开幕日期").fill(starts_on)
    page.get_by_label("闭幕日期").fill(ends_on)
    page.get_by_label("申报开始时间").fill("2027-01-10T09:00")
    page.get_by_label("申报截止时间").fill("2027-03-31T17:00")


def fair_count(**where) -> int:
    db.session.rollback()       # a fresh snapshot: the live server wrote in its own transactions
    query = sa.select(sa.func.count(Fair.id)).filter_by(**where)
    return db.session.scalar(query)


def test_organizer_creates_a_fair_and_lands_on_its_overview(page, demo):
    log_in(page, "organizer@demo.fair")
    page.get_by_role("navigation").get_by_role("link", name="新建展会").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建展会")
    assert page.locator("main input[name=csrf_token]").get_attribute("value")
    expect(page.get_by_label("服务领域")).to_have_value(re.compile("助老"))

    fill_fair_form(page, name="2027年苏州市志愿服务项目展示交流会", slug="sz-2027",
                   starts_on="2027-05-20", ends_on="2027-05-22")
    with page.expect_navigation():
        page.get_by_role("button", name="创建展会").click()

    expect(page).to_have_url(re.compile(r"/fairs/sz-2027/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("2027年苏州市志愿服务项目展示交流会")
    expect(page.get_by_role("alert")).to_contain_text("已创建")
    expect(page.locator(".phase-badge")).to_be_visible()
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == "sz-2027"))
    assert fair is not None and fair.city == "苏州市" and len(fair.categories) > 1


def test_a_fair_ending_before_it_starts_comes_back_with_the_message_and_the_input(page, demo):
    log_in(page, "organizer@demo.fair")
    page.goto("/fairs/new")
    before = fair_count()

    fill_fair_form(page, name="倒着办的展会", slug="backwards-2027", starts_on="2027-05-22", ends_on="2027-05-20")
    with page.expect_navigation():
        page.get_by_role("button", name="创建展会").click()

    expect(page).to_have_url(re.compile(r"/fairs/new$"))
    error = page.locator("#ends_on-error")
    expect(error).to_have_text("闭幕日期不能早于开幕日期。")
    expect(page.locator(".mb-3", has=page.get_by_label("闭幕日期")).locator("#ends_on-error")).to_be_visible()
    expect(page.get_by_label("闭幕日期")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_label("展会名称")).to_have_value("倒着办的展会")
    expect(page.get_by_label("网址标识")).to_have_value("backwards-2027")
    expect(page.get_by_label("开幕日期")).to_have_value("2027-05-22")
    expect(page.get_by_label("闭幕日期")).to_have_value("2027-05-20")
    expect(page.get_by_label("申报开始时间")).to_have_value("2027-01-10T09:00")
    assert fair_count(slug="backwards-2027") == 0
    assert fair_count() == before == 1
