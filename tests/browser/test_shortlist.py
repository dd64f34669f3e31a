"""The organizer proposes a shortlist, moves one project in with a reason and publishes; the exhibitor
finds the decision in the inbox."""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fair.applications.models import Application, ApplicationStatus, Decision
from fair.auth import services as auth
from fair.extensions import db
from tests.browser.conftest import PHONE, log_in
from tests.factories import make_criterion, make_review

PHONE_CLASS = "老年人智能手机课堂"      # the exhibitor's weaker project: left out by the proposal


def _screen_the_demo(fair) -> None:
    """Every submitted demo project reviewed; the phone class scores lowest."""
    criterion = make_criterion(fair, "项目成效", 100)
    reviewer = auth.find_user("reviewer@demo.fair")
    submitted = db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id,
                                                                Application.status == ApplicationStatus.submitted)
                                   .order_by(Application.id)).all()
    for points, application in enumerate(sorted(submitted, key=lambda a: a.title != PHONE_CLASS), start=3):
        make_review(application, reviewer, {criterion: points})


def test_organizer_publishes_and_the_exhibitor_reads_the_decision(new_context, demo, problems):
    _screen_the_demo(demo.fair)
    shortlist_url = f"/fairs/{demo.fair.slug}/shortlist"
    page = new_context().new_page()
    log_in(page, "organizer@demo.fair")
    page.goto(f"/fairs/{demo.fair.slug}/")
    page.get_by_role("navigation").get_by_role("link", name="入围名单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("入围名单")

    page.get_by_label("入围名额").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="保存名额设置").click()
    expect(page.get_by_role("alert")).to_contain_text("名额设置已保存。")
    with page.expect_navigation():
        page.get_by_role("button", name="生成建议名单").click()
    expect(page.get_by_role("alert").first).to_contain_text("已生成建议名单：入围 3 个")

    row = page.locator("tr", has_text=PHONE_CLASS)
    expect(row.locator(".placement-badge")).to_have_text("不入围")
    row.get_by_text("调整", exact=True).click()
    row.get_by_label("调整为").select_option(label="入围")
    row.get_by_label("调整理由").fill("社区口碑好，适合现场体验")
    with page.expect_navigation():
        row.get_by_role("button", name="保存调整").click()
    expect(page.get_by_role("alert")).to_contain_text("已调整")
    moved = page.locator("tr", has_text=PHONE_CLASS)
    expect(moved.locator(".placement-badge")).to_have_text("入围")
    expect(moved).to_contain_text("原建议：不入围。理由：社区口碑好，适合现场体验")

    page.get_by_label(re.compile("我已核对名单")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="发布结果并通知申报单位").click()
    expect(page.get_by_role("alert")).to_contain_text("结果已发布：入围 4 个")
    expect(page).to_have_url(re.compile(re.escape(shortlist_url) + "$"))
    db.session.rollback()       # a fresh snapshot: the live server wrote in its own transactions
    decision = db.session.scalar(sa.select(Application.decision).where(Application.title == PHONE_CLASS))
    assert decision == Decision.shortlisted

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "exhibitor@demo.fair")
    phone.goto(f"/fairs/{demo.fair.slug}/")
    inbox_link = phone.locator(".fair-subnav").get_by_role("link", name=re.compile("消息"))
    expect(inbox_link).to_contain_text("2")            # one message per project of the organisation
    inbox_link.click()
    with phone.expect_navigation():
        phone.get_by_role("link", name=re.compile(f"项目入围通知：{PHONE_CLASS}")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"项目入围通知：{PHONE_CLASS}")
    expect(phone.locator(".message-body")).to_contain_text(f"“{PHONE_CLASS}”已入围{demo.fair.name}")
    expect(phone.locator(".fair-subnav").get_by_role("link", name=re.compile("消息"))).to_contain_text("1")
    assert [message for message in problems.messages if "/favicon.ico" not in message] == []
