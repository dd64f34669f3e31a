"""The shared export writer: CSV and XLSX from one table, typed cells, no formula ever run."""
import csv
import io
import zipfile
from datetime import date, datetime, timezone

import pytest
from flask import Flask
from openpyxl import load_workbook

from fair import exports
from fair.exports import DATE, DATETIME, MONEY, NUMBER, Column, Table

DANGEROUS = ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"]


def table(rows, timezone_name="Asia/Shanghai") -> Table:
    return Table("评分/结果", [Column("项目名称"), Column("金额", MONEY), Column("签约时间", DATETIME),
                              Column("日期", DATE), Column("人数", NUMBER)], rows, timezone=timezone_name)


ROW = ["“银龄食堂”社区助餐", 3_120_000_050, datetime(2027, 5, 20, 16, 30, tzinfo=timezone.utc), date(2027, 5, 21), 12]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def test_csv_is_utf8_with_bom_money_in_yuan_times_local():
    rows = csv_rows(exports.csv_bytes(table([ROW, [None] * 5])))
    assert rows == [["项目名称", "金额", "签约时间", "日期", "人数"],
                    ["“银龄食堂”社区助餐", "31200000.50", "2027-05-21 00:30", "2027-05-21", "12"],
                    ["", "", "", "", ""]]


def test_xlsx_has_typed_cells_bold_frozen_header_and_widths():
    sheet = sheet_of(exports.xlsx_bytes(table([ROW])))
    assert sheet.title == "评分 结果"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    name, money, signed, day, count = sheet[2]
    assert name.value == "“银龄食堂”社区助餐"
    assert money.value == pytest.approx(31_200_000.50) and money.number_format == '"¥"#,##0.00'
    assert signed.value == datetime(2027, 5, 21, 0, 30) and signed.number_format == "yyyy-mm-dd hh:mm"
    assert day.value == datetime(2027, 5, 21) and day.number_format == "yyyy-mm-dd"
    assert count.value == 12
    assert sheet.column_dimensions["A"].width == 8 * 2 + 2 + 2     # eight wide characters, two quotes, margin
    assert sheet.column_dimensions["C"].width == 16 + 2            # a time, 2027-05-21 00:30


def test_times_follow_the_fairs_timezone():
    rows = csv_rows(exports.csv_bytes(table([ROW], "Asia/Urumqi")))
    assert rows[1][2] == "2027-05-20 22:30"


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_injection_is_neutralised(text):
    rows = csv_rows(exports.csv_bytes(table([[text, None, None, None, None]])))
    assert rows[1][0] == "'" + text
    content = exports.xlsx_bytes(table([[text, None, None, None, None]]))
    assert sheet_of(content)["A2"].value == text.replace("\r", "\n")      # XML reads a CR as a line feed
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_harmless_text_is_left_alone():
    assert exports.guarded("张三-志愿者") == "张三-志愿者"
    assert exports.guarded("'=1") == "'=1"


def test_widths_are_bounded():
    widths = exports.column_widths(["名", "简介"], [["一", "长" * 200]])
    assert widths == [exports.MIN_WIDTH, exports.MAX_WIDTH]


def test_send_table_names_the_file_in_utf8_and_is_not_sniffed():
    app = Flask(__name__)
    with app.test_request_context("/?format=xlsx"):
        assert exports.requested_format() == "xlsx"
        response = exports.send_table(table([ROW]), "展会-评分", "xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''%E5%B1%95%E4%BC%9A-%E8%AF%84%E5%88%86.xlsx" in disposition
    assert 'filename="__-__.xlsx"' in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == exports.XLSX_MIMETYPE
    with app.test_request_context("/"):
        response = exports.send_table(table([ROW]), "fair-1-scores", exports.requested_format())
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())


def test_an_unknown_format_is_a_bad_request():
    from werkzeug.exceptions import BadRequest
    with Flask(__name__).test_request_context("/?format=pdf"), pytest.raises(BadRequest):
        exports.requested_format()
