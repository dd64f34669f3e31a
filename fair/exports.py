"""Every list's export, once: a table (typed columns, rows of plain values) written as CSV or XLSX, and the
response that sends it. Each area builds its rows from the same query its page shows, so the file holds what
the screen holds; this module only knows how to write them.

The words in a file are Chinese whatever the page's language, as in the applications export, so files from
different people compare and import alike."""
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence
from urllib.parse import quote

from flask import Response, abort, request
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from fair.audit.log import audit
from fair.extensions import db
from fair.times import to_local

TEXT, NUMBER, MONEY, DATETIME, DATE = "text", "number", "money", "datetime", "date"
FORMATS = ("csv", "xlsx")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
# What Excel would run as a formula when it opens the file; such text is never written as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {MONEY: '"¥"#,##0.00', DATETIME: "yyyy-mm-dd hh:mm", DATE: "yyyy-mm-dd"}
TEXT_FORMATS = {DATETIME: "%Y-%m-%d %H:%M", DATE: "%Y-%m-%d"}
MIN_WIDTH, MAX_WIDTH, SAMPLED_ROWS = 8, 50, 200


@dataclass(frozen=True)
class Column:
    """A heading and what its values are: TEXT (str), NUMBER, MONEY (integer fen), DATETIME (aware, UTC
    in the database) or DATE; None is an empty cell in any of them."""
    header: str
    kind: str = TEXT


@dataclass
class Table:
    title: str                   # the sheet's name
    columns: list[Column]
    rows: list[Sequence[Any]] = field(default_factory=list)
    timezone: str = "Asia/Shanghai"       # the fair's: where DATETIME values are shown

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def local_rows(self) -> list[list[Any]]:
        """The rows as a person reads them: money in yuan, times naive in the fair's timezone."""
        kinds = [column.kind for column in self.columns]
        return [[_local(value, kind, self.timezone) for value, kind in zip(row, kinds, strict=True)]
                for row in self.rows]


def _local(value: Any, kind: str, timezone: str) -> Any:
    if value is None:
        return None
    if kind == MONEY:
        return Decimal(value) / 100
    if kind == DATETIME:
        return to_local(value, timezone).replace(tzinfo=None)
    return value


def guarded(text: str) -> str:
    """Text a spreadsheet would take for a formula, with a leading apostrophe so it stays text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a BOM, so Excel in China opens it as UTF-8 rather than GBK; money as plain yuan
    (12345.60) so it sums, times as 2027-05-01 09:30 in the fair's timezone."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([guarded(header) for header in table.headers])
    kinds = [column.kind for column in table.columns]
    for row in table.local_rows():
        writer.writerow([_csv_value(value, kind) for value, kind in zip(row, kinds)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.strftime(TEXT_FORMATS[DATETIME if isinstance(value, datetime) else DATE])
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return guarded(value)
    return value


def xlsx_bytes(table: Table) -> bytes:
    """One sheet: the heading row bold and frozen, widths from the content, money and times as real
    numbers and dates with their formats; text is always stored as text, never as a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    sheet.freeze_panes = "A2"
    rows = table.local_rows()
    for index, width in enumerate(column_widths(table.headers, rows), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_cell(sheet, header, TEXT, bold=True) for header in table.headers])
    kinds = [column.kind for column in table.columns]
    for row in rows:
        sheet.append([_cell(sheet, value, kind) for value, kind in zip(row, kinds)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses these characters in a sheet's name and more than 31 of them."""
    return "".join(" " if char in "[]:*?/\\" else char for char in title)[:31] or "Sheet1"


def _cell(sheet, value: Any, kind: str, *, bold: bool = False):
    if isinstance(value, bool):
        value = "是" if value else "否"
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"            # openpyxl would store "=…" as a formula
    elif value is not None and kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    if bold:
        cell.font = Font(bold=True)
    return cell


def display_width(value: Any) -> int:
    """Columns a value takes on screen: Chinese (wide) characters count two."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 2
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(value or ""))


def column_widths(headers: list[str], rows: list[list[Any]]) -> list[int]:
    """Wide enough for the heading and the first rows' values, within bounds so a long text wraps off."""
    widths = []
    for index, header in enumerate(headers):
        widest = max([display_width(header)] + [display_width(row[index]) for row in rows[:SAMPLED_ROWS]])
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, widest + 2)))
    return widths


def requested_format() -> str:
    """The `format` argument of an export's URL: csv or xlsx; anything else is a 400, never a 500."""
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400)
    return fmt


def audit_export(actor, fair, action: str, table: Table, fmt: str) -> None:
    """Personal data leaving the system: who took how many rows, in the same way as every other export."""
    audit(actor, action, fair, fair=fair, after={"count": len(table.rows), "format": fmt})
    db.session.commit()


def send_table(table: Table, filename: str, fmt: str) -> Response:
    """The file as a download named `filename`.csv / .xlsx (UTF-8 names kept through filename*),
    not cached and never sniffed into something a browser would run."""
    if fmt == "xlsx":
        content, mimetype = xlsx_bytes(table), XLSX_MIMETYPE
    else:
        content, mimetype = csv_bytes(table), CSV_MIMETYPE
    name = f"{filename}.{fmt}"
    fallback = "".join(char if char.isascii() and char.isprintable() and char not in '"\\;' else "_"
                       for char in name)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
