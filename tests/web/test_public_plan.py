"""The visitors' plan and search, a project's public page and the exhibitor's booth: public only from the
preparation phase, only published shortlisted projects named, a bounded number of queries."""
import re

import pytest
import sqlalchemy as sa

from fair.applications.models import ApplicationStatus, Decision
from fair.auth.models import Role
from fair.booths.models import Booth, Hall, Zone
from fair.extensions import db
from fair.fairs.models import Phase
from tests.conftest import log_in, queries_for
from tests.factories import (make_application, make_fair, make_member, make_organisation, make_plan,
                             make_shortlisted)


def in_phase(fair, phase: Phase):
    """Test data: the fair put in `phase` directly."""
    fair.phase = phase
    db.session.commit()
    return fair


def place(booth: Booth, application, *, locked: bool = False) -> Booth:
    """Test data: a project put on a booth directly (allocation has its own tests)."""
    booth.application_id, booth.locked = application.id, locked
    db.session.commit()
    return booth


@pytest.fixture
def ready(fair, organizer):
    """A fair in preparation with a 30-booth plan; two shortlisted projects on A-01 and B-01."""
    in_phase(fair, Phase.preparation)
    hall, zones, booths = make_plan(fair, actor=organizer)
    elderly = make_shortlisted(fair, title="银龄助餐", category=fair.categories[0],
                               organisation=make_organisation(name="鼓楼助老服务队"))[0]
    green = make_shortlisted(fair, title="河道清洁行动", category=fair.categories[3])[0]
    by_code = {booth.code: booth for booth in booths}
    place(by_code["A-01"], elderly, locked=True)
    place(by_code["B-01"], green)
    return fair, hall, by_code, elderly, green


def plan_url(fair, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/fairs/{fair.slug}/plan" + (f"?{query}" if query else "")


def test_the_plan_is_public_and_links_booths_to_projects(client, ready):
    fair, hall, booths, elderly, green = ready
    response = client.get(plan_url(fair))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="booth ') == 30
    assert f'href="/fairs/{fair.slug}/projects/{elderly.id}"' in page
    assert "银龄助餐" in page and "河道清洁行动" in page
    assert 'data-status="locked"' not in page           # to a visitor a locked booth is simply taken
    assert "全部 2 个项目" in page
    assert f'href="{plan_url(fair)}"' in client.get("/").get_data(as_text=True)       # the welcome page links it


@pytest.mark.parametrize("phase", [Phase.draft, Phase.applications_open, Phase.screening])
def test_before_preparation_there_is_no_plan_nor_project_page(client, ready, phase):
    fair, _hall, _booths, elderly, _green = ready
    in_phase(fair, phase)
    assert client.get(plan_url(fair)).status_code == 404
    assert plan_url(fair) not in client.get("/").get_data(as_text=True)
    assert client.get(f"/fairs/{fair.slug}/projects/{elderly.id}").status_code == 404


def test_unknown_fair_is_404(client):
    assert client.get("/fairs/nope/plan").status_code == 404


@pytest.mark.parametrize("args, expected", [
    ({"q": "银龄"}, {"A-01"}),
    ({"q": "鼓楼助老"}, {"A-01"}),                  # the organisation
    ({"q": "b-01"}, {"B-01"}),                     # the booth code, any case
    ({"q": "环保"}, {"B-01"}),                     # the category's name
    ({"q": "Environment"}, {"B-01"}),              # and its English name
    ({"q": "银龄 河道"}, set()),                    # every word must match
    ({"q": "A-02"}, set()),                        # a free booth is no project
])
def test_search_lists_and_highlights_the_matching_booths(client, ready, args, expected):
    fair, *_ = ready
    page = client.get(plan_url(fair, **args)).get_data(as_text=True)
    highlighted = set(re.findall(r'is-highlighted" data-booth-id="\d+" data-code="([^"]+)"', page))
    assert highlighted == expected
    listed = set(re.findall(r'<li data-booth-id="\d+"[^>]*data-search="[^"]*"\s*>\s*<a[^>]*>\s*'
                            r'<span class="plan-result-code">([^<]+)</span>', page))
    assert listed == expected
    assert f"找到 {len(expected)} 个项目" in page


def test_category_filter_finds_all_projects_of_a_category(client, ready):
    fair, _hall, _booths, _elderly, green = ready
    other = make_shortlisted(fair, title="垃圾分类宣传", category=green.category)[0]
    place(db.session.scalar(sa.select(Booth).where(Booth.code == "B-02")), other)
    page = client.get(plan_url(fair, category=green.category_id)).get_data(as_text=True)
    assert "找到 2 个项目" in page
    assert re.search(r'data-code="B-02" data-status="assigned"', page)


def test_a_nonsense_category_or_long_query_is_no_error(client, ready):
    fair, *_ = ready
    assert client.get(plan_url(fair, category="abc")).status_code == 200
    assert client.get(plan_url(fair, category=999999)).status_code == 200
    assert client.get(plan_url(fair, q="长" * 5000, hall="x")).status_code == 200


def test_unpublished_or_withdrawn_projects_stay_anonymous(client, ready):
    fair, _hall, booths, _elderly, green = ready
    hidden = make_application(fair, title="尚未公布的项目")
    place(booths["A-02"], hidden)
    green.status = ApplicationStatus.withdrawn
    db.session.commit()
    page = client.get(plan_url(fair)).get_data(as_text=True)
    assert "尚未公布的项目" not in page and "河道清洁行动" not in page
    assert client.get(f"/fairs/{fair.slug}/projects/{hidden.id}").status_code == 404
    assert client.get(f"/fairs/{fair.slug}/projects/{green.id}").status_code == 404
    assert client.get(plan_url(fair, q="尚未公布")).get_data(as_text=True).count("is-highlighted") == 0


def test_several_halls_get_tabs_and_a_search_opens_the_hall_of_its_match(client, ready):
    fair, hall, _booths, _elderly, _green = ready
    second = Hall(fair_id=fair.id, name="二号馆", name_en="Hall 2", width=30, depth=20, position=1)
    db.session.add(second)
    db.session.flush()
    zone = Zone(fair_id=fair.id, hall_id=second.id, name="文化展区", colour="#e15759")
    db.session.add(zone)
    db.session.flush()
    project = make_shortlisted(fair, title="非遗剪纸课堂", category=fair.categories[6])[0]
    db.session.add(Booth(fair_id=fair.id, hall_id=second.id, zone_id=zone.id, code="D-01", x=1, y=1, width=3,
                         depth=3, application_id=project.id))
    db.session.commit()
    page = client.get(plan_url(fair)).get_data(as_text=True)
    assert 'data-hall-tab="' in page and "二号馆" in page
    assert re.search(rf'<figure class="plan" data-plan data-hall-id="{second.id}"[^>]*\s+hidden', page)
    page = client.get(plan_url(fair, q="剪纸")).get_data(as_text=True)
    assert re.search(rf'<figure class="plan" data-plan data-hall-id="{hall.id}"[^>]*\s+hidden', page)
    assert not re.search(rf'<figure class="plan" data-plan data-hall-id="{second.id}"[^>]*\s+hidden', page)


def test_a_fair_without_a_plan_says_so(client, fair):
    in_phase(fair, Phase.preparation)
    page = client.get(plan_url(fair)).get_data(as_text=True)
    assert "展位平面图尚未发布" in page


def test_project_page_shows_the_project_and_its_booth(client, ready):
    fair, hall, booths, elderly, _green = ready
    response = client.get(f"/fairs/{fair.slug}/projects/{elderly.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "银龄助餐" in page and "鼓楼助老服务队" in page and elderly.category.name in page
    assert "A-01 · 一号馆 · " in page
    assert re.search(r'class="booth booth--assigned is-highlighted" data-booth-id="\d+" data-code="A-01"', page)
    assert "data-focus" in page
    assert f"/fairs/{fair.slug}/judging/booth/A-01" not in page          # a visitor is not offered scoring


def test_a_judge_who_scans_the_booth_goes_on_to_score_it(client_as, ready):
    fair, _hall, _booths, elderly, _green = ready
    page = client_as(Role.judge).get(f"/fairs/{fair.slug}/projects/{elderly.id}").get_data(as_text=True)
    assert f'href="/fairs/{fair.slug}/judging/booth/A-01"' in page


def test_project_page_of_another_fair_or_unknown_id_is_404(client, ready, organizer):
    fair, _hall, _booths, elderly, _green = ready
    other = in_phase(make_fair(organizer), Phase.preparation)
    assert client.get(f"/fairs/{other.slug}/projects/{elderly.id}").status_code == 404
    assert client.get(f"/fairs/{fair.slug}/projects/999999").status_code == 404


def test_waitlisted_project_has_no_page(client, ready):
    fair, *_ = ready
    waiting = make_application(fair)
    waiting.decision = Decision.waitlisted
    db.session.commit()
    assert client.get(f"/fairs/{fair.slug}/projects/{waiting.id}").status_code == 404


def test_project_without_booth_says_so(client, ready):
    fair, *_ = ready
    project = make_shortlisted(fair)[0]
    page = client.get(f"/fairs/{fair.slug}/projects/{project.id}").get_data(as_text=True)
    assert "该项目的展位尚未确定" in page and "<svg" not in page


def exhibitor_of(app, fair, organisation):
    return log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=organisation))


def test_exhibitor_sees_their_booth_and_the_setup_notes(app, ready):
    fair, _hall, _booths, elderly, _green = ready
    fair.setup_notes = "5月19日 8:00–18:00 进场布展，\n货车走北门。"
    db.session.commit()
    unplaced = make_shortlisted(fair, title="第二个项目", organisation=elderly.organisation)[0]
    client = exhibitor_of(app, fair, elderly.organisation)
    page = client.get(f"/fairs/{fair.slug}/my-booth").get_data(as_text=True)
    assert "银龄助餐" in page and "A-01" in page and "货车走北门" in page
    assert re.search(r'class="booth booth--assigned is-highlighted" data-booth-id="\d+" data-code="A-01"', page)
    assert unplaced.title in page and "尚未分配展位" in page
    assert "河道清洁行动" not in page.split("<svg")[0]          # another organisation's project is no card
    assert f'href="/fairs/{fair.slug}/my-booth"' in page           # the fair's section bar has the entry


def test_exhibitor_before_preparation_is_told_when(app, ready):
    fair, _hall, _booths, elderly, _green = ready
    in_phase(fair, Phase.screening)
    page = exhibitor_of(app, fair, elderly.organisation).get(f"/fairs/{fair.slug}/my-booth").get_data(as_text=True)
    assert "展位将在布展准备阶段公布" in page and "<svg" not in page


def test_exhibitor_without_shortlisted_project(app, ready):
    fair, *_ = ready
    page = exhibitor_of(app, fair, make_organisation()).get(f"/fairs/{fair.slug}/my-booth").get_data(as_text=True)
    assert "没有入围项目" in page


def test_my_booth_is_for_exhibitors(client_as, ready):
    fair, *_ = ready
    assert client_as(Role.judge).get(f"/fairs/{fair.slug}/my-booth").status_code == 403
    assert client_as().get(f"/fairs/{fair.slug}/my-booth").status_code == 403


def test_anonymous_my_booth_goes_to_login(client, ready):
    fair, *_ = ready
    response = client.get(f"/fairs/{fair.slug}/my-booth")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_queries_do_not_grow_with_the_booths(app, client, fair, organizer):
    in_phase(fair, Phase.preparation)
    _hall, _zones, booths = make_plan(fair, rows=1, per_row=2, actor=organizer)
    projects = make_shortlisted(fair, 2, category=fair.categories[0])
    for booth, project in zip(booths, projects):
        place(booth, project)
    owner = exhibitor_of(app, fair, projects[0].organisation)
    urls = [plan_url(fair), plan_url(fair, q="项目"), f"/fairs/{fair.slug}/projects/{projects[0].id}"]
    small = [queries_for(client, url) for url in urls] + [queries_for(owner, f"/fairs/{fair.slug}/my-booth")]
    more = make_shortlisted(fair, 12, category=fair.categories[0])
    _hall2, _zones2, booths2 = make_plan_in_new_hall(fair, organizer)
    for booth, project in zip(booths2, more):
        place(booth, project)
    large = [queries_for(client, url) for url in urls] + [queries_for(owner, f"/fairs/{fair.slug}/my-booth")]
    assert large == small, (small, large)
    assert max(large) <= 10


def make_plan_in_new_hall(fair, organizer):
    """A second hall of 30 booths, built through the services like make_plan's."""
    from fair.booths import services

    hall = services.create_hall(fair, services.HallDetails("二号馆", 60, 40, "Hall 2"), actor=organizer)
    zone = services.create_zone(fair, services.ZoneDetails("综合展区", hall.id, [fair.categories[0].id], "#76b7b2"),
                                actor=organizer)
    details = [services.BoothDetails(f"E-{n + 1:02d}", hall.id, zone.id, 1 + 3 * (n % 10), 1 + 4 * (n // 10))
               for n in range(30)]
    return hall, [zone], services.create_booths(fair, details, actor=organizer)
