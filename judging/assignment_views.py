"""The organizer's assignment of judges and judging progress. Thin: a form in, an assigning service, a
page out; a refused change comes back on the page it was made from, with the message next to its field
(or above, for a button) and status 409."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from fair.applications.models import Application
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths.models import Booth
from fair.extensions import db
from fair.fairs.models import Fair
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from judging import assigning
from judging.models import AssignmentSource, Judge, JudgeAssignment
from judging.views import bp

add_fair_nav(52, _l("评审分配"), "judging.assignment", Role.organizer,
             also=("judging.progress", "judging.assignment_judge"))
SHORT_SHOWN = 100
SOURCE_LABELS = {AssignmentSource.solver: _l("自动"), AssignmentSource.manual: _l("手动"),
                 AssignmentSource.dispatch: _l("调度"), AssignmentSource.extra: _l("加派")}
BACK = ("assignment", "progress")


class ActionForm(FlaskForm):
    """Every button of the two pages: `action` says which; `back` which page to return to."""

    action = HiddenField()
    back = HiddenField()
    assignment_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    application_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    booth = StringField(_l("展位编号"), description=_l("为该展位上的项目加派一位评委。"),
                        validators=[Optional(), Length(max=12)])
    per_judge = IntegerField(_l("每位空闲评委的项目数"), default=1,
                             validators=[Optional(), NumberRange(min=1, max=assigning.MAX_PER_JUDGE,
                                                                 message=_l("请填写 1–10 之间的整数。"))])


class ReassignForm(FlaskForm):
    action = HiddenField()
    assignment_id = SelectField(_l("项目"), coerce=int, validators=[InputRequired()])
    judge_id = SelectField(_l("改派给"), coerce=int, validators=[InputRequired(message=_l("请选择评委。"))])


def _english() -> bool:
    return str(get_locale() or "zh_Hans").startswith("en")


# --- the assignment page -------------------------------------------------------------------------------

@bp.route("/assignment", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def assignment(fair: Fair):
    form = ActionForm()
    if request.method == "GET":
        return _assignment_page(fair, form)
    back = form.back.data if form.back.data in BACK else "assignment"
    if not form.validate_on_submit():
        return _page(back, fair, form, status=400)
    try:
        message = _act(fair, form)
    except Refused as refusal:
        if refusal.field and hasattr(form, refusal.field):
            getattr(form, refusal.field).errors = [*getattr(form, refusal.field).errors, refusal.message]
        return _page(back, fair, form, status=409, refusal=refusal)
    flash(message, "success")
    return redirect(url_for(f"judging.{back}", slug=fair.slug))


def _act(fair: Fair, form: ActionForm) -> str:
    """Run the form's action; the success message, or Refused."""
    action = form.action.data
    if action == "run":
        result = assigning.run_assignment(fair, actor=current_user)
        return _("已为 %(n)d 个项目分配评委：新增 %(added)d 对，撤下 %(dropped)d 对，保留 %(kept)d 对。",
                 n=result.projects, added=result.added, dropped=result.dropped, kept=result.kept)
    if action == "extra":
        application = _project(fair, form)
        pair = assigning.request_extra_judge(application, actor=current_user)
        return _("已为“%(title)s”加派评委 %(judge)s。", title=application.title, judge=pair.judge)
    if action == "reoffer":
        only = _pair(fair, form.assignment_id.data) if form.assignment_id.data else None
        made = assigning.reoffer_skipped(fair, actor=current_user, assignment=only)
        return _("已将 %(n)d 个被跳过的项目转给其他评委。", n=len(made))
    if action == "dispatch":
        made = assigning.dispatch_round(fair, actor=current_user, per_judge=form.per_judge.data or 1)
        return _("第二轮调度：已为空闲评委安排 %(n)d 个待定项目。", n=len(made))
    raise Refused(_("未知的操作。"), "unknown_action")


def _project(fair: Fair, form: ActionForm) -> Application:
    """The project of the form: by its id (a button) or by the booth it stands on (typed)."""
    if form.application_id.data:
        application = db.session.scalar(sa.select(Application).where(Application.id == form.application_id.data,
                                                                     Application.fair_id == fair.id))
        if application is None:
            raise Refused(_("没有这个项目。"), "unknown_project")
        return application
    code = (form.booth.data or "").strip()
    if not code:
        raise Refused(_("请填写展位编号。"), "no_booth", "booth")
    booth = db.session.scalar(sa.select(Booth).where(Booth.fair_id == fair.id,
                                                     sa.func.upper(Booth.code) == code.upper()))
    if booth is None:
        raise Refused(_("没有编号为 %(code)s 的展位。", code=code[:12]), "unknown_booth", "booth")
    if booth.application is None:
        raise Refused(_("展位 %(code)s 是空闲的。", code=booth.code), "free_booth", "booth")
    return booth.application


def _pair(fair: Fair, assignment_id: int | None) -> JudgeAssignment:
    pair = db.session.get(JudgeAssignment, assignment_id) if assignment_id else None
    if pair is None or pair.fair_id != fair.id:
        raise Refused(_("没有这项分配，页面可能已过期，请刷新。"), "unknown_assignment")
    return pair


def _page(back: str, fair: Fair, form: ActionForm, **kwargs):
    return (_progress_page if back == "progress" else _assignment_page)(fair, form, **kwargs)


def _assignment_page(fair: Fair, form: ActionForm, *, status: int = 200, refusal: Refused | None = None):
    board = assigning.board(fair, english=_english())
    return render_template("judging/assignment.html", fair=fair, board=board, form=form, refusal=refusal), status


# --- one judge's pairs -----------------------------------------------------------------------------------

@bp.route("/assignment/judges/<int:judge_id>", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def assignment_judge(fair: Fair, judge_id: int):
    board = assigning.board(fair, english=_english())
    judge = board.judge(judge_id)
    if judge is None:
        abort(404)
    row = next(row for row in board.rows if row.judge.id == judge_id)
    form = ReassignForm()
    form.assignment_id.choices = [(p.id, board.projects[p.application_id].title if p.application_id in board.projects
                                   else p.application_id) for p in row.pairs if not p.scored]
    form.judge_id.choices = [(0, _("请选择评委"))] + [(other.judge.id, other.judge.name)
                                                     for other in board.active_rows if other.judge.id != judge_id]
    buttons = ActionForm()
    if request.method == "GET":
        return _judge_page(fair, board, row, form, buttons)
    action = request.form.get("action")
    try:
        if action in ("lock", "unlock"):
            if not buttons.validate_on_submit():
                return _judge_page(fair, board, row, form, buttons, status=400)
            pair = _pair(fair, buttons.assignment_id.data)
            if pair.judge_id != judge_id:
                raise Refused(_("没有这项分配，页面可能已过期，请刷新。"), "unknown_assignment")
            (assigning.lock_pair if action == "lock" else assigning.unlock_pair)(pair, actor=current_user)
            message = _("已锁定。") if action == "lock" else _("已解锁。")
        elif action == "reassign":
            if not form.validate_on_submit() or not form.judge_id.data:
                if not form.judge_id.data and not form.judge_id.errors:
                    form.judge_id.errors = [_("请选择评委。")]
                return _judge_page(fair, board, row, form, buttons, status=400)
            pair = _pair(fair, form.assignment_id.data)
            to = db.session.get(Judge, form.judge_id.data)
            assigning.reassign(pair, to, actor=current_user)
            message = _("已将“%(title)s”改派给 %(judge)s。", title=pair.application.title, judge=to)
        else:
            abort(400)
    except Refused as refusal:
        if refusal.field == "judge_id":
            form.judge_id.errors = [*form.judge_id.errors, refusal.message]
        return _judge_page(fair, board, row, form, buttons, status=409, refusal=refusal)
    flash(message, "success")
    return redirect(url_for("judging.assignment_judge", slug=fair.slug, judge_id=judge_id))


def _judge_page(fair: Fair, board, row, form: ReassignForm, buttons: ActionForm, *, status: int = 200,
                refusal: Refused | None = None):
    return render_template("judging/assignment_judge.html", fair=fair, board=board, row=row, form=form,
                           buttons=buttons, refusal=refusal, sources=SOURCE_LABELS), status


# --- progress ----------------------------------------------------------------------------------------------

@bp.get("/progress")
@fair_role_required(Role.organizer)
def progress(fair: Fair):
    return _progress_page(fair, ActionForm())


def _progress_page(fair: Fair, form: ActionForm, *, status: int = 200, refusal: Refused | None = None):
    board = assigning.board(fair, english=_english())
    short = board.short_of_scores()
    return render_template("judging/progress.html", fair=fair, board=board, form=form, refusal=refusal,
                           short=short[:SHORT_SHOWN], short_count=len(short)), status
