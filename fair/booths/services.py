"""Building the floor plan: halls, themed zones and booths, checked as a whole before anything is written.

Every rule of the plan (a booth inside its hall, no two booths overlapping, booth codes unique in the
fair, a zone in the booth's hall, a zone accepting at least one category) is checked by `check_plan`
on the plan as it would be after the change, so a single edit, a copied row and an imported file are held
to the same rules and a refused change writes nothing."""
import re
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import BoothSize
from fair.audit.log import audit, snapshot
from fair.booths.models import Booth, Hall, Zone
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused

HALL_FIELDS = ["name", "name_en", "width", "depth"]
ZONE_FIELDS = ["name", "name_en", "colour", "hall_id"]
BOOTH_FIELDS = ["code", "hall_id", "zone_id", "x", "y", "width", "depth", "size", "corner", "power", "step_free"]
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,11}$")
COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_HALL_METRES = 1000


@dataclass
class HallDetails:
    name: str
    width: int
    depth: int
    name_en: str = ""


@dataclass
class ZoneDetails:
    name: str
    hall_id: int
    category_ids: list[int]
    colour: str = "#4e79a7"
    name_en: str = ""


@dataclass
class BoothDetails:
    code: str
    hall_id: int
    zone_id: int
    x: int
    y: int
    width: int = 3
    depth: int = 3
    size: BoothSize = BoothSize.standard
    corner: bool = False
    power: bool = False
    step_free: bool = True


@dataclass(frozen=True)
class Problem:
    """One broken rule: `subject` names the booth, zone or hall (e.g. "A-01"), `field` the field at fault."""

    subject: str
    field: str
    message: str


class PlanRefused(Refused):
    """A change that would break the plan's rules; `problems` lists every rule it breaks."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(first.message, "bad_plan", first.field)
        self.problems = problems


@dataclass
class PlanView:
    """The plan as checked: halls and zones by id, booths as (subject, details) pairs."""

    halls: dict = field(default_factory=dict)        # id → HallDetails
    zones: dict = field(default_factory=dict)        # id → ZoneDetails
    booths: list = field(default_factory=list)       # (booth id or None, BoothDetails)


def check_plan(plan: PlanView) -> list[Problem]:
    """Every rule the plan breaks, in a stable order (empty when it keeps them all)."""
    problems = []
    for hall in plan.halls.values():
        problems += _hall_problems(hall)
    names = defaultdict(int)
    for zone in plan.zones.values():
        names[zone.name] += 1
    for zone in plan.zones.values():
        if not zone.name.strip():
            problems.append(Problem(zone.name, "name", _("请填写展区名称。")))
        elif names[zone.name] > 1:
            problems.append(Problem(zone.name, "name", _("展区名称“%(name)s”重复。", name=zone.name)))
        if not zone.category_ids:
            problems.append(Problem(zone.name, "category_ids",
                                    _("展区“%(name)s”须至少接受一个服务领域。", name=zone.name)))
        if not COLOUR_PATTERN.match(zone.colour or ""):
            problems.append(Problem(zone.name, "colour", _("颜色须为 #rrggbb 形式。")))
        if zone.hall_id not in plan.halls:
            problems.append(Problem(zone.name, "hall_id", _("未知的展馆。")))
    codes = defaultdict(int)
    for _id, booth in plan.booths:
        codes[booth.code.upper()] += 1
    for _id, booth in plan.booths:
        problems += _booth_problems(booth, plan, codes)
    problems += _overlaps(plan)
    return problems


def _hall_problems(hall: HallDetails) -> list[Problem]:
    problems = []
    if not hall.name.strip():
        problems.append(Problem(hall.name, "name", _("请填写展馆名称。")))
    for name in ("width", "depth"):
        if not 1 <= getattr(hall, name) <= MAX_HALL_METRES:
            problems.append(Problem(hall.name, name, _("展馆的长宽须在 1–%(most)s 米之间。", most=MAX_HALL_METRES)))
    return problems


def _booth_problems(booth: BoothDetails, plan: PlanView, codes: dict) -> list[Problem]:
    subject = booth.code
    if not CODE_PATTERN.match(booth.code):
        return [Problem(subject, "code", _("展位编号须为 1–12 位字母、数字或连字符，如 A-01。"))]
    problems = []
    if codes[booth.code.upper()] > 1:
        problems.append(Problem(subject, "code", _("展位编号 %(code)s 重复。", code=booth.code)))
    hall = plan.halls.get(booth.hall_id)
    zone = plan.zones.get(booth.zone_id)
    if hall is None:
        return problems + [Problem(subject, "hall_id", _("未知的展馆。"))]
    if zone is None or zone.hall_id != booth.hall_id:
        problems.append(Problem(subject, "zone_id", _("展位 %(code)s 的展区不在该展馆内。", code=booth.code)))
    if booth.width < 1 or booth.depth < 1:
        problems.append(Problem(subject, "width", _("展位 %(code)s 的宽和深须至少 1 米。", code=booth.code)))
    elif booth.x < 0 or booth.y < 0 or booth.x + booth.width > hall.width or booth.y + booth.depth > hall.depth:
        problems.append(Problem(subject, "x", _(
            "展位 %(code)s（%(x)s, %(y)s 起，%(w)s×%(d)s 米）超出展馆“%(hall)s”（%(hw)s×%(hd)s 米）。",
            code=booth.code, x=booth.x, y=booth.y, w=booth.width, d=booth.depth, hall=hall.name,
            hw=hall.width, hd=hall.depth)))
    return problems


def _overlaps(plan: PlanView) -> list[Problem]:
    """Booths sharing a square metre of one hall: whole-metre rectangles make the check exact, and
    indexing the squares keeps it linear in the plan's area."""
    owner: dict = {}
    problems, reported = [], set()
    for _id, booth in plan.booths:
        if booth.width < 1 or booth.depth < 1 or booth.width * booth.depth > 10_000:
            continue
        for dx in range(booth.width):
            for dy in range(booth.depth):
                square = (booth.hall_id, booth.x + dx, booth.y + dy)
                other = owner.setdefault(square, booth)
                if other is not booth and (other.code, booth.code) not in reported:
                    reported.add((other.code, booth.code))
                    for one, two in ((booth, other), (other, booth)):     # whichever of the two changed
                        problems.append(Problem(one.code, "x", _("展位 %(code)s 与 %(other)s 重叠。",
                                                                 code=one.code, other=two.code)))
    return problems


def current_plan(fair: Fair) -> PlanView:
    """The fair's saved plan, as details, in three queries."""
    plan = PlanView()
    for hall in db.session.scalars(sa.select(Hall).where(Hall.fair_id == fair.id)):
        plan.halls[hall.id] = HallDetails(hall.name, hall.width, hall.depth, hall.name_en)
    accepted = defaultdict(list)
    zones = db.session.scalars(sa.select(Zone).where(Zone.fair_id == fair.id).options(
        sa.orm.selectinload(Zone.categories))).all()
    for zone in zones:
        accepted[zone.id] = [category.id for category in zone.categories]
        plan.zones[zone.id] = ZoneDetails(zone.name, zone.hall_id, accepted[zone.id], zone.colour, zone.name_en)
    for booth in db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.code)):
        plan.booths.append((booth.id, details_of(booth)))
    return plan


def details_of(booth: Booth) -> BoothDetails:
    return BoothDetails(booth.code, booth.hall_id, booth.zone_id, booth.x, booth.y, booth.width, booth.depth,
                        booth.size, booth.corner, booth.power, booth.step_free)


def _refuse_if_broken(plan: PlanView, subjects: set | None = None) -> None:
    """Refuse with the problems of the changed things (`subjects`), or every problem when None."""
    problems = check_plan(plan)
    if subjects is not None:
        problems = [problem for problem in problems if problem.subject in subjects]
    if problems:
        raise PlanRefused(problems)


def _categories(fair: Fair, ids: list[int]) -> list[Category]:
    found = db.session.scalars(sa.select(Category).where(Category.fair_id == fair.id, Category.id.in_(ids))).all()
    if len(found) != len(set(ids)):
        raise Refused(_("未知的服务领域。"), "unknown_category", "category_ids")
    return sorted(found, key=lambda category: category.position)


def _commit() -> None:
    """Commit; a concurrent change to the same booth (its version moved on) is told, not overwritten."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Refused(_("该展位刚被他人修改，请刷新后重试。"), "conflict") from None


# --- halls -------------------------------------------------------------------------------------------

def create_hall(fair: Fair, details: HallDetails, *, actor) -> Hall:
    plan = current_plan(fair)
    plan.halls["new"] = details
    _refuse_if_broken(plan, {details.name})
    _refuse_duplicate_hall(fair, details.name)
    position = db.session.scalar(sa.select(sa.func.count(Hall.id)).where(Hall.fair_id == fair.id))
    hall = Hall(fair=fair, position=position, **vars(details))
    db.session.add(hall)
    audit(actor, "hall.created", hall, after=snapshot(hall, HALL_FIELDS), fair=fair)
    db.session.commit()
    return hall


def update_hall(hall: Hall, details: HallDetails, *, actor) -> Hall:
    """Rename or resize a hall; shrinking it past a booth is refused, naming the booth."""
    plan = current_plan(hall.fair)
    plan.halls[hall.id] = details
    inside = {booth.code for _id, booth in plan.booths if booth.hall_id == hall.id}
    _refuse_if_broken(plan, {details.name} | inside)
    _refuse_duplicate_hall(hall.fair, details.name, hall.id)
    before = snapshot(hall, HALL_FIELDS)
    for name, value in vars(details).items():
        setattr(hall, name, value)
    audit(actor, "hall.updated", hall, before=before, after=snapshot(hall, HALL_FIELDS))
    db.session.commit()
    return hall


def _refuse_duplicate_hall(fair: Fair, name: str, hall_id: int | None = None) -> None:
    taken = db.session.scalar(sa.select(Hall.id).where(Hall.fair_id == fair.id, Hall.name == name))
    if taken is not None and taken != hall_id:
        raise Refused(_("展馆名称“%(name)s”已存在。", name=name), "duplicate_hall", "name")


def delete_hall(hall: Hall, *, actor) -> None:
    """Only an empty hall goes: its zones and booths would take assignments with them."""
    if hall.booths:
        raise Refused(_("展馆内还有 %(n)s 个展位，请先删除展位。", n=len(hall.booths)), "hall_not_empty")
    audit(actor, "hall.deleted", hall, before=snapshot(hall, HALL_FIELDS))
    db.session.delete(hall)
    db.session.commit()


# --- zones -------------------------------------------------------------------------------------------

def create_zone(fair: Fair, details: ZoneDetails, *, actor) -> Zone:
    categories = _categories(fair, details.category_ids)
    plan = current_plan(fair)
    plan.zones["new"] = details
    _refuse_if_broken(plan, {details.name})
    position = db.session.scalar(sa.select(sa.func.count(Zone.id)).where(Zone.fair_id == fair.id))
    zone = Zone(fair_id=fair.id, hall_id=details.hall_id, name=details.name, name_en=details.name_en,
                colour=details.colour.lower(), position=position, categories=categories)
    db.session.add(zone)
    audit(actor, "zone.created", zone, after=_zone_state(zone), fair=fair)
    db.session.commit()
    return zone


def update_zone(zone: Zone, details: ZoneDetails, *, actor) -> Zone:
    """Change a zone; moving it to another hall is refused while it has booths (they stay in theirs)."""
    fair = db.session.get(Fair, zone.fair_id)
    categories = _categories(fair, details.category_ids)
    plan = current_plan(fair)
    plan.zones[zone.id] = details
    _refuse_if_broken(plan, {details.name} | {booth.code for booth in zone.booths})
    before = _zone_state(zone)
    zone.name, zone.name_en, zone.colour, zone.hall_id = (details.name, details.name_en, details.colour.lower(),
                                                           details.hall_id)
    zone.categories = categories
    audit(actor, "zone.updated", zone, before=before, after=_zone_state(zone), fair=fair)
    db.session.commit()
    return zone


def delete_zone(zone: Zone, *, actor) -> None:
    if zone.booths:
        raise Refused(_("展区内还有 %(n)s 个展位，请先删除或移走展位。", n=len(zone.booths)), "zone_not_empty")
    fair = db.session.get(Fair, zone.fair_id)
    audit(actor, "zone.deleted", zone, before=_zone_state(zone), fair=fair)
    db.session.delete(zone)
    db.session.commit()


def _zone_state(zone: Zone) -> dict:
    state = snapshot(zone, ZONE_FIELDS)
    state["categories"] = [category.name for category in zone.categories]
    return state


# --- booths ------------------------------------------------------------------------------------------

def create_booth(fair: Fair, details: BoothDetails, *, actor) -> Booth:
    return create_booths(fair, [details], actor=actor)[0]


def create_booths(fair: Fair, many: list[BoothDetails], *, actor, action: str = "booth.created") -> list[Booth]:
    """Add booths together (a drawn row, a copied row): all of them or, if one breaks a rule, none."""
    plan = current_plan(fair)
    plan.booths += [(None, details) for details in many]
    _refuse_if_broken(plan, {details.code for details in many})
    booths = [Booth(fair_id=fair.id, **vars(details)) for details in many]
    db.session.add_all(booths)
    db.session.flush()
    for booth in booths:
        audit(actor, action, booth, after=snapshot(booth, BOOTH_FIELDS), fair=fair)
    db.session.commit()
    return booths


def update_booth(booth: Booth, details: BoothDetails, *, actor, version: int | None = None) -> Booth:
    """Move, resize or re-equip a booth. `version` is the one the organizer's page showed: if the booth
    changed since, the change is refused rather than overwriting the other person's."""
    _check_version(booth, version)
    fair = db.session.get(Fair, booth.fair_id)
    plan = current_plan(fair)
    plan.booths = [(booth_id, booth_details if booth_id != booth.id else details)
                   for booth_id, booth_details in plan.booths]
    _refuse_if_broken(plan, {details.code})
    before = snapshot(booth, BOOTH_FIELDS)
    for name, value in vars(details).items():
        setattr(booth, name, value)
    audit(actor, "booth.updated", booth, before=before, after=snapshot(booth, BOOTH_FIELDS), fair=fair)
    _commit()
    return booth


def delete_booth(booth: Booth, *, actor, version: int | None = None) -> None:
    """A free booth goes; one with a project is refused (unassign first, so nobody loses a booth unseen)."""
    _check_version(booth, version)
    if booth.application_id is not None:
        raise Refused(_("展位 %(code)s 已分配项目，请先取消分配。", code=booth.code), "booth_assigned")
    fair = db.session.get(Fair, booth.fair_id)
    audit(actor, "booth.deleted", booth, before=snapshot(booth, BOOTH_FIELDS), fair=fair)
    db.session.delete(booth)
    _commit()


def copy_booths(fair: Fair, booths: list[Booth], *, dx: int, dy: int, prefix: str, actor) -> list[Booth]:
    """Copy a row of booths `dx`, `dy` metres away, each code's leading letters replaced by `prefix`
    (A-01 … A-10 copied 6 m down with prefix B: B-01 … B-10); attributes and zone come along."""
    if not booths:
        raise Refused(_("请先选择要复制的展位。"), "nothing_selected", "booths")
    copies = []
    for booth in booths:
        letters = re.match(r"^[A-Za-z]*", booth.code).group(0)
        copies.append(BoothDetails(prefix + booth.code[len(letters):], booth.hall_id, booth.zone_id,
                                   booth.x + dx, booth.y + dy, booth.width, booth.depth, booth.size,
                                   booth.corner, booth.power, booth.step_free))
    return create_booths(fair, copies, actor=actor, action="booth.copied")


def _check_version(booth: Booth, version: int | None) -> None:
    if version is not None and version != booth.version:
        raise Refused(_("展位 %(code)s 刚被他人修改，请刷新后重试。", code=booth.code), "conflict")


def set_setup_notes(fair: Fair, notes: str, *, actor) -> Fair:
    """What exhibitors read on their booth page: move-in times, loading bay, what each booth comes with."""
    before = {"setup_notes": fair.setup_notes}
    fair.setup_notes = notes.strip()
    audit(actor, "fair.setup_notes_changed", fair, before=before, after={"setup_notes": fair.setup_notes})
    db.session.commit()
    return fair


# --- import ------------------------------------------------------------------------------------------

from fair.booths.importing import FIELD_KEYS, RowProblem  # noqa: E402  the import's own section

IMPORT_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7"]


@dataclass
class ImportResult:
    """What an import wrote: counts for the audit and the report, and each booth row's outcome."""

    halls_created: int = 0
    zones_created: int = 0
    booths_created: int = 0
    booths_updated: int = 0
    outcomes: list = field(default_factory=list)        # (BoothRow, "created" or "updated")

    def counts(self) -> dict:
        return {name: value for name, value in vars(self).items() if name != "outcomes"}


class ImportRefused(Refused):
    """A plan file with problems: `problems` lists each at its row and column; nothing was written."""

    def __init__(self, problems: list):
        super().__init__(problems[0].message, "bad_import")
        self.problems = problems


def import_plan(fair: Fair, parsed, *, actor, source: str = "") -> ImportResult:
    """Write a parsed plan file (importing.ParsedPlan) all or nothing: halls and zones it names are created
    or updated, booths whose code exists are moved and re-equipped, the rest created. Every row is held
    to check_plan first; any problem (the file's own or a broken rule, mapped back to its row) refuses
    the whole file. One audit event with the counts."""
    plan = current_plan(fair)
    before = set(check_plan(plan))
    problems = list(parsed.problems)
    hall_keys = _plan_halls(plan, parsed, problems)
    zone_keys = _plan_zones(plan, parsed, hall_keys, problems)
    outcomes, existing = [], {details.code.upper(): at for at, (_id, details) in enumerate(plan.booths)}
    for row in parsed.booths:
        details = BoothDetails(row.code, hall_keys.get(row.hall), zone_keys.get(row.zone), row.x, row.y, row.width,
                               row.depth, row.size, row.corner, row.power, row.step_free)
        at = existing.pop(row.code.upper(), None)
        if at is not None:
            plan.booths[at] = (plan.booths[at][0], details)
            outcomes.append((row, "updated"))
        else:
            plan.booths.append((None, details))
            outcomes.append((row, "created"))
    read = {(problem.row, problem.column) for problem in problems}     # one message a cell: the reading's first
    problems += [problem for problem in _rows_of([problem for problem in check_plan(plan) if problem not in before],
                                                 plan, parsed) if (problem.row, problem.column) not in read]
    if problems:
        raise ImportRefused(sorted(dict.fromkeys(problems), key=_import_order))
    result = _write_import(fair, plan, parsed, hall_keys, zone_keys, outcomes)
    audit(actor, "plan.imported", fair, after={**result.counts(), "source": source[:120]}, fair=fair)
    try:
        _commit()
    except sa.exc.IntegrityError:           # a hall, zone or code someone added since the check
        db.session.rollback()
        raise Refused(_("平面图刚被他人修改，请重新上传该文件。"), "conflict") from None
    return result


def _import_order(problem) -> tuple:
    """Problems by row (whole-file ones first), CSV rows numerically, JSON places as written."""
    row = problem.row or ""
    return (problem.row is not None, int(row) if row.isdigit() else 0, row)


def _plan_halls(plan: PlanView, parsed, problems: list) -> dict:
    """The file's halls in `plan` (existing ones resized where a size is given); name → key in plan.halls."""
    keys = {details.name: hall_id for hall_id, details in plan.halls.items()}
    for name, row in parsed.halls.items():
        if name in keys:
            details = plan.halls[keys[name]]
            details.width = row.width if row.width is not None else details.width
            details.depth = row.depth if row.depth is not None else details.depth
            continue
        if row.width is None or row.depth is None:
            problems.append(RowProblem(row.row, parsed.column("hall_width"), _(
                "本届还没有展馆“%(name)s”：请在其中一行填写展馆宽和展馆深（米），或先在平面图页面添加该展馆。",
                name=name)))
        keys[name] = ("new", name)
        plan.halls[keys[name]] = HallDetails(name, row.width or MAX_HALL_METRES, row.depth or MAX_HALL_METRES,
                                             row.name_en)
    return keys


def _plan_zones(plan: PlanView, parsed, hall_keys: dict, problems: list) -> dict:
    """The file's zones in `plan`; a zone that exists keeps its hall and takes the categories and colour given."""
    keys = {details.name: zone_id for zone_id, details in plan.zones.items()}
    halls_by_key = {key: details.name for key, details in plan.halls.items()}
    for name, row in parsed.zones.items():
        if name in keys:
            details = plan.zones[keys[name]]
            if details.hall_id != hall_keys.get(row.hall):
                problems.append(RowProblem(row.row, parsed.column("zone"), _(
                    "展区“%(zone)s”已在展馆“%(hall)s”中，不能导入到另一个展馆。", zone=name,
                    hall=halls_by_key.get(details.hall_id, ""))))
            details.category_ids = row.category_ids if row.category_ids is not None else details.category_ids
            details.colour = row.colour or details.colour
            continue
        keys[name] = ("new", name)
        colour = row.colour or IMPORT_COLOURS[len(plan.zones) % len(IMPORT_COLOURS)]
        plan.zones[keys[name]] = ZoneDetails(name, hall_keys.get(row.hall), row.category_ids or [], colour,
                                             row.name_en)
    return keys


def _rows_of(problems: list[Problem], plan: PlanView, parsed) -> list:
    """check_plan's problems at the file's rows: a booth's at its code's rows, a zone's or a hall's at the
    row that named it. An untouched booth is only ever broken by a resized hall (reported at the hall's
    row) or by an overlap, which the file's booth reports already."""
    booth_rows = defaultdict(list)
    for row in parsed.booths:
        booth_rows[row.code.upper()].append(row.row)
    placed = {details.code.upper(): details for _id, details in plan.booths}
    hall_names = {key: details.name for key, details in plan.halls.items()}
    mapped = []
    for problem in problems:
        code = problem.subject.upper()
        if code in booth_rows:
            column = parsed.column(FIELD_KEYS.get(("booth", problem.field), "code"))
            mapped += [RowProblem(row, column, problem.message) for row in booth_rows[code]]
        elif problem.subject in parsed.zones:
            column = parsed.column(FIELD_KEYS.get(("zone", problem.field), "zone"))
            mapped.append(RowProblem(parsed.zones[problem.subject].row, column, problem.message))
        elif problem.subject in parsed.halls:
            column = parsed.column(FIELD_KEYS.get(("hall", problem.field), "hall"))
            mapped.append(RowProblem(parsed.halls[problem.subject].row, column, problem.message))
        elif code in placed:
            hall = parsed.halls.get(hall_names.get(placed[code].hall_id))
            if hall is not None and "重叠" not in problem.message and _outside(placed[code], plan):
                mapped.append(RowProblem(hall.row, parsed.column("hall_width"), problem.message))
        else:
            mapped.append(RowProblem(None, None, problem.message))
    return mapped


def _outside(booth: BoothDetails, plan: PlanView) -> bool:
    hall = plan.halls[booth.hall_id]
    return booth.x + booth.width > hall.width or booth.y + booth.depth > hall.depth


def _write_import(fair: Fair, plan: PlanView, parsed, hall_keys: dict, zone_keys: dict, outcomes: list) -> ImportResult:
    """The checked plan's new and changed halls, zones and booths, added to the session (not committed)."""
    result = ImportResult(outcomes=outcomes)
    halls = {hall.id: hall for hall in db.session.scalars(sa.select(Hall).where(Hall.fair_id == fair.id))}
    zones = {zone.id: zone for zone in db.session.scalars(
        sa.select(Zone).where(Zone.fair_id == fair.id).options(sa.orm.selectinload(Zone.categories)))}
    booths = {booth.code.upper(): booth
              for booth in db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id))}
    categories = {category.id: category for category in fair.categories}
    for name in parsed.halls:
        key, details = hall_keys[name], plan.halls[hall_keys[name]]
        if key in halls:
            halls[key].width, halls[key].depth = details.width, details.depth
        else:
            halls[key] = Hall(fair_id=fair.id, position=len(halls), **vars(details))
            db.session.add(halls[key])
            result.halls_created += 1
    for name in parsed.zones:
        key, details = zone_keys[name], plan.zones[zone_keys[name]]
        chosen = sorted((categories[id_] for id_ in details.category_ids), key=lambda category: category.position)
        if key in zones:
            zones[key].colour, zones[key].categories = details.colour.lower(), chosen
        else:
            zones[key] = Zone(fair_id=fair.id, hall=halls[details.hall_id], name=name, name_en=details.name_en,
                              colour=details.colour.lower(), position=len(zones), categories=chosen)
            db.session.add(zones[key])
            result.zones_created += 1
    for row, outcome in outcomes:
        values = dict(code=row.code, x=row.x, y=row.y, width=row.width, depth=row.depth, size=row.size,
                      corner=row.corner, power=row.power, step_free=row.step_free,
                      hall=halls[hall_keys[row.hall]], zone=zones[zone_keys[row.zone]])
        booth = booths.get(row.code.upper())
        if booth is None:
            db.session.add(Booth(fair_id=fair.id, **values))
            result.booths_created += 1
        else:
            for name, value in values.items():
                setattr(booth, name, value)
            result.booths_updated += 1
    return result
