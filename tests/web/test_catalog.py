"""The sponsors' catalog of exhibited projects: who sees it and what (contact data, awards only once
published), each filter, Chinese search, sort and paging on data whose answer is known, bad filter values
shown next to their filter and ignored, the project page with its photos, booth and agreements, and a
bounded number of queries."""
import io
import re
import secrets
from urllib.parse import urlencode

import pytest
from PIL import Image

from fair.applications import services as applying
from fair.applications.models import ApplicationStatus, Attachment, AttachmentKind, Decision, Support
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Phase
from fair.times import utcnow
from judging.models import Award
from sponsorship.models import AgreementStatus
from tests.conftest import log_in, queries_for
from tests.factories import make_fair, make_judging, make_organisation, make_plan, make_user
from tests.sponsor_factories import make_agreement, make_project, make_representative, make_sponsor


def catalog_url(fair, **args) -> str:
    return f"/fairs/{fair.slug}/sponsorship/catalog" + (f"?{urlencode(args)}" if args else "")


def project_url(fair, application) -> str:
    return f"/fairs/{fair.slug}/sponsorship/projects/{application.id}"


def shown(client, fair, **args) -> list[int]:
    """The ids of the projects on the catalog page, in their order."""
    response = client.get(catalog_url(fair, **args))
    assert response.status_code == 200, response.status_code
    return [int(found) for found in re.findall(r'class="stretched-link text-reset" href="/fairs/[^/]+/sponsorship/'
                                               r'projects/(\d+)"', response.get_data(as_text=True))]


def ids(*applications) -> list[int]:
    return [application.id for application in applications]


def in_phase(fair, phase: Phase):
    fair.phase = phase
    db.session.commit()
    return fair


def give_award(fair, application, tier) -> Award:
    """Test data: an award row added directly (the award service has its own tests)."""
    award = Award(fair_id=fair.id, application_id=application.id, tier_id=tier.id,
                  certificate_code=secrets.token_urlsafe(12))
    db.session.add(award)
    db.session.commit()
    return award


def publish(setup) -> None:
    setup.published_at = utcnow()
    db.session.commit()


def add_photo(application, *, kind: AttachmentKind = AttachmentKind.photo) -> Attachment:
    """Test data: a stored PNG attached directly (uploading has its own tests)."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 40)).save(buffer, format="PNG")
    attachment = Attachment(application_id=application.id, kind=kind, original_name="现场.png",
                            stored_name=f"{secrets.token_hex(16)}.png", content_type="image/png",
                            size=len(buffer.getvalue()), sha256="0" * 64)
    db.session.add(attachment)
    db.session.commit()
    path = applying.attachment_path(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return attachment


@pytest.fixture
def sponsor(fair):
    return make_sponsor(fair)


@pytest.fixture
def sponsor_client(app, sponsor):
    return log_in(app.test_client(), make_representative(sponsor))


# Who sees the catalog, and what

@pytest.mark.parametrize("role", [Role.sponsor, Role.organizer, Role.exhibitor, Role.judge])
def test_members_in_these_roles_browse_it_in_every_phase(client_as, fair, role):
    project = make_project(fair, title="银龄食堂")
    client = client_as(role)
    for phase in (Phase.draft, Phase.screening, Phase.live):
        in_phase(fair, phase)
        assert shown(client, fair) == ids(project)
        assert client.get(project_url(fair, project)).status_code == 200


def test_before_the_plan_is_public_others_are_kept_out(app, client, client_as, fair):
    project = make_project(fair)
    response = client.get(catalog_url(fair))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(project_url(fair, project)).status_code == 302
    reviewer = client_as(Role.reviewer).get(catalog_url(fair))
    assert reviewer.status_code == 403 and "此页面仅限以下角色访问" in reviewer.get_data(as_text=True)
    stranger = log_in(app.test_client(), make_user()).get(project_url(fair, project))
    assert stranger.status_code == 403 and "您不是" in stranger.get_data(as_text=True)
    assert client.get("/fairs/no-such-fair/sponsorship/catalog").status_code == 404


@pytest.mark.parametrize("phase", [Phase.preparation, Phase.live, Phase.closed])
def test_anyone_browses_it_once_the_plan_is_public(client, client_as, fair, phase):
    project = make_project(fair, title="河道守护")
    in_phase(fair, phase)
    assert shown(client, fair) == ids(project)
    assert "不显示联系方式" in client.get(catalog_url(fair)).get_data(as_text=True)
    assert client.get(project_url(fair, project)).status_code == 200
    assert shown(client_as(Role.reviewer), fair) == ids(project)


@pytest.mark.parametrize("role, sees", [(Role.sponsor, True), (Role.organizer, True), (Role.exhibitor, False),
                                        (Role.judge, False), (None, False)])
def test_contact_data_only_for_sponsors_and_organizers(client, client_as, fair, role, sees):
    in_phase(fair, Phase.live)
    organisation = make_organisation(name="夕阳红志愿服务队", contact_name="王晓燕", contact_phone="13912345678")
    project = make_project(fair, organisation=organisation)
    viewer = client_as(role) if role else client
    page = viewer.get(project_url(fair, project)).get_data(as_text=True)
    assert "夕阳红志愿服务队" in page
    assert ("13912345678" in page) is sees and ("王晓燕" in page) is sees
    assert "13912345678" not in viewer.get(catalog_url(fair)).get_data(as_text=True)


def test_only_exhibited_projects_of_this_fair(sponsor_client, fair):
    exhibited = make_project(fair, title="展出项目")
    waitlisted = make_project(fair, title="候补项目")
    waitlisted.decision = Decision.waitlisted
    withdrawn = make_project(fair, title="撤回项目")
    withdrawn.status = ApplicationStatus.withdrawn
    reopened = make_project(fair, title="退回修改项目")
    reopened.status = ApplicationStatus.reopened
    db.session.commit()
    other_fair = make_fair(slug="other-fair")
    elsewhere = make_project(other_fair, title="别的展会项目")
    assert shown(sponsor_client, fair) == ids(exhibited)
    for hidden in (waitlisted, withdrawn, reopened, elsewhere):
        assert sponsor_client.get(project_url(fair, hidden)).status_code == 404
    assert sponsor_client.get(f"/fairs/{fair.slug}/sponsorship/projects/999999").status_code == 404


def test_the_catalog_is_in_the_fair_bar_and_stays_highlighted_on_a_project(sponsor_client, fair):
    project = make_project(fair)
    active = re.compile(rf'<a class="nav-link active" aria-current="page"\s+href="{re.escape(catalog_url(fair))}"')
    assert f'href="{catalog_url(fair)}"' in sponsor_client.get(f"/fairs/{fair.slug}/").get_data(as_text=True)
    assert active.search(sponsor_client.get(catalog_url(fair)).get_data(as_text=True))
    assert active.search(sponsor_client.get(project_url(fair, project)).get_data(as_text=True))


# Filters, each on data whose answer is known

@pytest.fixture
def six(fair, sponsor):
    """Six exhibited projects that differ in every filtered attribute."""
    elderly, disabled, youth, green = fair.categories[:4]
    projects = {
        "a": make_project(fair, title="银龄食堂", category=elderly, city="南京市", district="鼓楼区",
                          funding_need_fen=12_000_000, support_wanted=[Support.funds, Support.volunteers]),
        "b": make_project(fair, title="无障碍观影", category=disabled, city="苏州市", district="姑苏区",
                          funding_need_fen=5_000_000, support_wanted=[Support.venue]),
        "c": make_project(fair, title="四点半课堂", category=youth, city="南京市", district="玄武区",
                          funding_need_fen=30_000_000, support_wanted=[Support.volunteers, Support.professional]),
        "d": make_project(fair, title="河道守护", category=green, city="无锡市", district="滨湖区",
                          funding_need_fen=800_000, support_wanted=[Support.goods]),
        "e": make_project(fair, title="助老护理站", category=elderly, city="苏州市", district="吴中区",
                          funding_need_fen=12_000_050, support_wanted=[Support.funds]),
        "f": make_project(fair, title="垃圾分类宣传", category=green, city="南京市", district="江宁区",
                          funding_need_fen=0, support_wanted=[]),
    }
    make_agreement(sponsor, projects["a"])                                         # signed
    make_agreement(sponsor, projects["d"], status=AgreementStatus.signed)
    make_agreement(sponsor, projects["b"], status=AgreementStatus.sponsor_signed)   # not signed yet
    make_agreement(sponsor, projects["c"], status=AgreementStatus.cancelled)
    return projects


def chosen(six, letters: str) -> set[int]:
    return {six[letter].id for letter in letters}


@pytest.mark.parametrize("args, expected", [
    ({"city": "南京市"}, "acf"),
    ({"city": "苏州市"}, "be"),
    ({"city": "上海市"}, ""),
    ({"need_min": "120000"}, "ace"),                 # yuan: ¥120,000 and up (12,000,000 fen and up)
    ({"need_max": "120000"}, "abdf"),
    ({"need_min": "120000", "need_max": "120000"}, "a"),
    ({"need_min": "120000.5"}, "ce"),                # ¥120,000.50 = 12,000,050 fen
    ({"need_min": "¥50,000", "need_max": "120,000"}, "ab"),
    ({"funded": "yes"}, "ad"),                      # a signed agreement; sponsor_signed and cancelled are not
    ({"funded": "no"}, "bcef"),
    ({"support": "funds"}, "ae"),
    ({"support": "volunteers"}, "ac"),
    ({"support": "venue"}, "b"),
    ({"city": "南京市", "support": "volunteers", "need_max": "200000"}, "a"),
])
def test_each_filter(sponsor_client, fair, six, args, expected):
    assert set(shown(sponsor_client, fair, **args)) == chosen(six, expected)


def test_category_filter(sponsor_client, fair, six):
    assert set(shown(sponsor_client, fair, category=fair.categories[0].id)) == chosen(six, "ae")
    assert set(shown(sponsor_client, fair, category=fair.categories[3].id)) == chosen(six, "df")
    assert shown(sponsor_client, fair, category=fair.categories[5].id) == []


def test_cards_show_what_a_sponsor_compares(sponsor_client, fair, six, organizer):
    hall, zones, booths = make_plan(fair, actor=organizer)
    booths[0].application_id = six["a"].id
    db.session.commit()
    page = sponsor_client.get(catalog_url(fair, city="南京市", support="funds")).get_data(as_text=True)
    [card] = re.findall(r'<article class="card[^"]*catalog-card">.*?</article>', page, re.S)
    assert "银龄食堂" in card and "¥120,000" in card and "南京市 · 鼓楼区" in card and "资金" in card and "志愿者" in card
    assert "已获支持" in card and booths[0].code in card and six["a"].organisation.name in card
    assert "共 1 个项目" in page


# Search

@pytest.fixture
def texts(fair):
    return {
        "meals": make_project(fair, title="银龄助餐", summary="为独居老人送餐上门。", service_targets="高龄老人",
                              organisation=make_organisation(name="鼓楼区夕阳红志愿服务队")),
        "river": make_project(fair, title="河道守护", summary="组织居民巡河，清理垃圾。", service_targets="沿河居民",
                              organisation=make_organisation(name="绿色家园环保协会")),
        "class": make_project(fair, title="四点半课堂", summary="放学后的作业辅导。", service_targets="外来务工人员子女",
                              organisation=make_organisation(name="向阳花社工事务所")),
        "odd": make_project(fair, title="100%_公益 Ideas", summary="名称里有百分号。", service_targets="社区居民",
                            organisation=make_organisation(name="微光公益")),
    }


@pytest.mark.parametrize("q, expected", [
    ("银龄", {"meals"}),                       # in the title
    ("送餐", {"meals"}),                       # in the summary
    ("夕阳红", {"meals"}),                     # in the organisation's name
    ("务工", {"class"}),                       # in the service targets
    ("居民", {"river", "odd"}),
    ("居民 巡河", {"river"}),                   # every word must match
    ("居民 送餐", set()),
    ("  河道   守护 ", {"river"}),
    ("%", {"odd"}),                            # % and _ are taken literally
    ("_", {"odd"}),
    ("ideas", {"odd"}),                        # Latin letters in either case
    ("不存在的词", set()),
])
def test_search_with_chinese_words(sponsor_client, fair, texts, q, expected):
    assert set(shown(sponsor_client, fair, q=q)) == {texts[name].id for name in expected}


def test_a_long_search_is_cut_not_an_error(sponsor_client, fair, texts):
    assert sponsor_client.get(catalog_url(fair, q="长" * 5000)).status_code == 200
    assert set(shown(sponsor_client, fair, q="居民 " * 20)) == {texts["river"].id, texts["odd"].id}


# Sort and paging

def test_sorts(sponsor_client, fair, six):
    by_need = sorted(six.values(), key=lambda application: (application.funding_need_fen, application.title))
    assert shown(sponsor_client, fair, sort="need_asc") == ids(*by_need)
    assert shown(sponsor_client, fair, sort="need_desc") == ids(*sorted(
        six.values(), key=lambda application: (-application.funding_need_fen, application.title)))
    newest_first = sorted(six.values(), key=lambda application: (application.submitted_at, application.id),
                          reverse=True)
    assert shown(sponsor_client, fair, sort="newest") == ids(*newest_first)
    assert shown(sponsor_client, fair) == ids(*sorted(six.values(), key=lambda application: application.title))
    assert shown(sponsor_client, fair, sort="nonsense") == shown(sponsor_client, fair)


def test_recommended_order_is_award_tier_then_title(sponsor_client, fair, six):
    setup, _criteria, tiers = make_judging(fair)
    give_award(fair, six["f"], tiers[2])        # 银奖
    give_award(fair, six["d"], tiers[0])        # 特别荣誉奖
    give_award(fair, six["b"], tiers[2])
    unpublished = shown(sponsor_client, fair)
    assert unpublished == ids(*sorted(six.values(), key=lambda application: application.title))
    publish(setup)
    rest = sorted((six[letter] for letter in "ace"), key=lambda application: application.title)
    silver = sorted((six["b"], six["f"]), key=lambda application: application.title)
    assert shown(sponsor_client, fair) == ids(six["d"], *silver, *rest)


def test_pages_keep_the_filters(sponsor_client, fair):
    projects = [make_project(fair, title=f"社区项目{number:02d}", city="南京市") for number in range(30)]
    make_project(fair, title="别处的项目", city="苏州市")
    first = shown(sponsor_client, fair, city="南京市")
    second = shown(sponsor_client, fair, city="南京市", page=2)
    assert first == ids(*projects[:24]) and second == ids(*projects[24:])
    page = sponsor_client.get(catalog_url(fair, city="南京市", sort="need_desc")).get_data(as_text=True)
    assert "共 30 个项目" in page
    link = re.search(r'class="page-link" href="([^"]*page=2[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "city=%E5%8D%97%E4%BA%AC%E5%B8%82" in link and "sort=need_desc" in link
    assert shown(sponsor_client, fair, city="南京市", page=99) == []
    for page_value in ("x", "-3", "0", str(10 ** 30)):
        assert sponsor_client.get(catalog_url(fair, page=page_value)).status_code == 200


# Bad filter values: a message next to the filter, the filter ignored

@pytest.mark.parametrize("args, field, message", [
    ({"category": "abc"}, "category", "无法识别该筛选条件"),
    ({"category": "999999"}, "category", "本届展会没有这个服务领域"),
    ({"need_min": "十万"}, "need", "请输入 0 到 ¥50,000,000 之间的金额"),
    ({"need_max": "-5"}, "need", "请输入 0 到"),
    ({"need_min": "1e999999"}, "need", "请输入 0 到"),
    ({"need_min": "0.001"}, "need", "请输入 0 到"),
    ({"need_min": "NaN"}, "need", "请输入 0 到"),
    ({"need_min": "300000", "need_max": "100000"}, "need", "最低金额高于最高金额"),
    ({"tier": "7"}, "tier", "没有这个已公布的奖项等级"),
    ({"tier": "x"}, "tier", "无法识别该筛选条件"),
    ({"funded": "maybe"}, "funded", "请选择"),
    ({"support": "cash"}, "support", "没有这种支持类型"),
])
def test_bad_filter_values_are_shown_and_ignored(sponsor_client, fair, six, args, field, message):
    response = sponsor_client.get(catalog_url(fair, **args))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(rf'<div class="invalid-feedback d-block" id="{field}-error">[^<]*{re.escape(message)}', page)
    assert f'aria-describedby="{field}-error"' in page
    assert set(shown(sponsor_client, fair, **args)) == chosen(six, "abcdef")
    for name, value in args.items():
        if name.startswith("need"):
            assert f'value="{value}"' in page           # what was typed stays in the box


def test_a_bad_filter_does_not_undo_the_good_ones(sponsor_client, fair, six):
    assert set(shown(sponsor_client, fair, city="南京市", need_min="abc", support="cash")) == chosen(six, "acf")


# Awards: only once published

def test_awards_show_only_after_publication(sponsor_client, fair, six):
    setup, _criteria, tiers = make_judging(fair)
    give_award(fair, six["a"], tiers[1])                    # 金奖
    give_award(fair, six["c"], tiers[3])                    # 铜奖
    before = sponsor_client.get(catalog_url(fair)).get_data(as_text=True)
    assert "金奖" not in before and "铜奖" not in before and 'id="tier"' not in before
    assert "金奖" not in sponsor_client.get(project_url(fair, six["a"])).get_data(as_text=True)
    assert set(shown(sponsor_client, fair, tier=tiers[1].id)) == chosen(six, "abcdef")   # ignored
    publish(setup)
    after = sponsor_client.get(catalog_url(fair)).get_data(as_text=True)
    assert after.count('class="badge text-bg-warning catalog-award">金奖<') == 1
    assert after.count('class="badge text-bg-warning catalog-award">铜奖<') == 1
    assert 'id="tier"' in after
    assert set(shown(sponsor_client, fair, tier=tiers[1].id)) == chosen(six, "a")
    assert set(shown(sponsor_client, fair, tier=tiers[2].id)) == set()
    assert 'project-award">金奖<' in sponsor_client.get(project_url(fair, six["a"])).get_data(as_text=True)


def test_awards_in_english(sponsor_client, fair, six):
    setup, _criteria, tiers = make_judging(fair)
    give_award(fair, six["a"], tiers[1])
    publish(setup)
    sponsor_client.get("/lang/en")
    page = sponsor_client.get(catalog_url(fair)).get_data(as_text=True)
    assert 'catalog-award">Gold<' in page


# The project page

def test_project_page_for_sponsors(sponsor_client, sponsor, fair, organizer):
    project = make_project(fair, title="银龄食堂", summary="为独居老人提供助餐。", service_targets="高龄独居老人",
                           beneficiaries=1200, volunteers=85, years_running=6, past_outcomes="累计送餐3万份。",
                           funding_need_fen=12_000_000, support_wanted=[Support.funds, Support.goods])
    hall, zones, booths = make_plan(fair, actor=organizer)
    booths[3].application_id = project.id
    db.session.commit()
    make_agreement(sponsor, project)
    make_agreement(make_sponsor(fair), project)
    make_agreement(sponsor, project, status=AgreementStatus.sponsor_signed)
    make_agreement(sponsor, project, status=AgreementStatus.cancelled)
    page = sponsor_client.get(project_url(fair, project)).get_data(as_text=True)
    for text in ("为独居老人提供助餐。", "高龄独居老人", "1,200", "85", "累计送餐3万份。", "¥120,000", "资金", "物资",
                 f"展位 {booths[3].code}", "已获支持"):
        assert text in page, text
    assert re.search(r'class="mb-0 project-signed">2<', page)
    assert re.search(rf'is-highlighted" data-booth-id="{booths[3].id}"', page)
    assert f'href="/fairs/{fair.slug}/sponsorship/catalog"' in page


def test_project_page_without_booth_or_agreement(sponsor_client, fair):
    project = make_project(fair)
    page = sponsor_client.get(project_url(fair, project)).get_data(as_text=True)
    assert "该项目的展位尚未确定。" in page and re.search(r'project-signed">0<', page)
    assert "已获支持" not in page


def test_photos_are_shown_to_those_who_may_see_the_page(client, sponsor_client, fair):
    project = make_project(fair)
    photo = add_photo(project)
    document = add_photo(project, kind=AttachmentKind.document)
    page = sponsor_client.get(project_url(fair, project)).get_data(as_text=True)
    photo_url = f"{project_url(fair, project)}/photos/{photo.id}"
    assert f'src="{photo_url}"' in page and f"/photos/{document.id}" not in page
    response = sponsor_client.get(photo_url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == applying.attachment_path(photo).read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert sponsor_client.get(f"{project_url(fair, project)}/photos/{document.id}").status_code == 404
    assert client.get(photo_url).status_code == 302                 # not public yet
    in_phase(fair, Phase.preparation)
    assert client.get(photo_url).status_code == 200
    other = make_project(fair)
    assert client.get(f"{project_url(fair, other)}/photos/{photo.id}").status_code == 404


def test_photos_of_a_project_no_longer_exhibited_are_not_served(sponsor_client, fair):
    project = make_project(fair)
    photo = add_photo(project)
    project.status = ApplicationStatus.withdrawn
    db.session.commit()
    assert sponsor_client.get(f"{project_url(fair, project)}/photos/{photo.id}").status_code == 404


# Queries: bounded whatever the size

def exhibition(fair, sponsor, organizer, count: int):
    """`count` projects, a third awarded, a quarter funded, the first 30 on booths, each with a photo."""
    setup, _criteria, tiers = make_judging(fair)
    publish(setup)
    hall, zones, booths = make_plan(fair, actor=organizer)
    projects = [make_project(fair, support_wanted=[Support.funds]) for _ in range(count)]
    for number, project in enumerate(projects):
        if number % 3 == 0:
            give_award(fair, project, tiers[number % len(tiers)])
        if number % 4 == 0:
            make_agreement(sponsor, project)
        if number < len(booths):
            booths[number].application_id = project.id
        add_photo(project)
    db.session.commit()
    return projects


def test_queries_at_5_and_60_projects_are_the_same(app, organizer):
    counts = []
    for size in (5, 60):
        fair = make_fair(organizer)
        sponsor = make_sponsor(fair)
        projects = exhibition(fair, sponsor, organizer, size)
        client = log_in(app.test_client(), make_representative(sponsor))
        urls = [catalog_url(fair), catalog_url(fair, q="社区", sort="need_desc"),
                catalog_url(fair, funded="no", support="funds", need_min="100", city="南京市"),
                project_url(fair, projects[3])]
        counts.append([queries_for(client, url) for url in urls])
    assert counts[0] == counts[1]


def test_pages_have_no_inline_script_or_style(sponsor_client, fair, organizer):
    project = make_project(fair)
    hall, zones, booths = make_plan(fair, actor=organizer)
    booths[0].application_id = project.id
    db.session.commit()
    add_photo(project)
    for url in (catalog_url(fair), catalog_url(fair, need_min="x"), project_url(fair, project)):
        page = sponsor_client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page, url
