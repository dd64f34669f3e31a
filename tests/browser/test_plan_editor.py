"""The organizer places a booth by clicking an empty square of the plan, sees it drawn, opens it by
clicking it, and picks a row with shift-click for copying."""
import sqlalchemy as sa
from playwright.sync_api import expect

from fair.booths.models import Booth
from fair.extensions import db
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_fair, make_plan, make_user

ORGANIZER = "planner@example.cn"


def planned_fair():
    organizer = make_user(email=ORGANIZER, name="李航", is_admin=True)
    fair = make_fair(organizer)
    make_plan(fair, actor=organizer)            # 一号馆 60 × 40 m; A-, B-, C- rows of 3 × 3 m booths
    return fair


def click_square(page, x: int, y: int, *, shift: bool = False) -> None:
    """Click the middle of the plan's square (x, y), in metres from the hall's top-left corner."""
    svg = page.locator("#plan-editor svg.plan-svg")
    svg.scroll_into_view_if_needed()
    at = svg.evaluate("""(svg, [x, y]) => {
        const point = svg.createSVGPoint(); point.x = x; point.y = y;
        const screen = point.matrixTransform(svg.getScreenCTM());
        return {x: screen.x, y: screen.y};
    }""", [x + 0.5, y + 0.5])
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(at["x"], at["y"])
    if shift:
        page.keyboard.up("Shift")


def test_organizer_adds_a_booth_by_clicking_an_empty_square(page, problems):
    fair = planned_fair()
    log_in(page, ORGANIZER, PASSWORD)
    page.goto(f"/fairs/{fair.slug}/booths")
    expect(page.get_by_role("heading", level=1)).to_have_text("展位平面图")

    click_square(page, 40, 30)
    form = page.locator("#new-booth-form")
    expect(form.get_by_label("横向位置 x（米）")).to_have_value("40")
    expect(form.get_by_label("纵向位置 y（米）")).to_have_value("30")
    expect(form.get_by_label("展位编号")).to_have_value("C-11")           # after the hall's highest, C-10
    expect(form.get_by_label("展位编号")).to_be_focused()
    expect(page.locator("svg.plan-svg .plan-ghost")).to_have_attribute("x", "40")
    form.get_by_label("展位编号").fill("D-01")
    form.get_by_label("有电源").check()
    with page.expect_navigation():
        form.get_by_role("button", name="添加展位").click()
    expect(page.get_by_role("alert")).to_contain_text("已添加展位 D-01。")
    expect(page.locator('#plan-editor g.booth[data-code="D-01"]')).to_be_visible()
    db.session.rollback()
    booth = db.session.scalar(sa.select(Booth).where(Booth.code == "D-01"))
    assert (booth.x, booth.y, booth.power) == (40, 30, True)

    click_square(page, 2, 2, shift=True)                          # A-01 stands at (1, 1)
    click_square(page, 5, 2, shift=True)
    expect(page.locator("[data-picked-count]")).to_have_text("已选 2 个展位")
    expect(page.locator('g.booth[data-code="A-02"]')).to_have_class("booth booth--free is-highlighted")
    copy = page.locator("#copy-form")
    copy.get_by_label("向右平移（米）").fill("30")
    copy.get_by_label("向下平移（米）").fill("0")
    copy.get_by_label("新编号前缀").fill("E")
    with page.expect_navigation():
        copy.get_by_role("button", name="复制所选展位").click()
    expect(page.get_by_role("alert")).to_contain_text("已复制 2 个展位：E-01、E-02。")

    with page.expect_navigation():
        click_square(page, 41, 31)                                          # on D-01
    expect(page.get_by_role("heading", name="编辑展位 D-01")).to_be_visible()
    assert problems.messages == []
