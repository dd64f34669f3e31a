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
