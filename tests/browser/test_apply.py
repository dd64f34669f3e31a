"""An organisation registers on a phone, fills in a project and submits it, and finds it in its projects."""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fair.applications.models import Application, ApplicationStatus
from fair.auth.models import User
from fair.extensions import db
from tests.browser.conftest import PHONE
from tests.factories import make_open_fair

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def test_register_and_apply_on_a_phone(new_context, problems):
    fair = make_open_fair(name="2027年江苏省志愿服务项目展示交流会")
    page = new_context(viewport=PHONE).new_page()
    page.goto("/")
    page.get_by_role("link", name="申报单位注册").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申报单位注册")

    page.get_by_label("单位名称").fill("南京市鼓楼区阳光助老志愿服务队")
    page.get_by_label("统一社会信用代码").fill("53320106mj5480001p")
    page.get_by_label("省份").select_option("江苏省")
    expect(page.get_by_label("城市").locator("option")).to_have_count(14)      # 请选择 and Jiangsu's 13 cities
    page.get_by_label("城市").select_option("南京市")
    page.get_by_label("区县").fill("鼓楼区")
    page.get_by_label("联系人", exact=True).fill("周晓梅")
    page.get_by_label("联系人手机").fill("13800138000")
    page.get_by_label("您的姓名").fill("周晓梅")
    page.get_by_label("邮箱").fill("zhou@example.cn")
    page.get_by_label("设置密码").fill("sunshine-2027")
    page.get_by_label("再次输入密码").fill("sunshine-2027")
    assert page.evaluate(OVERFLOW) <= 0
    with page.expect_navigation():
        page.get_by_role("button", name="注册并开始申报").click()

    expect(page).to_have_url(re.compile(rf"/fairs/{fair.slug}/my-projects$"))
    expect(page.get_by_role("alert")).to_contain_text("注册成功")
    page.get_by_role("link", name="新建项目申报").click()

    page.get_by_label("项目名称").fill("银龄食堂社区助餐")
    page.get_by_label("服务领域").select_option(label="助老")
    page.get_by_label("省份").select_option("江苏省")
    page.get_by_label("城市").select_option("南京市")
    page.get_by_label("项目简介").fill("为独居与高龄老人提供午餐配送、陪餐与健康随访。")
    page.get_by_label("志愿者人数").fill("85")
    page.get_by_label("资金需求（元）").fill("120000")
    page.get_by_label("资金", exact=True).check()
    page.get_by_label("需要电源").check()
    assert page.evaluate(OVERFLOW) <= 0
    with page.expect_navigation():
        page.get_by_role("button", name="提交申报").click()

    expect(page).to_have_url(re.compile(rf"/fairs/{fair.slug}/my-projects$"))
    card = page.locator(".project-card", has_text="银龄食堂社区助餐")
    expect(card.locator(".status-badge")).to_have_text("已提交")
    assert page.evaluate(OVERFLOW) <= 0
    assert [message for message in problems.messages if "/favicon.ico" not in message] == []    # no favicon yet

    db.session.rollback()
    application = db.session.scalar(sa.select(Application))
    user = db.session.scalar(sa.select(User).where(User.email == "zhou@example.cn"))
    assert application.organisation_id == user.organisation_id
    assert (application.status, application.funding_need_fen, application.support_wanted, application.volunteers) == (
        ApplicationStatus.submitted, 12_000_000, ["funds"], 85)
