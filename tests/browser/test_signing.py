"""A signing on phones (390 × 844): the sponsor's representative drafts and signs, the exhibitor's
representative countersigns, both see 已签约 and download the PDF; nothing overflows the screen and the
browser reports no problem (CSP violations included)."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fair.auth.models import Role
from tests.browser.conftest import PHONE, log_in
from tests.factories import PASSWORD, make_fair, make_member, make_user
from tests.sponsor_factories import make_project, make_sponsor

SHOTS = Path("/tmp/shots/signing")


@pytest.fixture
def signing():
    """A fair with a sponsor, an exhibited project and one representative each: (slug, title)."""
    fair = make_fair(make_user(is_admin=True))
    sponsor = make_sponsor(fair)
    project = make_project(fair, title="银龄食堂社区助餐")
    make_member(fair, Role.sponsor, organisation=sponsor.organisation, email="sponsor@example.cn", name="王支持")
    make_member(fair, Role.exhibitor, organisation=project.organisation, email="team@example.cn", name="李项目")
    return fair.slug, project.title


def fits_the_screen(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], page.url


def download_pdf(page) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    return Path(download.value.path()).read_bytes()


def test_a_signing_on_two_phones(new_context, problems, signing):
    slug, title = signing
    sponsor = new_context(viewport=PHONE).new_page()
    log_in(sponsor, "sponsor@example.cn", PASSWORD)
    sponsor.goto(f"/fairs/{slug}/sponsorship/agreements")
    sponsor.get_by_role("link", name="起草协议").click()
    form = sponsor.locator("main form")
    expect(form.get_by_label("支持项目")).to_contain_text(title)        # the fair's one exhibited project
    form.get_by_label("资金支持（元）").fill("120,000")
    form.get_by_label("资金", exact=True).check()
    form.get_by_label("支持期限：开始日期").fill("2027-06-01")
    form.get_by_label("支持期限：结束日期").fill("2028-05-31")
    form.get_by_label("协议条款").fill("支持方资助项目运营，项目方每季度报告进展。")
    fits_the_screen(sponsor)
    form.get_by_role("button", name="保存草稿").click()
    expect(sponsor.locator("h1")).to_have_text("协议 XY-0001")
    expect(sponsor.locator(".agreement-status").first).to_have_text("草拟")
    fits_the_screen(sponsor)

    sponsor.get_by_role("link", name="支持方签署").click()
    expect(sponsor.locator(".agreement-text")).to_contain_text("资金支持：人民币 120,000.00 元")
    fits_the_screen(sponsor)
    sponsor.get_by_label("我已阅读以上协议全文").check()
    sponsor.get_by_role("button", name="确认签署").click()
    expect(sponsor.locator(".agreement-status").first).to_have_text("支持方已签")

    team = new_context(viewport=PHONE).new_page()
    log_in(team, "team@example.cn", PASSWORD)
    team.goto(f"/fairs/{slug}/sponsorship/agreements")
    team.get_by_role("link", name="XY-0001").click()
    team.get_by_role("link", name="参展单位会签").click()
    expect(team.get_by_role("heading", level=1)).to_have_text("第二步：参展单位会签")
    team.get_by_label("我已阅读以上协议全文").check()
    team.get_by_role("button", name="确认会签").click()
    expect(team.locator(".agreement-status").first).to_have_text("已签约")
    expect(team.locator(".signature-block", has_text="王支持")).to_be_visible()
    expect(team.locator(".signature-block", has_text="李项目")).to_be_visible()
    fits_the_screen(team)
    SHOTS.mkdir(parents=True, exist_ok=True)
    team.screenshot(path=str(SHOTS / "signed-390.png"), full_page=True)

    sponsor.reload()
    expect(sponsor.locator(".agreement-status").first).to_have_text("已签约")
    for page in (sponsor, team):
        assert download_pdf(page).startswith(b"%PDF")
    assert problems.messages == []
