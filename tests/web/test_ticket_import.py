"""Group lists (XLSX or CSV) issue tickets all or nothing with one audit event; any bad row, a phone twice
in the file or one that already has a ticket writes nothing and is reported at its row and column. Bulk
passes for a group come as one PDF, one ticket a page or four to a sheet."""
import io

import pytest
import sqlalchemy as sa

from fair.applications.spreadsheet import Sheet, xlsx_bytes
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Phase
from fair.visitors import services, tickets
from fair.visitors.models import Ticket, TicketSource, VisitorKind
from tests.pdfs import flat, pdf_pages, qr_texts
from tests.visitor_factories import make_ticket, visiting_fair

HEADINGS = ["姓名", "手机号", "观众类型", "团体名称", "人数"]


@pytest.fixture
def open_for_visitors(fair):
    return visiting_fair(fair)


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def csv_file(rows: list[list], headings=HEADINGS, encoding="utf-8-sig") -> bytes:
    lines = [",".join(headings)] + [",".join(str(value) for value in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, fair, content: bytes, name: str = "groups.csv"):
    return client.post(f"/fairs/{fair.slug}/visitors/tickets/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name)})


def counts() -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
            db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "visitors.tickets.issued")))


GOOD = [["张晓", "13812345678", "普通观众", "", ""],
        ["李老师", "139 8765 4321", "学校或团体", "南京市第一中学", "45"],
        ["王记者", "13700000001", "media", "", "1"],
        ["赵领队", "13700000002", "", "社区合唱团", "12"]]


def test_a_csv_list_issues_every_row_in_one_event(organizer_client, open_for_visitors):
    response = upload(organizer_client, open_for_visitors, csv_file(GOOD))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "已签发 4 张入场码，可入场 59 人。" in page
    assert counts() == (4, 1)
    by_name = {ticket.name: ticket for ticket in db.session.scalars(sa.select(Ticket))}
    assert by_name["李老师"].phone == "13987654321" and by_name["李老师"].group_size == 45
    assert by_name["王记者"].kind is VisitorKind.media
    assert by_name["赵领队"].kind is VisitorKind.group and by_name["赵领队"].group_name == "社区合唱团"
    assert {ticket.source for ticket in by_name.values()} == {TicketSource.imported}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "visitors.tickets.issued"))
    assert event.after["count"] == 4 and event.after["people"] == 59 and event.after["note"] == "groups.csv"


def test_an_xlsx_list_with_english_headings_works_too(organizer_client, open_for_visitors):
    content = xlsx_bytes(Sheet("visitors", ["name", "phone", "kind", "group_name", "group_size"],
                               [["Anna", 13812345678, "guest", "", 1], ["Bo", "13812345679", "volunteer", "", None]]))
    response = upload(organizer_client, open_for_visitors, content, "visitors.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)
    phones = set(db.session.scalars(sa.select(Ticket.phone)))
    assert phones == {"13812345678", "13812345679"}


def test_a_gbk_csv_is_read(organizer_client, open_for_visitors):
    assert upload(organizer_client, open_for_visitors, csv_file(GOOD[:1], encoding="gbk")).status_code == 200
    assert counts()[0] == 1


def test_a_bad_file_writes_nothing_and_reports_each_problem_at_its_row(organizer_client, open_for_visitors):
    make_ticket(open_for_visitors, phone="13600000000")
    rows = GOOD + [["", "13700000003", "", "", ""],                      # row 6: no name
                   ["孙", "1370000000", "", "", ""],                      # row 7: short phone
                   ["周", "13700000004", "贵宾", "", ""],                  # row 8: unknown kind
                   ["吴", "13700000005", "普通观众", "", "3"],             # row 9: a person of three
                   ["郑", "13812345678", "", "", ""],                      # row 10: same phone as row 2
                   ["冯", "13600000000", "", "", ""],                      # row 11: has a ticket already
                   ["陈", "13700000006", "学校或团体", "", "十"]]          # row 12: not a number
    response = upload(organizer_client, open_for_visitors, csv_file(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "没有导入任何内容" in page and "发现 7 处错误" in page
    problems = page.split("import-problems")[1]
    for row, column, message in [(6, "姓名", "此项为必填项。"), (7, "手机号", "11 位手机号码"),
                                 (8, "观众类型", "“贵宾”不是可选的观众类型"), (9, "人数", "只有学校或团体可以填写多人"),
                                 (10, "手机号", "与第 2 行的手机号相同。"), (11, "手机号", "该手机号已有本届的入场码。"),
                                 (12, "人数", "“十”不是整数。")]:
        assert f"<td class=\"text-nowrap\">{row}</td><td>{column}</td><td>" in problems and message in problems
    assert counts() == (1, 0)


@pytest.mark.parametrize("content, message", [
    (b"", "文件是空的"),
    (csv_file([], headings=["名字", "电话"]), "缺少以下列：姓名、手机号"),
    (csv_file([]), "文件中没有观众"),
    (b"\xd0\xcf\x11\xe0old excel", "无法读取该文件"),
    (b"PK\x03\x04broken", "无法读取该文件"),
])
def test_unreadable_or_empty_files_are_reported(organizer_client, open_for_visitors, content, message):
    response = upload(organizer_client, open_for_visitors, content)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert counts() == (0, 0)


def test_the_upload_must_be_a_csv_or_xlsx(organizer_client, open_for_visitors):
    response = upload(organizer_client, open_for_visitors, b"%PDF", "list.pdf")
    assert response.status_code == 400 and "请上传 XLSX 或 CSV 文件。" in response.get_data(as_text=True)


def test_the_template_imports_as_it_is(organizer_client, open_for_visitors):
    template = organizer_client.get(f"/fairs/{open_for_visitors.slug}/visitors/tickets/import/template.csv")
    assert template.status_code == 200 and template.data.startswith("\ufeff姓名".encode())
    assert upload(organizer_client, open_for_visitors, template.data).status_code == 200
    assert counts() == (2, 1)


def test_import_and_bulk_are_for_organizers_only(client_as, open_for_visitors):
    staff = client_as(Role.gate_staff)
    base = f"/fairs/{open_for_visitors.slug}/visitors/tickets"
    assert upload(staff, open_for_visitors, csv_file(GOOD)).status_code == 403
    assert staff.post(base + "/bulk", data={"group_name": "x", "kind": "group", "count": 3}).status_code == 403
    assert staff.get(base + "/group.pdf?group=x").status_code == 403
    assert counts() == (0, 0)


def test_a_closed_fair_issues_nothing(organizer_client, fair):
    fair = visiting_fair(fair, Phase.closed)
    response = upload(organizer_client, fair, csv_file(GOOD))
    assert response.status_code == 409 and "展会已闭幕" in response.get_data(as_text=True)
    assert counts() == (0, 0)


# --- bulk passes and the group's PDF ------------------------------------------------------------------

def test_bulk_passes_come_as_one_pdf(organizer_client, open_for_visitors):
    base = f"/fairs/{open_for_visitors.slug}/visitors/tickets"
    response = organizer_client.post(base + "/bulk", data={"group_name": "南京一中", "kind": "group", "count": 6})
    assert response.status_code == 302 and "group=" in response.location
    listed = organizer_client.get(response.location).get_data(as_text=True)
    assert "已为“南京一中”签发 6 张入场码。" in listed and "group.pdf" in listed
    passes = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
    assert [ticket.name for ticket in passes] == [f"南京一中 {n}/6" for n in range(1, 7)]
    assert {(ticket.phone, ticket.group_size, ticket.group_name) for ticket in passes} == {("", 1, "南京一中")}
    one_a_page = organizer_client.get(base + "/group.pdf?group=南京一中")
    assert one_a_page.status_code == 200 and len(pdf_pages(one_a_page.data)) == 6
    sheet = organizer_client.get(base + "/group.pdf?group=南京一中&per_page=4")
    pages = pdf_pages(sheet.data)
    assert len(pages) == 2 and "南京一中1/6" in flat(pages[0]) and "南京一中6/6" in flat(pages[1])
    keys = services.public_keys(open_for_visitors)
    found = {tickets.verify(text, keys).code for text in qr_texts(sheet.data, 1) + qr_texts(sheet.data, 2)}
    assert found == {ticket.code for ticket in passes}
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "visitors.tickets.issued")) == 1


@pytest.mark.parametrize("data, field, message", [
    ({"group_name": "", "kind": "group", "count": 3}, "group_name", "此项为必填项。"),
    ({"group_name": "一中", "kind": "group", "count": 0}, "count", "张数须在 1–1000 之间。"),
    ({"group_name": "一中", "kind": "group", "count": "many"}, "count", "不是有效的整数"),
])
def test_bulk_refuses_bad_input_next_to_its_field(organizer_client, open_for_visitors, data, field, message):
    response = organizer_client.post(f"/fairs/{open_for_visitors.slug}/visitors/tickets/bulk", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page.split(f'id="{field}-error"')[1][:120]
    assert counts() == (0, 0)


def test_a_group_pdf_of_nobody_is_a_404(organizer_client, open_for_visitors):
    assert organizer_client.get(f"/fairs/{open_for_visitors.slug}/visitors/tickets/group.pdf?group=无").status_code == 404
