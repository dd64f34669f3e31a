"""Bulk import (XLSX, CSV in UTF-8, UTF-8 with BOM and GBK; dry run, then all or nothing) and exports."""
import csv
import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from fair.applications import services
from fair.applications.models import Application, ApplicationStatus, BoothSize
from fair.applications.spreadsheet import COLUMNS, read_table
from fair.audit.models import AuditEvent
from fair.auth import credit_code
from fair.auth.models import Organisation, OrganisationKind, Role
from fair.extensions import db
from tests.factories import make_application, make_organisation, spreadsheet, spreadsheet_row


def code(serial: int) -> str:
    """A valid 统一社会信用代码 (its check character computed)."""
    first17 = f"5132010{serial:010d}"
    return first17 + credit_code.check_character(first17)


def xlsx(table: list[list]) -> bytes:
    workbook = Workbook()
    for row in table:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(table: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode(encoding)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, fair, content: bytes, name: str = "projects.xlsx"):
    return client.post(f"/fairs/{fair.slug}/applications/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name)})


def confirm_token(page: str) -> str:
    import re
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def test_xlsx_dry_run_then_confirm_saves_everything_with_its_audit(organizer_client, fair, organizer):
    rows = [
        spreadsheet_row(organisation_name="夕阳红助老志愿服务队", credit_code=code(1), title="银龄食堂",
                        funding_need=120000.5, support_wanted="资金、场地", booth_size="双展位", needs_power="是",
                        submitted_at="2027-03-01 09:30", beneficiaries=1200),
        spreadsheet_row(organisation_name="夕阳红助老志愿服务队", credit_code=code(1), title="智能手机课堂",
                        status="草稿", category="青少年"),
        spreadsheet_row(organisation_name="绿色行动协会", credit_code="", title="古城河道守护", category="环保",
                        organisation_kind="社工机构"),
    ]
    dry_run = upload(organizer_client, fair, xlsx(spreadsheet(rows)))
    page = dry_run.get_data(as_text=True)
    assert dry_run.status_code == 200, page
    assert "检查通过" in page and "将新建 2 个申报单位" in page and "确认导入 3 个项目" in page
    assert count(Application) == 0                    # a dry run writes nothing

    done = organizer_client.post(f"/fairs/{fair.slug}/applications/import/confirm",
                                 data={"token": confirm_token(page)})
    assert done.status_code == 302
    assert "已导入 3 个项目，新建 2 个申报单位" in organizer_client.get(done.headers["Location"]).get_data(as_text=True)

    canteen = db.session.scalar(sa.select(Application).where(Application.title == "银龄食堂"))
    assert canteen.funding_need_fen == 12_000_050
    assert canteen.support_wanted == ["funds", "venue"]
    assert canteen.booth_size == BoothSize.double and canteen.needs_power and not canteen.needs_step_free
    assert canteen.status == ApplicationStatus.submitted
    assert canteen.submitted_at == datetime(2027, 3, 1, 1, 30, tzinfo=timezone.utc)    # 09:30 in Shanghai
    assert canteen.beneficiaries == 1200 and canteen.organisation.credit_code == code(1)
    assert canteen.created_by_id == organizer.id
    phone_class = db.session.scalar(sa.select(Application).where(Application.title == "智能手机课堂"))
    assert phone_class.status == ApplicationStatus.draft and phone_class.organisation_id == canteen.organisation_id
    river = db.session.scalar(sa.select(Application).where(Application.title == "古城河道守护"))
    assert river.organisation.kind == OrganisationKind.social_work and river.organisation.credit_code is None

    actions = [event.action for event in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.fair_id == fair.id, AuditEvent.actor_id == organizer.id))]
    assert actions.count("applications.application.imported") == 3
    assert actions.count("auth.organisation.created") == 2
    assert actions.count("applications.import.completed") == 1
    summary = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "applications.import.completed"))
    assert summary.after == {"source": "projects.xlsx", "applications": 3, "organisations_created": 2}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_utf8_with_bom_and_gbk(organizer_client, fair, encoding):
    rows = [spreadsheet_row(title="“银龄食堂”社区助餐", summary="为独居老人送餐、陪餐。"),
            spreadsheet_row(title="河道守护", category="环保")]
    page = upload(organizer_client, fair, csv_file(spreadsheet(rows), encoding), "projects.csv").get_data(as_text=True)
    assert "检查通过" in page and "“银龄食堂”社区助餐" in page
    organizer_client.post(f"/fairs/{fair.slug}/applications/import/confirm", data={"token": confirm_token(page)})
    assert sorted(db.session.scalars(sa.select(Application.title))) == ["“银龄食堂”社区助餐", "河道守护"]
    assert db.session.scalar(sa.select(Application.summary).where(Application.title == "“银龄食堂”社区助餐")) == \
        "为独居老人送餐、陪餐。"


def test_missing_columns_are_one_error_before_any_row(organizer_client, fair):
    table = spreadsheet([spreadsheet_row(funding_need="abc")])
    keep = [index for index, column in enumerate(COLUMNS) if column.key not in ("category", "funding_need")]
    table = [[row[index] for index in keep] for row in table]
    response = upload(organizer_client, fair, xlsx(table))
    assert response.status_code == 422
    report = services.check_import(fair, table)
    assert len(report.problems) == 1
    assert report.problems[0].row == 1 and "服务领域、资金需求（元）" in report.problems[0].message
    assert "缺少以下列" in response.get_data(as_text=True)


def test_headings_may_be_reordered_and_spelled_with_half_width_brackets(fair):
    table = spreadsheet([spreadsheet_row(funding_need="¥12,000.50")])
    table[0] = [heading.replace("（", "(").replace("）", ")") for heading in table[0]]
    table = [list(reversed(row)) + ["备注"] for row in table]
    report = services.check_import(fair, table)
    assert report.problems == [] and report.rows[0].project["funding_need_fen"] == 1_200_050


def test_a_bad_value_in_row_2731_is_reported_as_row_2731(fair):
    rows = [spreadsheet_row() for _ in range(2800)]
    rows[2729]["funding_need"] = "一万"           # the 2,730th project: row 2,731 under the headings
    table = read_table(xlsx(spreadsheet(rows)))
    problems = services.check_import(fair, table).problems
    assert [(problem.row, problem.column) for problem in problems] == [(2731, "资金需求（元）")]
    assert "一万" in problems[0].message


def test_every_broken_rule_of_a_row_is_reported_at_once(fair):
    rows = [spreadsheet_row(title="", summary="长" * 2001, category="养老", volunteers="-3", needs_power="也许",
                            credit_code="51320106MJ5123456A", organisation_kind="")]
    problems = {(problem.row, problem.column) for problem in services.check_import(fair, spreadsheet(rows)).problems}
    assert problems == {(2, "服务领域"), (2, "需要用电"), (2, "统一社会信用代码"), (2, "单位类型"), (2, "项目名称"),
                        (2, "项目简介"), (2, "志愿者人数")}
    rows = [spreadsheet_row(title="", summary="长" * 2001, volunteers="-3", beneficiaries=-1)]
    problems = {(problem.row, problem.column) for problem in services.check_import(fair, spreadsheet(rows)).problems}
    assert problems == {(2, "项目名称"), (2, "项目简介"), (2, "受益人数"), (2, "志愿者人数")}


def test_duplicates_are_flagged_on_both_rows(fair):
    rows = [spreadsheet_row(organisation_name="甲队", title="银龄食堂"), spreadsheet_row(),
            spreadsheet_row(organisation_name="甲队", title="银龄食堂"),
            spreadsheet_row(organisation_name="乙队", title="银龄食堂")]        # another organisation may
    problems = services.check_import(fair, spreadsheet(rows)).problems
    assert [(problem.row, problem.column) for problem in problems] == [(2, "项目名称"), (4, "项目名称")]
    assert "第 4 行" in problems[0].message and "第 2 行" in problems[1].message


def test_a_project_already_applied_for_is_flagged(fair):
    organisation = make_organisation(name="夕阳红助老志愿服务队", credit_code=code(7))
    make_application(fair, organisation, title="银龄食堂")
    rows = [spreadsheet_row(organisation_name="夕阳红助老队（简称）", credit_code=code(7), title="银龄食堂"),
            spreadsheet_row(organisation_name="夕阳红助老队（简称）", credit_code=code(7), title="手机课堂")]
    report = services.check_import(fair, spreadsheet(rows))
    assert [(problem.row, problem.column) for problem in report.problems] == [(2, "项目名称")]
    assert "已申报过同名项目" in report.problems[0].message


def test_organisations_are_matched_by_credit_code_else_by_name(fair):
    by_code = make_organisation(name="登记名称", credit_code=code(3))
    by_name = make_organisation(name="无代码志愿队")
    rows = [spreadsheet_row(organisation_name="表格里的另一个名字", credit_code=code(3)),
            spreadsheet_row(organisation_name="无代码志愿队", credit_code=""),
            spreadsheet_row(organisation_name="新单位", credit_code=code(4)),
            spreadsheet_row(organisation_name="新单位", credit_code=code(4))]
    report = services.import_applications(fair, spreadsheet(rows), actor=None)
    assert report.new_organisations == 1
    owners = [application.organisation_id for application in
              db.session.scalars(sa.select(Application).order_by(Application.id))]
    assert owners[:2] == [by_code.id, by_name.id] and owners[2] == owners[3]


def test_one_code_under_two_names_in_the_file_is_flagged(fair):
    rows = [spreadsheet_row(organisation_name="甲队", credit_code=code(5)),
            spreadsheet_row(organisation_name="乙队", credit_code=code(5))]
    problems = services.check_import(fair, spreadsheet(rows)).problems
    assert [(problem.row, problem.column) for problem in problems] == [(3, "统一社会信用代码")]


def test_all_or_nothing_one_bad_row_saves_nothing(fair, organizer):
    before = count(AuditEvent), count(Organisation)
    rows = [spreadsheet_row() for _ in range(50)]
    rows[40]["category"] = "不存在的领域"
    with pytest.raises(services.ImportRefused) as refused:
        services.import_applications(fair, spreadsheet(rows), actor=organizer)
    assert refused.value.code == "import_invalid"
    assert [(problem.row, problem.column) for problem in refused.value.report.problems] == [(42, "服务领域")]
    assert count(Application) == 0 and (count(AuditEvent), count(Organisation)) == before


def test_a_refusal_while_saving_rolls_back_the_rows_already_written(fair, organizer, monkeypatch):
    from fair.applications import services as applications
    made = []
    real = applications.auth_services.new_organisation

    def third_refused(*args, **kwargs):
        made.append(args[0])
        if len(made) == 3:
            from fair.refusal import Refused
            raise Refused("该统一社会信用代码已登记。", "credit_code_taken", "credit_code")
        return real(*args, **kwargs)

    monkeypatch.setattr(applications.auth_services, "new_organisation", third_refused)
    before = count(AuditEvent), count(Organisation)
    with pytest.raises(services.ImportRefused) as refused:
        services.import_applications(fair, spreadsheet([spreadsheet_row() for _ in range(5)]), actor=organizer)
    assert [(problem.row, problem.column) for problem in refused.value.report.problems] == [(4, "统一社会信用代码")]
    assert count(Application) == 0 and (count(AuditEvent), count(Organisation)) == before


def test_a_bad_file_gets_its_report_and_no_confirmation(organizer_client, fair):
    rows = [spreadsheet_row(), spreadsheet_row(funding_need="很多")]
    response = upload(organizer_client, fair, xlsx(spreadsheet(rows)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "发现 1 处错误" in page and "资金需求（元）" in page and 'name="token"' not in page


def test_unreadable_files_are_explained(organizer_client, fair):
    old_excel = upload(organizer_client, fair, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "projects.xlsx")
    assert old_excel.status_code == 400 and "不支持旧版 Excel" in old_excel.get_data(as_text=True)
    broken = upload(organizer_client, fair, b"PK\x03\x04 not really a zip", "projects.xlsx")
    assert broken.status_code == 400 and "无法读取该 Excel 文件" in broken.get_data(as_text=True)
    wrong_type = upload(organizer_client, fair, b"hello", "projects.pdf")
    assert wrong_type.status_code == 400 and "请上传 Excel（.xlsx）或 CSV 文件" in wrong_type.get_data(as_text=True)


def test_confirm_needs_the_token_of_this_session(organizer_client, client_as, fair):
    page = upload(organizer_client, fair, xlsx(spreadsheet([spreadsheet_row()]))).get_data(as_text=True)
    token = confirm_token(page)
    other_organizer = client_as(Role.organizer, email="second@example.cn")
    refused = other_organizer.post(f"/fairs/{fair.slug}/applications/import/confirm", data={"token": token})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/applications/import")
    forged = organizer_client.post(f"/fairs/{fair.slug}/applications/import/confirm", data={"token": "../secret_key"})
    assert forged.status_code == 302 and count(Application) == 0
    assert organizer_client.post(f"/fairs/{fair.slug}/applications/import/confirm",
                                 data={"token": token}).status_code == 302
    assert count(Application) == 1
    again = organizer_client.post(f"/fairs/{fair.slug}/applications/import/confirm", data={"token": token})
    assert again.status_code == 302 and count(Application) == 1          # the file went with the first


def test_the_import_pages_are_for_organizers(client_as, fair):
    reviewer = client_as(Role.reviewer)
    for path in ("import", "import/template.xlsx", "export.xlsx", "export.csv"):
        assert reviewer.get(f"/fairs/{fair.slug}/applications/{path}").status_code == 403
    assert upload(reviewer, fair, xlsx(spreadsheet([spreadsheet_row()]))).status_code == 403


def test_the_template_has_the_headings_and_an_example_that_imports(organizer_client, fair):
    response = organizer_client.get(f"/fairs/{fair.slug}/applications/import/template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    table = read_table(response.data)
    assert table[0] == [column.header for column in COLUMNS]
    assert services.check_import(fair, table).problems == []
    notes = load_workbook(io.BytesIO(response.data)).worksheets[1]
    assert notes.title == "填写说明" and "助老" in str(notes["B11"].value)


def test_export_follows_the_filters_and_shows_yuan(organizer_client, fair):
    make_application(fair, title="银龄食堂", funding_need_fen=12_000_050)
    make_application(fair, title="河道守护", summary="巡河。")
    response = organizer_client.get(f"/fairs/{fair.slug}/applications/export.csv", query_string={"q": "食堂"})
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["编号", "单位名称"] and len(rows) == 2
    assert rows[1][rows[0].index("项目名称")] == "银龄食堂"
    assert rows[1][rows[0].index("资金需求（元）")] == "120000.5"
    assert rows[1][rows[0].index("提交时间")] == "2027-01-11 09:00"       # 01:00 UTC in Shanghai
    workbook = load_workbook(io.BytesIO(organizer_client.get(f"/fairs/{fair.slug}/applications/export.xlsx").data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    funding = sheet.cell(row=2, column=header.index("资金需求（元）") + 1)
    assert sheet.max_row == 3 and funding.number_format == "#,##0.00"


def test_text_that_looks_like_a_formula_stays_text(organizer_client, fair):
    make_application(fair, title="=HYPERLINK(\"http://evil\")", summary="-1+2")
    xlsx_data = organizer_client.get(f"/fairs/{fair.slug}/applications/export.xlsx").data
    cell = load_workbook(io.BytesIO(xlsx_data)).active.cell(row=2, column=10)
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://evil\")"
    csv_data = organizer_client.get(f"/fairs/{fair.slug}/applications/export.csv").data
    assert "'=HYPERLINK" in csv_data.decode("utf-8-sig")
    assert read_table(csv_data)[1][9] == "=HYPERLINK(\"http://evil\")"
    assert read_table(csv_data)[1][11] == "-1+2"


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_round_trip_export_then_import(organizer_client, fair, organizer, extension):
    from tests.factories import make_fair
    source = [make_application(fair, make_organisation(credit_code=code(9)), title="银龄食堂", funding_need_fen=12_000_050,
                               support_wanted=[], beneficiaries=300, district="玄武区"),
              make_application(fair, title="河道守护", summary="巡河，水质监测。", submit=False)]
    source[1].support_wanted, source[1].needs_step_free = ["goods", "professional"], True
    db.session.commit()
    exported = organizer_client.get(f"/fairs/{fair.slug}/applications/export.{extension}").data

    other = make_fair(organizer)
    services.import_applications(other, read_table(exported), actor=organizer)
    fields = ["title", "summary", "province", "city", "district", "service_targets", "beneficiaries", "volunteers",
              "years_running", "past_outcomes", "funding_need_fen", "support_wanted", "booth_size", "needs_power",
              "needs_step_free", "status", "submitted_at", "organisation_id"]

    def state(target):
        return sorted([[getattr(application, name) for name in fields] + [application.category.name]
                       for application in db.session.scalars(
                           sa.select(Application).where(Application.fair_id == target.id))], key=str)

    assert state(other) == state(fair)


def test_the_demo_seed_is_a_clean_import(fair):
    from fair.demo_seed import seed_table
    table = seed_table([category.name for category in fair.categories], fair.applications_open_at,
                       fair.applications_close_at, fair.timezone)
    report = services.check_import(fair, table)
    assert report.problems == [] and len(report.rows) == 3_500 + 220 and report.new_organisations == 3_000
    assert sum(row.status is ApplicationStatus.submitted for row in report.rows) == 3_500    # and 220 drafts
    assert len({row.organisation.city for row in report.rows}) == 13
    assert all(credit_code.is_valid(row.organisation.credit_code) for row in report.rows)


@pytest.mark.parametrize("cell, fen, problem", [
    ("¥1,200.50", 120_050, None), (1200.5, 120_050, None), ("12000元", 1_200_000, None), ("", 0, None),
    ("1.005", None, "最多保留两位小数"), ("NaN", None, "不是金额"), ("一万", None, "不是金额"),
    ("1e30", None, "不是金额"), (1e30, None, "资金需求须在"), ("-5", None, "资金需求须在"),
])
def test_money_is_read_in_yuan(fair, cell, fen, problem):
    report = services.check_import(fair, spreadsheet([spreadsheet_row(funding_need=cell)]))
    if problem is None:
        assert report.problems == [] and report.rows[0].project["funding_need_fen"] == fen
    else:
        assert [p.column for p in report.problems] == ["资金需求（元）"] and problem in report.problems[0].message
