"""The organizer's booth allocation: the automatic run with its weights and its last result, and each
booth's page for changing its project by hand. Thin: a form in, a placing service, a page out; a refused
change comes back with the booth as it is now and what the organizer typed still in the form."""
from dataclasses import replace

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from fair import exports
from fair.applications.models import Application, BoothSize
from fair.auth.models import Organisation, Role
from fair.auth.permissions import fair_role_required
from fair.booths import allocate, placing, queries
from fair.booths.models import AllocationRun, Booth, Zone
from fair.booths.views import bp
from fair.extensions import db
from fair.fairs.models import Fair
from fair.jobs import runner
from fair.jobs.models import Job
from fair.navigation import add_fair_nav
from fair.refusal import Refused

add_fair_nav(45, _l("展位分配"), "booths.allocation", Role.organizer, also=("booths.placement",))
WHOLE_NUMBER = _l("请填写整数。")
CANDIDATES_SHOWN = 50
UNPLACED_SHOWN = 200
MAX_QUERY = 100
INLINE_PROJECTS = 100           # more projects to place than this: the run goes to a background job
ALLOCATION_JOB = "booths.allocation"
ACTIONS = ("assign", "bring", "unassign", "lock", "unlock", "swap", "move")


def _weight(label, description) -> IntegerField:
    return IntegerField(label, description=description, validators=[
        InputRequired(message=WHOLE_NUMBER), NumberRange(min=0, max=placing.MAX_WEIGHT)])


class AllocationForm(FlaskForm):
    organisation = _weight(_l("同一单位的项目相邻"),
                           _l("同一单位的多个项目尽量放在同一展区、相邻展位。0 表示不考虑。"))
    region = _weight(_l("同一城市的项目集中"), _l("同一城市的项目尽量集中在少数几个展区。0 表示不考虑。"))
    award = _weight(_l("获奖潜力项目分散"), _l("获奖潜力项目尽量平均分布在各展区。0 表示不考虑。"))
    award_calibre = IntegerField(_l("获奖潜力项目数"), description=_l("按初审得分取前若干个入围项目。"),
                                 validators=[InputRequired(message=WHOLE_NUMBER), NumberRange(min=0, max=10_000)])


class PlacementForm(FlaskForm):
    """One form class for a booth's buttons: `action` says which, `version` is the booth as the page showed it."""

    action = HiddenField()
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    application_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    other_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    other_booth = IntegerField(widget=HiddenInput(), validators=[Optional()])     # the project's booth as shown
    swap_code = StringField(_l("与展位交换"), validators=[Optional(), Length(max=12)])
    move_code = StringField(_l("移到展位"), validators=[Optional(), Length(max=12)])


# --- the allocation page -------------------------------------------------------------------------------

@bp.route("/booths/allocation", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def allocation(fair: Fair):
    wanted = request.args.get("booth", "").strip()
    if request.method == "GET" and wanted:
        booth = _booth(fair, wanted)
        if booth is not None:
            return redirect(url_for("booths.placement", slug=fair.slug, code=booth.code))
        flash(_("没有编号为 %(code)s 的展位。", code=wanted[:12]), "warning")
    last = _last_run(fair)
    form = AllocationForm(data={key: int(value) for key, value in placing.settings_of(last).items()})
    if request.method == "GET":
        return _allocation_page(fair, form, last)
    if not form.validate_on_submit():
        return _allocation_page(fair, form, last, status=400)
    weights = allocate.Weights(organisation=float(form.organisation.data), region=float(form.region.data),
                               award=float(form.award.data))
    if _placeable_count(fair) > INLINE_PROJECTS:
        return _allocate_in_background(fair, form)
    try:
        run = placing.run_allocation(fair, weights, actor=current_user, award_calibre=form.award_calibre.data)
    except placing.AllocationInfeasible as refusal:
        return _allocation_page(fair, form, last, status=409, refusal=refusal)
    except Refused as refusal:
        if refusal.field and hasattr(form, refusal.field):
            getattr(form, refusal.field).errors.append(refusal.message)
        return _allocation_page(fair, form, last, status=409, refusal=refusal)
    flash(_("已为 %(n)d 个入围项目分配展位。", n=run.projects), "success")
    return redirect(url_for("booths.allocation", slug=fair.slug))


def _placeable_count(fair: Fair) -> int:
    return db.session.scalar(sa.select(sa.func.count(Application.id))
                             .where(Application.fair_id == fair.id, placing.PLACEABLE))


def _allocate_in_background(fair: Fair, form: AllocationForm):
    """A large fair's run goes to a job (its page shows the steps); a run already under way is joined,
    whatever its weights, so two runs never race for the same booths."""
    running = runner.find_unfinished(fair, ALLOCATION_JOB, {})
    if running is not None:
        flash(_("已有一次展位分配正在进行，请等待它完成。"), "info")
        return redirect(url_for("jobs.job", slug=fair.slug, job_id=running.id))
    settings = {name: form[name].data for name in (*placing.WEIGHT_NAMES, "award_calibre")}
    job = runner.enqueue(fair, ALLOCATION_JOB, settings | {"back": url_for("booths.allocation", slug=fair.slug)},
                         current_user)
    return redirect(url_for("jobs.job", slug=fair.slug, job_id=job.id))


def allocation_job(context: runner.JobContext) -> runner.Result:
    """The run as a job, by the organizer who asked for it; its file is the run's summary. An impossible
    plan or a conflict fails the job with the same sentences the page would show."""
    params = context.params
    actor = db.session.get(Job, context.job_id).created_by
    weights = allocate.Weights(**{name: float(params[name]) for name in placing.WEIGHT_NAMES})
    try:
        run = placing.run_allocation(context.fair, weights, actor=actor, award_calibre=int(params["award_calibre"]),
                                     progress=context.progress)
    except placing.AllocationInfeasible as refusal:
        raise runner.JobError(" ".join([refusal.message, *refusal.reasons])) from None
    return runner.Result(exports.csv_bytes(run_summary(context.fair, run)),
                         f"{context.fair.slug}-allocation-{run.id}.csv", exports.CSV_MIMETYPE)


def run_summary(fair: Fair, run: AllocationRun) -> exports.Table:
    """One row: what the run placed and reached, as the allocation page's "last run" shows it."""
    table = exports.Table(_("展位分配"), [
        exports.Column(_("分配时间"), exports.DATETIME), exports.Column(_("项目数"), exports.NUMBER),
        exports.Column(_("锁定展位"), exports.NUMBER), exports.Column(_("目标值"), exports.NUMBER),
        exports.Column(_("已证明最优")), exports.Column(_("同单位相邻对数"), exports.NUMBER),
        exports.Column(_("用时（秒）"), exports.NUMBER)], timezone=fair.timezone)
    table.rows.append([run.created_at, run.projects, run.locked, round(run.objective, 1),
                       _("是") if run.optimal else _("否"), run.side_by_side, run.seconds])
    return table


runner.register(ALLOCATION_JOB, allocation_job, _l("展位自动分配"))


def _last_run(fair: Fair) -> AllocationRun | None:
    return db.session.scalar(sa.select(AllocationRun).where(AllocationRun.fair_id == fair.id)
                             .order_by(AllocationRun.id.desc()).limit(1)
                             .options(joinedload(AllocationRun.actor)))


def _allocation_page(fair: Fair, form: AllocationForm, last: AllocationRun | None, *, status: int = 200,
                     refusal: Refused | None = None):
    plan = _plan(fair)
    booths = plan.booths
    placeable = db.session.scalar(sa.select(sa.func.count(Application.id))
                                  .where(Application.fair_id == fair.id, placing.PLACEABLE))
    unplaced_query = (sa.select(Application).where(Application.fair_id == fair.id, placing.PLACEABLE,
                                                   ~sa.exists().where(Booth.application_id == Application.id)))
    unplaced_count = db.session.scalar(sa.select(sa.func.count()).select_from(unplaced_query.subquery()))
    unplaced = db.session.scalars(unplaced_query.order_by(Application.category_id, Application.title)
                                  .limit(UNPLACED_SHOWN)
                                  .options(joinedload(Application.organisation),
                                           joinedload(Application.category))).all()
    stray = [booth for booth in booths if booth.application_id and not placing.is_placeable(booth.application)]
    counts = {"shortlisted": placeable, "placed": placeable - unplaced_count, "unplaced": unplaced_count,
              "free": sum(booth.application_id is None for booth in booths),
              "locked": sum(booth.locked for booth in booths), "booths": len(booths)}
    return render_template("booths/allocation.html", fair=fair, form=form, last=last, plan=plan, counts=counts,
                           unplaced=unplaced, stray=stray, refusal=refusal, background=placeable > INLINE_PROJECTS,
                           running=runner.find_unfinished(fair, ALLOCATION_JOB, {}),
                           locale=str(get_locale())), status


def _plan(fair: Fair, hall_ids=None) -> queries.FairPlan:
    """The plan with every booth linking to its placement page (a free one too)."""
    plan = queries.load_plan(fair, locale=str(get_locale()), hall_ids=hall_ids)
    stem = url_for("booths.placement", slug=fair.slug, code="~")[:-len("/~/placement")]
    for hall in plan.halls:
        hall.booths = [replace(shape, href=f"{stem}/{shape.code}/placement") for shape in hall.booths]
    return plan


@bp.get("/booths/export")
@fair_role_required(Role.organizer)
def booths_export(fair: Fair):
    """Every booth of the plan (or of one hall, as the plan editor's list shows it) with its project."""
    fmt = exports.requested_format()
    hall_id = request.args.get("hall", type=int)
    plan = queries.load_plan(fair, hall_ids=[hall_id] if hall_id else None)
    with force_locale("zh_Hans"):
        sizes = {size: size.label for size in BoothSize}
    table = exports.Table("展位", [
        exports.Column("展位号"), exports.Column("展馆"), exports.Column("展区"), exports.Column("规格"),
        exports.Column("角位"), exports.Column("用电"), exports.Column("无障碍"), exports.Column("锁定"),
        exports.Column("项目编号", exports.NUMBER), exports.Column("项目名称"), exports.Column("申报单位"),
        exports.Column("服务领域")], timezone=fair.timezone)
    for hall in plan.halls:
        for booth in hall.rows:
            project = booth.application
            table.rows.append([
                booth.code, hall.hall.name, plan.zones[booth.zone_id].name, sizes[booth.size], booth.corner,
                booth.power, booth.step_free, booth.locked, project.id if project else None,
                project.title if project else None, project.organisation.name if project else None,
                project.category.name if project else None])
    return exports.send_table(table, f"{fair.slug}-booths", fmt)


# --- a booth's page ------------------------------------------------------------------------------------

def _booth(fair: Fair, code: str) -> Booth | None:
    return db.session.scalar(
        sa.select(Booth).where(Booth.fair_id == fair.id, sa.func.upper(Booth.code) == code.strip().upper())
        .options(joinedload(Booth.hall), joinedload(Booth.zone).selectinload(Zone.categories),
                 joinedload(Booth.application).joinedload(Application.organisation),
                 joinedload(Booth.application).joinedload(Application.category)))


@bp.route("/booths/<code>/placement", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def placement(fair: Fair, code: str):
    booth = _booth(fair, code)
    if booth is None:
        abort(404, description=_("没有编号为 %(code)s 的展位。", code=code[:12]))
    form = PlacementForm()
    if request.method == "GET":
        return _booth_page(fair, booth, form)
    if not form.validate_on_submit() or form.action.data not in ACTIONS:
        return _booth_page(fair, booth, form, status=400)
    try:
        message = _act(fair, booth, form)
    except Refused as refusal:
        return _booth_page(fair, _booth(fair, code), form, status=409, refusal=refusal)
    flash(message, "success")
    return redirect(url_for("booths.placement", slug=fair.slug, code=booth.code, q=request.args.get("q") or None))


def _act(fair: Fair, booth: Booth, form: PlacementForm) -> str:
    """Run the form's action; the success message, or Refused."""
    action, version = form.action.data, form.version.data
    if action in ("assign", "bring"):
        application = db.session.scalar(sa.select(Application).where(Application.id == form.application_id.data,
                                                                     Application.fair_id == fair.id))
        if application is None:
            raise Refused(_("只有入围项目可以安排展位。"), "not_shortlisted")
        if action == "assign":
            placing.assign(booth, application, actor=current_user, version=version)
        else:
            placing.move(application, booth, actor=current_user, versions=(form.other_version.data, version),
                         from_booth_id=form.other_booth.data)
        return _("已将“%(title)s”安排到展位 %(code)s。", title=application.title, code=booth.code)
    if action == "unassign":
        title = booth.application.title if booth.application else ""
        placing.unassign(booth, actor=current_user, version=version)
        return _("已取消展位 %(code)s 上“%(title)s”的分配。", code=booth.code, title=title)
    if action in ("lock", "unlock"):
        (placing.lock if action == "lock" else placing.unlock)(booth, actor=current_user, version=version)
        return _("展位 %(code)s 已锁定。", code=booth.code) if action == "lock" else \
            _("展位 %(code)s 已解锁。", code=booth.code)
    field = form.swap_code if action == "swap" else form.move_code
    other = _booth(fair, field.data or "")
    if other is None:
        raise Refused(_("没有编号为 %(code)s 的展位。", code=(field.data or "").strip()[:12]) if field.data
                      else _("请填写展位编号。"), "unknown_booth", field.name)
    if action == "swap":
        placing.swap(booth, other, actor=current_user, versions=(version, None))
        return _("已交换展位 %(a)s 和 %(b)s 的项目。", a=booth.code, b=other.code)
    if booth.application is None:
        raise Refused(_("展位 %(code)s 是空闲的。", code=booth.code), "free", field.name)
    title = booth.application.title
    placing.move(booth.application, other, actor=current_user, versions=(version, None))
    return _("已将“%(title)s”移到展位 %(code)s。", title=title, code=other.code)


def _booth_page(fair: Fair, booth: Booth, form: PlacementForm, *, status: int = 200,
                refusal: Refused | None = None):
    if refusal is not None and refusal.field in ("swap_code", "move_code"):
        form[refusal.field].errors = [*form[refusal.field].errors, refusal.message]
    words = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    candidates, total = _candidates(booth, words)
    plan = _plan(fair, hall_ids=[booth.hall_id])
    return render_template("booths/allocation_booth.html", fair=fair, booth=booth, form=form, refusal=refusal,
                           candidates=candidates, total=total, words=words, hall=plan.halls[0],
                           locale=str(get_locale())), status


def _candidates(booth: Booth, words: str) -> tuple[list[tuple[Application, Booth | None]], int]:
    """Shortlisted projects this booth fits (the same rules as allocate.fits, in SQL), those without a
    booth first, each with the booth it is on; and how many there are in all."""
    query = (sa.select(Application, Booth).outerjoin(Booth, Booth.application_id == Application.id)
             .join(Organisation, Organisation.id == Application.organisation_id)
             .where(Application.fair_id == booth.fair_id, placing.PLACEABLE,
                    Application.category_id.in_([category.id for category in booth.zone.categories]),
                    Application.id != (booth.application_id or 0)))
    if booth.size != BoothSize.double:
        query = query.where(Application.booth_size == BoothSize.standard)
    if not booth.power:
        query = query.where(Application.needs_power.is_(False))
    if not booth.step_free:
        query = query.where(Application.needs_step_free.is_(False))
    for word in words.split():
        query = query.where(sa.or_(Application.title.contains(word, autoescape=True),
                                   Organisation.name.contains(word, autoescape=True),
                                   Application.city.contains(word, autoescape=True)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(Booth.id.is_not(None), Application.title, Application.id)
                              .limit(CANDIDATES_SHOWN)
                              .options(joinedload(Application.organisation), joinedload(Application.category))).all()
    return [(application, other) for application, other in rows], total

