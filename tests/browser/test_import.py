"""Importing projects from a spreadsheet: upload, read the row's error, upload the fixed file, confirm."""
import io
import re

import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from fair.applications.models import Application
from fair.demo import DEMO_SLUG
from fair.extensions import db
from tests.browser.conftest import PHONE, log_in
from tests.factories import spreadsheet, spreadsheet_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows: list[dict]) -> dict:
    book = Workbook()
    for row in spreadsheet(rows):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return {"name": "项目申报.xlsx", "mimeType": XLSX, "buffer": buffer.getvalue()}


def imported_titles() -> list[str]:
    db.session.rollback()       # a fresh snapshot: the live server wrote in its own transactions
    return list(db.session.scalars(sa.select(Application.title).where(Application.title.like("导入测试%"))))


def not_the_favicon(messages: list[str]) -> list[str]:
    """The site has no favicon yet; Chromium asks for /favicon.ico at some point and logs its 404."""
    return [message for message in messages if "/favicon.ico" not in message]


def upload(page, file: dict) -> None:
    page.get_by_label("申报表文件").set_input_files(file)
    with page.expect_navigation():
        page.locator("form.import-upload button[type=submit]").click()


def test_a_bad_row_is_reported_then_the_fixed_file_is_imported(page, demo, problems):
    log_in(page, "organizer@demo.fair")
    page.goto(f"/fairs/{DEMO_SLUG}/applications")
    page.get_by_role("link", name="批量导入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("批量导入项目")

    rows = [spreadsheet_row(title="导入测试：银龄食堂"), spreadsheet_row(title="导入测试：河道守护", category="环保"),
            spreadsheet_row(title="导入测试：应急救护", funding_need="五万")]
    upload(page, workbook(rows))
    expect(page.get_by_role("heading", name="发现 1 处错误")).to_be_visible()
    problem = page.locator("table.import-problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("4")                # the spreadsheet's row: headings are row 1
    expect(problem).to_contain_text("资金需求（元）")
    expect(problem).to_contain_text("五万")
    expect(page.get_by_role("button", name=re.compile("确认导入"))).to_have_count(0)
    assert imported_titles() == []

    rows[2]["funding_need"] = 50000
    upload(page, workbook(rows))
    expect(page.get_by_role("heading", name="检查通过")).to_be_visible()
    expect(page.locator("table.import-preview tbody tr")).to_have_count(3)
    assert imported_titles() == []                      # still a dry run
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入 3 个项目").click()

    expect(page).to_have_url(re.compile(rf"/fairs/{DEMO_SLUG}/applications$"))
    expect(page.get_by_role("alert")).to_contain_text("已导入 3 个项目")
    page.get_by_label("搜索").fill("导入测试")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("td.application-title")).to_have_count(3)
    assert sorted(imported_titles()) == sorted(row["title"] for row in rows)
    assert not_the_favicon(problems.messages) == []


def test_the_list_filters_and_sorts_on_a_phone(new_context, demo, problems):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "organizer@demo.fair")
    page.goto(f"/fairs/{DEMO_SLUG}/applications")
    page.get_by_label("服务领域").select_option(label="助残")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("td.application-title")).to_have_count(2)
    with page.expect_navigation():
        page.get_by_role("link", name="资金需求").click()
    expect(page.locator("td.application-title").first).to_have_text("残障青年就业辅导营")      # ¥300,000 first
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not_the_favicon(problems.messages) == []
