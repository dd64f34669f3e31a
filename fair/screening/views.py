"""Screening pages: the organizer's progress, results, duplicates and settings; a reviewer's queue and review."""
import sqlalchemy as sa
from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from fair import exports
from fair.applications.models import Application, ApplicationStatus, DuplicateCandidate, ReviewAssignment, Support
from fair.auth.forms import ConfirmForm
from fair.auth.models import Role
from fair.auth.permissions import deny, fair_role_required
from fair.extensions import db
from fair.fairs.models import Phase
from fair.forms import show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.screening import queries, services
from fair.screening.forms import ReasonForm, RubricForm, ScreeningSettingsForm, review_form
from fair.screening.totals import weighted_total

bp = Blueprint("screening", __name__, url_prefix="/fairs/<slug>/screening")

add_fair_nav(30, _l("初审"), "screening.overview", Role.organizer)
add_fair_nav(30, _l("初审任务"), "screening.queue", Role.reviewer)
PER_PAGE = 50
BLANK_LINES = 2                 # empty rubric lines offered below the saved ones
DEFAULT_THRESHOLD = 20          # points of 100 between the highest and lowest review that count as disagreement


@bp.context_processor
def screening_helpers():
    fair = g.get("fair")        # none on the error page of an unknown fair
    return {"support_labels": {kind.value: kind.label for kind in Support},
            "scoring": _scoring(fair) if fair is not None else None}


def _scoring(fair) -> str:
    """Whether reviewers can score now: "before", "open" or "after" the screening phase."""
    if fair.phase.position < Phase.screening.position:
        return "before"
    return "open" if fair.phase == Phase.screening else "after"


# The organizer's side

@bp.get("")
@fair_role_required(Role.organizer)
def overview(fair):
    return render_template("screening/overview.html", fair=fair, summary=queries.overview(fair),
                           progress=queries.progress(fair), criteria=services.rubric(fair))


@bp.post("/assign")
@fair_role_required(Role.organizer)
def assign(fair):
    if _valid_post():
        try:
            summary = services.assign_reviewers(fair, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
        else:
            flash(_("分配完成：新增 %(added)d 条，撤下 %(removed)d 条，保留已开始的 %(kept)d 条；每位专家 %(low)d–%(high)d 个项目。",
                    added=summary.added, removed=summary.removed, kept=summary.kept, low=summary.smallest_load,
                    high=summary.largest_load), "success")
            if summary.largest_load - summary.smallest_load > 1:
                flash(_("受利益冲突或已开始的评审所限，专家的任务量无法完全均衡。"), "warning")
    return redirect(url_for("screening.overview", slug=fair.slug))


@bp.post("/reminders")
@fair_role_required(Role.organizer)
def remind(fair):
    if _valid_post():
        try:
            count = services.send_reminders(fair, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "info")
        else:
            flash(_("已向 %(n)d 位专家发送提醒。", n=count), "success")
    return redirect(url_for("screening.overview", slug=fair.slug))


def _valid_post() -> bool:
    """A bare button's form: only its CSRF token to check."""
    if ConfirmForm().validate_on_submit():
        return True
    flash(_("表单已过期，请刷新页面后重试。"), "danger")
    return False


@bp.get("/results")
@fair_role_required(Role.organizer)
def results(fair):
    threshold, order, standings = _results(fair)
    page = ListPagination(items=standings, per_page=PER_PAGE, error_out=False)
    return render_template("screening/results.html", fair=fair, page=page, threshold=threshold, order=order,
                           applications=queries.applications_by_id([s.application for s in page.items]),
                           disagreeing=sum(s.reviews > 1 and s.spread >= threshold for s in standings))


def _results(fair) -> tuple[int, str, list]:
    """The results page's filters and its rows in its order: the page and its export both read them here."""
    threshold = max(0, min(100, request.args.get("threshold", DEFAULT_THRESHOLD, type=int)))
    order = request.args.get("order") if request.args.get("order") in ("spread", "mean") else "spread"
    standings = queries.standings(fair)
    if order == "mean":
        standings.sort(key=lambda standing: (-standing.mean, standing.application))
    return threshold, order, standings


@bp.get("/results/export")
@fair_role_required(Role.organizer)
def results_export(fair):
    """Every row of the results page under its order, the disagreeing ones marked as on the page."""
    fmt = exports.requested_format()
    threshold, _order, standings = _results(fair)
    applications = queries.applications_by_id([standing.application for standing in standings])
    table = exports.Table("初审评分结果", [
        exports.Column("编号", exports.NUMBER), exports.Column("项目名称"), exports.Column("服务领域"),
        exports.Column("申报单位"), exports.Column("评审数", exports.NUMBER),
        exports.Column("平均分", exports.NUMBER), exports.Column("分差", exports.NUMBER),
        exports.Column("分歧")], timezone=fair.timezone)
    for standing in standings:
        application = applications[standing.application]
        several = standing.reviews > 1
        table.rows.append([application.id, application.title, application.category.name,
                           application.organisation.name, standing.reviews, round(standing.mean, 1),
                           round(standing.spread, 1) if several else None,
                           several and standing.spread >= threshold])
    return exports.send_table(table, f"{fair.slug}-screening-results", fmt)


class ListPagination(Pagination):
    """Flask-SQLAlchemy's pagination over a list computed in Python, for the shared pager macro."""

    def _query_items(self) -> list:
        return self._query_args["items"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


@bp.get("/duplicates")
@fair_role_required(Role.organizer)
def duplicates(fair):
    return render_template("screening/duplicates.html", fair=fair, pairs=queries.open_duplicates(fair),
                           settled=queries.settled_duplicates(fair))


@bp.post("/duplicates/scan")
@fair_role_required(Role.organizer)
def scan(fair):
    if _valid_post():
        try:
            summary = services.scan_duplicates(fair, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
        else:
            flash(_("查重完成：发现 %(found)d 对疑似重复，其中 %(new)d 对是新的。", found=summary.found, new=summary.new),
                  "success")
    return redirect(url_for("screening.duplicates", slug=fair.slug))


@bp.post("/duplicates/<int:candidate_id>")
@fair_role_required(Role.organizer)
def resolve(fair, candidate_id: int):
    candidate = db.first_or_404(sa.select(DuplicateCandidate).where(DuplicateCandidate.id == candidate_id,
                                                                    DuplicateCandidate.fair_id == fair.id))
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("请求无效，请刷新页面后重试。"), "danger")
        return redirect(url_for("screening.duplicates", slug=fair.slug))
    withdraw = None
    if form.withdraw.data:
        withdraw = {candidate.application_id: candidate.application, candidate.other_id: candidate.other}.get(
            form.withdraw.data)
        if withdraw is None:
            flash(_("只能撤回这对申报中的一个。"), "danger")
            return redirect(url_for("screening.duplicates", slug=fair.slug))
    try:
        services.resolve_duplicate(candidate, withdraw=withdraw, reason=form.reason.data or "", actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        if withdraw is None:
            flash(_("已标记为不是重复申报。"), "success")
        else:
            flash(_("已撤回“%(title)s”，并通知了申报单位。", title=withdraw.title), "success")
    return redirect(url_for("screening.duplicates", slug=fair.slug))


@bp.get("/settings")
@fair_role_required(Role.organizer)
def settings(fair):
    return _settings_page(fair, _rubric_form(fair), ScreeningSettingsForm(obj=fair))


def _rubric_form(fair) -> RubricForm:
    """The saved rubric, or the default one, with two blank lines to add to (up to the most allowed)."""
    criteria = services.rubric(fair)
    lines = ([{"name": c.name, "name_en": c.name_en, "weight": c.weight} for c in criteria] or
             [{"name": name, "name_en": english, "weight": weight}
              for name, english, weight in services.DEFAULT_RUBRIC])
    blank = max(0, min(BLANK_LINES, services.MAX_CRITERIA - len(lines)))
    return RubricForm(formdata=None, data={"criteria": lines + [{}] * blank})


def _settings_page(fair, rubric_form, settings_form, status: int = 200):
    return render_template("screening/settings.html", fair=fair, rubric_form=rubric_form, settings_form=settings_form,
                           criteria=services.rubric(fair), frozen=services.rubric_frozen(fair)), status


@bp.post("/settings/rubric")
@fair_role_required(Role.organizer)
def save_rubric(fair):
    form = RubricForm()
    if form.validate_on_submit():
        try:
            services.set_rubric(fair, form.details(), actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
        else:
            flash(_("评分标准已保存。"), "success")
            return redirect(url_for("screening.settings", slug=fair.slug))
    return _settings_page(fair, form, ScreeningSettingsForm(formdata=None, obj=fair), 400)


@bp.post("/settings/options")
@fair_role_required(Role.organizer)
def save_settings(fair):
    form = ScreeningSettingsForm()
    if form.validate_on_submit():
        try:
            services.update_settings(fair, reviewers_per_application=form.reviewers_per_application.data,
                                     blind_screening=form.blind_screening.data, actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("初审设置已保存。如修改了每个项目的专家人数，请重新运行自动分配。"), "success")
            return redirect(url_for("screening.settings", slug=fair.slug))
    return _settings_page(fair, _rubric_form(fair), form, 400)


# The reviewer's side

@bp.get("/queue")
@fair_role_required(Role.reviewer)
def queue(fair):
    entries = queries.queue(fair, current_user)
    done = sum(entry.assignment.submitted_at is not None for entry in entries)
    following = next((entry.assignment.id for entry in entries if entry.assignment.submitted_at is None), None)
    return render_template("screening/queue.html", fair=fair, entries=entries, done=done, following=following,
                           criteria_count=len(services.rubric(fair)))


def _own_assignment(fair, assignment_id: int) -> ReviewAssignment:
    """The reviewer's own assignment in this fair; anything else, existing or not, is refused alike."""
    assignment = db.session.scalar(
        sa.select(ReviewAssignment).join(Application)
        .where(ReviewAssignment.id == assignment_id, Application.fair_id == fair.id)
        .options(joinedload(ReviewAssignment.application).joinedload(Application.category),
                 joinedload(ReviewAssignment.application).joinedload(Application.organisation)))
    if assignment is None or assignment.reviewer_id != current_user.id:
        deny(_("这不是您的评审任务。"))
    return assignment


@bp.route("/reviews/<int:assignment_id>", methods=["GET", "POST"])
@fair_role_required(Role.reviewer)
def review(fair, assignment_id: int):
    assignment = _own_assignment(fair, assignment_id)
    criteria = services.rubric(fair)
    form = review_form(criteria)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            submit = form.action.data == "submit"
            try:
                _save_from_form(assignment, form, criteria, submit)
            except Refused as refusal:
                show_refusal(form, refusal)
                status = 409
            else:
                if not submit:
                    flash(_("已保存。"), "success")
                    return redirect(url_for("screening.review", slug=fair.slug, assignment_id=assignment.id))
                flash(_("评审已提交。"), "success")
                _previous, _following, still_open = queries.neighbours(assignment)
                if still_open:
                    return redirect(url_for("screening.review", slug=fair.slug, assignment_id=still_open))
                return redirect(url_for("screening.queue", slug=fair.slug))
        else:
            status = 400
    return _review_page(fair, assignment, criteria, form, status)


def _save_from_form(assignment, form, criteria, submit: bool) -> None:
    """Without script the whole form comes at once: what was scored is kept even when submitting fails."""
    points, comment = form.points(criteria), form.comment.data or ""
    try:
        services.save_review(assignment, points=points, comment=comment, submit=submit, actor=current_user)
    except Refused as refusal:
        if refusal.code == "incomplete":
            services.save_review(assignment, points=points, comment=comment, actor=current_user)
        raise


def _review_page(fair, assignment, criteria, form, status: int):
    weights = {criterion.id: criterion.weight for criterion in criteria}
    saved = {score.criterion_id: score.points for score in assignment.scores}
    if request.method == "GET":
        form.comment.data = assignment.comment
    previous, following, _open = queries.neighbours(assignment)
    others = queries.other_reviews(assignment, weights) if assignment.submitted_at else []
    return render_template(
        "screening/review.html", fair=fair, assignment=assignment, application=assignment.application,
        criteria=criteria, form=form, saved=saved, total=weighted_total(saved, weights), others=others,
        weight_sum=sum(weights.values()), previous=previous, following=following,
        editable=_scoring(fair) == "open" and assignment.application.status != ApplicationStatus.withdrawn), status


@bp.post("/reviews/<int:assignment_id>/autosave")
@fair_role_required(Role.reviewer)
def autosave(fair, assignment_id: int):
    """The page's save-as-you-go: {"points": {"<criterion id>": 0–10}, "comment": "…"} (either part optional)."""
    assignment = _own_assignment(fair, assignment_id)
    body = request.get_json(silent=True)
    points = body.get("points", {}) if isinstance(body, dict) else None
    comment = body.get("comment") if isinstance(body, dict) else None
    if not isinstance(points, dict) or not all(key.isascii() and key.isdigit() for key in points) or \
            not (comment is None or isinstance(comment, str)):
        return jsonify(code="bad_request", message=_("请求的内容无法处理，请刷新页面后重试。")), 400
    try:
        services.save_review(assignment, points={int(key): value for key, value in points.items()},
                             comment=comment, actor=current_user)
    except Refused as refusal:
        return jsonify(code=refusal.code, message=refusal.message, field=refusal.field), 409
    weights = {criterion.id: criterion.weight for criterion in services.rubric(fair)}
    saved = {score.criterion_id: score.points for score in assignment.scores}
    return jsonify(saved=True, scored=len(saved), total=round(weighted_total(saved, weights), 1),
                   submitted=assignment.submitted_at is not None)
