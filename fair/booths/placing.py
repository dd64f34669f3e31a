"""Placing shortlisted projects on booths: the automatic allocation run and the organizer's manual changes
(assign, unassign, move, swap, lock, unlock). Each validates, writes and audits in one transaction.

The hard rules are the solver's own (`allocate.fits`: the zone accepts the category, the booth is big
enough, power and step-free access where needed), so a manual change never leaves a pair that the next
run would refuse; preferences are the solver's business, and a person may place against them. Every
manual change names the booth `version` the organizer's page showed: a booth changed since is refused,
and SQLAlchemy's version counter catches one changed between reading and writing."""
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from time import perf_counter

import sqlalchemy as sa
from flask_babel import get_locale, gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application, ApplicationStatus, BoothSize, Decision, ShortlistEntry
from fair.audit.log import audit
from fair.booths import allocate
from fair.booths.models import AllocationRun, Booth, Zone
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused

PLACEABLE = sa.and_(Application.decision == Decision.shortlisted, Application.status == ApplicationStatus.submitted)
DEFAULT_AWARD_CALIBRE = 80
MAX_WEIGHT = 10
TIME_LIMIT = 30.0        # seconds HiGHS may search in a web request; the answer keeps every hard rule anyway
RUN_STEPS = 3            # reading, solving, writing: what run_allocation's progress counts


class AllocationInfeasible(Refused):
    """No allocation keeps every hard rule; `reasons` are the solver's counts as sentences for the organizer."""

    def __init__(self, reasons: list[str]):
        super().__init__(_("没有能满足全部硬性条件的分配方案，展位未作任何改动。"), "infeasible")
        self.reasons = reasons


WEIGHT_NAMES = ("organisation", "region", "award")


def settings_of(run: AllocationRun | None) -> dict:
    """The weights and award-calibre count a run used (the solver's defaults before the first), to start
    the next run from."""
    defaults = allocate.Weights()
    settings = {name: getattr(defaults, name) for name in WEIGHT_NAMES} | {"award_calibre": DEFAULT_AWARD_CALIBRE}
    if run is not None:
        settings.update({key: value for key, value in (run.weights or {}).items() if key in settings})
    return settings


# --- the solver's view of the rows ---------------------------------------------------------------------

def solver_project(application: Application, award_calibre: bool = False) -> allocate.Project:
    return allocate.Project(application.id, application.category_id, application.organisation_id,
                            application.city or None, needs_double=application.booth_size == BoothSize.double,
                            needs_power=application.needs_power, needs_step_free=application.needs_step_free,
                            award_calibre=award_calibre)


def solver_booth(booth: Booth) -> allocate.Booth:
    """The booth by its centre, so neighbours are measured centre to centre as the solver expects."""
    return allocate.Booth(booth.id, booth.zone_id, booth.size.value, booth.power, booth.step_free,
                          booth.x + booth.width / 2, booth.y + booth.depth / 2,
                          booth.application_id if booth.locked else None)


def solver_zone(zone: Zone) -> allocate.Zone:
    return allocate.Zone(zone.id, frozenset(category.id for category in zone.categories))


def misfit(application: Application, booth: Booth) -> str | None:
    """The hard rule the pair breaks, as a sentence naming it; None when `allocate.fits` accepts it."""
    zone = booth.zone
    if allocate.fits(solver_project(application), solver_booth(booth), {zone.id: solver_zone(zone)}):
        return None
    title, code = application.title, booth.code
    if application.category_id not in {category.id for category in zone.categories}:
        return _("展位 %(code)s 属于展区“%(zone)s”，该展区不接受“%(category)s”领域的项目“%(title)s”。",
                 code=code, zone=zone.name, category=application.category.name, title=title)
    if application.booth_size == BoothSize.double and booth.size != BoothSize.double:
        return _("项目“%(title)s”需要双展位，展位 %(code)s 是标准展位。", title=title, code=code)
    if application.needs_power and not booth.power:
        return _("项目“%(title)s”需要电源，展位 %(code)s 没有电源。", title=title, code=code)
    if application.needs_step_free and not booth.step_free:
        return _("项目“%(title)s”需要无障碍通道，展位 %(code)s 不是无障碍展位。", title=title, code=code)
    return _("项目“%(title)s”不符合展位 %(code)s 的条件。", title=title, code=code)


# --- the automatic run ---------------------------------------------------------------------------------

def placeable_applications(fair: Fair) -> list[Application]:
    return db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id, PLACEABLE)
                              .order_by(Application.id)).all()


def award_calibre_ids(fair: Fair, count: int) -> set[int]:
    """The `count` shortlisted projects with the best screening score (projects without one never count)."""
    if count <= 0:
        return set()
    return set(db.session.scalars(
        sa.select(ShortlistEntry.application_id).join(Application, Application.id == ShortlistEntry.application_id)
        .where(ShortlistEntry.fair_id == fair.id, ShortlistEntry.score.is_not(None), PLACEABLE)
        .order_by(ShortlistEntry.score.desc(), ShortlistEntry.application_id).limit(count)))


def run_allocation(fair: Fair, weights: allocate.Weights, *, actor, award_calibre: int = DEFAULT_AWARD_CALIBRE,
                   time_limit: float = TIME_LIMIT, progress: Callable[[int, int, str], None] | None = None
                   ) -> AllocationRun:
    """Place every shortlisted project, keeping locked pairs, and record the run; when no allocation keeps
    every hard rule, write nothing and raise AllocationInfeasible with the reasons in numbers.
    `award_calibre`: how many of the best-screened projects the award weight spreads over the zones.
    `progress(step, RUN_STEPS, message)` is told before each step, all before anything is written (a job
    stopped there leaves the booths as they were)."""
    step = progress or (lambda *_args: None)
    _check_settings(weights, award_calibre)
    step(0, RUN_STEPS, _("正在读取入围项目与展位"))
    applications = placeable_applications(fair)
    booths = db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.code)).all()
    zones = db.session.scalars(sa.select(Zone).where(Zone.fair_id == fair.id).order_by(Zone.position, Zone.id)
                               .options(selectinload(Zone.categories))).all()
    if not applications:
        raise Refused(_("还没有入围项目，无需分配展位。"), "nothing_to_place")
    if not booths:
        raise Refused(_("还没有展位，请先在平面图中添加展位。"), "no_booths")
    awards = award_calibre_ids(fair, award_calibre)
    projects = [solver_project(application, application.id in awards) for application in applications]
    step(1, RUN_STEPS, _("正在求解分配方案（展区选择与同单位相邻）"))
    started = perf_counter()
    try:
        result = allocate.allocate(projects, [solver_booth(booth) for booth in booths],
                                   [solver_zone(zone) for zone in zones], weights=weights, time_limit=time_limit)
    except allocate.Infeasible as infeasible:
        raise AllocationInfeasible(describe_reasons(fair, infeasible.reasons, applications, booths, zones)) from None
    seconds = perf_counter() - started
    wanted = {booth_id: application_id for application_id, booth_id in result.placement.items()}
    changing = [booth for booth in booths if not booth.locked and booth.application_id != wanted.get(booth.id)]
    settings = {name: getattr(weights, name) for name in WEIGHT_NAMES} | {"award_calibre": award_calibre}
    run = AllocationRun(fair_id=fair.id, actor_id=getattr(actor, "id", None), weights=settings,
                        projects=len(projects), locked=sum(booth.locked for booth in booths),
                        objective=result.objective, optimal=result.optimal, side_by_side=result.side_by_side,
                        seconds=round(seconds, 3))
    step(2, RUN_STEPS, _("正在写入分配结果"))
    with _writing():
        for booth in changing:                       # free first: a project may move to a booth read later
            booth.application_id = None
        db.session.flush()
        for booth in changing:
            booth.application_id = wanted.get(booth.id)
        db.session.add(run)
        db.session.flush()
        audit(actor, "booth.allocation_run", fair, after={
            "run": run.id, **settings, "projects": run.projects, "locked": run.locked,
            "changed_booths": len(changing), "objective": run.objective, "optimal": run.optimal,
            "side_by_side": run.side_by_side, "seconds": run.seconds})
    return run


def _check_settings(weights: allocate.Weights, award_calibre: int) -> None:
    for name in WEIGHT_NAMES:
        if not 0 <= getattr(weights, name) <= MAX_WEIGHT:
            raise Refused(_("权重须在 0–%(most)d 之间。", most=MAX_WEIGHT), "bad_weight", name)
    if award_calibre < 0:
        raise Refused(_("获奖潜力项目数不能为负数。"), "bad_award_calibre", "award_calibre")


def describe_reasons(fair: Fair, reasons: Sequence[allocate.Reason], applications: Sequence[Application],
                     booths: Sequence[Booth], zones: Sequence[Zone]) -> list[str]:
    """The solver's counts as the organizer's sentences, naming zones, categories, booths and projects."""
    locale = str(get_locale() or "zh_Hans")
    english = locale.startswith("en")
    zone_names = {zone.id: zone.name_en if english and zone.name_en else zone.name for zone in zones}
    categories = db.session.scalars(sa.select(Category).where(Category.fair_id == fair.id)).all()
    category_names = {category.id: category.display_name(locale) for category in categories}
    listing = lambda ids, names: "、".join(f"“{names.get(i, i)}”" for i in ids)  # noqa: E731
    by_booth = {booth.id: booth for booth in booths}
    placeable = {application.id: application for application in applications}
    sentences = []
    for reason in reasons:
        values = dict(projects=reason.projects, booths=reason.booths,
                      zones=listing(reason.zones, zone_names), categories=listing(reason.categories, category_names))
        if reason.kind == "no_zone":
            sentences.append(_("服务领域%(categories)s：%(projects)d 个入围项目，但没有展区接受该领域。", **values))
        elif reason.kind == "too_few":
            sentences.append(_too_few(reason.need, values))
        elif reason.kind == "locked" and reason.booth in by_booth:
            sentences.append(_locked(by_booth[reason.booth], placeable))
        elif reason.project in placeable:
            sentences.append(_("%(projects)d 个项目找不到同时满足其全部条件（展区、面积、电源、无障碍）的展位，例如“%(title)s”。",
                               projects=reason.projects, title=placeable[reason.project].title))
        else:
            sentences.append(_("各项数量都够，但 %(projects)d 个项目的条件无法同时满足：例如同时需要电源和无障碍通道的项目多于兼具两者的展位。",
                               projects=reason.projects))
    return sentences


def _too_few(need: str | None, values: dict) -> str:
    if need == "power":
        return _("展区%(zones)s（服务领域%(categories)s）：%(projects)d 个项目需要电源，可分配的有电源展位只有 %(booths)d 个。",
                 **values)
    if need == "step_free":
        return _("展区%(zones)s（服务领域%(categories)s）：%(projects)d 个项目需要无障碍通道，可分配的无障碍展位只有 %(booths)d 个。",
                 **values)
    if need == "double":
        return _("展区%(zones)s（服务领域%(categories)s）：%(projects)d 个项目需要双展位，可分配的双展位只有 %(booths)d 个。",
                 **values)
    return _("展区%(zones)s（服务领域%(categories)s）：%(projects)d 个项目，可分配的展位只有 %(booths)d 个。", **values)


def _locked(booth: Booth, placeable: dict) -> str:
    """Why a locked pair cannot stay: its project left the shortlist, or the pair breaks a hard rule."""
    application = placeable.get(booth.application_id)
    if application is None:
        title = booth.application.title if booth.application else ""
        return _("展位 %(code)s 锁定的项目“%(title)s”已不在入围名单中，请先解锁或取消分配。", code=booth.code, title=title)
    return _("展位 %(code)s 的锁定无法保留：%(rule)s", code=booth.code,
             rule=misfit(application, booth) or _("条件不符。"))


# --- manual changes ------------------------------------------------------------------------------------

def state(booth: Booth) -> dict:
    """A booth's placement for the audit log: its code, the project's title and the lock."""
    return {"booth": booth.code, "project": booth.application.title if booth.application else None,
            "locked": booth.locked}


def assign(booth: Booth, application: Application, *, actor, version: int | None) -> Booth:
    """Put a shortlisted project that has no booth yet on a free booth."""
    _check_version(booth, version)
    _refuse_unplaceable(booth, application)
    if booth.application_id is not None:
        raise Refused(_("展位 %(code)s 已安排“%(title)s”，请先取消分配，或使用交换。", code=booth.code,
                        title=booth.application.title), "occupied")
    current = booth_of(application)
    if current is not None:
        raise Refused(_("项目“%(title)s”已在展位 %(code)s，请改用“移到此展位”。", title=application.title,
                        code=current.code), "already_placed", "application_id")
    _refuse_misfit(application, booth, "application_id")
    before = state(booth)
    with _writing():
        booth.application = application
        audit(actor, "booth.assigned", booth, before=before, after=state(booth), fair=_fair(booth))
    return booth


def unassign(booth: Booth, *, actor, version: int | None) -> Booth:
    """Free a booth; its project goes back to the unplaced list."""
    _check_version(booth, version)
    _refuse_locked(booth)
    if booth.application_id is None:
        raise Refused(_("展位 %(code)s 是空闲的。", code=booth.code), "free")
    before = state(booth)
    with _writing():
        booth.application = None
        audit(actor, "booth.unassigned", booth, before=before, after=state(booth), fair=_fair(booth))
    return booth


def move(application: Application, to_booth: Booth, *, actor, versions: tuple = (None, None),
         from_booth_id: int | None = None) -> Booth:
    """Move a placed project to a free booth; `versions` are those its booth and the target showed, and
    `from_booth_id` the booth the page showed it on: a version alone may match another booth's, once
    someone else has moved the project meanwhile."""
    from_booth = booth_of(application)
    if from_booth is None:
        raise Refused(_("项目“%(title)s”还没有展位。", title=application.title), "not_placed")
    if from_booth_id is not None and from_booth.id != from_booth_id:
        raise Refused(_("项目“%(title)s”刚被他人移到展位 %(code)s，请查看当前状态后重试。", title=application.title,
                        code=from_booth.code), "conflict")
    _check_version(from_booth, versions[0])
    _check_version(to_booth, versions[1])
    _refuse_unplaceable(to_booth, application)
    if to_booth.id == from_booth.id:
        raise Refused(_("项目已在展位 %(code)s。", code=to_booth.code), "same_booth", "move_code")
    _refuse_locked(from_booth)
    if to_booth.application_id is not None:
        raise Refused(_("展位 %(code)s 已安排“%(title)s”，请改用交换。", code=to_booth.code,
                        title=to_booth.application.title), "occupied", "move_code")
    _refuse_misfit(application, to_booth, "move_code")
    befores = [state(from_booth), state(to_booth)]
    with _writing():
        from_booth.application = None
        db.session.flush()
        to_booth.application = application
        audit(actor, "booth.moved", from_booth, before=befores[0], after=state(from_booth), fair=_fair(from_booth))
        audit(actor, "booth.moved", to_booth, before=befores[1], after=state(to_booth), fair=_fair(to_booth))
    return to_booth


def swap(booth_a: Booth, booth_b: Booth, *, actor, versions: tuple = (None, None)) -> None:
    """Exchange the projects of two booths; each must fit the other's booth."""
    _check_version(booth_a, versions[0])
    _check_version(booth_b, versions[1])
    if booth_a.id == booth_b.id or booth_a.fair_id != booth_b.fair_id:
        raise Refused(_("请填写另一个展位的编号。"), "same_booth", "swap_code")
    for booth in (booth_a, booth_b):
        _refuse_locked(booth, "swap_code")
        if booth.application_id is None:
            raise Refused(_("展位 %(code)s 是空闲的，请改用移动。", code=booth.code), "free", "swap_code")
    project_a, project_b = booth_a.application, booth_b.application
    _refuse_misfit(project_a, booth_b, "swap_code")
    _refuse_misfit(project_b, booth_a, "swap_code")
    befores = [state(booth_a), state(booth_b)]
    with _writing():
        booth_a.application = None
        db.session.flush()
        booth_b.application = project_a
        db.session.flush()
        booth_a.application = project_b
        audit(actor, "booth.swapped", booth_a, before=befores[0], after=state(booth_a), fair=_fair(booth_a))
        audit(actor, "booth.swapped", booth_b, before=befores[1], after=state(booth_b), fair=_fair(booth_b))


def lock(booth: Booth, *, actor, version: int | None) -> Booth:
    """Keep the booth's project where it is through the next automatic runs."""
    _check_version(booth, version)
    if booth.application_id is None:
        raise Refused(_("空闲展位不能锁定，请先安排项目。"), "free")
    if booth.locked:
        raise Refused(_("展位 %(code)s 已锁定。", code=booth.code), "locked")
    return _set_lock(booth, True, actor)


def unlock(booth: Booth, *, actor, version: int | None) -> Booth:
    _check_version(booth, version)
    if not booth.locked:
        raise Refused(_("展位 %(code)s 没有锁定。", code=booth.code), "not_locked")
    return _set_lock(booth, False, actor)


def _set_lock(booth: Booth, locked: bool, actor) -> Booth:
    before = state(booth)
    with _writing():
        booth.locked = locked
        audit(actor, "booth.locked" if locked else "booth.unlocked", booth, before=before, after=state(booth),
              fair=_fair(booth))
    return booth


def _fair(booth: Booth) -> Fair:
    return db.session.get(Fair, booth.fair_id)


def booth_of(application: Application) -> Booth | None:
    return db.session.scalar(sa.select(Booth).where(Booth.application_id == application.id))


def _check_version(booth: Booth, version: int | None) -> None:
    if version is not None and version != booth.version:
        raise Refused(_("展位 %(code)s 刚被他人修改，请查看当前状态后重试。", code=booth.code), "conflict")


def is_placeable(application: Application) -> bool:
    """Shortlisted and still submitted (the same test as PLACEABLE, on a loaded row)."""
    return application.decision == Decision.shortlisted and application.status == ApplicationStatus.submitted


def _refuse_unplaceable(booth: Booth, application: Application) -> None:
    if application.fair_id != booth.fair_id or not is_placeable(application):
        raise Refused(_("只有入围项目可以安排展位。"), "not_shortlisted", "application_id")


def _refuse_locked(booth: Booth, field: str | None = None) -> None:
    if booth.locked:
        raise Refused(_("展位 %(code)s 已锁定，请先解锁。", code=booth.code), "locked", field)


def _refuse_misfit(application: Application, booth: Booth, field: str) -> None:
    """A hard rule is never overridden by hand: the organizer may go against a preference, not a rule."""
    problem = misfit(application, booth)
    if problem:
        raise Refused(problem, "misfit", field)


@contextmanager
def _writing() -> Iterator[None]:
    """Commit the block's writes with their audit events, or none of them. A booth whose version moved on
    meanwhile (StaleDataError), or a project someone else placed meanwhile (the unique booth per
    project), is told as a conflict and overwrites nothing."""
    try:
        yield
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Refused(_("展位刚被他人修改，请查看当前状态后重试。"), "conflict") from None
    except OperationalError as error:
        db.session.rollback()
        if "deadlock" not in str(error.orig).lower():
            raise
        # Two swaps of one pair from both booths' pages lock the rows in opposite orders; PostgreSQL
        # breaks the tie by refusing one of them, which has changed nothing.
        raise Refused(_("展位刚被他人修改，请查看当前状态后重试。"), "conflict") from None
    except BaseException:
        db.session.rollback()
        raise
