"""The plan import through the web client: CSV (UTF-8 with a BOM, English headings in GBK) and JSON write
halls, zones and booths in one go with one audit event; a booth code already there is updated, not
duplicated; a file with any bad row writes nothing and reports every problem at its row and column."""
import io
import json

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths.models import Booth, Hall, Zone
from fair.booths.importing import COLUMNS
from fair.extensions import db
from tests.factories import make_plan

HEADINGS = [column.header for column in COLUMNS]


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def csv_bytes(rows: list[list], headings=HEADINGS, encoding="utf-8-sig") -> bytes:
    lines = [",".join(headings)] + [",".join(str(value) for value in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def row(code, x, y, *, hall="二号馆", hall_width="", hall_depth="", zone="综合展区", categories="", colour="",
        width="", depth="", size="标准", corner="否", power="是", step_free="是") -> list:
    return [hall, hall_width, hall_depth, zone, categories, colour, code, x, y, width, depth, size, corner, power,
            step_free]


def upload(client, fair, content: bytes, name: str = "plan.csv"):
    return client.post(f"/fairs/{fair.slug}/booths/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name)})


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Hall, Zone, Booth)) + (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "plan.imported")),)


def test_a_csv_builds_a_hall_with_its_zones_and_booths(organizer_client, fair):
    content = csv_bytes([
        row("A-01", 1, 1, hall_width=30, hall_depth=20, categories="助老、环保", colour="#E15759", corner="是"),
        row("A-02", 4, 1, size="双", categories="医疗健康"),
        row("B-01", 1, 8, zone="青少年展区", categories="青少年; Culture", power="否", step_free=""),
    ])
    response = upload(organizer_client, fair, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "新建展位 3 个，更新已有展位 0 个；新建展馆 1 个、展区 2 个。" in page
    hall = db.session.scalar(sa.select(Hall).where(Hall.name == "二号馆"))
    assert (hall.width, hall.depth) == (30, 20)
    zone = db.session.scalar(sa.select(Zone).where(Zone.name == "综合展区"))
    assert [category.name for category in zone.categories] == ["助老", "环保", "医疗健康"] and zone.colour == "#e15759"
    booths = {booth.code: booth for booth in db.session.scalars(sa.select(Booth))}
    assert (booths["A-01"].corner, booths["A-02"].width, booths["A-02"].size.value) == (True, 6, "double")
    assert (booths["B-01"].power, booths["B-01"].step_free) == (False, True)        # blank step-free: yes
    youth = db.session.scalar(sa.select(Zone).where(Zone.name == "青少年展区"))
    assert [category.name for category in youth.categories] == ["青少年", "文化"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "plan.imported"))
    assert event.after["booths_created"] == 3 and event.after["source"] == "plan.csv"
    assert counts() == (1, 2, 3, 1)


def test_a_booth_whose_code_exists_is_updated_not_duplicated(organizer_client, fair, organizer):
    _hall, _zones, booths = make_plan(fair, actor=organizer)            # 一号馆, 60 × 40 m, A-01 at (1, 1)
    zone = f"{fair.categories[0].name}展区"
    content = csv_bytes([row("A-01", 40, 30, hall="一号馆", zone=zone, corner="是", power="否"),
                         row("A-11", 44, 30, hall="一号馆", zone=zone)])
    page = upload(organizer_client, fair, content).get_data(as_text=True)
    assert "新建展位 1 个，更新已有展位 1 个" in page and "已更新（同编号）" in page
    db.session.refresh(booths[0])
    assert (booths[0].x, booths[0].y, booths[0].corner, booths[0].power) == (40, 30, True, False)
    assert counts() == (1, 3, 31, 1)


def test_english_headings_in_gbk_are_read(organizer_client, fair):
    headings = [column.alias for column in COLUMNS]
    content = csv_bytes([row("C-01", 2, 2, hall_width=12, hall_depth=12, categories="环保", size="standard",
                             corner="no", power="yes", step_free="0")], headings, "gbk")
    response = upload(organizer_client, fair, content)
    assert response.status_code == 200, response.get_data(as_text=True)
    booth = db.session.scalar(sa.select(Booth))
    assert (booth.code, booth.power, booth.step_free) == ("C-01", True, False)


def test_json_builds_the_plan(organizer_client, fair):
    document = {"halls": [{"name": "户外广场", "name_en": "Outdoor", "width": 50, "depth": 30, "zones": [
        {"name": "环保展区", "colour": "#59a14f", "categories": ["环保"], "booths": [
            {"code": "E-01", "x": 0, "y": 0, "power": True},
            {"code": "E-02", "x": 6, "y": 0, "size": "double", "width": 6, "corner": True, "step_free": False}]},
        {"name": "空展区", "categories": ["文化"]}]}]}
    response = upload(organizer_client, fair, json.dumps(document, ensure_ascii=False).encode(), "plan.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert counts() == (1, 2, 2, 1)
    booth = db.session.scalar(sa.select(Booth).where(Booth.code == "E-02"))
    assert (booth.width, booth.corner, booth.step_free, booth.size.value) == (6, True, False, "double")
    assert db.session.scalar(sa.select(Hall.name_en)) == "Outdoor"


def problems_in(page: str) -> list[tuple[str, str, str]]:
    """The report's rows as (row, column, message)."""
    import re
    body = page.split('class="table table-sm align-middle plan-import-problems"')[1].split("</table>")[0]
    return [tuple(cell.strip() for cell in cells)
            for cells in re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", body)]


def test_a_csv_with_bad_rows_writes_nothing_and_reports_each_row(organizer_client, fair, organizer):
    make_plan(fair, actor=organizer)
    before = counts()
    content = csv_bytes([
        row("D-01", 1, 1, hall_width=20, hall_depth=20, categories="助老"),      # row 2: fine on its own
        row("D-02", "abc", 1),                                                  # row 3: x is not a number
        row("D-03", 2, 2),                                                      # row 4: overlaps D-01
        row("D-04", 19, 1),                                                     # row 5: past the 20 m hall
        row("D-05", 10, 5), row("D-05", 14, 5),                                 # rows 6, 7: one code twice
        row("E-01", 10, 1, zone="无领域展区"),                                   # row 8: zone without category
        row("E-02", 14, 1, zone="另一展区", categories="天文"),                   # row 9: no such category
        row("A-01", 1, 12, zone="另一展区"),                                     # row 10: 一号馆's A-01 moves here
        row("F-01", 1, 1, hall="三号馆", zone="三号馆展区", categories="助老"),     # row 11: new hall, no size
    ])
    response = upload(organizer_client, fair, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "没有导入任何内容" in page
    found = problems_in(page)
    by_row = {}
    for number, column, message in found:
        by_row.setdefault(number, []).append((column, message))
    assert by_row["3"] == [("x", "“abc”不是整数米数。")]
    assert ("x", "展位 D-03 与 D-01 重叠。") in by_row["4"] and ("x", "展位 D-01 与 D-03 重叠。") in by_row["2"]
    assert "超出展馆“二号馆”" in by_row["5"][0][1] and by_row["5"][0][0] == "x"
    assert by_row["6"] == by_row["7"] == [("展位编号", "展位编号 D-05 重复。")]
    assert by_row["8"] == [("服务领域", "展区“无领域展区”须至少接受一个服务领域。")]
    assert by_row["9"] == [("服务领域", "本届没有服务领域“天文”。")]
    assert "三号馆" in by_row["11"][0][1] and by_row["11"][0][0] == "展馆宽"
    assert "10" not in by_row
    assert counts() == before


def test_a_hall_shrunk_by_the_file_names_the_booths_left_outside(organizer_client, fair, organizer):
    make_plan(fair, actor=organizer)
    zone = f"{fair.categories[0].name}展区"
    response = upload(organizer_client, fair, csv_bytes([row("A-01", 1, 1, hall="一号馆", hall_width=10,
                                                             hall_depth=40, zone=zone)]))
    found = problems_in(response.get_data(as_text=True))
    assert response.status_code == 422
    assert any(number == "2" and column == "展馆宽" and "展位 A-04" in message for number, column, message in found)


def test_a_zone_of_another_hall_is_refused(organizer_client, fair, organizer):
    make_plan(fair, actor=organizer)
    zone = f"{fair.categories[0].name}展区"
    response = upload(organizer_client, fair, csv_bytes([row("Q-01", 1, 1, hall_width=20, hall_depth=10, zone=zone)]))
    assert response.status_code == 422
    assert ("2", "展区", f"展区“{zone}”已在展馆“一号馆”中，不能导入到另一个展馆。") in problems_in(
        response.get_data(as_text=True))


@pytest.mark.parametrize("content, name, words", [
    (b'{"halls": [', "plan.json", "不是有效的 JSON"),
    (b'{"rooms": []}', "plan.json", "JSON 文件须为"),
    (json.dumps({"halls": [{"name": "一号馆", "width": 10, "depth": 10, "zones": [{"name": "展区", "categories": ["助老"],
                 "booths": [{"code": "A-01", "x": "left", "y": 0}]}]}]}).encode(), "plan.json", "“left”不是整数米数"),
    ("展馆,展区\r\n一号馆,展区\r\n".encode(), "plan.csv", "缺少以下列：展位编号、x、y"),
    (json.dumps({"halls": [{"name": "一号馆", "name_en": "H" * 61, "width": 10, "depth": 10}]}).encode(), "plan.json",
     "不能超过 60 个字"),
    (b"", "plan.csv", "文件是空的"),
])
def test_unreadable_files_are_reported(organizer_client, fair, content, name, words):
    response = upload(organizer_client, fair, content, name)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert counts() == (0, 0, 0, 0)


def test_a_json_booth_problem_names_its_place(organizer_client, fair):
    document = {"halls": [{"name": "一号馆", "width": 10, "depth": 10, "zones": [{"name": "展区", "categories": ["助老"],
                "booths": [{"code": "A-01", "x": 0, "y": 0}, {"code": "A-02", "x": 8, "y": 0}]}]}]}
    response = upload(organizer_client, fair, json.dumps(document).encode(), "plan.json")
    found = problems_in(response.get_data(as_text=True))
    assert [(number, column) for number, column, _message in found] == [("halls[0].zones[0].booths[1]", "x")]


def test_the_upload_must_be_csv_or_json(organizer_client, fair):
    assert "请上传 CSV 或 JSON 文件" in upload(organizer_client, fair, b"x", "plan.xlsx").get_data(as_text=True)
    response = organizer_client.post(f"/fairs/{fair.slug}/booths/import", data={})
    assert response.status_code == 400 and "请选择要导入的文件" in response.get_data(as_text=True)


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_the_templates_import_as_they_are(organizer_client, fair, extension):
    page = organizer_client.get(f"/fairs/{fair.slug}/booths/import").get_data(as_text=True)
    assert "展馆宽" in page and "step_free" in page and f"template.{extension}" in page
    template = organizer_client.get(f"/fairs/{fair.slug}/booths/import/template.{extension}")
    assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    response = upload(organizer_client, fair, template.data, f"template.{extension}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert counts() == (1, 1, 2, 1)
