"""People's choice on the web: the vote a ticket holder casts from a project's page (the panel part in
templates/judging/voting_panel.html), and the organizer's page to open and close voting, watch the totals
and the flagged bursts, and read the results once voting has closed, apart from the jury's awards."""
import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths import queries
from fair.extensions import db, limiter
from fair.fairs.models import Fair
from fair.forms import whole_number
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.visitors import booth_visits
from judging import voting
from judging.views import bp

add_fair_nav(57, _l("观众投票"), "judging.votes", Role.organizer)
DEFAULT_VOTE_LIMIT = "20 per minute; 100 per hour"           # per ticket
DEFAULT_ADDRESS_LIMIT = "600 per minute"                     # per address: a venue's wifi is one address


class VoteForm(FlaskForm):
    """Only the CSRF token: the project is in the URL, the ticket in the phone's cookie."""


class VotingForm(FlaskForm):
    """Open or close voting, as of the setup version the page showed."""

    version = HiddenField()


def _ticket_key() -> str:
    return "vote:" + (request.cookies.get(booth_visits.TICKET_COOKIE) or get_remote_address())[-40:]


def _limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


@bp.app_context_processor
def voting_panel_helpers():
    """`people_choice(fair, application)` for the booth page's panel (called only where it is shown)."""
    return {"people_choice": lambda fair, application: voting.choice_for(
        fair, application, booth_visits.current_ticket(fair))}


@bp.post("/vote/<int:application_id>")
@limiter.limit(_limit("FAIR_VOTE_LIMIT", DEFAULT_VOTE_LIMIT), key_func=_ticket_key)
@limiter.limit(_limit("FAIR_VOTE_ADDRESS_LIMIT", DEFAULT_ADDRESS_LIMIT))
def vote(slug: str, application_id: int):
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug))
    g.fair = fair
    application = booth_visits.public_project(fair, application_id) if queries.plan_is_public(fair) else None
    if application is None:
        abort(404)
    back = url_for("booths.project", slug=fair.slug, application_id=application.id, _anchor="visit-panel")
    ticket = booth_visits.current_ticket(fair)
    if ticket is None:
        flash(_("请先在本机使用您的入场码。"), "warning")
        return redirect(url_for("visitors.my_visit", slug=fair.slug, next=back.partition("#")[0]))
    if not VoteForm().validate_on_submit():
        abort(400)
    device = booth_visits.device_id()
    try:
        _vote, outcome = voting.cast_vote(ticket, application, address=request.remote_addr or "", device=device)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash({"cast": _("感谢投票！"), "changed": _("已改投本项目，您在该领域原来的投票已取消。"),
               "unchanged": _("您已为本项目投过票。")}[outcome], "success")
    return booth_visits.remember_device(redirect(back), device)


# --- the organizer ------------------------------------------------------------------------------------

@bp.get("/votes")
@fair_role_required(Role.organizer)
def votes(fair: Fair):
    """While voting is open only the totals and the bursts (without the projects); the results after it closes."""
    setup = voting.setup_of(fair)
    state = voting.state_of(setup)
    closed = state == voting.CLOSED
    return render_template("judging/voting.html", fair=fair, setup=setup, state=state,
                           totals=voting.totals(fair), bursts=voting.bursts(fair),
                           results=voting.results(fair) if closed else None, closed=closed,
                           form=VotingForm(formdata=None, version=setup.version if setup else 0),
                           burst_tickets=voting.BURST_TICKETS,
                           burst_minutes=int(voting.BURST_WINDOW.total_seconds() // 60))


def _change(fair: Fair, change, done: str):
    form = VotingForm()
    if not form.validate_on_submit():
        abort(400)
    version = whole_number(form.version.data)
    try:
        change(fair, current_user, version=version)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(done, "success")
    return redirect(url_for("judging.votes", slug=fair.slug))


@bp.post("/votes/open")
@fair_role_required(Role.organizer)
def open_voting(fair: Fair):
    return _change(fair, voting.open_voting, _("观众投票已开始。"))


@bp.post("/votes/close")
@fair_role_required(Role.organizer)
def close_voting(fair: Fair):
    return _change(fair, voting.close_voting, _("观众投票已结束，结果如下。"))
