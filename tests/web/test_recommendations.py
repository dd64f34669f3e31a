"""The recommendations page: a sponsor's ranked projects with the reasons, an exhibitor's ranked sponsors
per project, the organizer's chooser; only exhibited projects, published awards and signed money count;
the same number of queries at any size."""
import re
import secrets


from fair.applications.models import ApplicationStatus, Support
from fair.auth.models import OrganisationKind, Role
from fair.booths.models import Booth
from fair.extensions import db
from fair.navigation import FAIR_NAV
from fair.times import utcnow
from judging.models import Award
from judging.queries import setup_of
from sponsorship.models import AgreementStatus
from tests.conftest import log_in, queries_for
from tests.factories import make_application, make_fair, make_judging, make_member, make_organisation, make_plan
from tests.sponsor_factories import make_agreement, make_project, make_sponsor

def make_representative(sponsor):
    """A sponsor's representative. tests/sponsor_factories.py's own passes `organisation_id=` to create_user,
    which takes `organisation=` (reported to the lead); this one works meanwhile."""
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation)


def make_project_representative(application):
    """A project's representative (the same note as make_representative)."""
    return make_member(application.fair, Role.exhibitor, organisation=application.organisation)


def page(client, fair, **args) -> tuple[int, str]:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    response = client.get(f"/fairs/{fair.slug}/sponsorship/recommendations" + (f"?{query}" if query else ""))
    return response.status_code, response.get_data(as_text=True)


def add_award(fair, application, tier) -> Award:
    award = Award(fair_id=fair.id, application_id=application.id, tier_id=tier.id,
                  certificate_code=secrets.token_urlsafe(12))
    db.session.add(award)
    db.session.commit()
    return award


def publish(fair) -> None:
    """The fair's judging results published (test data: set directly)."""
    setup = setup_of(fair)
    setup.frozen_at = setup.published_at = utcnow()
    db.session.commit()


def order_of(html: str, *names: str) -> list[int]:
    return [html.index(name) for name in names]


def reasons_of(html: str, name: str) -> str:
    """The text of the ranked card that names `name` (a project's title or a sponsor's name)."""
    card = next(chunk for chunk in html.split('<li class="card')[1:] if name in chunk)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


def test_a_sponsor_sees_ranked_projects_with_reasons(app, fair):
    _setup, _criteria, tiers = make_judging(fair)
    sponsor = make_sponsor(fair, regions=["南京市"], budget_min_fen=5_000_000, budget_max_fen=50_000_000)
    elderly, youth = fair.categories[0], fair.categories[2]
    best = make_project(fair, title="银发助餐", category=elderly, funding_need_fen=12_000_000, support_wanted=[Support.funds])
    add_award(fair, best, tiers[1])
    publish(fair)
    near = make_project(fair, title="苏州环保行", category=youth, city="苏州市", district="姑苏区",
                        funding_need_fen=200_000_000)
    far = make_project(fair, title="杭州青少年", category=youth, province="浙江省", city="杭州市", district="西湖区",
                       funding_need_fen=300_000_000)
    funded = make_project(fair, title="已足额项目", category=elderly, funding_need_fen=10_000_000)
    make_agreement(make_sponsor(fair), funded, amount_fen=10_000_000)
    client = log_in(app.test_client(), make_representative(sponsor))

    status, html = page(client, fair)

    assert status == 200
    assert order_of(html, "银发助餐", "苏州环保行", "杭州青少年", "已足额项目") == sorted(
        order_of(html, "银发助餐", "苏州环保行", "杭州青少年", "已足额项目"))
    card = reasons_of(html, "银发助餐")
    for text in ("您关注的领域 助老", "您所在地区 南京市", "需求 ¥120,000，在您的预算内", "需要您提供的资金", "金奖"):
        assert text in card
    assert "您所在省份 江苏省" in reasons_of(html, "苏州环保行")
    assert "需求 ¥2,000,000，您的预算可支持一部分" in reasons_of(html, "苏州环保行")
    assert "已获足额支持" in reasons_of(html, "已足额项目")
    assert f'/fairs/{fair.slug}/sponsorship/projects/{best.id}"' in html


def test_only_exhibited_projects_published_awards_and_signed_money_count(app, fair):
    _setup, _criteria, tiers = make_judging(fair)
    sponsor = make_sponsor(fair)
    shown = make_project(fair, title="入围项目", funding_need_fen=10_000_000)
    make_application(fair, title="未入围项目")
    make_application(fair, title="草稿项目", submit=False)
    withdrawn = make_project(fair, title="撤回项目")
    withdrawn.status = ApplicationStatus.withdrawn
    add_award(fair, shown, tiers[0])
    make_agreement(make_sponsor(fair), shown, amount_fen=10_000_000, status=AgreementStatus.sponsor_signed)
    other_fair = make_fair()
    make_project(other_fair, title="别届项目")
    client = log_in(app.test_client(), make_representative(sponsor))

    _status, html = page(client, fair)

    assert "入围项目" in html
    for hidden in ("未入围项目", "草稿项目", "撤回项目", "别届项目"):
        assert hidden not in html
    assert "特别荣誉奖" not in html                   # decided but not published
    assert "已获" not in html and "已签约" not in html   # signed by the sponsor only: not yet money
    assert "需求 ¥100,000，在您的预算内" in html


def test_partly_funded_projects_show_what_they_still_need(app, fair):
    sponsor = make_sponsor(fair)
    project = make_project(fair, title="部分资助项目", funding_need_fen=80_000_000)
    make_agreement(make_sponsor(fair), project, amount_fen=40_000_000)
    make_agreement(make_sponsor(fair), project, amount_fen=10_000_000)
    client = log_in(app.test_client(), make_representative(sponsor))

    card = reasons_of(page(client, fair)[1], "部分资助项目")

    assert "已签约 ¥500,000" in card and "已获支持 ¥500,000" in card
    assert "尚需 ¥300,000，在您的预算内" in card


def test_at_most_thirty_projects(app, fair):
    sponsor = make_sponsor(fair)
    for number in range(33):
        make_project(fair, title=f"项目编号{number:02d}")
    client = log_in(app.test_client(), make_representative(sponsor))

    html = page(client, fair)[1]

    assert len(re.findall(r"项目编号\d\d", html)) == 30
    assert "项目编号00" in html and "项目编号32" not in html       # equal scores: by id


def test_a_sponsor_without_a_profile_is_sent_to_fill_it_in(client_as, fair):
    client = client_as(Role.sponsor, organisation=make_organisation(kind=OrganisationKind.enterprise))
    make_project(fair, title="某项目")

    status, html = page(client, fair)

    assert status == 200
    assert "还没有填写支持方资料" in html
    assert f'href="/fairs/{fair.slug}/sponsorship/profile"' in html
    assert "某项目" not in html


def test_an_exhibitor_sees_ranked_sponsors_for_each_project(app, fair):
    organisation = make_organisation()
    elderly, youth = fair.categories[0], fair.categories[2]
    first = make_project(fair, organisation=organisation, title="甲项目", category=elderly, funding_need_fen=12_000_000,
                         support_wanted=[Support.funds, Support.volunteers])
    second = make_project(fair, organisation=organisation, title="乙项目", category=youth, province="浙江省",
                          city="杭州市", district="西湖区")
    make_sponsor(fair, organisation=make_organisation(name="远方基金会", kind=OrganisationKind.foundation),
                 focus_category_ids=[youth.id], regions=["杭州市"], budget_min_fen=0, budget_max_fen=1_000_000,
                 support_offered=["goods"])
    nanjing = make_sponsor(fair, organisation=make_organisation(name="南京爱心企业", kind=OrganisationKind.enterprise),
                           support_offered=["funds", "volunteers"], wants="希望看到服务独居老人的项目。")
    client = log_in(app.test_client(), make_project_representative(first))

    status, html = page(client, fair, project=first.id)

    assert status == 200
    assert html.index("南京爱心企业") < html.index("远方基金会")
    card = reasons_of(html, "南京爱心企业")
    for text in ("爱心企业", "助老", "南京市", "¥50,000 – ¥500,000", "资金、志愿者", "希望看到服务独居老人的项目。",
                 "关注您的领域 助老", "支持您所在的 南京市", "预算可覆盖您的需求 ¥120,000", "可提供您需要的资金、志愿者"):
        assert text in card, text
    assert f'href="/fairs/{fair.slug}/sponsorship/sponsors/{nanjing.id}">南京爱心企业</a>' in html
    assert 'name="project"' in html and f'value="{second.id}"' in html

    status, html = page(client, fair, project=second.id)

    assert status == 200 and re.search(r"为这个项目推荐的支持方</p>\s*<h2[^>]*>乙项目</h2>", html)
    assert html.index("远方基金会") < html.index("南京爱心企业")
    assert "慈善基金会" in reasons_of(html, "远方基金会")


def test_an_exhibitor_cannot_open_another_organisations_project(app, fair):
    mine = make_project(fair)
    theirs = make_project(fair)
    client = log_in(app.test_client(), make_project_representative(mine))

    assert page(client, fair, project=theirs.id)[0] == 404
    assert page(client, fair, project="abc")[0] == 200


def test_an_exhibitor_without_exhibited_projects_is_told_so(app, fair):
    organisation = make_organisation()
    make_application(fair, organisation, title="未入围")
    client = log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=organisation))

    status, html = page(client, fair)

    assert status == 200 and "没有参展项目" in html


def test_the_organizer_chooses_either_side(client_as, fair):
    sponsor = make_sponsor(fair, organisation=make_organisation(name="江苏爱心企业", kind=OrganisationKind.enterprise))
    project = make_project(fair, title="助老项目")
    client = client_as(Role.organizer)

    status, html = page(client, fair)
    assert status == 200
    assert f'<option value="{sponsor.id}"' in html and f'<option value="{project.id}"' in html
    assert "您关注的领域" not in html

    html = page(client, fair, sponsor=sponsor.id)[1]
    assert "为支持方“江苏爱心企业”推荐的项目" in html and "您关注的领域 助老" in reasons_of(html, "助老项目")

    html = page(client, fair, project=project.id)[1]
    assert re.search(r"<h2[^>]*>助老项目</h2>", html) and "关注您的领域 助老" in reasons_of(html, "江苏爱心企业")


def test_the_organizer_gets_404_for_another_fairs_sponsor_or_project(client_as, fair):
    other = make_fair()
    client = client_as(Role.organizer)

    assert page(client, fair, sponsor=make_sponsor(other).id)[0] == 404
    assert page(client, fair, project=make_project(other).id)[0] == 404
    assert page(client, fair, sponsor=999_999)[0] == 404
    assert page(client, fair, sponsor="x")[0] == 200


def test_who_may_see_the_page(app, client, client_as, fair):
    assert page(client_as(Role.judge), fair)[0] == 403
    response = client.get(f"/fairs/{fair.slug}/sponsorship/recommendations")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_nav_entry_is_for_sponsors_exhibitors_and_organizers(app, fair):
    entry = next(item for item in FAIR_NAV if item.endpoint == "sponsorship.recommendations")
    assert (entry.order, entry.roles) == (63, {Role.sponsor, Role.exhibitor, Role.organizer})
    client = log_in(app.test_client(), make_representative(make_sponsor(fair)))
    html = page(client, fair)[1]
    assert re.search(r'class="nav-link active"[^>]*\s+href="/fairs/[^/]+/sponsorship/recommendations">智能推荐</a>', html)


def fill(fair, projects: int, sponsors: int):
    """`projects` exhibited projects in three categories and cities, a third with booths and published awards,
    a third with signed money."""
    _setup, _criteria, tiers = make_judging(fair)
    _hall, _zones, booths = make_plan(fair)
    made = []
    for number in range(projects):
        project = make_project(fair, category=fair.categories[number % 3], city=["南京市", "苏州市", "无锡市"][number % 3],
                               funding_need_fen=1_000_000 * (number + 1), support_wanted=[Support.funds])
        made.append(project)
        if number % 3 == 0:
            add_award(fair, project, tiers[number % 4])
            db.session.get(Booth, booths[number].id).application_id = project.id
    publish(fair)
    sponsors_made = [make_sponsor(fair) for _ in range(sponsors)]
    for number, project in enumerate(made[: projects // 3]):
        make_agreement(sponsors_made[number % sponsors], project, amount_fen=500_000)
    return made, sponsors_made


def test_the_same_number_of_queries_at_any_size(app, organizer):
    counts = []
    for projects, sponsors in ((3, 2), (24, 12)):
        fair = make_fair(organizer)
        made, sponsors_made = fill(fair, projects, sponsors)
        sponsor_client = log_in(app.test_client(), make_representative(sponsors_made[0]))
        exhibitor_client = log_in(app.test_client(), make_project_representative(made[0]))
        organizer_client = log_in(app.test_client(), organizer)
        base = f"/fairs/{fair.slug}/sponsorship/recommendations"
        counts.append((queries_for(sponsor_client, base), queries_for(exhibitor_client, base),
                       queries_for(organizer_client, base),
                       queries_for(organizer_client, f"{base}?sponsor={sponsors_made[0].id}"),
                       queries_for(organizer_client, f"{base}?project={made[0].id}")))
    assert counts[0] == counts[1]
    assert max(counts[0]) <= 15
