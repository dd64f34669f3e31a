"""Reading an applications spreadsheet into typed rows and problems, each at its row and column.

Pure but for translation: the caller hands in the table (spreadsheet.read_table) and a Vocabulary, and
gets rows and problems back. The rules that need the database (check_project, organisations already
registered, projects already applied for) are added by services.check_import."""
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import force_locale, gettext as _

from fair import money
from fair.applications.models import (BOOTH_SIZE_LABELS, STATUS_LABELS, SUPPORT_LABELS, ApplicationStatus,
                                      BoothSize, Support)
from fair.applications.spreadsheet import COLUMNS, HEADERS, heading_key
from fair.auth import credit_code as credit_codes
from fair.auth.services import check_credit_code
from fair.auth.models import ORGANISATION_KIND_LABELS, OrganisationKind
from fair.refusal import Refused
from fair.times import from_local

LIST_SEPARATORS = re.compile(r"[,，、;；/\s]+")
YES = {"是", "需要", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "不需要", "无", "n", "no", "false", "0", ""}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
ORGANISATION_LIMITS = {"organisation_name": 120, "contact_name": 40, "contact_phone": 20}
# check_project names ProjectDetails' fields; the report names the spreadsheet's columns.
FIELD_COLUMNS = {**HEADERS, "funding_need_fen": HEADERS["funding_need"]}


@dataclass(frozen=True)
class Problem:
    row: int | None           # as the spreadsheet numbers it (headings are row 1); None: the whole file
    column: str | None        # the column's heading
    message: str


@dataclass(frozen=True)
class OrganisationFields:
    name: str
    credit_code: str | None
    kind: OrganisationKind | None
    province: str
    city: str
    district: str
    contact_name: str
    contact_phone: str

    @property
    def key(self) -> str:
        """Rows of one organisation share this: its credit code, or its name when it has none."""
        return self.credit_code or f"name:{self.name}"


@dataclass
class ImportRow:
    row: int
    organisation: OrganisationFields
    project: dict[str, Any]               # ProjectDetails' fields; money in fen
    status: ApplicationStatus
    submitted_at: datetime | None


@dataclass
class ParsedTable:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Vocabulary:
    """The words a spreadsheet may use, Chinese whatever the page's language, and the fair's timezone."""

    categories: Mapping[str, Any]             # the category's Chinese name → the category
    kinds: Mapping[str, OrganisationKind]
    supports: Mapping[str, Support]
    booth_sizes: Mapping[str, BoothSize]
    statuses: Mapping[str, ApplicationStatus]
    timezone: str


IMPORTABLE_STATUSES = (ApplicationStatus.draft, ApplicationStatus.submitted)


def vocabulary_for(fair) -> Vocabulary:
    """The fair's vocabulary: labels are the Chinese msgids, so a file reads the same in any UI language."""
    with force_locale("zh_Hans"):
        return Vocabulary(
            categories={category.name: category for category in fair.categories},
            kinds={str(label): kind for kind, label in ORGANISATION_KIND_LABELS.items()},
            supports={str(label): kind for kind, label in SUPPORT_LABELS.items()},
            booth_sizes={str(label): size for size, label in BOOTH_SIZE_LABELS.items()},
            statuses={str(STATUS_LABELS[status]): status for status in IMPORTABLE_STATUSES},
            timezone=fair.timezone,
        )


def unreadable_message(code: str) -> str:
    """What to tell a person whose upload spreadsheet.read_table could not read."""
    return {
        "xls": _("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再上传。"),
        "bad_xlsx": _("无法读取该 Excel 文件，请确认它是 .xlsx 格式且未损坏。"),
        "bad_encoding": _("无法识别该 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV。"),
        "too_many_rows": _("一次最多导入 %(n)d 行，请拆分成几个文件。", n=10_000),
    }.get(code, _("无法读取该文件。"))


def parse_table(table: list[list[Any]], vocabulary: Vocabulary, *, now: datetime) -> ParsedTable:
    """Typed rows and every problem found; a value that could not be read is left at its default in its row.
    A file without the needed headings gets one problem and no rows."""
    parsed = ParsedTable()
    header_at = next((index for index, row in enumerate(table) if not _blank(row)), None)
    if header_at is None:
        parsed.problems.append(Problem(None, None, _("文件是空的：第一行应为列名，其后每行一个项目。")))
        return parsed
    positions, problem = _positions(table[header_at], header_at + 1)
    if problem:
        parsed.problems.append(problem)
        return parsed
    for index in range(header_at + 1, len(table)):
        if _blank(table[index]):
            continue
        cells = _Cells(index + 1, table[index], positions)
        parsed.rows.append(_parse_row(cells, vocabulary, now))       # kept, so later checks see it too
        parsed.problems.extend(cells.problems)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(None, None, _("文件中没有项目：列名之后没有任何数据行。")))
    parsed.problems.extend(_same_code_other_name(parsed.rows))
    parsed.problems.extend(_duplicates(parsed.rows))
    return parsed


def _blank(row: list[Any]) -> bool:
    return all(value is None or str(value).strip() == "" for value in row)


def _positions(header: list[Any], row_number: int) -> tuple[dict[str, int], Problem | None]:
    wanted = {heading_key(column.header): column for column in COLUMNS}
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        column = wanted.get(heading_key(heading))
        if column is None:
            continue            # other columns (an export's 编号, a note) are left alone
        if column.key in positions:
            return positions, Problem(row_number, column.header, _("列名“%(name)s”出现了两次。", name=column.header))
        positions[column.key] = index
    missing = [column.header for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        return positions, Problem(row_number, None, _(
            "缺少以下列：%(names)s。请下载导入模板，按模板的列名填写。", names="、".join(missing)))
    return positions, None


class _Cells:
    """One row's values by column, each read into its type; what cannot be read becomes a Problem."""

    def __init__(self, row: int, values: list[Any], positions: dict[str, int]):
        self.row, self.values, self.positions = row, values, positions
        self.problems: list[Problem] = []

    def _raw(self, key: str) -> Any:
        index = self.positions.get(key)
        return self.values[index] if index is not None and index < len(self.values) else None

    def refuse(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.row, HEADERS[key], message))

    def text(self, key: str) -> str:
        value = self._raw(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)          # a phone number or code Excel stored as a number
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M")
        return "" if value is None else str(value).strip()

    def integer(self, key: str) -> int:
        value = self._raw(key)
        if isinstance(value, bool):
            value = None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = self.text(key).replace(",", "").replace("，", "")
        if text == "":
            return 0
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        self.refuse(key, _("“%(value)s”不是整数。", value=text))
        return 0

    def fen(self, key: str) -> int:
        """Yuan (fair.money.parse_yuan) in fen; empty is 0. The range is check_project's to report."""
        value = self._raw(key)
        try:
            typed = format(Decimal(repr(value)), "f") if isinstance(value, float) else self.text(key)   # 1e+30: digits
            return money.parse_yuan(typed) or 0
        except money.NotAnAmount as error:
            if error.reason == "too_precise":
                self.refuse(key, _("金额最多保留两位小数（到分）。"))
            else:
                self.refuse(key, _("“%(value)s”不是金额，请填写以元为单位的数字，如 12000 或 12000.50。",
                                   value=self.text(key)))
            return 0

    def flag(self, key: str) -> bool:
        text = self.text(key).lower()
        if text in YES or text in NO:
            return text in YES
        self.refuse(key, _("请填写“是”或“否”。"))
        return False

    def choice(self, key: str, choices: Mapping[str, Any], default: Any = None) -> Any:
        text = self.text(key)
        if text == "" and default is not None:
            return default
        if text == "":
            self.refuse(key, _("此项为必填项。"))
        elif text in choices:
            return choices[text]
        else:
            self.refuse(key, _("“%(value)s”不是可选的值。可选：%(choices)s。", value=text,
                               choices="、".join(choices)))
        return default

    def choices(self, key: str, choices: Mapping[str, Any]) -> list[Any]:
        chosen = []
        for word in LIST_SEPARATORS.split(self.text(key)):
            if word and word not in choices:
                self.refuse(key, _("“%(value)s”不是可选的值。可选：%(choices)s。", value=word,
                                   choices="、".join(choices)))
            elif word and choices[word] not in chosen:
                chosen.append(choices[word])
        return chosen

    def moment(self, key: str, timezone: str) -> datetime | None:
        """A wall-clock time in the fair's timezone, as UTC; empty is None."""
        value = self._raw(key)
        if isinstance(value, datetime):
            local = value.replace(tzinfo=None)
        elif isinstance(value, date):
            local = datetime.combine(value, datetime.min.time())
        else:
            text = self.text(key).replace("/", "-").replace("T", " ")
            if text == "":
                return None
            local = _strptime(text)
            if local is None:
                self.refuse(key, _("“%(value)s”不是时间，请按 2027-03-01 09:30 的格式填写。", value=text))
                return None
        return from_local(local, timezone)


def _strptime(text: str) -> datetime | None:
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _parse_row(cells: _Cells, vocabulary: Vocabulary, now: datetime) -> ImportRow:
    organisation = _organisation(cells, vocabulary)
    project = {
        "title": cells.text("title"),
        "category": cells.choice("category", vocabulary.categories),
        "summary": cells.text("summary"),
        "province": organisation.province,
        "city": organisation.city,
        "district": organisation.district,
        "service_targets": cells.text("service_targets"),
        "beneficiaries": cells.integer("beneficiaries"),
        "volunteers": cells.integer("volunteers"),
        "years_running": cells.integer("years_running"),
        "past_outcomes": cells.text("past_outcomes"),
        "funding_need_fen": cells.fen("funding_need"),
        "support_wanted": cells.choices("support_wanted", vocabulary.supports),
        "booth_size": cells.choice("booth_size", vocabulary.booth_sizes, BoothSize.standard),
        "needs_power": cells.flag("needs_power"),
        "needs_step_free": cells.flag("needs_step_free"),
    }
    status = cells.choice("status", vocabulary.statuses, ApplicationStatus.draft)
    submitted_at = None
    if status == ApplicationStatus.submitted:
        submitted_at = cells.moment("submitted_at", vocabulary.timezone) or now
    return ImportRow(cells.row, organisation, project, status, submitted_at)


def _organisation(cells: _Cells, vocabulary: Vocabulary) -> OrganisationFields:
    for key, longest in ORGANISATION_LIMITS.items():
        if len(cells.text(key)) > longest:
            cells.refuse(key, _("不能超过 %(n)d 个字。", n=longest))
    if not cells.text("organisation_name"):
        cells.refuse("organisation_name", _("此项为必填项。"))
    credit_code = credit_codes.normalise(cells.text("credit_code")) or None
    if credit_code:
        try:
            check_credit_code(credit_code)
        except Refused as refusal:
            cells.refuse("credit_code", refusal.message)
    return OrganisationFields(
        name=cells.text("organisation_name"), credit_code=credit_code,
        kind=cells.choice("organisation_kind", vocabulary.kinds),
        province=cells.text("province"), city=cells.text("city"), district=cells.text("district"),
        contact_name=cells.text("contact_name"), contact_phone=cells.text("contact_phone"))


def _same_code_other_name(rows: list[ImportRow]) -> list[Problem]:
    """One credit code under two names is most likely a mistyped code: say so on the later row."""
    first: dict[str, ImportRow] = {}
    problems = []
    for row in rows:
        code = row.organisation.credit_code
        if code is None:
            continue
        earlier = first.setdefault(code, row)
        if earlier.organisation.name != row.organisation.name:
            problems.append(Problem(row.row, HEADERS["credit_code"], _(
                "此统一社会信用代码在第 %(row)d 行属于“%(name)s”，单位名称不一致。",
                row=earlier.row, name=earlier.organisation.name)))
    return problems


def _duplicates(rows: list[ImportRow]) -> list[Problem]:
    """The same organisation's project twice: flagged on every row of the pair, naming the others."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in rows:
        groups[(row.organisation.key, row.project["title"])].append(row.row)
    problems = []
    for numbers in groups.values():
        for number in numbers if len(numbers) > 1 else ():
            others = "、".join(str(other) for other in numbers if other != number)
            problems.append(Problem(number, HEADERS["title"], _(
                "与第 %(rows)s 行重复：同一单位的同名项目。", rows=others)))
    return problems
