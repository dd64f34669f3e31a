"""Creating and editing fair editions, and their overview page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from fair.auth.models import Role
from fair.auth.permissions import admin_required, fair_role_required
from fair.fairs import services
from fair.fairs.forms import FairForm, PhaseForm, categories_text, parse_categories
from fair.fairs.models import DEFAULT_CATEGORIES, Fair, Phase
from fair.forms import show_refusal
from fair.navigation import add_fair_nav, add_nav_group
from fair.refusal import Refused
from fair.times import from_local, to_local

bp = Blueprint("fairs", __name__, url_prefix="/fairs")

add_fair_nav(0, _l("概览"), "fairs.overview")
add_nav_group("settings", _l("设置"))
add_fair_nav(80, _l("展会设置"), "fairs.edit", Role.organizer, group="settings")


def _details(form: FairForm) -> services.FairDetails:
    tz = form.timezone.data
    return services.FairDetails(
        slug=form.slug.data.strip().lower(), name=form.name.data.strip(), city=form.city.data.strip(),
        venue=form.venue.data.strip(), starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        applications_open_at=from_local(form.applications_open_at.data, tz),
        applications_close_at=from_local(form.applications_close_at.data, tz),
        timezone=tz, categories=parse_categories(form.categories.data))


def _form_for(fair: Fair) -> FairForm:
    """On GET the fair's values; on POST only what was posted (a missing field is empty, never the fair's
    own attribute: `categories` there is a list of rows, not the form's text)."""
    form = FairForm(obj=fair if request.method == "GET" else None)
    if request.method == "GET":
        form.applications_open_at.data = to_local(fair.applications_open_at, fair.timezone).replace(tzinfo=None)
        form.applications_close_at.data = to_local(fair.applications_close_at, fair.timezone).replace(tzinfo=None)
        form.categories.data = categories_text((c.name, c.name_en) for c in fair.categories)
    return form


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = FairForm()
    if request.method == "GET":
        form.categories.data = categories_text(DEFAULT_CATEGORIES)     # a new fair starts with the usual areas
    if form.validate_on_submit():
        try:
            fair = services.create_fair(_details(form), actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("展会“%(name)s”已创建。", name=fair.name), "success")
            return redirect(url_for("fairs.overview", slug=fair.slug))
    return render_template("fairs/edit.html", form=form, fair=None), 400 if form.errors else 200


@bp.get("/<slug>/")
@fair_role_required()
def overview(fair):
    return render_template("fairs/overview.html", fair=fair, roles=current_user.roles_in(fair),
                           phase_form=PhaseForm(), phases=list(Phase))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def edit(fair):
    form = _form_for(fair)
    if form.validate_on_submit():
        try:
            services.update_fair(fair, _details(form), actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("展会设置已保存。"), "success")
            return redirect(url_for("fairs.overview", slug=fair.slug))
    return render_template("fairs/edit.html", form=form, fair=fair), 400 if form.errors else 200


@bp.post("/<slug>/phase")
@fair_role_required(Role.organizer)
def move_phase(fair):
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            services.move_phase(fair, Phase(form.phase.data), actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
        else:
            flash(_("展会已进入“%(phase)s”阶段。", phase=fair.phase.label), "success")
    else:
        flash(_("未知的阶段。"), "danger")
    return redirect(url_for("fairs.overview", slug=fair.slug))
