"""The organizer's list: filters, sort, Chinese search, counts per status, pages, bounded queries."""
import re

import pytest
import sqlalchemy as sa

from fair.applications.listing import ListFilters, list_applications
from fair.applications.models import Application, ApplicationStatus, Decision
from fair.auth.models import OrganisationKind, Role
from fair.extensions import db
from tests.conftest import queries_for
from tests.factories import make_application, make_applications, make_organisation


def titles(response) -> list[str]:
    """The list's titles, top to bottom."""
    assert response.status_code == 200
    return re.findall(r'<td class="application-title"><a [^>]*>([^<]*)</a></td>', response.get_data(as_text=True))


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def url(fair) -> str:
    return f"/fairs/{fair.slug}/applications"


def test_filters_each_narrow_the_list(organizer_client, fair):
    elderly, youth = fair.categories[0], fair.categories[2]
    make_application(fair, title="银龄食堂", category=elderly, city="南京市")
    make_application(fair, make_organisation(kind=OrganisationKind.social_work), title="四点半课堂",
                     category=youth, city="苏州市")
    make_application(fair, title="河道守护", category=youth, city="苏州市", submit=False)
    decided = make_application(fair, title="应急救护培训", category=elderly, city="无锡市")
    decided.decision = Decision.shortlisted       # shortlisting's service is another area's; the outcome is data here
    db.session.commit()

    def listed(**args):
        return sorted(titles(organizer_client.get(url(fair), query_string=args)))

    assert listed(category=youth.id) == ["四点半课堂", "河道守护"]
    assert listed(city="苏州市") == ["四点半课堂", "河道守护"]
    assert listed(status="draft") == ["河道守护"]
    assert listed(kind="social_work") == ["四点半课堂"]
    assert listed(decision="shortlisted") == ["应急救护培训"]
    assert listed(decision="undecided") == ["四点半课堂", "河道守护", "银龄食堂"]
    assert listed(category=youth.id, city="苏州市", status="submitted") == ["四点半课堂"]
    # nonsense is ignored rather than refused: the list is shown unfiltered
    assert len(listed(category="x", status="'", kind="<b>", decision="maybe", sort="id;", order="up")) == 4


def test_city_filter_offers_the_cities_applications_come_from(organizer_client, fair):
    make_application(fair, city="南京市")
    make_application(fair, city="宿迁市")
    page = organizer_client.get(url(fair)).get_data(as_text=True)
    assert ">宿迁市</option>" in page and ">南京市</option>" in page


@pytest.mark.parametrize("sort, order, expected", [
    ("funding", "desc", ["乙", "丙", "甲"]),
    ("funding", "asc", ["甲", "丙", "乙"]),
    ("title", "asc", ["丙", "乙", "甲"]),            # by code point: 丙 U+4E19 < 乙 U+4E59 < 甲 U+7532
    ("city", "asc", ["甲", "乙", "丙"]),
])
def test_sort(organizer_client, fair, sort, order, expected):
    make_application(fair, title="甲", funding_need_fen=100, city="A市")
    make_application(fair, title="乙", funding_need_fen=300, city="B市")
    make_application(fair, title="丙", funding_need_fen=200, city="C市")
    assert titles(organizer_client.get(url(fair), query_string={"sort": sort, "order": order})) == expected


def test_drafts_come_last_by_submission_time_either_way(organizer_client, fair):
    from datetime import timedelta
    from fair.applications import services
    first = make_application(fair, title="先提交", submit=False)
    services.submit_application(first, actor=None, at=fair.applications_open_at + timedelta(days=1))
    second = make_application(fair, title="后提交", submit=False)
    services.submit_application(second, actor=None, at=fair.applications_open_at + timedelta(days=2))
    make_application(fair, title="草稿", submit=False)
    assert titles(organizer_client.get(url(fair))) == ["后提交", "先提交", "草稿"]
    assert titles(organizer_client.get(url(fair), query_string={"order": "asc"})) == ["先提交", "后提交", "草稿"]


def test_sort_links_flip_the_order_and_keep_the_filters(organizer_client, fair):
    make_application(fair)
    page = organizer_client.get(url(fair), query_string={"city": "南京市", "sort": "funding"}).get_data(as_text=True)
    assert 'aria-sort="descending"' in page
    assert f'href="/fairs/{fair.slug}/applications?city=%E5%8D%97%E4%BA%AC%E5%B8%82&amp;sort=funding&amp;order=asc"' in page


@pytest.mark.parametrize("query, expected", [
    ("助老", ["助老食堂", "居家照护"]),                  # in a title, and in a summary
    ("社区", ["社区花园", "居家照护"]),
    ("社区 助老", ["居家照护"]),                         # every term must match
    ("abc", ["ABC 科普课堂"]),                           # Latin letters in either case
    ("夕阳红", ["社区花园"]),                             # the organisation's name
    ("%", ["百分百%公益"]),                              # LIKE's wildcards are taken literally
    ("_", []),
    ("没有这个词", []),
])
def test_search_finds_chinese_in_titles_summaries_and_names(organizer_client, fair, query, expected):
    make_application(fair, title="助老食堂", summary="为老人送餐。")
    make_application(fair, title="居家照护", summary="社区助老志愿服务，上门照护。")
    make_application(fair, make_organisation(name="夕阳红志愿服务队"), title="社区花园", summary="种植与环保。")
    make_application(fair, title="ABC 科普课堂", summary="青少年科学实验。")
    make_application(fair, title="百分百%公益", summary="公益宣传。")
    assert sorted(titles(organizer_client.get(url(fair), query_string={"q": query}))) == sorted(expected)


def test_counts_per_status_follow_the_other_filters(organizer_client, fair):
    make_application(fair, title="社区一")
    make_application(fair, title="社区二", submit=False)
    make_application(fair, title="河道", summary="巡河与水质监测。")
    listing = list_applications(fair, ListFilters(q="社区", status=ApplicationStatus.draft))
    assert listing.counts[ApplicationStatus.submitted] == 1 and listing.counts[ApplicationStatus.draft] == 1
    assert listing.page.total == 1 and listing.total_any_status == 2
    page = organizer_client.get(url(fair), query_string={"q": "社区"}).get_data(as_text=True)
    pills = re.findall(r'">(\S+)\s*<span class="badge rounded-pill count-badge">(\d+)</span>', page)
    assert ("全部", "2") in pills and ("已提交", "1") in pills and ("草稿", "1") in pills and ("已撤回", "0") in pills


def test_pages_keep_the_filters(organizer_client, fair):
    make_applications(fair, 60, city="扬州市")
    make_application(fair, city="南京市")
    first = organizer_client.get(url(fair), query_string={"city": "扬州市"})
    assert len(titles(first)) == 50
    assert "共 60 个项目" in first.get_data(as_text=True)
    assert "?page=2&amp;city=%E6%89%AC%E5%B7%9E%E5%B8%82" in first.get_data(as_text=True)
    second = organizer_client.get(url(fair), query_string={"city": "扬州市", "page": 2})
    assert len(titles(second)) == 10
    assert organizer_client.get(url(fair), query_string={"page": 99}).status_code == 200


def test_filters_round_trip_through_the_query_string():
    filters = ListFilters(q="助老 社区", category=3, city="南京市", status=ApplicationStatus.draft,
                          kind=OrganisationKind.volunteer, decision="undecided", sort="title", order="desc")
    assert ListFilters.from_args(filters.args()) == filters
    assert ListFilters().args() == {}
    assert ListFilters(sort="title", order="asc").args() == {"sort": "title"}        # A to Z is how titles start


def test_reviewers_see_the_list_but_no_exports(client_as, fair):
    make_application(fair, title="银龄食堂")
    reviewer = client_as(Role.reviewer)
    page = reviewer.get(url(fair)).get_data(as_text=True)
    assert "银龄食堂" in page and "export" not in page and "导出" not in page
    assert reviewer.get(f"{url(fair)}/export.csv").status_code == 403


def test_list_queries_stay_the_same_at_10_and_1000_rows(organizer_client, fair):
    make_applications(fair, 10)
    few = queries_for(organizer_client, url(fair))
    few_filtered = queries_for(organizer_client, f"{url(fair)}?q=社区&sort=funding&kind=volunteer")
    make_applications(fair, 990)
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1000
    assert queries_for(organizer_client, url(fair)) == few
    assert queries_for(organizer_client, f"{url(fair)}?q=社区&sort=funding&kind=volunteer") == few_filtered
