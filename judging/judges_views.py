"""The organizer's judging setup (rubric, tiers, judges per project, the judging state) and judges
(expertise, zones, affiliations by credit code, organisation ties), and the page where a judge declares a
conflict. Thin: parse the form, call judging.services, show a refusal next to its field."""
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from fair.applications.models import Application
from fair.auth.models import Invitation, Membership, Organisation, Role, User
from fair.auth.permissions import fair_role_required
from fair.booths.models import Zone
from fair.booths.placing import PLACEABLE
from fair.extensions import db
from fair.forms import show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from judging import services
from judging.forms import (AffiliationForm, ConfirmForm, DeactivateForm, DeclarationForm, JudgeForm,
                           JudgesPerProjectForm, RubricForm, StateForm, TieForm, TiersForm)
from judging.models import (ConflictDeclaration, DeclarationKind, Judge, JudgeAffiliation, OrganisationTie,
                            JudgingSetup)
from judging.queries import setup_of
from judging.views import bp

add_fair_nav(50, _l("评审设置"), "judging.setup", Role.organizer,
             also=("judging.judges", "judging.judge", "judging.conflicts"))
add_fair_nav(52, _l("回避申报"), "judging.conflicts", Role.judge)
STATE_ACTIONS = {"open": services.open_judging, "lock": services.lock_judging, "reopen": services.reopen_judging}
SEARCH_LIMIT = 50


def judged_ids(fair) -> sa.Select:
    """The ids of the projects judges score (as judging.queries.judged_applications), for use in a query."""
    return sa.select(Application.id).where(Application.fair_id == fair.id, PLACEABLE)


def _locale() -> str:
    return str(get_locale() or "zh")


def _version(setup: JudgingSetup) -> int:
    return setup.version or 0


# --- setup ---------------------------------------------------------------------------------------------

def _rubric_form(fair, setup) -> RubricForm:
    saved = services.criteria_of(fair)
    lines = saved or services.default_rubric()
    rows = [{"name": line.name, "name_en": line.name_en, "weight": line.weight, "max_points": line.max_points,
             "tie_break": line.tie_break} for line in lines]
    return RubricForm(formdata=None, data={"version": _version(setup), "criteria": rows})


def _tiers_form(fair, setup) -> TiersForm:
    lines = services.tiers_of(fair) or services.default_tiers()
    rows = [{"name": tier.name, "name_en": tier.name_en, "count": tier.count} for tier in lines]
    scope = setup.award_scope.value if setup.award_scope else "fair"
    return TiersForm(formdata=None, data={"version": _version(setup), "scope": scope, "tiers": rows})


def _setup_page(fair, *, status=200, **forms):
    setup = setup_of(fair)
    version = _version(setup)
    forms.setdefault("rubric_form", _rubric_form(fair, setup))
    forms.setdefault("tiers_form", _tiers_form(fair, setup))
    forms.setdefault("count_form", JudgesPerProjectForm(formdata=None, data={
        "version": version, "judges_per_project": setup.judges_per_project}))
    state_forms = {action: StateForm(formdata=None, prefix=action, data={"version": version, "action": action})
                   for action in STATE_ACTIONS}
    if "state_form" in forms:
        refused = forms.pop("state_form")
        state_forms[refused.action.data] = refused
    judged = db.session.scalar(sa.select(sa.func.count()).select_from(judged_ids(fair).subquery()))
    return render_template("judging/setup.html", fair=fair, setup=setup, state_forms=state_forms,
                           rubric_saved=bool(services.criteria_of(fair)), tiers_saved=bool(services.tiers_of(fair)),
                           judged=judged, **forms), status


@bp.get("/setup")
@fair_role_required(Role.organizer)
def setup(fair):
    return _setup_page(fair)


def _show_row_refusal(form, refusal: Refused, rows_name: str) -> None:
    """A refusal naming `<rows>-<n>-<field>` goes under that cell; one naming the rows, above the table."""
    rows = getattr(form, rows_name)
    if refusal.field and refusal.field.startswith(rows_name + "-"):
        _, index, name = refusal.field.split("-", 2)
        kept = [row for row in rows if not row.form.blank]
        if int(index) < len(kept):
            cell = getattr(kept[int(index)].form, name)
            cell.errors = [*cell.errors, refusal.message]
            return
    if refusal.field == rows_name:
        form.form_errors.append(refusal.message)
        return
    show_refusal(form, refusal)


@bp.post("/setup")
@fair_role_required(Role.organizer)
def save_setup(fair):
    section = request.form.get("section", "")
    if section == "rubric":
        return _save_rubric(fair)
    if section == "tiers":
        return _save_tiers(fair)
    if section == "count":
        return _save_count(fair)
    if section in STATE_ACTIONS:
        return _change_state(fair, section)
    abort(400)


def _save_rubric(fair):
    form = RubricForm()
    if form.validate_on_submit():
        lines = [services.CriterionLine(row.form.name.data or "", row.form.weight.data, row.form.max_points.data or 10,
                                        row.form.name_en.data or "", tie_break=row.form.tie_break.data)
                 for row in form.criteria if not row.form.blank]
        try:
            services.set_rubric(fair, lines, current_user, version=form.version.data)
        except Refused as refusal:
            _show_row_refusal(form, refusal, "criteria")
        else:
            flash(_("评分标准已保存。"), "success")
            return redirect(url_for("judging.setup", slug=fair.slug))
    return _setup_page(fair, status=400, rubric_form=form)


def _save_tiers(fair):
    form = TiersForm()
    if form.validate_on_submit():
        lines = [services.TierLine(row.form.name.data or "", row.form.count.data if row.form.count.data is not None
                                   else -1, row.form.name_en.data or "")
                 for row in form.tiers if not row.form.blank]
        try:
            services.set_tiers(fair, lines, form.scope.data, current_user, version=form.version.data)
        except Refused as refusal:
            _show_row_refusal(form, refusal, "tiers")
        else:
            flash(_("奖项设置已保存。"), "success")
            return redirect(url_for("judging.setup", slug=fair.slug))
    return _setup_page(fair, status=400, tiers_form=form)


def _save_count(fair):
    form = JudgesPerProjectForm()
    if form.validate_on_submit():
        try:
            services.set_judges_per_project(fair, form.judges_per_project.data, current_user,
                                            version=form.version.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("每个项目的评委人数已保存。"), "success")
            return redirect(url_for("judging.setup", slug=fair.slug))
    return _setup_page(fair, status=400, count_form=form)


def _change_state(fair, action: str):
    form = StateForm(prefix=action)
    form.action.data = action
    if form.validate_on_submit():
        try:
            STATE_ACTIONS[action](fair, current_user, version=form.version.data)
        except Refused as refusal:
            flash(refusal.message, "danger")
            return redirect(url_for("judging.setup", slug=fair.slug))
        flash({"open": _("评审已开始，评分标准已冻结。"), "lock": _("评审已锁定，此后只有组织方可以修改评分。"),
               "reopen": _("评审已重新开放，评委可以继续修改评分。")}[action], "success")
        return redirect(url_for("judging.setup", slug=fair.slug))
    return _setup_page(fair, status=400, state_form=form)


# --- judges --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JudgeRow:
    judge: Judge
    conflicts: int          # judged projects they may not score (organisations and declarations)
    declared: int


def _zones(fair) -> list[Zone]:
    return db.session.scalars(sa.select(Zone).where(Zone.fair_id == fair.id).order_by(Zone.position, Zone.id)).all()


def _judge_rows(fair) -> list[JudgeRow]:
    """Every judge with what the list shows, in a fixed number of queries whatever their number."""
    judges = db.session.scalars(
        sa.select(Judge).where(Judge.fair_id == fair.id)
        .options(joinedload(Judge.user), selectinload(Judge.expertise),
                 selectinload(Judge.affiliations).joinedload(JudgeAffiliation.organisation))
        .order_by(Judge.active.desc(), Judge.id)).all()
    judged = set(db.session.scalars(judged_ids(fair)))
    conflicts = Counter(judge_id for application_id, judge_id in services.conflicted_pairs(fair)
                        if application_id in judged)
    declared = dict(db.session.execute(
        sa.select(ConflictDeclaration.judge_id, sa.func.count()).join(Judge)
        .where(Judge.fair_id == fair.id).group_by(ConflictDeclaration.judge_id)).all())
    return [JudgeRow(judge, conflicts[judge.id], declared.get(judge.id, 0)) for judge in judges]


def _waiting(fair) -> tuple[list[User], list[Invitation]]:
    """Judges without a judge profile yet (role granted elsewhere, or an accepted invitation), and
    judge invitations not yet accepted."""
    members = db.session.scalars(
        sa.select(User).join(Membership).where(
            Membership.fair_id == fair.id, Membership.role == Role.judge,
            ~sa.exists().where(Judge.fair_id == fair.id, Judge.user_id == User.id))
        .order_by(User.name)).all()
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.fair_id == fair.id, Invitation.role == Role.judge,
                                    Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())).all()
    return members, invitations


def _ties(fair) -> list[OrganisationTie]:
    """Ties that touch this fair: an organisation of one of its judges or of one of its projects."""
    relevant = sa.union(
        sa.select(JudgeAffiliation.organisation_id).join(Judge).where(Judge.fair_id == fair.id),
        sa.select(Application.organisation_id).where(Application.fair_id == fair.id))
    return db.session.scalars(
        sa.select(OrganisationTie).where(sa.or_(OrganisationTie.organisation_id.in_(relevant),
                                                OrganisationTie.related_id.in_(relevant)))
        .options(joinedload(OrganisationTie.organisation), joinedload(OrganisationTie.related))
        .order_by(OrganisationTie.id)).all()


def _judge_form(fair, zones, *, editing=False, **kwargs) -> JudgeForm:
    return JudgeForm(categories=fair.categories, zones=zones, locale=_locale(), editing=editing, **kwargs)


def _judges_page(fair, *, status=200, judge_form=None, tie_form=None, invitation_link=None):
    zones = _zones(fair)
    if judge_form is None:
        judge_form = _judge_form(fair, zones, formdata=None, data={"email": request.args.get("email", "")})
    members, invitations = _waiting(fair)
    return render_template(
        "judging/judges.html", fair=fair, rows=_judge_rows(fair), zones={zone.id: zone for zone in zones},
        judge_form=judge_form, tie_form=tie_form or TieForm(formdata=None), ties=_ties(fair),
        waiting_members=members, invitations=invitations, invitation_link=invitation_link,
        confirm_form=ConfirmForm(), locale=_locale()), status


@bp.get("/judges")
@fair_role_required(Role.organizer)
def judges(fair):
    return _judges_page(fair)


@bp.post("/judges")
@fair_role_required(Role.organizer)
def add_judge(fair):
    form = _judge_form(fair, _zones(fair))
    if form.validate_on_submit():
        try:
            added = services.add_judge(fair, form.email.data, actor=current_user, name=form.name.data or "",
                                       title=form.title.data or "", expertise=form.expertise.data,
                                       zone_ids=form.zone_ids.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            if added.judge is not None:
                flash(_("已添加评委 %(name)s。", name=added.judge.user.name), "success")
                return redirect(url_for("judging.judge", slug=fair.slug, judge_id=added.judge.id))
            flash(_("%(email)s 尚未注册，已生成评委邀请链接，请复制后发送给对方。链接只显示这一次。对方接受邀请后，"
                    "请在“待完善的评委”中补充其擅长领域与关联单位。", email=added.invitation.email), "success")
            link = url_for("auth.accept_invitation", token=added.token, _external=True)
            return _judges_page(fair, invitation_link=link)
    return _judges_page(fair, status=400, judge_form=form)


@bp.post("/judges/ties")
@fair_role_required(Role.organizer)
def add_tie(fair):
    form = TieForm()
    if form.validate_on_submit():
        try:
            services.add_tie(form.first_code.data, form.second_code.data, form.kind.data, actor=current_user,
                             fair=fair, first_name=form.first_name.data or "", second_name=form.second_name.data or "")
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("单位关联已登记。"), "success")
            return redirect(url_for("judging.judges", slug=fair.slug) + "#ties")
    return _judges_page(fair, status=400, tie_form=form)


@bp.post("/judges/ties/<int:tie_id>/remove")
@fair_role_required(Role.organizer)
def remove_tie(fair, tie_id: int):
    tie = db.first_or_404(sa.select(OrganisationTie).where(OrganisationTie.id == tie_id,
                                                            OrganisationTie.fair_id == fair.id))
    if ConfirmForm().validate_on_submit():
        services.remove_tie(tie, actor=current_user, fair=fair)
        flash(_("单位关联已删除。"), "success")
    return redirect(url_for("judging.judges", slug=fair.slug) + "#ties")


def _judge_or_404(fair, judge_id: int) -> Judge:
    return db.first_or_404(sa.select(Judge).where(Judge.id == judge_id, Judge.fair_id == fair.id))


def _judge_page(fair, judge, *, status=200, form=None, affiliation_form=None, deactivate_form=None):
    zones = _zones(fair)
    if form is None:
        form = _judge_form(fair, zones, editing=True, formdata=None, data={
            "title": judge.title, "expertise": [c.id for c in judge.expertise], "zone_ids": judge.zone_ids or []})
    declarations = db.session.scalars(
        sa.select(ConflictDeclaration).where(ConflictDeclaration.judge_id == judge.id)
        .options(joinedload(ConflictDeclaration.application)).order_by(ConflictDeclaration.id)).all()
    return render_template(
        "judging/judges_edit.html", fair=fair, judge=judge, form=form,
        affiliation_form=affiliation_form or AffiliationForm(formdata=None),
        deactivate_form=deactivate_form or DeactivateForm(formdata=None), confirm_form=ConfirmForm(),
        declarations=declarations), status


@bp.route("/judges/<int:judge_id>", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def judge(fair, judge_id: int):
    judge = _judge_or_404(fair, judge_id)
    if request.method == "GET":
        return _judge_page(fair, judge)
    form = _judge_form(fair, _zones(fair), editing=True)
    if form.validate_on_submit():
        try:
            services.update_judge(judge, actor=current_user, title=form.title.data or "",
                                  expertise=form.expertise.data, zone_ids=form.zone_ids.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("评委信息已保存。"), "success")
            return redirect(url_for("judging.judge", slug=fair.slug, judge_id=judge.id))
    return _judge_page(fair, judge, status=400, form=form)


@bp.post("/judges/<int:judge_id>/affiliations")
@fair_role_required(Role.organizer)
def add_affiliation(fair, judge_id: int):
    judge = _judge_or_404(fair, judge_id)
    form = AffiliationForm()
    if form.validate_on_submit():
        try:
            services.add_affiliation(judge, form.credit_code.data, form.kind.data, actor=current_user,
                                     new_name=form.new_name.data or "", new_kind=form.new_kind.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("关联单位已登记。"), "success")
            return redirect(url_for("judging.judge", slug=fair.slug, judge_id=judge.id))
    return _judge_page(fair, judge, status=400, affiliation_form=form)


@bp.post("/judges/<int:judge_id>/affiliations/<int:affiliation_id>/remove")
@fair_role_required(Role.organizer)
def remove_affiliation(fair, judge_id: int, affiliation_id: int):
    judge = _judge_or_404(fair, judge_id)
    affiliation = db.first_or_404(sa.select(JudgeAffiliation).where(JudgeAffiliation.id == affiliation_id,
                                                                     JudgeAffiliation.judge_id == judge.id))
    if ConfirmForm().validate_on_submit():
        services.remove_affiliation(affiliation, actor=current_user)
        flash(_("关联单位已删除。"), "success")
    return redirect(url_for("judging.judge", slug=fair.slug, judge_id=judge.id))


@bp.post("/judges/<int:judge_id>/active")
@fair_role_required(Role.organizer)
def set_active(fair, judge_id: int):
    judge = _judge_or_404(fair, judge_id)
    form = DeactivateForm()
    if not form.validate_on_submit():
        return _judge_page(fair, judge, status=400, deactivate_form=form)
    try:
        if judge.active:
            services.deactivate_judge(judge, actor=current_user, reason=form.reason.data or "")
            flash(_("评委已停用；其未完成的评审项目需在分配页面改派。"), "success")
        else:
            services.reactivate_judge(judge, actor=current_user)
            flash(_("评委已恢复。"), "success")
    except Refused as refusal:
        flash(refusal.message, "danger")
    return redirect(url_for("judging.judge", slug=fair.slug, judge_id=judge.id))


# --- a judge's declarations ----------------------------------------------------------------------------

def _search(fair, query: str) -> list[Application]:
    """Judged projects whose title or organisation contains `query` (all of them, capped, without one)."""
    statement = (sa.select(Application).where(Application.id.in_(judged_ids(fair)))
                 .options(joinedload(Application.organisation)).order_by(Application.id))
    if query:
        pattern = f"%{query.replace('%', '').replace('_', '')}%"
        statement = statement.join(Organisation, Organisation.id == Application.organisation_id).where(
            sa.or_(Application.title.ilike(pattern), Organisation.name.ilike(pattern)))
    return db.session.scalars(statement.limit(SEARCH_LIMIT + 1)).all()


def _declaring_judge(fair) -> tuple[Judge | None, list[Judge]]:
    """The judge declaring: oneself, or for an organizer the judge picked by `?judge=` (or the form)."""
    organizer = current_user.has_role(fair, Role.organizer)
    judges = db.session.scalars(sa.select(Judge).where(Judge.fair_id == fair.id).options(joinedload(Judge.user))
                                .order_by(Judge.id)).all() if organizer else []
    wanted = request.values.get("judge", type=int)
    if organizer and wanted:
        return next((judge for judge in judges if judge.id == wanted), None), judges
    return services.judge_of(fair, current_user), judges


def _conflicts_page(fair, judge, judges, *, status=200, form=None):
    query = (request.args.get("q") or "").strip()[:60]
    found = _search(fair, query)
    picked_id = (form.application_id.data if form is not None else None) or request.args.get("application", type=int)
    picked = db.session.scalar(sa.select(Application).where(
        Application.id == picked_id, Application.id.in_(judged_ids(fair)))) if picked_id else None
    if form is None:
        form = DeclarationForm(formdata=None, data={"application_id": picked.id if picked else None})
    declarations = db.session.scalars(
        sa.select(ConflictDeclaration).where(ConflictDeclaration.judge_id == judge.id)
        .options(joinedload(ConflictDeclaration.application)).order_by(ConflictDeclaration.id)).all() if judge else []
    return render_template(
        "judging/judges_conflicts.html", fair=fair, judge=judge, judges=judges, query=query,
        found=found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT, picked=picked, form=form,
        declarations=declarations, declared_ids={d.application_id for d in declarations},
        confirm_form=ConfirmForm(), kinds=DeclarationKind), status


@bp.get("/conflicts")
@fair_role_required(Role.judge, Role.organizer)
def conflicts(fair):
    judge, judges = _declaring_judge(fair)
    return _conflicts_page(fair, judge, judges)


@bp.post("/conflicts")
@fair_role_required(Role.judge, Role.organizer)
def declare(fair):
    judge, judges = _declaring_judge(fair)
    if judge is None:
        abort(404)
    form = DeclarationForm()
    if form.validate_on_submit():
        application = db.session.scalar(sa.select(Application).where(
            Application.id == form.application_id.data, Application.id.in_(judged_ids(fair))))
        try:
            if application is None:
                raise Refused(_("请从本届展会的参评项目中选择。"), "unknown_application", "application_id")
            services.declare_conflict(judge, application, form.kind.data, form.reason.data, current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("已申报回避“%(title)s”，系统不会再把该项目分配给%(name)s。", title=application.title,
                    name=judge.user.name), "success")
            return redirect(url_for("judging.conflicts", slug=fair.slug,
                                    judge=judge.id if judge.user_id != current_user.id else None))
    return _conflicts_page(fair, judge, judges, status=400, form=form)


@bp.post("/conflicts/<int:declaration_id>/withdraw")
@fair_role_required(Role.judge, Role.organizer)
def withdraw(fair, declaration_id: int):
    declaration = db.first_or_404(sa.select(ConflictDeclaration).join(Judge).where(
        ConflictDeclaration.id == declaration_id, Judge.fair_id == fair.id))
    own = declaration.judge.user_id == current_user.id
    if not own and not current_user.has_role(fair, Role.organizer):
        abort(403)
    if ConfirmForm().validate_on_submit():
        services.withdraw_conflict(declaration, actor=current_user)
        flash(_("已撤回该回避申报。"), "success")
    return redirect(url_for("judging.conflicts", slug=fair.slug, judge=None if own else declaration.judge_id))
