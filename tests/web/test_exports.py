"""Every list's export: the rows the page shows under its filters, in CSV and XLSX, for organizers only."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from fair.auth.models import Role
from fair.extensions import db
from tests.conftest import count_queries
from tests.factories import make_application, make_criterion, make_member, make_review


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def both(client, url: str) -> tuple[list[list[str]], list[list]]:
    """The CSV and the XLSX of one export URL (without its format)."""
    joiner = "&" if "?" in url else "?"
    return read_csv(client.get(f"{url}{joiner}format=csv")), read_xlsx(client.get(f"{url}{joiner}format=xlsx"))


def column(rows: list[list], header: str) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def queries_of(client, url: str) -> int:
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


# --- screening results -----------------------------------------------------------------------------------

@pytest.fixture
def reviewed(fair):
    """Three applications reviewed: one disagreed on widely (90 vs 30), one mildly, one by a single reviewer."""
    criterion = make_criterion(fair, weight=100)
    reviewers = [make_member(fair, Role.reviewer) for _ in range(2)]
    wide = make_application(fair, title="=HYPERLINK(\"http://x\")助老")
    mild = make_application(fair, title="银龄食堂")
    single = make_application(fair, title="青少年课堂")
    for application, points in ((wide, (9, 3)), (mild, (8, 7)), (single, (5,))):
        for reviewer, value in zip(reviewers, points):
            make_review(application, reviewer, {criterion: value})
    return wide, mild, single


def test_screening_results_export_is_the_page_in_its_order(client_as, fair, reviewed):
    wide, mild, single = reviewed
    client = client_as(Role.organizer)
    base = f"/fairs/{fair.slug}/screening/results/export?threshold=50&order=mean"
    as_csv, as_xlsx = both(client, base)
    assert as_csv[0] == ["编号", "项目名称", "服务领域", "申报单位", "评审数", "平均分", "分差", "分歧"]
    assert column(as_csv, "编号") == [str(mild.id), str(wide.id), str(single.id)]        # mean: 75, 60, 50
    assert column(as_csv, "项目名称")[:2] == ["银龄食堂", "'=HYPERLINK(\"http://x\")助老"]
    assert column(as_csv, "分歧") == ["否", "是", "否"]
    assert column(as_csv, "分差") == ["10.0", "60.0", ""]
    assert column(as_xlsx, "编号") == [mild.id, wide.id, single.id]
    assert column(as_xlsx, "平均分") == [75.0, 60.0, 50.0]
    assert column(as_xlsx, "项目名称")[1] == "=HYPERLINK(\"http://x\")助老"          # text, not a formula
    page = client.get(f"/fairs/{fair.slug}/screening/results?threshold=50&order=mean").get_data(as_text=True)
    assert "results/export?" in page and "format=xlsx" in page and "threshold=50" in page


def test_screening_results_export_is_for_organizers(client_as, fair, reviewed):
    for role in (Role.reviewer, Role.judge, Role.exhibitor):
        assert client_as(role).get(f"/fairs/{fair.slug}/screening/results/export?format=csv").status_code == 403
    assert client_as(Role.organizer).get(f"/fairs/{fair.slug}/screening/results/export?format=pdf").status_code == 400


# --- shortlist -------------------------------------------------------------------------------------------

from tests.web.test_shortlist import _many_entries, _propose, _settings, screened  # noqa: E402,F401


def test_shortlist_export_is_the_tab_shown(client_as, fair, screened):
    _settings(fair, 3)
    _propose(fair)
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/shortlist/export?tab=shortlist")
    assert column(as_csv, "项目名称") == ["银龄食堂", "助老热线", "老年课堂"]
    assert column(as_csv, "结果") == ["入围"] * 3
    assert column(as_xlsx, "排名") == [1, 2, 3]
    assert column(as_xlsx, "平均分")[0] == 9.0 and column(as_xlsx, "评审数") == [2, 2, 2]
    everything = read_csv(client.get(f"/fairs/{fair.slug}/shortlist/export?format=csv"))
    assert len(everything) - 1 == 7 and column(everything, "项目名称")[-1] == "未评项目"
    waitlist = read_xlsx(client.get(f"/fairs/{fair.slug}/shortlist/export?tab=waitlist&format=xlsx"))
    page = client.get(f"/fairs/{fair.slug}/shortlist?tab=waitlist").get_data(as_text=True)
    assert all(title in page for title in column(waitlist, "项目名称"))
    assert column(waitlist, "候补位次") == sorted(column(waitlist, "候补位次"))
    assert "shortlist/export?" in page and "tab=waitlist" in page


def test_shortlist_export_queries_do_not_grow(client_as, fair):
    client = client_as(Role.organizer)
    _many_entries(fair, 10)
    few = queries_of(client, f"/fairs/{fair.slug}/shortlist/export?format=xlsx")
    _many_entries(fair, 300)
    assert queries_of(client, f"/fairs/{fair.slug}/shortlist/export?format=xlsx") == few
    assert client_as(Role.reviewer).get(f"/fairs/{fair.slug}/shortlist/export").status_code == 403


# --- judging results, scores and awards ------------------------------------------------------------------

from judging import awards  # noqa: E402
from tests.web.test_awards import crossed  # noqa: E402
from tests.web.test_results import _scored_fair  # noqa: E402


def test_judging_results_export_has_the_scores_ranks_and_tiers_shown(fair, client_as):
    crossed(fair, {"银龄食堂": [9, 9, 8], "四点半课堂": [3, 9, 2], "青春护河": [6, 6, 6], "暑期夏令营": [2, 2, 2]})
    current = {entry.application.title: entry for entry in awards.results(fair).projects}
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/judging/results/export")
    assert column(as_csv, "项目名称") == [entry.application.title for entry in awards.results(fair).projects]
    food = current["银龄食堂"]
    row = as_xlsx[1 + column(as_xlsx, "项目名称").index("银龄食堂")]
    headers = as_xlsx[0]
    assert row[headers.index("原始均分")] == round(food.raw_mean, 1)
    assert row[headers.index("校正分")] == round(food.estimate, 1)
    assert row[headers.index("排名")] == food.rank
    assert row[headers.index("暂定奖项")] == food.tier.name
    assert "评委分歧" in column(as_csv, "标记")[column(as_csv, "项目名称").index("四点半课堂")]
    flagged = read_csv(client.get(f"/fairs/{fair.slug}/judging/results/export?flagged=1&format=csv"))
    page = client.get(f"/fairs/{fair.slug}/judging/results?flagged=1").get_data(as_text=True)
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert sorted(column(flagged, "项目名称")) == sorted(title for title in current if title in table)
    assert "results/export?" in page and "awards/export?" in page and "flagged=1" in page


def test_awards_export_lists_each_award_best_tier_first(fair, client_as):
    crossed(fair, {"银龄食堂": [9, 9, 8], "四点半课堂": [3, 9, 2], "青春护河": [6, 6, 6], "暑期夏令营": [2, 2, 2]})
    expected = [(entry.tier.name, entry.application.title) for entry in awards.results(fair).projects if entry.tier]
    rows = read_xlsx(client_as(Role.organizer).get(f"/fairs/{fair.slug}/judging/results/awards/export?format=xlsx"))
    assert list(zip(column(rows, "奖项"), column(rows, "项目名称"))) == expected
    assert column(rows, "奖项")[0] == "金奖"


def test_judging_exports_are_for_organizers_and_bounded(fair, organizer, client_as):
    from tests.factories import make_fair
    large = make_fair(organizer)
    _scored_fair(fair, 4, 3)
    _scored_fair(large, 20, 6)
    client = client_as(Role.organizer)
    for path in ("results/export", "results/awards/export"):
        assert queries_of(client, f"/fairs/{fair.slug}/judging/{path}?format=xlsx") == \
            queries_of(client, f"/fairs/{large.slug}/judging/{path}?format=xlsx")
        assert client_as(Role.judge).get(f"/fairs/{fair.slug}/judging/{path}").status_code == 403


# --- agreements ------------------------------------------------------------------------------------------

from sponsorship.models import AgreementStatus  # noqa: E402
from tests.sponsor_factories import make_agreement, make_project, make_sponsor  # noqa: E402

SIGNED_AT = datetime(2027, 5, 21, 2, 5, tzinfo=timezone.utc)       # 10:05 in Nanjing


def agreements_made(fair, count: int) -> list:
    sponsor = make_sponsor(fair)
    return [make_agreement(sponsor, make_project(fair, title=f"“银龄”助餐{n}"), amount_fen=3_120_000_050 + n)
            for n in range(count)]


def test_agreements_export_is_the_filtered_list_with_yuan_and_local_times(fair, client_as):
    signed = agreements_made(fair, 2)
    for agreement in signed:
        agreement.signed_at = SIGNED_AT
    db.session.commit()
    draft = make_agreement(signed[0].sponsor, make_project(fair, title="@cmd 四点半课堂"), amount_fen=100,
                           status=AgreementStatus.draft)
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/sponsorship/agreements/export?status=signed")
    assert sorted(column(as_csv, "协议编号")) == sorted(agreement.number for agreement in signed)
    assert column(as_csv, "状态") == ["已签约", "已签约"]
    assert sorted(column(as_csv, "金额")) == ["31200000.50", "31200000.51"]
    assert column(as_csv, "签约时间") == ["2027-05-21 10:05"] * 2
    assert sorted(column(as_xlsx, "金额")) == pytest.approx([31_200_000.50, 31_200_000.51])
    assert column(as_xlsx, "签约时间") == [datetime(2027, 5, 21, 10, 5)] * 2
    assert column(as_xlsx, "期限起") == [datetime(2027, 6, 1)] * 2
    everything = read_csv(client.get(f"/fairs/{fair.slug}/sponsorship/agreements/export?format=csv"))
    assert draft.number in column(everything, "协议编号")
    assert "'@cmd 四点半课堂" in column(everything, "项目")
    page = client.get(f"/fairs/{fair.slug}/sponsorship/agreements?status=signed").get_data(as_text=True)
    assert "agreements/export?" in page and "status=signed" in page


def test_agreements_export_is_for_organizers_and_bounded(fair, client_as):
    client = client_as(Role.organizer)
    agreements_made(fair, 2)
    few = queries_of(client, f"/fairs/{fair.slug}/sponsorship/agreements/export?format=xlsx")
    agreements_made(fair, 20)
    assert queries_of(client, f"/fairs/{fair.slug}/sponsorship/agreements/export?format=xlsx") == few
    for role in (Role.sponsor, Role.exhibitor):
        assert client_as(role).get(f"/fairs/{fair.slug}/sponsorship/agreements/export").status_code == 403
    page = client_as(Role.sponsor).get(f"/fairs/{fair.slug}/sponsorship/agreements").get_data(as_text=True)
    assert "agreements/export" not in page


# --- meetings --------------------------------------------------------------------------------------------

from fair.booths import placing  # noqa: E402
from tests.factories import make_plan  # noqa: E402
from tests.sponsor_factories import make_meeting_area  # noqa: E402
from tests.web.test_meetings import accepted, populate  # noqa: E402
from tests.web.test_meetings import make_representative as meeting_representative  # noqa: E402


def test_meetings_export_is_the_grids_day_in_slot_order(fair, organizer, client_as):
    # slots from 09:00 (UTC+8) on the first day, and one on the second day
    tables, slots = make_meeting_area(fair, tables=2, slots=3)
    _more_tables, later = make_meeting_area(fair, tables=0, slots=1,
                                            first=slots[0].starts_at + timedelta(days=1))
    accepted(make_sponsor(fair), make_project(fair, title="社区书屋"), slot=slots[1], table=tables[1])
    accepted(make_sponsor(fair), make_project(fair, title="=河湖守护"), slot=slots[0], table=tables[0])
    booth_project = make_project(fair, title="助残工坊")
    _hall, _zones, booths = make_plan(fair, actor=organizer)
    placing.assign(booths[0], booth_project, actor=organizer, version=booths[0].version)
    accepted(make_sponsor(fair), booth_project, slot=slots[0], at_booth=True)
    accepted(make_sponsor(fair), make_project(fair, title="次日项目"), slot=later[0], table=tables[0])
    client = client_as(Role.organizer)
    day = fair.starts_on.isoformat()
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/sponsorship/meetings/grid/export?day={day}")
    assert column(as_csv, "项目") == ["'=河湖守护", "助残工坊", "社区书屋"]
    assert column(as_csv, "开始") == [f"{day} 09:00", f"{day} 09:00", f"{day} 09:30"]
    assert column(as_csv, "地点") == [tables[0].name, f"展位 {booths[0].code}", tables[1].name]
    assert column(as_csv, "状态") == ["已确认"] * 3
    assert column(as_xlsx, "结束")[2] == datetime.combine(fair.starts_on, datetime.min.time()).replace(hour=10)
    assert column(as_xlsx, "项目")[0] == "=河湖守护"
    next_day = read_csv(client.get(f"/fairs/{fair.slug}/sponsorship/meetings/grid/export?format=csv"
                                   f"&day={(fair.starts_on + timedelta(days=1)).isoformat()}"))
    assert column(next_day, "项目") == ["次日项目"]
    page = client.get(f"/fairs/{fair.slug}/sponsorship/meetings/grid?day={day}").get_data(as_text=True)
    assert "grid/export?" in page and f"day={day}" in page


def test_meetings_export_is_for_organizers_and_bounded(fair, client_as):
    tables, slots = make_meeting_area(fair, tables=4, slots=12)
    sponsor = make_sponsor(fair)
    representative = meeting_representative(sponsor)
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/sponsorship/meetings/grid/export?format=xlsx"
    populate(fair, sponsor, representative, slots, tables, 1)
    few = queries_of(client, url)
    populate(fair, sponsor, representative, slots[1:], tables, 8)
    assert queries_of(client, url) == few
    assert len(read_xlsx(client.get(url))) == 1 + 9
    for role in (Role.sponsor, Role.exhibitor):
        assert client_as(role).get(url).status_code == 403


# --- visitors' tickets and check-ins ---------------------------------------------------------------------

import sqlalchemy as sa  # noqa: E402

from fair.audit.models import AuditEvent  # noqa: E402
from fair.times import from_local  # noqa: E402
from fair.visitors.checkins import redeem  # noqa: E402
from fair.visitors.models import PointKind, Policy, VisitorKind  # noqa: E402
from tests.visitor_factories import make_point, make_scannable_ticket, make_tickets  # noqa: E402


def exported(action: str) -> list[dict]:
    db.session.rollback()
    return [event.after for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                                       .order_by(AuditEvent.id))]


def test_tickets_export_is_the_searched_list_with_full_phones_and_is_audited(fair, client_as):
    make_tickets(fair, 3, group_name="鼓楼中学", kind=VisitorKind.group)
    make_tickets(fair, 2, group_name="@SUM(1)", kind=VisitorKind.group)
    loner, _text = make_scannable_ticket(fair, name="张晓燕", phone="13912345678")
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/visitors/tickets/export?group=鼓楼中学")
    assert len(as_csv) - 1 == 3 and set(column(as_csv, "团体名称")) == {"鼓楼中学"}
    assert column(as_xlsx, "观众类型") == ["学校或团体"] * 3
    found = read_csv(client.get(f"/fairs/{fair.slug}/visitors/tickets/export?q=张晓燕&format=csv"))
    assert column(found, "手机号") == ["13912345678"] and column(found, "入场码") == [loner.code]
    assert column(found, "状态") == ["有效"]
    formulas = read_csv(client.get(f"/fairs/{fair.slug}/visitors/tickets/export?q=SUM&format=csv"))
    assert set(column(formulas, "团体名称")) == {"'@SUM(1)"}
    everything = read_xlsx(client.get(f"/fairs/{fair.slug}/visitors/tickets/export?format=xlsx"))
    page = client.get(f"/fairs/{fair.slug}/visitors/tickets").get_data(as_text=True)
    assert all(name in page for name in column(everything, "姓名"))
    assert column(everything, "入场码")[0] == loner.code                 # newest first, as the page
    assert [event["count"] for event in exported("visitors.ticket_list.exported")] == [3, 3, 1, 2, 6]
    assert "tickets/export?" in page


def test_tickets_export_is_for_organizers_and_bounded(fair, client_as):
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/visitors/tickets/export?format=xlsx"
    make_tickets(fair, 5)
    few = queries_of(client, url)
    make_tickets(fair, 300)
    assert queries_of(client, url) == few
    assert len(read_xlsx(client.get(url))) == 1 + 305
    for role in (Role.gate_staff, Role.exhibitor):
        assert client_as(role).get(url).status_code == 403
    assert len(exported("visitors.ticket_list.exported")) == 3


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return from_local(datetime(2027, 5, day, hour, minute), "Asia/Shanghai")


def test_checkins_export_lists_a_days_scans_with_point_time_and_reason(fair, client_as):
    gate = make_point(fair, "east-gate", name="东门", kind=PointKind.entry, policy=Policy.daily)
    salon = make_point(fair, "salon", name="志愿沙龙厅", kind=PointKind.salon)
    ticket, code = make_scannable_ticket(fair, name="李四")
    redeem(fair, gate, code, scanned_at=shanghai(20, 9, 5))
    redeem(fair, gate, code, scanned_at=shanghai(20, 9, 30))
    redeem(fair, gate, "=cmd|' /C calc'!A0", scanned_at=shanghai(20, 10))
    redeem(fair, gate, code, scanned_at=shanghai(21, 0, 10))         # the next day, Shanghai time
    redeem(fair, salon, code, scanned_at=shanghai(20, 14))
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/visitors/checkins/export?day=2027-05-20")
    assert column(as_csv, "扫码时间") == ["2027-05-20 09:05", "2027-05-20 09:30", "2027-05-20 10:00",
                                      "2027-05-20 14:00"]
    assert column(as_csv, "签到点") == ["东门", "东门", "东门", "志愿沙龙厅"]
    assert column(as_csv, "结果")[:3] == ["可以入场", "已签到过", "无效的入场码"]
    assert column(as_csv, "姓名") == ["李四", "李四", "", "李四"]
    assert column(as_xlsx, "扫码时间")[0] == datetime(2027, 5, 20, 9, 5)
    at_gate = read_csv(client.get(f"/fairs/{fair.slug}/visitors/checkins/export?day=2027-05-20"
                                  f"&point={gate.id}&format=csv"))
    assert len(at_gate) - 1 == 3
    next_day = read_xlsx(client.get(f"/fairs/{fair.slug}/visitors/checkins/export?day=2027-05-21&format=xlsx"))
    assert column(next_day, "扫码时间") == [datetime(2027, 5, 21, 0, 10)]
    assert [event["count"] for event in exported("visitors.checkins.exported")] == [4, 4, 3, 1]
    page = client.get(f"/fairs/{fair.slug}/visitors/counters").get_data(as_text=True)
    assert "checkins/export" in page and 'name="format" value="xlsx"' in page
    assert ticket.code in column(as_csv, "入场码")


def test_checkins_export_is_for_organizers_and_bounded(fair, client_as):
    gate = make_point(fair, "gate", kind=PointKind.entry, policy=Policy.unlimited)
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/visitors/checkins/export?day=2027-05-20&format=xlsx"
    _ticket, code = make_scannable_ticket(fair)
    redeem(fair, gate, code, scanned_at=shanghai(20, 9))
    few = queries_of(client, url)
    for minute in range(40):
        redeem(fair, gate, code, scanned_at=shanghai(20, 10, minute))
    assert queries_of(client, url) == few
    assert len(read_xlsx(client.get(url))) == 1 + 41
    for role in (Role.gate_staff, Role.reviewer):
        assert client_as(role).get(url).status_code == 403


# --- booths ----------------------------------------------------------------------------------------------

from fair.booths import services as booth_services  # noqa: E402
from tests.factories import make_shortlisted  # noqa: E402


def test_booths_export_is_the_plan_with_each_project(fair, organizer, client_as):
    hall, zones, booths = make_plan(fair, rows=1, per_row=2, actor=organizer)
    project = make_shortlisted(fair, 1, title="+银龄食堂")[0]
    placing.assign(booths[1], project, actor=organizer, version=booths[1].version)
    other = booth_services.create_hall(fair, booth_services.HallDetails("二号馆", 30, 20, "Hall 2"), actor=organizer)
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/booths/export")
    assert column(as_csv, "展位号") == [booth.code for booth in booths]
    assert column(as_csv, "展馆") == ["一号馆"] * len(booths)
    assert column(as_csv, "展区")[:2] == [zones[0].name] * 2
    assert column(as_csv, "项目名称")[:2] == ["", "'+银龄食堂"]
    assert column(as_csv, "用电")[0] == "是" and column(as_csv, "锁定")[0] == "否"
    assert column(as_xlsx, "项目编号")[:2] == [None, project.id]
    assert column(as_xlsx, "项目名称")[1] == "+银龄食堂"
    assert read_csv(client.get(f"/fairs/{fair.slug}/booths/export?hall={other.id}&format=csv")) == [as_csv[0]]
    assert "booths/export?" in client.get(f"/fairs/{fair.slug}/booths/allocation").get_data(as_text=True)
    plan_page = client.get(f"/fairs/{fair.slug}/booths?hall={hall.id}").get_data(as_text=True)
    assert f"hall={hall.id}" in plan_page.split("booths/export?")[1].split('"')[0]


def test_booths_export_is_for_organizers_and_bounded(fair, organizer, client_as):
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/booths/export?format=xlsx"
    _hall, _zones, booths = make_plan(fair, rows=1, per_row=2, actor=organizer)
    few = queries_of(client, url)
    for index, booth in enumerate(booths[2:]):
        project = make_shortlisted(fair, 1, category=fair.categories[1 + index // 2])[0]
        placing.assign(booth, project, actor=organizer, version=booth.version)
    assert queries_of(client, url) == few
    for role in (Role.exhibitor, Role.judge):
        assert client_as(role).get(url).status_code == 403


# --- the exports that were there before: sponsors, ledger, applications ----------------------------------

from fair.auth.models import OrganisationKind  # noqa: E402
from sponsorship import ledger  # noqa: E402
from tests.factories import make_organisation  # noqa: E402


def test_sponsors_export_in_both_formats_keeps_the_filters_and_is_audited(fair, client_as):
    make_sponsor(fair, organisation=make_organisation(name="导出企业", kind=OrganisationKind.enterprise),
                 contact_name="导出联系人", contact_phone="13712345678", budget_min_fen=1_000_050)
    make_sponsor(fair, organisation=make_organisation(name="别的基金会", kind=OrganisationKind.foundation))
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/sponsorship/sponsors/export?kind=enterprise")
    assert column(as_csv, "单位名称") == ["导出企业"] and column(as_csv, "预算下限（元）") == ["10000.50"]
    assert column(as_xlsx, "联系人手机") == ["13712345678"]
    assert column(as_xlsx, "预算下限（元）") == [pytest.approx(10_000.50)]
    assert [event["rows"] for event in exported("sponsorship.sponsors.exported")] == [1, 1]
    page = client.get(f"/fairs/{fair.slug}/sponsorship/sponsors?kind=enterprise").get_data(as_text=True)
    assert "sponsors/export?" in page and "kind=enterprise" in page.split("sponsors/export?")[1].split('"')[0]
    assert client_as(Role.sponsor).get(f"/fairs/{fair.slug}/sponsorship/sponsors/export").status_code == 403


def test_ledger_export_in_excel_has_yuan_and_local_times(fair, client_as):
    agreement = agreements_made(fair, 1)[0]
    agreement.signed_at = SIGNED_AT
    db.session.commit()
    make_agreement(agreement.sponsor, make_project(fair, title="暑期夏令营"), status=AgreementStatus.draft)
    client = client_as(Role.organizer)
    as_csv, as_xlsx = both(client, f"/fairs/{fair.slug}/sponsorship/ledger/export?show=signed")
    assert as_csv[0] == ledger.CSV_HEADER
    assert column(as_csv, "资金（元）") == ["31200000.50"] and column(as_csv, "签约时间") == ["2027-05-21 10:05"]
    assert column(as_xlsx, "资金（元）") == [pytest.approx(31_200_000.50)]
    assert column(as_xlsx, "签约时间") == [datetime(2027, 5, 21, 10, 5)]
    assert client.get(f"/fairs/{fair.slug}/sponsorship/ledger.csv?show=signed").data == \
        client.get(f"/fairs/{fair.slug}/sponsorship/ledger/export?show=signed&format=csv").data
    assert client_as(Role.sponsor).get(f"/fairs/{fair.slug}/sponsorship/ledger/export").status_code == 403


def test_applications_exports_are_audited(fair, client_as):
    make_application(fair, title="银龄食堂")
    make_application(fair, title="青春护河")
    client = client_as(Role.organizer)
    assert client.get(f"/fairs/{fair.slug}/applications/export.csv?q=食堂").status_code == 200
    assert client.get(f"/fairs/{fair.slug}/applications/export.xlsx").status_code == 200
    assert exported("applications.exported") == [{"count": 1, "format": "csv"}, {"count": 2, "format": "xlsx"}]


def test_screening_results_export_queries_do_not_grow(fair, client_as):
    criterion = make_criterion(fair, weight=100)
    reviewer = make_member(fair, Role.reviewer)
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/screening/results/export?format=xlsx"
    make_review(make_application(fair), reviewer, {criterion: 5})
    few = queries_of(client, url)
    for _ in range(15):
        make_review(make_application(fair), reviewer, {criterion: 7})
    assert queries_of(client, url) == few
    assert len(read_xlsx(client.get(url))) == 1 + 16


def test_applications_export_queries_do_not_grow(fair, client_as):
    client = client_as(Role.organizer)
    make_application(fair)
    few = queries_of(client, f"/fairs/{fair.slug}/applications/export.xlsx")
    for _ in range(10):
        make_application(fair)
    assert queries_of(client, f"/fairs/{fair.slug}/applications/export.xlsx") == few
