"""The applications spreadsheet: its columns, and reading and writing it as XLSX or CSV (plain data, no app)."""
import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

MAX_ROWS = 10_000
# What Excel would run as a formula when a CSV is opened; such text gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    header: str        # the file's own heading: always Chinese, whatever the page's language
    width: int = 14
    required: bool = True


# The import's columns in the template's order; an export writes the same headings, so it imports again.
COLUMNS = [
    Column("organisation_name", "单位名称", 28),
    Column("credit_code", "统一社会信用代码", 22),
    Column("organisation_kind", "单位类型"),
    Column("province", "省份", 10),
    Column("city", "城市", 10),
    Column("district", "区县", 10),
    Column("contact_name", "联系人", 10),
    Column("contact_phone", "联系电话"),
    Column("title", "项目名称", 30),
    Column("category", "服务领域", 10),
    Column("summary", "项目简介", 40),
    Column("service_targets", "服务对象", 20),
    Column("beneficiaries", "受益人数", 10),
    Column("volunteers", "志愿者人数", 10),
    Column("years_running", "运行年限", 10),
    Column("past_outcomes", "过往成效", 30),
    Column("funding_need", "资金需求（元）", 14),
    Column("support_wanted", "所需支持", 18),
    Column("booth_size", "展位规格", 10),
    Column("needs_power", "需要用电", 10),
    Column("needs_step_free", "需要无障碍通道", 14),
    Column("status", "状态", 10),
    Column("submitted_at", "提交时间", 18, required=False),
]
HEADERS = {column.key: column.header for column in COLUMNS}


class UnreadableFile(ValueError):
    """The upload is not a spreadsheet we can read; the message says what to do."""


def heading_key(text: Any) -> str:
    """A heading as compared: full-width brackets and spaces folded, so 资金需求(元) matches 资金需求（元）."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def read_table(content: bytes) -> list[list[Any]]:
    """Every row of the first sheet (XLSX) or of the CSV, blank ones kept, so index + 1 is the row number."""
    if content.startswith(b"PK\x03\x04"):
        rows = _read_xlsx(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("xls")
    else:
        rows = _read_csv(content)
    if len(rows) > MAX_ROWS + 1:
        raise UnreadableFile("too_many_rows")
    return rows


def _read_xlsx(content: bytes) -> list[list[Any]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile("bad_xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()        # some writers record a wrong size; read what is really there
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[list[Any]]:
    # UTF-8 (with or without the BOM Excel writes), else GB18030, a superset of the GBK Chinese Excel saves.
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise UnreadableFile("bad_encoding") from None
    if "\x00" in text:
        raise UnreadableFile("bad_encoding")
    rows = []
    for row in csv.reader(io.StringIO(text, newline="")):
        rows.append([_unguarded(value) for value in row])
        if len(rows) > MAX_ROWS + 1:
            break
    return rows


def _unguarded(value: str) -> str:
    """Undo the apostrophe csv_bytes puts before text Excel would take for a formula."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Any]]
    widths: list[int] = field(default_factory=list)
    formats: dict[int, str] = field(default_factory=dict)     # column index → Excel number format
    choices: dict[int, list[str]] = field(default_factory=dict)   # column index → a drop-down's values


def xlsx_bytes(*sheets: Sheet) -> bytes:
    """A workbook of these sheets, headings bold and frozen; text is never taken for a formula."""
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for index, values in spec.choices.items():
            if drop_down := _drop_down(get_column_letter(index + 1), values):
                sheet.data_validations.append(drop_down)
        sheet.append([_cell(sheet, heading, bold=True) for heading in spec.header])
        for row in spec.rows:
            sheet.append([_cell(sheet, value, number_format=spec.formats.get(index))
                          for index, value in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _drop_down(letter: str, values: list[str]) -> DataValidation | None:
    """Excel offers these values in the column; it still accepts others, which the import then reports.
    Excel's list holds 255 characters, commas separating: longer lists or values with commas get none."""
    if len(",".join(values)) > 255 or any("," in value or '"' in value for value in values):
        return None
    validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                showErrorMessage=False)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    return validation


def _cell(sheet, value: Any, *, bold: bool = False, number_format: str | None = None):
    if not bold and number_format is None and not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"            # openpyxl would store "=…" as a formula
    if bold:
        cell.font = Font(bold=True)
    if number_format:
        cell.number_format = number_format
    return cell


def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel in China opens it as UTF-8 rather than GBK."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
                         for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
