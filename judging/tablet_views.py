"""The judge's tablet: the projects in walking order, one project's scorecard with large touch targets (saved
tap by tap by static/js/judge.js through judging/api.py; a plain form POST without script), opening a project
by its booth code (what the booth's QR code leads to), skipping with a reason; and the organizer's change of
a score after the lock, with a reason.

These pages use their own light layout (templates/judging/tablet_base.html, static/css/judge.css, no
Bootstrap): a tablet on the venue's Wi-Fi loads one page in under 150 KB."""
import uuid

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from fair.applications.models import Application
from fair.auth.models import Role
from fair.auth.permissions import deny, fair_role_required
from fair.booths.models import Booth
from fair.extensions import db
from fair.forms import at_most, show_refusal, whole_number
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from judging import scoring
from judging.models import JudgeAssignment
from judging.queries import setup_of
from judging.views import bp

add_fair_nav(50, _l("我的评审"), "judging.my_projects", Role.judge, also=("judging.score", "judging.booth"))

SKIP_REASONS = [SelectChoice("absent", _l("团队不在展位")), SelectChoice("conflict", _l("利益冲突")),
                SelectChoice("other", _l("其他原因"))]


class CardForm(FlaskForm):
    """A scorecard's fields: a c<criterion id> radio group per criterion (added by score_form), the comment,
    and the version the page was rendered with, so a post made on an older version conflicts."""

    comment = TextAreaField(_l("评语"), validators=[Optional(), at_most(scoring.COMMENT_LENGTH)])
    base_version = HiddenField()

    def points(self, criteria) -> dict[int, int]:
        return {criterion.id: self[f"c{criterion.id}"].data for criterion in criteria
                if self[f"c{criterion.id}"].data is not None}

    def base(self) -> int:
        value = self.base_version.data or ""
        number = whole_number(value)
        return -1 if number is None else number


class ScoreForm(CardForm):
    """The judge's: with the operation id of the post (a double post counts once) and the button pressed."""

    client_op = HiddenField()
    action = HiddenField()          # given by the button: save or submit


class ChangeForm(CardForm):
    reason = StringField(_l("修改原因"), validators=[Optional(), at_most(scoring.REASON_LENGTH)])


def score_form(criteria, form_class=ScoreForm, **kwargs) -> ScoreForm:
    """`form_class` with one 0 … max_points radio group per criterion."""
    fields = {f"c{criterion.id}": RadioField(criterion.name, coerce=int, validators=[Optional()],
                                             choices=[SelectChoice(n, str(n)) for n in range(criterion.max_points + 1)])
              for criterion in criteria}
    return type("CriteriaScoreForm", (form_class,), fields)(**kwargs)


class SkipForm(FlaskForm):
    why = SelectField(_l("跳过原因"), choices=SKIP_REASONS, default="absent")
    detail = StringField(_l("补充说明"), validators=[Optional(), at_most(200)])

    def reason(self) -> str:
        label = next((choice.label for choice in SKIP_REASONS if choice.value == self.why.data), "")
        detail = (self.detail.data or "").strip()
        return f"{label}：{detail}" if detail else (str(label) if self.why.data != "other" else "")


def _judge_or_none(fair):
    return scoring.judge_of(fair, current_user)


def _own(fair, assignment_id: int) -> JudgeAssignment:
    """The judge's own assignment in this fair; another's or a missing one is refused alike."""
    assignment = db.session.get(JudgeAssignment, assignment_id)
    if assignment is None or assignment.fair_id != fair.id or assignment.judge.user_id != current_user.id:
        deny(_("这个项目不在您的评审名单中。"))
    return assignment


@bp.get("/my")
@fair_role_required(Role.judge)
def my_projects(fair):
    judge = _judge_or_none(fair)
    stops = scoring.walk(judge) if judge is not None else []
    done, total = scoring.progress(stops)
    return render_template("judging/tablet_list.html", fair=fair, judge=judge, stops=stops, done=done, total=total,
                           setup=setup_of(fair), following=_following(stops, None))


def _following(stops, assignment) -> JudgeAssignment | None:
    """The next project still to score after `assignment` on the walk (wrapping round), else none."""
    ids = [stop.assignment.id for stop in stops]
    start = ids.index(assignment.id) + 1 if assignment is not None and assignment.id in ids else 0
    for stop in stops[start:] + stops[:start]:
        if stop.status in ("to_score", "started") and stop.assignment is not assignment:
            return stop.assignment
    return None


@bp.route("/score/<int:assignment_id>", methods=["GET", "POST"])
@fair_role_required(Role.judge)
def score(fair, assignment_id: int):
    assignment = _own(fair, assignment_id)
    criteria = scoring.rubric(fair)
    form = score_form(criteria)
    status, conflict = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            submit = form.action.data == "submit"
            try:
                _save_from_form(assignment, form, criteria, submit)
            except scoring.Conflict as refused:
                conflict, status = refused.current, 409
                flash(refused.message, "danger")
            except Refused as refusal:
                show_refusal(form, refusal)
                status = scoring.REFUSAL_STATUS.get(refusal.code, 400)
            else:
                if not submit:
                    flash(_("已保存。"), "success")
                    return redirect(url_for("judging.score", slug=fair.slug, assignment_id=assignment.id))
                flash(_("评分已提交。"), "success")
                following = _following(scoring.walk(assignment.judge), assignment)
                if following is not None:
                    return redirect(url_for("judging.score", slug=fair.slug, assignment_id=following.id))
                return redirect(url_for("judging.my_projects", slug=fair.slug))
        else:
            status = 400
    return _score_page(fair, assignment, criteria, form, conflict, status)


def _save_from_form(assignment, form, criteria, submit: bool) -> None:
    """Without script the whole form comes at once: what was scored is kept even when submitting fails."""
    points, comment = form.points(criteria), form.comment.data or ""
    arguments = dict(actor=current_user, client_op=form.client_op.data, base_version=form.base())
    try:
        scoring.save_scores(assignment, points, comment, submit=submit, **arguments)
    except Refused as refusal:
        if refusal.code == "incomplete":
            scoring.save_scores(assignment, points, comment, **arguments)
        raise


def _score_page(fair, assignment, criteria, form, conflict, status: int):
    state = scoring.state_of(assignment)
    if request.method == "GET":
        form.comment.data = state.comment
        for criterion_id, points in state.points.items():
            if f"c{criterion_id}" in form:
                form[f"c{criterion_id}"].data = points
    form.client_op.data = str(uuid.uuid4())         # a fresh operation for the next post
    form.base_version.data = str(state.version)     # after a conflict: posting again keeps the judge's values
    setup = setup_of(fair)
    stops = scoring.walk(assignment.judge)
    done, total = scoring.progress(stops)
    booth = next((stop.booth for stop in stops if stop.assignment.id == assignment.id), None)
    editable = setup.opened_at is not None and setup.locked_at is None and assignment.skipped_at is None \
        and assignment.judge.active
    return render_template(
        "judging/tablet_score.html", fair=fair, assignment=assignment, application=assignment.application,
        booth=booth, criteria=criteria, form=form, state=state, conflict=conflict, setup=setup, editable=editable,
        done=done, total=total, following=_following(stops, assignment), skip_form=SkipForm(formdata=None),
        weight_sum=sum(criterion.weight for criterion in criteria) or 1, weighted=total_of(criteria, state)), status


def total_of(criteria, state: scoring.CardState) -> float:
    """The weighted score out of 100 of what is scored so far (judge.js recomputes it as the judge taps)."""
    weights = sum(criterion.weight for criterion in criteria) or 1
    return sum(100 * criterion.weight * state.points[criterion.id] / criterion.max_points
               for criterion in criteria if criterion.id in state.points) / weights


@bp.post("/score/<int:assignment_id>/skip")
@fair_role_required(Role.judge)
def skip(fair, assignment_id: int):
    assignment = _own(fair, assignment_id)
    form = SkipForm()
    if not form.validate_on_submit():
        flash(_("表单已过期或填写有误，请重试。"), "danger")
    else:
        try:
            scoring.skip(assignment, form.reason(), actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
        else:
            flash(_("已跳过“%(title)s”，组织方会安排其他评委。", title=assignment.application.title), "success")
            following = _following(scoring.walk(assignment.judge), assignment)
            if following is not None:
                return redirect(url_for("judging.score", slug=fair.slug, assignment_id=following.id))
            return redirect(url_for("judging.my_projects", slug=fair.slug))
    return redirect(url_for("judging.score", slug=fair.slug, assignment_id=assignment.id))


@bp.get("/booth")
@fair_role_required(Role.judge)
def find_booth(fair):
    """The list page's booth-code box (for a QR code that cannot be scanned)."""
    code = " ".join(request.args.get("code", "").split()).upper()[:12]
    if not code:
        return redirect(url_for("judging.my_projects", slug=fair.slug))
    return redirect(url_for("judging.booth", slug=fair.slug, code=code))


@bp.get("/booth/<code>")
@fair_role_required(Role.judge)
def booth(fair, code: str):
    """Open the judge's project on this booth (the booth's QR code can lead here), or say why not."""
    code = code.strip().upper()
    found = db.session.scalar(sa.select(Booth).where(Booth.fair_id == fair.id, sa.func.upper(Booth.code) == code))
    judge = _judge_or_none(fair)
    assignment = None
    if found is not None and found.application_id is not None and judge is not None:
        assignment = db.session.scalar(sa.select(JudgeAssignment).where(
            JudgeAssignment.judge_id == judge.id, JudgeAssignment.application_id == found.application_id))
    if assignment is not None:
        return redirect(url_for("judging.score", slug=fair.slug, assignment_id=assignment.id))
    project = db.session.get(Application, found.application_id) if found and found.application_id else None
    return render_template("judging/tablet_booth.html", fair=fair, code=code, booth=found, project=project), 404


# The organizer's side: after the lock only an organizer changes a score

@bp.route("/scorecards/<int:assignment_id>/change", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def change_score(fair, assignment_id: int):
    assignment = db.session.get(JudgeAssignment, assignment_id)
    if assignment is None or assignment.fair_id != fair.id:
        abort(404)
    criteria = scoring.rubric(fair)
    form = score_form(criteria, ChangeForm)
    status, conflict = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                scoring.organizer_change(assignment, form.points(criteria), form.reason.data or "",
                                         comment=form.comment.data or "", actor=current_user, base_version=form.base())
            except scoring.Conflict as refused:
                conflict, status = refused.current, 409
                flash(refused.message, "danger")
            except Refused as refusal:
                show_refusal(form, refusal)
                status = scoring.REFUSAL_STATUS.get(refusal.code, 400)
            else:
                flash(_("分数已修改，修改记录已保存。"), "success")
                return redirect(url_for("judging.change_score", slug=fair.slug, assignment_id=assignment.id))
        else:
            status = 400
    state = scoring.state_of(assignment)
    if request.method == "GET":
        form.comment.data = state.comment
        for criterion_id, points in state.points.items():
            if f"c{criterion_id}" in form:
                form[f"c{criterion_id}"].data = points
    form.base_version.data = str(state.version)
    return render_template("judging/tablet_change.html", fair=fair, assignment=assignment, criteria=criteria,
                           form=form, state=state, conflict=conflict, setup=setup_of(fair),
                           events=scoring.events_of(assignment)), status
