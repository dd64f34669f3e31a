"""Recommendations: a sponsor's representatives see the projects that suit their profile, an exhibitor
sees the sponsors that suit each of its projects, and an organizer picks either side and sees the same
list that side sees. The ranking and its reasons come from matching.py through recommending.py."""
from flask import abort, render_template, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from fair.applications.models import SUPPORT_LABELS, Support
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.navigation import add_fair_nav
from sponsorship import recommending
from sponsorship.access import is_organizer, sponsor_of
from sponsorship.models import SponsorProfile
from sponsorship.views import bp

add_fair_nav(63, _l("智能推荐"), "sponsorship.recommendations", Role.sponsor, Role.exhibitor, Role.organizer)
SUPPORT_VALUES = {kind.value for kind in Support}


def support_text(kinds) -> str:
    """Kinds of support by their labels, an unknown stored value as itself: 资金、志愿者."""
    return _("、").join(str(SUPPORT_LABELS[Support(kind)]) if kind in SUPPORT_VALUES else kind for kind in kinds)


def _render(fair, **context):
    return render_template("sponsorship/recommendations.html", fair=fair, support_text=support_text,
                           limit=recommending.LIMIT, **context)


@bp.get("/recommendations")
@fair_role_required(Role.sponsor, Role.exhibitor, Role.organizer)
def recommendations(fair):
    locale = str(get_locale())
    if is_organizer(current_user, fair):
        return _for_organizer(fair, locale)
    if current_user.has_role(fair, Role.sponsor):
        return _for_sponsor(fair, locale)
    return _for_exhibitor(fair, locale)


def _for_sponsor(fair, locale: str):
    sponsor = sponsor_of(current_user, fair)
    if sponsor is None:
        return _render(fair, view="no_profile")
    return _render(fair, view="sponsor", sponsor=sponsor,
                   projects=recommending.projects_for(sponsor, locale=locale))


def _for_exhibitor(fair, locale: str):
    mine = (recommending.exhibited(fair, current_user.organisation_id)
            if current_user.organisation_id is not None else [])
    if not mine:
        return _render(fair, view="no_project")
    chosen = _chosen(mine, request.args.get("project", type=int))
    return _render(fair, view="exhibitor", mine=mine, project=chosen,
                   sponsors=recommending.sponsors_for(chosen, locale=locale))


def _chosen(projects: list, wanted: int | None):
    """The project the selector asks for (404 for one not in the list), else the first."""
    if wanted is None:
        return projects[0]
    found = next((application for application in projects if application.id == wanted), None)
    if found is None:
        abort(404)
    return found


def _for_organizer(fair, locale: str):
    sponsor_id, project_id = request.args.get("sponsor", type=int), request.args.get("project", type=int)
    context = {"view": "organizer", "all_sponsors": recommending.sponsors_of(fair),
               "all_projects": recommending.exhibited(fair), "sponsor": None, "project": None}
    if sponsor_id is not None:
        sponsor = db.session.get(SponsorProfile, sponsor_id)
        if sponsor is None or sponsor.fair_id != fair.id:
            abort(404)
        context.update(sponsor=sponsor, projects=recommending.projects_for(sponsor, locale=locale))
    elif project_id is not None:
        project = _chosen(context["all_projects"], project_id)
        context.update(project=project, sponsors=recommending.sponsors_for(project, locale=locale))
    return _render(fair, **context)
