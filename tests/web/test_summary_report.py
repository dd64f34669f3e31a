"""The summary report: its content on a fair with known data in every area (each figure under its label),
the PDF's text in Chinese and in English (titles, figures, amounts, the award list), its pages (header,
footer, nothing past the bottom margin, a long table over several pages with its header repeated), who may
download it, an empty fair's report, and a number of queries that does not grow with the data."""
import re
import secrets
import subprocess
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from fair.applications import services as applications
from fair.auth.models import OrganisationKind, Role
from fair.console import report as report_module
from fair.console.report import gather
from fair.console.report_pdf import (BOTTOM, PAGE_HEIGHT, TOP, BarChart, Figure, Figures, Note, PieChart, Report, Section, Series,
                                     Table, axis, render_report)
from fair.extensions import db
from fair.money import yuan
from fair.times import from_local, utcnow
from fair.visitors import checkins
from fair.visitors.models import PointKind, Policy
from judging.models import Award, AwardTier, JudgingSetup
from sponsorship.models import AgreementStatus, CaringUnit, Meeting, MeetingStatus, Payment, Side
from tests.conftest import count_queries
from tests.factories import (make_application, make_applications, make_judge, make_judging, make_organisation,
                             make_plan, make_shortlisted)
from tests.pdfs import flat, pdf_fonts, pdf_pages
from tests.sponsor_factories import make_agreement, make_project, make_sponsor
from tests.visitor_factories import make_area, make_point, make_scannable_ticket

SECTIONS_ZH = ["一、项目征集", "二、展示与评审", "三、资源对接成果", "四、观众参与"]
SECTIONS_EN = ["1. The call for projects", "2. Exhibition and awards", "3. Resources matched", "4. Attendance"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the fair (20–22 May 2027) on the Shanghai clock, as UTC."""
    return from_local(datetime(2027, 5, day, hour, minute), "Asia/Shanghai")


def report_url(fair, query: str = "") -> str:
    return f"/fairs/{fair.slug}/console/report.pdf{query}"


# --- known data ------------------------------------------------------------------------------------------------

def build_call(fair):
    """6 submitted applications of 5 organisations in 3 cities and 4 categories, 3 of them shortlisted (the
    exhibited projects, returned); a draft and a withdrawn one that count nowhere."""
    categories = fair.categories
    shared = make_organisation(name="南京市鼓楼区青年志愿者协会")
    make_application(fair, shared, category=categories[0], city="南京市")
    make_application(fair, shared, category=categories[0], city="苏州市")
    make_application(fair, category=categories[1], city="苏州市")
    make_application(fair, submit=False)
    applications.withdraw_application(make_application(fair, category=categories[1], city="徐州市"), actor=None)
    return [make_project(fair, title="银龄陪伴计划", category=categories[2], city="无锡市",
                         organisation=make_organisation(name="无锡市滨湖区爱心社工事务所")),
            make_project(fair, title="河道守护志愿行动", category=categories[3], city="无锡市",
                         organisation=make_organisation(name="无锡市梁溪区环保志愿者协会")),
            make_project(fair, title="社区应急救护课堂", category=categories[2], city="无锡市")]


def build_floor_and_awards(fair, exhibited):
    """One hall of 3 zones and 6 booths, 2 of them used; 2 judges; a gold and a special honour, published."""
    _hall, _zones, booths = make_plan(fair, rows=1, per_row=2)
    for booth, project in zip(booths, exhibited[:2]):
        booth.application_id = project.id
    setup, _criteria, tiers = make_judging(fair)
    make_judge(fair)
    make_judge(fair)
    db.session.add_all([Award(fair_id=fair.id, application_id=exhibited[0].id, tier_id=tiers[1].id,
                              certificate_code=secrets.token_hex(8)),
                        Award(fair_id=fair.id, application_id=exhibited[1].id, tier_id=tiers[0].id,
                              certificate_code=secrets.token_hex(8))])
    setup.frozen_at = setup.published_at = utcnow()
    db.session.commit()


def add_meeting(sponsor, project, status: MeetingStatus) -> None:
    db.session.add(Meeting(fair_id=sponsor.fair_id, sponsor_id=sponsor.id, application_id=project.id,
                           requested_by_side=Side.sponsor, status=status, code=secrets.token_hex(8)))


def build_sponsorship(fair, exhibited):
    """2 sponsors (an enterprise, a foundation); meetings: 2 held, 1 no-show, 1 cancelled; agreements signed for
    ¥200,000 and ¥31,000,000 (a draft of ¥50,000 not counted), ¥50,000 paid; one caring unit."""
    enterprise = make_sponsor(fair)
    foundation = make_sponsor(fair, kind=OrganisationKind.foundation)
    for sponsor, project, status in ((enterprise, exhibited[0], MeetingStatus.held),
                                     (foundation, exhibited[1], MeetingStatus.held),
                                     (enterprise, exhibited[2], MeetingStatus.no_show),
                                     (foundation, exhibited[2], MeetingStatus.cancelled)):
        add_meeting(sponsor, project, status)
    small = make_agreement(enterprise, exhibited[0], amount_fen=20_000_000)
    make_agreement(foundation, exhibited[1], amount_fen=3_100_000_000)
    make_agreement(enterprise, exhibited[2], amount_fen=5_000_000, status=AgreementStatus.draft)
    db.session.add_all([Payment(agreement_id=small.id, amount_fen=5_000_000, paid_on=date(2027, 5, 22)),
                        CaringUnit(fair_id=fair.id, organisation_id=enterprise.organisation_id,
                                   certificate_code=secrets.token_hex(8))])
    db.session.commit()


def build_visitors(fair):
    """A visitor and a group of 5: 7 entries (6 on the 20th at 10:00, 1 on the 21st at 14:00), 6 at the outdoor
    activity on the 20th, 1 at a class and 2 at a salon on the 21st; an exit and a refused scan counted nowhere."""
    venue = make_area(fair, "展馆")
    gate = make_point(fair, "gate", kind=PointKind.entry, policy=Policy.daily, area_id=venue.id)
    way_out = make_point(fair, "gate-out", kind=PointKind.exit, policy=Policy.unlimited, area_id=venue.id)
    outdoor = make_point(fair, "outdoor", kind=PointKind.activity, policy=Policy.once)
    lesson = make_point(fair, "class-1", kind=PointKind.class_, policy=Policy.once)
    salon = make_point(fair, "salon-1", kind=PointKind.salon, policy=Policy.once)
    _person, single = make_scannable_ticket(fair)
    _group, group = make_scannable_ticket(fair, name="鼓楼实验小学", group_size=5)
    scans = [(gate, single, at(20, 10, 15), None), (gate, group, at(20, 10, 40), None),
             (way_out, single, at(20, 16), None), (gate, single, at(21, 14, 30), None),
             (gate, "nonsense", at(21, 14, 31), None),
             (outdoor, single, at(20, 13), None), (outdoor, group, at(20, 13, 30), None),
             (lesson, single, at(21, 9), None), (salon, group, at(21, 10), 2)]
    reasons = [checkins.redeem(fair, point, code, scanned_at=moment, people=people).reason
               for point, code, moment, people in scans]
    assert reasons == ["ok", "ok", "ok", "ok", "invalid", "ok", "ok", "ok", "ok"]


@pytest.fixture
def known(fair):
    exhibited = build_call(fair)
    build_floor_and_awards(fair, exhibited)
    build_sponsorship(fair, exhibited)
    build_visitors(fair)
    return SimpleNamespace(fair=fair, exhibited=exhibited)


KNOWN = {
    "一、项目征集": {"申报项目": "6", "申报组织": "5", "覆盖地区": "3", "涉及服务领域": "4", "完成初审": "0",
                "入围项目": "3", "参展项目": "3"},
    "二、展示与评审": {"展馆数": "1", "展区数": "3", "展位数": "6", "已分配展位": "2", "评委人数": "2", "已提交评分": "0",
                  "获奖项目": "2"},
    "三、资源对接成果": {"参与支持方": "2", "已举行洽谈": "2", "洽谈未到场": "1", "签约协议": "2", "获支持项目": "2",
                "签约资金": "¥31,200,000", "已到账": "¥50,000", "爱心单位": "1"},
    "四、观众参与": {"登记观众": "6", "入场人次": "7", "户外体验人次": "6", "课堂与沙龙人次": "3",
                "户外体验活动（项）": "1", "志愿课堂（场）": "1", "志愿沙龙（场）": "1"},
}


def figures_of(report: Report) -> dict[str, dict[str, str]]:
    return {section.title: {item.label: item.value for block in section.blocks if isinstance(block, Figures)
                            for item in block.items} for section in report.sections}


def blocks_of(report: Report, kind) -> dict[str, object]:
    return {block.title: block for section in report.sections for block in section.blocks if isinstance(block, kind)}


# --- the content -------------------------------------------------------------------------------------------

def test_every_figure_on_known_data(known):
    assert figures_of(gather(known.fair, "zh_Hans")) == KNOWN


def test_the_charts_and_tables_on_known_data(known):
    report = gather(known.fair, "zh_Hans")
    charts = blocks_of(report, BarChart)
    categories = charts["各服务领域的申报与入围"]
    assert categories.labels == tuple(category.name for category in known.fair.categories)
    assert [series.values[:4] for series in categories.series] == [(2, 1, 2, 1), (0, 0, 2, 1)]
    cities = charts["各地区的申报与入围"]
    assert list(zip(cities.labels, *(series.values for series in cities.series))) == [
        ("无锡市", 3, 3), ("苏州市", 2, 0), ("南京市", 1, 0)]
    signed = charts["各服务领域的签约资金"]
    assert dict(zip(signed.labels, signed.series[0].values)) == {known.fair.categories[2].name: 20_000_000,
                                                                 known.fair.categories[3].name: 3_100_000_000}
    assert dict(blocks_of(report, PieChart)["各类支持方的签约资金"].slices) == {"爱心企业": 20_000_000,
                                                                      "慈善基金会": 3_100_000_000}
    assert blocks_of(report, PieChart)["各奖项获奖项目数"].slices == (("特别荣誉奖", 1), ("金奖", 1), ("银奖", 0),
                                                                  ("铜奖", 0))
    tables = blocks_of(report, Table)
    assert tables["获奖名单"].rows == (("特别荣誉奖", "河道守护志愿行动", "无锡市梁溪区环保志愿者协会"),
                                    ("金奖", "银龄陪伴计划", "无锡市滨湖区爱心社工事务所"))
    assert tables["每日人次"].rows == (("5月20日", "6", "6", "0"), ("5月21日", "1", "0", "3"))
    days = {title: chart.series[0].values for title, chart in charts.items() if "各时段" in title}
    assert days == {"5月20日 各时段入场人数": (6, 0, 0, 0, 0), "5月21日 各时段入场人数": (0, 0, 0, 0, 1)}
    assert charts["5月20日 各时段入场人数"].labels[0] == "10:00" and charts["5月21日 各时段入场人数"].scale == 6


def test_the_header_and_the_time_of_writing_are_the_fairs(known):
    report = gather(known.fair, "zh_Hans", now=datetime(2027, 5, 23, 10, 5, tzinfo=timezone.utc))
    assert (report.fair_name, report.dates) == (known.fair.name, "2027年5月20日 – 22日")
    assert report.generated == "生成于 2027年5月23日 18:05（Asia/Shanghai）"
    english = gather(known.fair, "en", now=datetime(2027, 5, 23, 10, 5, tzinfo=timezone.utc))
    assert english.dates == "May 20 – 22, 2027" and "May 23, 2027 18:05" in english.generated


def test_before_the_results_are_published_the_report_lists_no_award(known):
    setup = db.session.get(JudgingSetup, known.fair.id)
    setup.published_at = None
    db.session.commit()
    report = gather(known.fair, "zh_Hans")
    assert figures_of(report)["二、展示与评审"]["获奖项目"] == "0"
    assert "获奖名单" not in blocks_of(report, Table)
    assert Note("评审结果尚未发布。") in report.sections[1].blocks


def test_a_section_no_area_fills_says_so(known, monkeypatch):
    monkeypatch.setattr(report_module, "REPORT_PARTS",
                        [part for part in report_module.REPORT_PARTS if part.section != "resources"])
    assert gather(known.fair, "zh_Hans").sections[2] == Section("三、资源对接成果", (Note("暂无数据。"),))


def test_a_part_names_a_known_section():
    with pytest.raises(KeyError):
        report_module.report_part("awards", order=1)


# --- the download ----------------------------------------------------------------------------------------------

def test_an_organizer_downloads_the_report_in_chinese(client_as, known):
    response = client_as(Role.organizer).get(report_url(known.fair))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=report-{known.fair.slug}.pdf"
    text = flat("".join(pdf_pages(response.data)))
    for words in ["总结简报", known.fair.name, *SECTIONS_ZH, "¥31,200,000", "¥50,000", "获奖名单", "河道守护志愿行动",
                  "无锡市梁溪区环保志愿者协会", "银龄陪伴计划", "特别荣誉奖", "各服务领域的签约资金", "慈善基金会"]:
        assert flat(words) in text, words
    for section in KNOWN.values():
        for label, value in section.items():
            assert flat(label) in text and value in text, label
    assert all(font["embedded"] for font in pdf_fonts(response.data))
    unknown_language = client_as(Role.organizer).get(report_url(known.fair, "?lang=fr"))
    assert SECTIONS_ZH[0] in "".join(pdf_pages(unknown_language.data))


def test_the_report_in_english(client_as, known):
    response = client_as(Role.organizer).get(report_url(known.fair, "?lang=en"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=report-{known.fair.slug}-en.pdf"
    text = " ".join(pdf_pages(response.data))
    for words in ["Summary report", *SECTIONS_EN, "May 20 – 22, 2027", "Special honour", "Gold", "¥31,200,000",
                  known.fair.categories[2].name_en, "Hall 1"]:
        assert words in text, words
    assert "一、项目征集" not in text


def test_pages_carry_the_header_and_numbers_and_nothing_runs_past_the_bottom(client_as, known):
    content = client_as(Role.organizer).get(report_url(known.fair)).data
    pages = pdf_pages(content)
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert known.fair.name in page and "2027年5月20日 – 22日" in page
        assert f"第 {number} 页，共 {len(pages)} 页" in page
    assert_within_margins(content)


def words_by_page(content: bytes) -> list[list[tuple[float, float, str]]]:
    """Each page's words as (top, bottom, text), from the top of the page down, as pdftotext places them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(content)
        html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
    return [[(float(top), float(bottom), word) for top, bottom, word in
             re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
            for page in html.split("<page ")[1:]]


def assert_within_margins(content: bytes) -> None:
    """Every word is in the header band, the body or the footer band, none across their edges."""
    body_top, body_bottom = TOP, PAGE_HEIGHT - BOTTOM
    for page in words_by_page(content):
        for top, bottom, word in page:
            assert bottom < body_top - 10 or (top >= body_top - 1 and bottom <= body_bottom + 1) \
                or top > body_bottom + 10, (word, top, bottom)


def test_a_long_table_goes_on_over_pages_with_its_header():
    rows = tuple((f"第{number}名", f"项目{number:03d}" + "志愿服务" * (number % 7), f"单位{number:03d}")
                 for number in range(1, 151))
    report = Report("总结简报", "测试展会", "2027年5月20日 – 22日", "南京", "生成于 今天", "第 %(page)s 页，共 %(pages)s 页",
                    (Section("一、名单", (Table("获奖名单", ("名次", "项目", "单位"), rows, (0.2, 0.5, 0.3)),)),))
    content = render_report(report)
    pages = pdf_pages(content)
    assert len(pages) >= 4
    found = [name for page in pages for name in re.findall(r"项目\d{3}", page)]
    assert found == [f"项目{number:03d}" for number in range(1, 151)]
    assert all("名次" in page and "单位" in page for page in pages)
    assert_within_margins(content)


def test_charts_state_their_values_in_text():
    chart = BarChart("签约资金", ("助老", "环保"), (Series("签约资金", (123_456_700, 50_000_000)),), money=True)
    pie = PieChart("支持方", (("爱心企业", 3), ("慈善基金会", 1)))
    hours = BarChart("入场", ("09:00", "10:00"), (Series("入场人次", (1_234, 56)),), horizontal=False)
    report = Report("简报", "展会", "", "", "", "%(page)s/%(pages)s",
                    (Section("一", (chart, pie, hours, Figures((Figure("登记观众", "50,000"),)),
                                   Note("“Tom & Jerry” <爱心> 行动"))),))
    text = pdf_pages(render_report(report))[0]
    for words in ("¥1,234,567", "¥500,000", "助老", "75.0%", "25.0%", "慈善基金会", "1,234", "09:00", "50,000",
                  "“Tom & Jerry” <爱心> 行动"):
        assert words in text, words


@pytest.mark.parametrize("largest, expected", [(0, (1, 1)), (3, (3, 1)), (7, (8, 2)), (570, (600, 200)),
                                               (28_903, (30_000, 10_000)), (3_100_000_000, (4_000_000_000,
                                                                                           1_000_000_000))])
def test_value_axes_end_just_above_the_largest_value(largest, expected):
    assert axis(largest) == expected


def test_money_is_written_in_yuan_from_fen():
    assert [yuan(value) for value in (0, 3_120_000_000, 12_345, -500)] == ["¥0", "¥31,200,000", "¥123.45", "-¥5"]


def test_an_empty_fairs_report_says_there_is_nothing_yet(client_as, fair):
    response = client_as(Role.organizer).get(report_url(fair))
    assert response.status_code == 200
    text = "".join(pdf_pages(response.data))
    for words in [*SECTIONS_ZH, "还没有收到申报。", "还没有展位图。", "还没有开始专家评审。", "还没有支持方参与对接。",
                  "还没有观众登记或入场记录。"]:
        assert words in text, words


@pytest.mark.parametrize("role", [Role.reviewer, Role.judge, Role.sponsor, Role.exhibitor, Role.gate_staff])
def test_the_report_is_for_organizers(client_as, fair, role):
    response = client_as(role).get(report_url(fair))
    assert response.status_code == 403 and "组织方" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client, fair):
    response = client.get(report_url(fair))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_fair_is_not_found(client_as, fair):
    assert client_as(Role.organizer).get("/fairs/no-such-fair/console/report.pdf").status_code == 404


# --- queries -----------------------------------------------------------------------------------------------

def more_of_everything(known) -> None:
    """Ten more applications, two more awards, agreements and meetings, a third day of visitors."""
    fair = known.fair
    make_applications(fair, 10)
    extra = make_shortlisted(fair, 2, category=fair.categories[4], city="常州市")
    bronze = db.session.scalars(sa.select(AwardTier).where(AwardTier.fair_id == fair.id, AwardTier.position == 3)).one()
    sponsor = make_sponsor(fair, kind=OrganisationKind.social_work)
    for project in extra:
        db.session.add(Award(fair_id=fair.id, application_id=project.id, tier_id=bronze.id,
                             certificate_code=secrets.token_hex(8)))
        add_meeting(sponsor, project, MeetingStatus.held)
        make_agreement(sponsor, project, amount_fen=1_000_000)
    gate = make_point(fair, "gate-2", kind=PointKind.entry, policy=Policy.daily)
    for _ in range(3):
        _ticket, code = make_scannable_ticket(fair)
        assert checkins.redeem(fair, gate, code, scanned_at=at(22, 11)).reason == "ok"
    db.session.commit()


def test_the_number_of_queries_does_not_grow_with_the_data(client_as, known):
    organizer = client_as(Role.organizer)
    organizer.get(report_url(known.fair))
    with count_queries() as small:
        assert organizer.get(report_url(known.fair)).status_code == 200
    more_of_everything(known)
    with count_queries() as larger:
        response = organizer.get(report_url(known.fair))
    assert response.status_code == 200 and "¥31,220,000" in "".join(pdf_pages(response.data))
    assert len(larger) == len(small)


def test_the_dashboard_links_the_report_in_both_languages(client_as, fair):
    page = client_as(Role.organizer).get(f"/fairs/{fair.slug}/console").get_data(as_text=True)
    assert f"/fairs/{fair.slug}/console/report.pdf" in page and f"/fairs/{fair.slug}/console/report.pdf?lang=en" in page
