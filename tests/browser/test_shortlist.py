"""The organizer proposes a shortlist, moves one project in with a reason and publishes; the exhibitor
finds the decision in the inbox."""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fair.applications.models import Application, Decision
from fair.auth.models import Role
from fair.extensions import db
from tests.browser.conftest import PHONE, log_in
from tests.factories import (PASSWORD, make_application, make_criterion, make_fair, make_member, make_organisation,
                             make_review, make_user)

PHONE_CLASS = "老年人智能手机课堂"      # the exhibitor's weaker project: left out by the proposal
ORGANIZER, EXHIBITOR = "boss@example.cn", "team@example.cn"


def _screened_fair():
    """Six submitted projects, two of them the exhibitor's, each reviewed; the phone class scores lowest."""
    fair = make_fair(make_user(email=ORGANIZER, name="王静", is_admin=True))
    team = make_organisation(name="南京市鼓楼区夕阳红助老志愿服务队")
    make_member(fair, Role.exhibitor, email=EXHIBITOR, organisation=team)
    reviewer = make_member(fair, Role.reviewer)
    criterion = make_criterion(fair, "项目成效", 100)
    projects = [("“银龄食堂”社区助餐", team), (PHONE_CLASS, team)] + [
        (title, make_organisation()) for title in ("古城河道守护行动", "四点半课堂", "应急救护培训", "陪你看电影")]
    for points, (title, organisation) in enumerate(sorted(projects, key=lambda p: p[0] != PHONE_CLASS), start=3):
        make_review(make_application(fair, organisation, title=title), reviewer, {criterion: points})
    return fair


def test_organizer_publishes_and_the_exhibitor_reads_the_decision(new_context, problems):
    fair = _screened_fair()
    shortlist_url = f"/fairs/{fair.slug}/shortlist"
    page = new_context().new_page()
    log_in(page, ORGANIZER, PASSWORD)
    page.goto(f"/fairs/{fair.slug}/")
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
    log_in(phone, EXHIBITOR, PASSWORD)
    phone.goto(f"/fairs/{fair.slug}/")
    inbox_link = phone.locator(".fair-subnav").get_by_role("link", name=re.compile("消息"))
    expect(inbox_link).to_contain_text("2")            # one message per project of the organisation
    inbox_link.click()
    with phone.expect_navigation():
        phone.get_by_role("link", name=re.compile(f"项目入围通知：{PHONE_CLASS}")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"项目入围通知：{PHONE_CLASS}")
    expect(phone.locator(".message-body")).to_contain_text(f"“{PHONE_CLASS}”已入围{fair.name}")
    expect(phone.locator(".fair-subnav").get_by_role("link", name=re.compile("消息"))).to_contain_text("1")
    assert [message for message in problems.messages if "/favicon.ico" not in message] == []
