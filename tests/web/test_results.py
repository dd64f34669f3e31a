"""The organizer's results page: the table side by side, filters, outlier judges, overrides, ties, freeze
and publication through the forms, access, and a bounded number of queries."""
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import placing
from fair.extensions import db
from judging import awards, services
from judging.models import AssignmentSource, Award, JudgeAssignment, JudgingSetup
from tests.conftest import queries_for
from tests.factories import make_judge, make_judging, make_plan, make_shortlisted
from tests.web.test_awards import crossed, score


def url(fair, path: str = "") -> str:
    return f"/fairs/{fair.slug}/judging/results{path}"


def ranking_table(page: str) -> str:
    """The rows of the ranking table (the override form lists every project too)."""
    return page.split("<tbody>")[1].split("</tbody>")[0]


def test_only_organizers_see_the_results(fair, client_as):
    make_judging(fair)
    assert client_as(Role.judge).get(url(fair)).status_code == 403
    assert client_as(Role.exhibitor).get(url(fair)).status_code == 403
    assert client_as(Role.organizer).get(url(fair)).status_code == 200


def test_the_table_shows_raw_adjusted_rank_interval_and_flags(fair, client_as):
    crossed(fair, {"银龄食堂": [9, 9, 8], "四点半课堂": [3, 9, 2], "青春护河": [6, 6, 6], "暑期夏令营": [2, 2, 2]})
    page = client_as(Role.organizer).get(url(fair)).get_data(as_text=True)
    for heading in ("原始均分", "校正分", "95% 区间", "份数", "分差", "暂定奖项", "评委尺度"):
        assert heading in page
    current = {entry.application.title: entry for entry in awards.results(fair).projects}
    food = current["银龄食堂"]
    assert f"{food.raw_mean:.1f}" in page and f"{food.estimate:.1f}" in page and f"{food.low:.1f}–{food.high:.1f}" in page
    assert current["四点半课堂"].disagreement and "评委分歧" in page
    assert page.index("银龄食堂") < page.index("青春护河") < page.index("暑期夏令营")


def test_filters_by_zone_category_and_flags(fair, organizer, client_as):
    _setup, criteria, _tiers = make_judging(fair)
    _hall, zones, booths = make_plan(fair, rows=1, per_row=2)
    judge = make_judge(fair)
    elders = make_shortlisted(fair, 1, title="银龄食堂", category=fair.categories[0])[0]
    youth = make_shortlisted(fair, 1, title="四点半课堂", category=fair.categories[1])[0]
    placing.assign(booths[0], elders, actor=organizer, version=booths[0].version)
    placing.assign(booths[2], youth, actor=organizer, version=booths[2].version)
    for project in (elders, youth):
        score(judge, project, criteria, 7)
    client = client_as(Role.organizer)
    rows = ranking_table(client.get(url(fair, f"?zone={zones[1].id}")).get_data(as_text=True))
    assert "四点半课堂" in rows and "银龄食堂" not in rows
    rows = ranking_table(client.get(url(fair, f"?category={fair.categories[0].id}")).get_data(as_text=True))
    assert "银龄食堂" in rows and "四点半课堂" not in rows
    rows = ranking_table(client.get(url(fair, "?flagged=1")).get_data(as_text=True))
    assert "银龄食堂" in rows and "四点半课堂" in rows       # one look of three: too uncertain


def test_override_form_shows_the_error_next_to_the_reason_and_keeps_the_input(fair, client_as):
    _criteria, made_tiers, projects, _judges = crossed(fair, {"甲": [9, 9], "乙": [5, 5], "丙": [2, 2], "丁": [1, 1]})
    client = client_as(Role.organizer)
    response = client.post(url(fair, "/override"), data={"application": projects["丁"].id,
                                                         "tier": str(made_tiers[0].id), "reason": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请填写理由。" in page and 'id="reason-error"' in page
    assert f'<option selected value="{projects["丁"].id}"' in page
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == awards.OVERRIDDEN)) == 0
    response = client.post(url(fair, "/override"), data={"application": projects["丁"].id,
                                                         "tier": str(made_tiers[0].id), "reason": "复议"})
    assert response.status_code == 302
    assert {entry.application.title: entry.tier and entry.tier.name
            for entry in awards.results(fair).projects}["丁"] == "金奖"
    response = client.post(url(fair, "/override"), data={"application": projects["丁"].id, "tier": "ranking",
                                                         "reason": ""})
    assert response.status_code == 302 and awards.results(fair).projects[-1].pin is None


def test_a_tie_is_decided_through_the_page(fair, organizer, client_as):
    _criteria, _tiers, projects, _judges = crossed(fair, {"甲": [8, 9], "乙": [8, 9], "丙": [2, 3]})
    client = client_as(Role.organizer)
    page = client.get(url(fair)).get_data(as_text=True)
    assert "跨越奖项分界的并列" in page and "并列待决" in page
    first, second = projects["甲"].id, projects["乙"].id
    response = client.post(url(fair, "/ties"), data={f"order-{first}": "1", f"order-{second}": "1", "reason": "x"})
    assert response.status_code == 400 and "请为并列的每个项目排出不同的名次" in response.get_data(as_text=True)
    response = client.post(url(fair, "/ties"), data={f"order-{first}": "2", f"order-{second}": "1",
                                                     "reason": "乙的答辩更充分"})
    assert response.status_code == 302
    assert awards.results(fair).projects[0].application.title == "乙"


def test_freeze_and_publish_through_the_page(fair, organizer, client_as):
    crossed(fair, {"甲": [9, 9], "乙": [5, 5], "丙": [2, 2]})
    client = client_as(Role.organizer)
    assert "评分锁定后才能定稿" in client.get(url(fair)).get_data(as_text=True)
    services.lock_judging(fair, organizer)
    response = client.post(url(fair, "/freeze"), data={})
    assert response.status_code == 400 and "请先勾选确认" in response.get_data(as_text=True)
    assert client.post(url(fair, "/freeze"), data={"confirm": "y"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Award.id))) == 3
    page = client.get(url(fair)).get_data(as_text=True)
    assert "下载全部证书" in page and "发布获奖结果" in page and "调整" not in ranking_table(page)
    assert client.post(url(fair, "/publish"), data={"confirm": "y"}).status_code == 302
    assert db.session.get(JudgingSetup, fair.id).published_at is not None


def test_request_one_more_judge_for_an_uncertain_project(fair, client_as):
    _setup, criteria, _tiers = make_judging(fair)
    [project] = make_shortlisted(fair, 1)
    score(make_judge(fair), project, criteria, 6)
    spare = make_judge(fair)
    client = client_as(Role.organizer)
    assert "加派评委" in client.get(url(fair)).get_data(as_text=True)
    response = client.post(url(fair, f"/extra/{project.id}"))
    assert response.status_code == 302
    extra = db.session.scalar(sa.select(JudgeAssignment).where(JudgeAssignment.source == AssignmentSource.extra))
    assert (extra.judge_id, extra.application_id) == (spare.id, project.id)


def _scored_fair(fair, projects: int, judges: int):
    _setup, criteria, _tiers = make_judging(fair)
    made = make_shortlisted(fair, projects)
    panel = [make_judge(fair) for _ in range(judges)]
    for index, project in enumerate(made):
        for offset in range(3):
            score(panel[(index + offset) % judges], project, criteria, (index * 7 + offset) % 11)


def test_the_page_runs_the_same_number_of_queries_at_any_size(fair, organizer, client_as):
    from tests.factories import make_fair
    small, large = fair, make_fair(organizer)
    _scored_fair(small, 4, 3)
    _scored_fair(large, 20, 6)
    client = client_as(Role.organizer)
    assert queries_for(client, url(small)) == queries_for(client, f"/fairs/{large.slug}/judging/results")
