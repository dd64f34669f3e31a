"""A visitor on a phone finds a project on the floor plan, taps its booth and reaches its page; the zoom
buttons change what the plan shows."""
import re

from playwright.sync_api import expect

from fair.booths import services
from fair.extensions import db
from fair.fairs.models import Phase
from tests.browser.conftest import PHONE
from tests.factories import make_fair, make_organisation, make_plan, make_shortlisted, make_user

TITLES = ["“银龄食堂”社区助餐", "古城河道守护行动", "四点半课堂", "应急救护培训进社区", "陪你看电影·视障观影",
          "垃圾分类我先行", "非遗剪纸进校园", "心理疏导热线", "老年人智能手机课堂", "困境儿童助学计划"]


def plan_fair(per_row: int = 10):
    """A fair in preparation: one hall of three zones (2 rows × `per_row` booths each), a second small
    hall, and a shortlisted project on most booths."""
    organizer = make_user(is_admin=True)
    fair = make_fair(organizer)
    fair.phase = Phase.preparation                   # test data: the phase set directly
    fair.setup_notes = "5月19日 8:00–18:00 进场布展；货车请走北门 3 号装卸区。"
    hall, zones, booths = make_plan(fair, rows=2, per_row=per_row, actor=organizer)
    second = services.create_hall(fair, services.HallDetails("户外体验区", 30, 16, "Outdoor area"), actor=organizer)
    outdoor = services.create_zone(fair, services.ZoneDetails("环保展区", second.id, [fair.categories[3].id],
                                                              "#59a14f", "Environment"), actor=organizer)
    booths += services.create_booths(fair, [services.BoothDetails(f"D-{n + 1:02d}", second.id, outdoor.id,
                                                                  2 + 4 * n, 4) for n in range(6)], actor=organizer)
    for index, booth in enumerate(booths):
        if index % 4 == 3:
            continue                                  # a free booth now and then
        category = fair.categories[3] if booth.code.startswith("D") else \
            next(c for c in fair.categories if c.id in {cat.id for cat in booth.zone.categories})
        project = make_shortlisted(fair, title=TITLES[index] if index < len(TITLES) else f"社区志愿服务项目{index}",
                                   category=category, organisation=make_organisation())[0]
        booth.application_id = project.id
        booth.locked = index % 7 == 0
    db.session.commit()
    return fair


def test_a_visitor_finds_a_project_and_opens_its_page(new_context, problems):
    fair = plan_fair()
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/fairs/{fair.slug}/plan")
    expect(page.get_by_role("heading", level=1)).to_have_text("展位平面图")

    page.get_by_role("searchbox").fill("河道")
    results = page.locator("#plan-results li:not([hidden])")
    expect(results).to_have_count(1)
    code = results.locator(".plan-result-code").inner_text()
    booth = page.locator(f'g.booth[data-code="{code}"]')
    expect(booth).to_have_class(re.compile(r"\bis-highlighted\b"))
    expect(page.locator("g.booth.is-highlighted")).to_have_count(1)
    expect(page.locator("#plan-count")).to_have_text("找到 1 个项目")

    booth.click()
    detail = page.locator("figure[data-plan]:not([hidden]) .plan-detail")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("古城河道守护行动")
    expect(detail).to_contain_text(code)
    detail.get_by_role("link", name=re.compile("查看项目")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("古城河道守护行动")
    expect(page.locator(f'g.booth.is-highlighted[data-code="{code}"]')).to_have_count(1)
    assert not problems.messages, problems.messages


def test_zoom_buttons_change_the_view_box(new_context, problems):
    fair = plan_fair()
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/fairs/{fair.slug}/plan")
    plan = page.locator("figure[data-plan]:not([hidden])")
    svg = plan.locator("svg.plan-svg")
    whole = svg.get_attribute("viewBox")
    plan.get_by_role("button", name="放大").click()
    zoomed = svg.get_attribute("viewBox")
    assert float(zoomed.split()[2]) < float(whole.split()[2])
    plan.get_by_role("button", name="缩小").click()
    plan.get_by_role("button", name="缩小").click()
    assert svg.get_attribute("viewBox") == whole                 # never beyond the whole hall
    plan.get_by_role("button", name="放大").click()
    plan.get_by_role("button", name="全图").click()
    assert svg.get_attribute("viewBox") == whole
    assert not problems.messages, problems.messages


def test_the_category_filter_and_the_hall_tabs_work_live(new_context, problems):
    fair = plan_fair()
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/fairs/{fair.slug}/plan")
    page.get_by_label("服务领域").select_option(label="环保")
    expect(page.locator("figure[data-plan][data-hall-id]:not([hidden]) .plan-hall-name")).to_have_text("户外体验区")
    expect(page.locator("#plan-results li:not([hidden])")).to_have_count(5)
    expect(page).to_have_url(re.compile(r"category=\d+"))
    page.get_by_role("link", name=re.compile("一号馆")).click()
    expect(page.locator("figure[data-plan]:not([hidden]) .plan-hall-name")).to_have_text("一号馆")
    assert not problems.messages, problems.messages
