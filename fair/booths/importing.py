"""Reading a floor plan file (CSV or JSON) into halls, zones and booths, each remembering where in the
file it came from, so every problem, the plan's own rules included, is reported at its row and column.

Pure but for translation: the caller hands in the bytes and the fair's categories and gets a ParsedPlan;
services.import_plan holds it against the plan's rules (check_plan) and writes it, all or nothing.

In a CSV each row is one booth and names its hall and zone; a zone's categories may be given on any of its
rows (they add up) and its colour on one. A hall the fair does not have yet needs its size (展馆宽, 展馆深)
on one of its rows; given for a hall that exists, they resize it."""
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from fair.applications.models import BoothSize
from fair.applications.spreadsheet import UnreadableFile, heading_key, read_table

LIST_SEPARATORS = re.compile(r"[、;；,，/]+")
YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", ""}
SIZES = {"标准": BoothSize.standard, "标准展位": BoothSize.standard, "standard": BoothSize.standard,
         "双": BoothSize.double, "双展位": BoothSize.double, "double": BoothSize.double}
DEFAULT_SIZE = {BoothSize.standard: (3, 3), BoothSize.double: (6, 3)}      # width, depth when left blank
NAME_LONGEST = 40
NAME_EN_LONGEST = 60


@dataclass(frozen=True)
class Column:
    key: str
    header: str          # the Chinese heading the template writes
    alias: str           # the English heading also accepted (and the JSON key)
    required: bool = False


COLUMNS = [
    Column("hall", "展馆", "hall", True),
    Column("hall_width", "展馆宽", "hall_width"),
    Column("hall_depth", "展馆深", "hall_depth"),
    Column("zone", "展区", "zone", True),
    Column("categories", "服务领域", "categories"),
    Column("colour", "颜色", "colour"),
    Column("code", "展位编号", "code", True),
    Column("x", "x", "x", True),
    Column("y", "y", "y", True),
    Column("width", "宽", "width"),
    Column("depth", "深", "depth"),
    Column("size", "规格", "size"),
    Column("corner", "转角", "corner"),
    Column("power", "电源", "power"),
    Column("step_free", "无障碍", "step_free"),
]
HEADINGS = {heading_key(name): column for column in COLUMNS for name in (column.header, column.alias)}
HEADINGS[heading_key("color")] = HEADINGS[heading_key("colour")]
JSON_KEYS = {"hall_width": "width", "hall_depth": "depth", "hall": "name", "zone": "name"}
# check_plan's (kind, field) → the file's key, so a rule's problem is reported at its column.
FIELD_KEYS = {("booth", "code"): "code", ("booth", "x"): "x", ("booth", "width"): "width",
              ("booth", "hall_id"): "hall", ("booth", "zone_id"): "zone", ("zone", "name"): "zone",
              ("zone", "category_ids"): "categories", ("zone", "colour"): "colour", ("zone", "hall_id"): "hall",
              ("hall", "name"): "hall", ("hall", "width"): "hall_width", ("hall", "depth"): "hall_depth"}


@dataclass(frozen=True)
class RowProblem:
    row: str | None           # CSV: the row as a spreadsheet numbers it; JSON: the place, halls[0].zones[1]…
    column: str | None        # the column's heading (CSV) or the key (JSON); None: the whole row or file
    message: str


@dataclass
class HallRow:
    name: str
    width: int | None         # None: not given (the hall must exist)
    depth: int | None
    row: str
    name_en: str = ""


@dataclass
class ZoneRow:
    name: str
    hall: str
    colour: str | None
    category_ids: list[int] | None      # None: not given (an existing zone keeps its own)
    row: str
    name_en: str = ""


@dataclass
class BoothRow:
    row: str
    hall: str
    zone: str
    code: str
    x: int
    y: int
    width: int
    depth: int
    size: BoothSize
    corner: bool
    power: bool
    step_free: bool


@dataclass
class ParsedPlan:
    halls: dict[str, HallRow] = field(default_factory=dict)
    zones: dict[str, ZoneRow] = field(default_factory=dict)
    booths: list[BoothRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    json: bool = False

    def column(self, key: str) -> str:
        """How the report names a column: the Chinese heading of a CSV, the key of a JSON file."""
        if self.json:
            return JSON_KEYS.get(key, key)
        return next((column.header for column in COLUMNS if column.key == key), key)


class _Bad(ValueError):
    """A value that cannot be read; the message says what was expected."""


def parse_plan(content: bytes, filename: str, categories: Mapping[str, int]) -> ParsedPlan:
    """The file as halls, zones and booths, with every problem found reading it. `categories` maps each
    accepted name (Chinese or English, lower case) to the category's id."""
    text_start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if filename.lower().endswith(".json") or text_start in (b"{", b"["):
        return parse_json(content, categories)
    return parse_csv(content, categories)


# --- values --------------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(_("“%(value)s”不是整数。", value=value))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if re.fullmatch(r"-?\d+(\.0+)?", text):
        return int(float(text)) if "." in text else int(text)
    if text == "":
        raise _Bad(_("此项为必填项。"))
    raise _Bad(_("“%(value)s”不是整数米数。", value=text))


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text == "":
        return default
    if text in YES or text in NO:
        return text in YES
    raise _Bad(_("请填写“是”或“否”（yes/no、1/0）。"))


def _size(value: Any) -> BoothSize:
    text = _text(value).lower()
    if text == "":
        return BoothSize.standard
    if text in SIZES:
        return SIZES[text]
    raise _Bad(_("“%(value)s”不是可选的规格。可选：标准、双（standard、double）。", value=_text(value)))


def _categories(value: Any, categories: Mapping[str, int]) -> list[int] | None:
    words = value if isinstance(value, list) else LIST_SEPARATORS.split(_text(value))
    words = [_text(word) for word in words if _text(word)]
    if not words:
        return None
    unknown = [word for word in words if word.lower() not in categories]
    if unknown:
        raise _Bad(_("本届没有服务领域“%(names)s”。", names="、".join(unknown)))
    ids = []
    for word in words:
        if categories[word.lower()] not in ids:
            ids.append(categories[word.lower()])
    return ids


def _name(value: Any) -> str:
    text = _text(value)
    if text == "":
        raise _Bad(_("此项为必填项。"))
    if len(text) > NAME_LONGEST:
        raise _Bad(_("不能超过 %(n)d 个字。", n=NAME_LONGEST))
    return text


def _name_en(value: Any) -> str:
    text = _text(value)
    if len(text) > NAME_EN_LONGEST:
        raise _Bad(_("不能超过 %(n)d 个字。", n=NAME_EN_LONGEST))
    return text


class _Entry:
    """One row (CSV) or object (JSON) being read: each value through its reader, problems at their column."""

    def __init__(self, plan: ParsedPlan, row: str, values: Mapping[str, Any]):
        self.plan, self.row, self.values = plan, row, values
        self.bad = False

    def refuse(self, key: str | None, message: str) -> None:
        self.bad = True
        self.plan.problems.append(RowProblem(self.row, self.plan.column(key) if key else None, message))

    def read(self, key: str, reader, *args, default=None):
        try:
            return reader(self.values.get(key), *args)
        except _Bad as bad:
            self.refuse(key, str(bad))
            return default

    def given(self, key: str) -> bool:
        return _text(self.values.get(key)) != "" if not isinstance(self.values.get(key), list) else True

    def booth(self, hall: str, zone: str) -> BoothRow | None:
        code = self.read("code", _name) or ""
        x, y = self.read("x", _integer, default=0), self.read("y", _integer, default=0)
        size = self.read("size", _size, default=BoothSize.standard)
        width, depth = DEFAULT_SIZE[size]
        if self.given("width"):
            width = self.read("width", _integer, default=width)
        if self.given("depth"):
            depth = self.read("depth", _integer, default=depth)
        flags = [self.read(key, _flag, default, default=default)
                 for key, default in (("corner", False), ("power", False), ("step_free", True))]
        return BoothRow(self.row, hall, zone, code, x, y, width, depth, size, *flags)


# --- CSV -----------------------------------------------------------------------------------------------

def parse_csv(content: bytes, categories: Mapping[str, int]) -> ParsedPlan:
    plan = ParsedPlan()
    try:
        table = read_table(content)
    except UnreadableFile as unreadable:
        message = (_("一次最多导入 %(n)d 行，请拆分成几个文件。", n=10_000) if str(unreadable) == "too_many_rows"
                   else _("无法读取该 CSV 文件，请另存为 UTF-8 或 GBK 编码的 CSV。"))
        plan.problems.append(RowProblem(None, None, message))
        return plan
    header_at = next((index for index, row in enumerate(table) if any(_text(value) for value in row)), None)
    if header_at is None:
        plan.problems.append(RowProblem(None, None, _("文件是空的：第一行应为列名，其后每行一个展位。")))
        return plan
    positions = _positions(plan, table[header_at], header_at + 1)
    if plan.problems:
        return plan
    for index in range(header_at + 1, len(table)):
        cells = table[index]
        if not any(_text(value) for value in cells):
            continue
        values = {key: cells[at] if at < len(cells) else None for key, at in positions.items()}
        _csv_row(plan, _Entry(plan, str(index + 1), values), categories)
    if not plan.booths and not plan.problems:
        plan.problems.append(RowProblem(None, None, _("文件中没有展位：列名之后没有任何数据行。")))
    return plan


def _positions(plan: ParsedPlan, header: list[Any], row_number: int) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        column = HEADINGS.get(heading_key(heading))
        if column is None:
            continue                # a note column is left alone
        if column.key in positions:
            plan.problems.append(RowProblem(str(row_number), column.header,
                                            _("列名“%(name)s”出现了两次。", name=column.header)))
        positions[column.key] = index
    missing = [column.header for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        plan.problems.append(RowProblem(str(row_number), None, _(
            "缺少以下列：%(names)s。请下载导入模板，按模板的列名填写。", names="、".join(missing))))
    return positions


def _csv_row(plan: ParsedPlan, entry: _Entry, categories: Mapping[str, int]) -> None:
    hall_name, zone_name = entry.read("hall", _name), entry.read("zone", _name)
    width = entry.read("hall_width", _integer) if entry.given("hall_width") else None
    depth = entry.read("hall_depth", _integer) if entry.given("hall_depth") else None
    accepted = entry.read("categories", _categories, categories)
    colour = _text(entry.values.get("colour")) or None
    booth = entry.booth(hall_name or "", zone_name or "")
    if hall_name is None or zone_name is None:
        return
    hall = plan.halls.setdefault(hall_name, HallRow(hall_name, None, None, entry.row))
    for key, value in (("hall_width", width), ("hall_depth", depth)):
        known = getattr(hall, key[5:])
        if value is not None and known is not None and known != value:
            entry.refuse(key, _("与前面的行不一致：展馆“%(hall)s”的%(what)s已填为 %(value)s。", hall=hall_name,
                                what=plan.column(key), value=known))
        elif value is not None:
            setattr(hall, key[5:], value)
    zone = plan.zones.setdefault(zone_name, ZoneRow(zone_name, hall_name, None, None, entry.row))
    if zone.hall != hall_name:
        entry.refuse("zone", _("展区“%(zone)s”在第 %(row)s 行属于展馆“%(hall)s”。", zone=zone_name, row=zone.row,
                               hall=zone.hall))
    if accepted:
        known = zone.category_ids or []
        zone.category_ids = known + [category_id for category_id in accepted if category_id not in known]
    if colour and zone.colour and colour.lower() != zone.colour.lower():
        entry.refuse("colour", _("与前面的行不一致：展区“%(zone)s”的颜色已填为 %(colour)s。", zone=zone_name,
                                 colour=zone.colour))
    elif colour:
        zone.colour = colour
    if not entry.bad:
        plan.booths.append(booth)


# --- JSON ----------------------------------------------------------------------------------------------

def parse_json(content: bytes, categories: Mapping[str, int]) -> ParsedPlan:
    plan = ParsedPlan(json=True)
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        plan.problems.append(RowProblem(None, None, _("JSON 文件须为 UTF-8 编码。")))
        return plan
    except json.JSONDecodeError as error:
        plan.problems.append(RowProblem(None, None, _("不是有效的 JSON：第 %(line)d 行第 %(column)d 列附近有误。",
                                                      line=error.lineno, column=error.colno)))
        return plan
    halls = data.get("halls") if isinstance(data, dict) else None
    if not isinstance(halls, list) or not halls:
        plan.problems.append(RowProblem(None, "halls", _('JSON 文件须为 {"halls": [...]} 的形式，至少一个展馆。')))
        return plan
    for hall_at, hall in enumerate(halls):
        _json_hall(plan, f"halls[{hall_at}]", hall, categories)
    return plan


def _objects(entry: _Entry, key: str) -> list:
    """A list of objects under `key` (missing: none); anything else is refused."""
    items = entry.values.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        entry.refuse(key, _("须为对象的列表。"))
        return []
    return items


def _json_hall(plan: ParsedPlan, place: str, hall: Any, categories: Mapping[str, int]) -> None:
    if not isinstance(hall, dict):
        plan.problems.append(RowProblem(place, None, _("须为对象。")))
        return
    entry = _Entry(plan, place, {**hall, "hall_width": hall.get("width"), "hall_depth": hall.get("depth")})
    name = entry.read("name", _name)
    width = entry.read("hall_width", _integer) if entry.given("hall_width") else None
    depth = entry.read("hall_depth", _integer) if entry.given("hall_depth") else None
    zones = _objects(entry, "zones")
    if name is None:
        return
    if name in plan.halls:
        entry.refuse("name", _("展馆“%(name)s”在 %(place)s 已出现。", name=name, place=plan.halls[name].row))
        return
    plan.halls[name] = HallRow(name, width, depth, place, entry.read("name_en", _name_en, default=""))
    for zone_at, zone in enumerate(zones):
        _json_zone(plan, f"{place}.zones[{zone_at}]", name, zone, categories)


def _json_zone(plan: ParsedPlan, place: str, hall_name: str, zone: dict, categories: Mapping[str, int]) -> None:
    entry = _Entry(plan, place, zone)
    name = entry.read("name", _name)
    name_en = entry.read("name_en", _name_en, default="")
    accepted = entry.read("categories", _categories, categories)
    booths = _objects(entry, "booths")
    if name is None:
        return
    if name in plan.zones:
        entry.refuse("name", _("展区“%(name)s”在 %(place)s 已出现。", name=name, place=plan.zones[name].row))
        return
    plan.zones[name] = ZoneRow(name, hall_name, _text(zone.get("colour") or zone.get("color")) or None, accepted,
                               place, name_en)
    for booth_at, values in enumerate(booths):
        booth_entry = _Entry(plan, f"{place}.booths[{booth_at}]", values)
        booth = booth_entry.booth(hall_name, name)
        if not booth_entry.bad:
            plan.booths.append(booth)
