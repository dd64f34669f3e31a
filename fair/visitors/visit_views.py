"""At a booth, on the visitor's phone: the panel on a project's public page (record the visit, bookmark,
leave contact details; judging adds the vote), which ticket this phone uses, the visitor's own list; and
for an exhibitor, who visited their projects and the contacts visitors chose to leave. Thin: every change
goes through visitors.booth_visits."""
import functools
import io

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TelField, TextAreaField

from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths import queries
from fair.extensions import db, limiter
from fair.fairs.models import Fair
from fair.forms import at_most, required, safe_next, show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.templating import localtime
from fair.visitors import booth_visits, services
from fair.visitors.booth_visits import ContactDetails
from fair.visitors.views import bp

add_fair_nav(41, _l("展位访客"), "visitors.booth_contacts", Role.exhibitor)
DEFAULT_VISIT_LIMIT = "30 per minute; 300 per hour"          # per ticket: taps on the panel
DEFAULT_CONTACT_LIMIT = "10 per minute; 60 per hour"         # per ticket: contact details
DEFAULT_ADDRESS_LIMIT = "600 per minute"                     # per address: a venue's wifi is one address


def _ticket_key() -> str:
    """Per ticket this phone claims (the cookie, checked or not: the address limit covers forgeries)."""
    return "visit:" + (request.cookies.get(booth_visits.TICKET_COOKIE) or get_remote_address())[-40:]


def _limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


class UseTicketForm(FlaskForm):
    code = StringField(_l("入场码"), validators=[required(), at_most(400)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
                       description=_l("入场码页面网址中 /tickets/ 后的 16 位字符，或整个网址。"))
    next = HiddenField()


class ContactForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[required(), at_most(booth_visits.NAME_LONGEST)],
                       render_kw={"autocomplete": "name"})
    phone = TelField(_l("手机号"), validators=[required()],
                     render_kw={"autocomplete": "tel", "inputmode": "numeric", "maxlength": 20})
    note = TextAreaField(_l("留言（选填）"), validators=[at_most(booth_visits.NOTE_LONGEST)],
                         render_kw={"rows": 3}, description=_l("例如：希望报名成为志愿者、希望合作的方式。"))
    consent = BooleanField(_l("我同意把以上姓名、手机号和留言提供给该项目团队，用于与我联系"))


class ButtonForm(FlaskForm):
    """Only the CSRF token: the project is in the URL."""


class BookmarkForm(FlaskForm):
    bookmarked = HiddenField()


def _fair(slug: str) -> Fair:
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug))
    g.fair = fair
    return fair


def _public_fair(slug: str) -> Fair:
    fair = _fair(slug)
    if not queries.plan_is_public(fair):
        abort(404)
    return fair


def _project(fair: Fair, application_id: int):
    application = booth_visits.public_project(fair, application_id)
    if application is None:
        abort(404)
    return application


def _back(fair: Fair, application) -> str:
    return url_for("booths.project", slug=fair.slug, application_id=application.id, _anchor="visit-panel")


def _needs_ticket(fair: Fair, application):
    flash(_("请先在本机使用您的入场码。"), "warning")
    return redirect(url_for("visitors.my_visit", slug=fair.slug,
                            next=url_for("booths.project", slug=fair.slug, application_id=application.id)))


# --- the panel on a project's page --------------------------------------------------------------------

@bp.app_context_processor
def visit_panel_helpers():
    """`visit_panel(fair, application)` for templates/visitors/visit_panel.html: called only where the
    panel is shown, so other pages pay nothing."""
    return {"visit_panel": _panel_state}


def _panel_state(fair: Fair, application) -> dict:
    ticket = booth_visits.current_ticket(fair)
    return {"ticket": ticket, "visit": booth_visits.visit_of(ticket, application),
            "registration_open": services.registration_open(fair), "shares": booth_visits.shares}


# --- which ticket this phone uses ---------------------------------------------------------------------

@bp.get("/tickets/<code>/use-here")
def use_here(slug: str, code: str):
    """A link from the ticket page: this phone now uses the ticket; back to `next` or the ticket page."""
    fair = _fair(slug)
    try:
        ticket = booth_visits.find_ticket(fair, code)
    except Refused:
        abort(404)
    target = safe_next(request.args.get("next"), url_for("visitors.ticket", slug=fair.slug, code=ticket.code))
    flash(_("本机已使用 %(name)s 的入场码。", name=ticket.name), "success")
    return booth_visits.remember_ticket(redirect(target), ticket)


@bp.get("/my-visit")
def my_visit(slug: str):
    fair = _fair(slug)
    ticket = booth_visits.current_ticket(fair)
    form = UseTicketForm(formdata=None, next=safe_next(request.args.get("next"), ""))
    return _my_visit_page(fair, ticket, form)


def _my_visit_page(fair: Fair, ticket, form, status: int = 200):
    visits = booth_visits.visits_of(ticket) if ticket is not None else []
    return render_template("visitors/visit_mine.html", fair=fair, ticket=ticket, visits=visits, form=form,
                           forget_form=ButtonForm(formdata=None), public=queries.plan_is_public(fair),
                           registration_open=services.registration_open(fair),
                           phone=services.mask_phone(ticket.phone) if ticket else ""), status


@bp.post("/my-visit/ticket")
@limiter.limit(_limit("FAIR_USE_TICKET_LIMIT", "30 per minute; 300 per hour"))
def use_ticket(slug: str):
    """The panel's form: a typed or pasted code (or the ticket page's address, or the QR's text)."""
    fair = _fair(slug)
    form = UseTicketForm()
    if form.validate_on_submit():
        try:
            ticket = booth_visits.find_ticket(fair, form.code.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("本机已使用 %(name)s 的入场码。", name=ticket.name), "success")
            target = safe_next(form.next.data, url_for("visitors.my_visit", slug=fair.slug))
            return booth_visits.remember_ticket(redirect(target), ticket)
    return _my_visit_page(fair, booth_visits.current_ticket(fair), form, 400)


@bp.post("/my-visit/forget")
def forget(slug: str):
    fair = _fair(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    flash(_("本机已不再使用该入场码。"), "success")
    return booth_visits.forget_ticket(redirect(url_for("visitors.my_visit", slug=fair.slug)), fair)


# --- at a booth ---------------------------------------------------------------------------------------

def at_the_booth(view):
    """The view gets the URL's fair and public project and the ticket this phone uses; without a ticket
    the visitor is asked for one instead."""
    @functools.wraps(view)
    def wrapped(slug: str, application_id: int):
        fair = _public_fair(slug)
        application = _project(fair, application_id)
        ticket = booth_visits.current_ticket(fair)
        if ticket is None:
            return _needs_ticket(fair, application)
        return view(fair, application, ticket)
    return wrapped


@bp.post("/projects/<int:application_id>/visit")
@limiter.limit(_limit("FAIR_VISIT_LIMIT", DEFAULT_VISIT_LIMIT), key_func=_ticket_key)
@limiter.limit(_limit("FAIR_VISIT_ADDRESS_LIMIT", DEFAULT_ADDRESS_LIMIT))
@at_the_booth
def record_visit(fair: Fair, application, ticket):
    if not ButtonForm().validate_on_submit():
        abort(400)
    booth_visits.record_visit(ticket, application)
    flash(_("已记录到访。"), "success")
    return redirect(_back(fair, application))


@bp.post("/projects/<int:application_id>/bookmark")
@limiter.limit(_limit("FAIR_VISIT_LIMIT", DEFAULT_VISIT_LIMIT), key_func=_ticket_key)
@limiter.limit(_limit("FAIR_VISIT_ADDRESS_LIMIT", DEFAULT_ADDRESS_LIMIT))
@at_the_booth
def bookmark(fair: Fair, application, ticket):
    form = BookmarkForm()
    if not form.validate_on_submit() or form.bookmarked.data not in ("0", "1"):
        abort(400)
    visit = booth_visits.set_bookmark(ticket, application, form.bookmarked.data == "1")
    flash(_("已收藏该项目。") if visit.bookmarked else _("已取消收藏。"), "success")
    return redirect(_back(fair, application))


@bp.route("/projects/<int:application_id>/contact", methods=["GET", "POST"])
@limiter.limit(_limit("FAIR_CONTACT_LIMIT", DEFAULT_CONTACT_LIMIT), key_func=_ticket_key, methods=["POST"])
@limiter.limit(_limit("FAIR_VISIT_ADDRESS_LIMIT", DEFAULT_ADDRESS_LIMIT), methods=["POST"])
@at_the_booth
def contact(fair: Fair, application, ticket):
    """The visitor's own choice: name, phone and a note for this project's team, with consent."""
    visit = booth_visits.visit_of(ticket, application)
    if request.method == "GET":
        shared = booth_visits.shares(visit)
        form = ContactForm(formdata=None, name=visit.shared_name if shared else ticket.name,
                           phone=visit.shared_phone if shared else ticket.phone,
                           note=visit.shared_note if shared else "")
    else:
        form = ContactForm()
        if form.validate_on_submit():
            try:
                booth_visits.share_contact(ticket, application, ContactDetails(
                    form.name.data, form.phone.data, form.note.data, form.consent.data))
            except Refused as refusal:
                db.session.rollback()
                show_refusal(form, refusal)
            else:
                flash(_("已把您的联系方式留给项目团队。"), "success")
                return redirect(_back(fair, application))
    return render_template("visitors/visit_contact.html", fair=fair, application=application, form=form,
                           visit=visit, shared=booth_visits.shares(visit), withdraw_form=ButtonForm(formdata=None)), \
        400 if form.errors else 200


@bp.post("/projects/<int:application_id>/contact/withdraw")
@at_the_booth
def withdraw_contact(fair: Fair, application, ticket):
    if not ButtonForm().validate_on_submit():
        abort(400)
    booth_visits.withdraw_contact(ticket, application)
    flash(_("已撤回您留给项目团队的联系方式。"), "success")
    return redirect(_back(fair, application))


# --- the project team ---------------------------------------------------------------------------------

def _own_projects(fair: Fair) -> list:
    if current_user.organisation_id is None:
        return []
    return queries.organisation_projects(fair, current_user.organisation_id)


@bp.get("/booths/contacts")
@fair_role_required(Role.exhibitor)
def booth_contacts(fair: Fair):
    """An exhibitor's projects: visits, bookmarks and only the contacts visitors chose to leave."""
    view = booth_visits.team_view(fair, _own_projects(fair))
    return render_template("visitors/visit_contacts.html", fair=fair, view=view,
                           has_organisation=current_user.organisation_id is not None)


@bp.get("/booths/contacts.csv")
@fair_role_required(Role.exhibitor)
def booth_contacts_csv(fair: Fair):
    content = booth_visits.export_contacts(fair, _own_projects(fair), actor=current_user,
                                           local=lambda at: localtime(at, "yyyy-MM-dd HH:mm", fair.timezone))
    return send_file(io.BytesIO(content), mimetype="text/csv", as_attachment=True,
                     download_name=f"contacts-{fair.slug}.csv", max_age=0)
