"""Log-in, log-out, password change, invitations and a fair's people."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from fair.auth import services
from fair.auth.forms import (AcceptInvitationForm, ConfirmForm, InvitationForm, LoginForm, PasswordChangeForm,
                             RegistrationForm)
from fair.auth.models import Invitation, Membership, Organisation, OrganisationKind, Role, User
from fair.auth.permissions import fair_role_required, login_required
from fair.extensions import db, limiter
from fair.fairs.models import Fair, Phase
from fair.forms import safe_next, show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused

bp = Blueprint("auth", __name__)

add_fair_nav(85, _l("人员与邀请"), "auth.people", Role.organizer, group="settings")


def _login_limit() -> str:
    return current_app.config["FAIR_LOGIN_LIMIT"]


def _account_limit() -> str:
    return current_app.config["FAIR_LOGIN_ACCOUNT_LIMIT"]


def _submitted_email() -> str:
    return "login:" + services.normalise_email(request.form.get("email", ""))


def _start_session(user, remember: bool = False) -> None:
    """A fresh session for the new identity (no fixation): drop what the anonymous one held."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_submitted_email)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("home.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
        # One message whether the e-mail is unknown or the password wrong: no account enumeration.
        form.password.errors = [_("邮箱或密码不正确。")]
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("home.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("密码已更新。"), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = services.open_invitation(token)
    except Refused as refusal:
        return render_template("auth/invitation_closed.html", refusal=refusal), 410 if refusal.code != "unknown" else 404
    existing = services.find_user(invitation.email)
    form = AcceptInvitationForm(name=invitation.name) if not current_user.is_authenticated else ConfirmForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                if current_user.is_authenticated:
                    user = services.accept_invitation(token, user=current_user)
                else:
                    user = services.accept_invitation(token, name=form.name.data, password=form.password.data)
                    _start_session(user)
            except Refused as refusal:
                if refusal.code == "used":
                    return render_template("auth/invitation_closed.html", refusal=refusal), 410
                show_refusal(form, refusal)
            else:
                flash(_("欢迎加入“%(fair)s”，您的角色是%(role)s。", fair=invitation.fair.name,
                        role=invitation.role.label), "success")
                return redirect(url_for("fairs.overview", slug=invitation.fair.slug))
    return render_template("auth/invitation.html", invitation=invitation, form=form, existing=existing), status


@bp.get("/fairs/<slug>/people")
@fair_role_required(Role.organizer)
def people(fair):
    return _people_page(fair, InvitationForm(organisations=_organisations()))


def _organisations():
    return db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()


def _people_page(fair, form, invitation_link: str | None = None, status: int = 200):
    memberships = sorted(db.session.scalars(
        sa.select(Membership).where(Membership.fair_id == fair.id)
        .options(joinedload(Membership.user).joinedload(User.organisation))
        .order_by(Membership.id)).unique(), key=lambda m: list(Role).index(m.role))
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.fair_id == fair.id, Invitation.used_at.is_(None),
                                    Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())).all()
    return render_template("auth/people.html", fair=fair, form=form, memberships=memberships,
                           invitations=invitations, invitation_link=invitation_link), status


@bp.post("/fairs/<slug>/people/invite")
@fair_role_required(Role.organizer)
def invite(fair):
    organisations = _organisations()
    form = InvitationForm(organisations=organisations)
    if not form.validate_on_submit():
        return _people_page(fair, form, status=400)
    organisation = db.session.get(Organisation, form.organisation_id.data) if form.organisation_id.data else None
    if form.new_organisation.data and form.new_organisation.data.strip():
        organisation = services.create_organisation(
            form.new_organisation.data, OrganisationKind(form.new_organisation_kind.data), actor=current_user)
    invitation, token = services.invite(
        fair, form.email.data, Role(form.role.data), name=form.name.data or "", organisation=organisation,
        actor=current_user, valid_days=current_app.config["FAIR_INVITATION_DAYS"])
    link = url_for("auth.accept_invitation", token=token, _external=True)
    flash(_("已为 %(email)s 生成邀请链接，请复制后发送给对方。链接只显示这一次。", email=invitation.email), "success")
    return _people_page(fair, InvitationForm(organisations=organisations), invitation_link=link)


@bp.post("/fairs/<slug>/invitations/<int:invitation_id>/revoke")
@fair_role_required(Role.organizer)
def revoke_invitation(fair, invitation_id: int):
    invitation = db.first_or_404(sa.select(Invitation).where(Invitation.id == invitation_id,
                                                             Invitation.fair_id == fair.id))
    services.revoke_invitation(invitation, actor=current_user)
    flash(_("邀请已撤销。"), "success")
    return redirect(url_for("auth.people", slug=fair.slug))


@bp.post("/fairs/<slug>/members/<int:membership_id>/remove")
@fair_role_required(Role.organizer)
def remove_member(fair, membership_id: int):
    membership = db.first_or_404(sa.select(Membership).where(Membership.id == membership_id,
                                                             Membership.fair_id == fair.id))
    try:
        services.revoke_role(membership, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("已移除该角色。"), "success")
    return redirect(url_for("auth.people", slug=fair.slug))


@bp.route("/fairs/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register(slug: str):
    """Open to anyone while the fair takes applications; a fair still in draft is not public yet."""
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug, Fair.phase != Phase.draft))
    g.fair = fair                                   # the deadline in the fair's timezone
    if fair.phase != Phase.applications_open:
        return render_template("auth/register_closed.html", fair=fair), 403 if request.method == "POST" else 200
    if current_user.is_authenticated:
        return render_template("auth/register.html", fair=fair, form=None)
    form = RegistrationForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        organisation = services.OrganisationDetails(
            form.organisation_name.data, OrganisationKind(form.kind.data), form.credit_code.data, form.province.data,
            form.city.data, form.district.data or "", form.contact_name.data, form.contact_phone.data)
        try:
            user = services.register_exhibitor(fair, organisation, name=form.name.data, email=form.email.data,
                                               password=form.password.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            _start_session(user)
            flash(_("注册成功，欢迎参加“%(fair)s”。现在可以填写项目申报了。", fair=fair.name), "success")
            return redirect(url_for("applications.mine", slug=fair.slug))
    return render_template("auth/register.html", fair=fair, form=form), status
