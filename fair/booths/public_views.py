"""The plan as visitors and exhibitors see it: the public floor plan with its search, a project's public
page (booth QR codes point here) and an exhibitor's own booth with the set-up notes.

Nothing here writes. The public pages exist from the preparation phase on; before that they are 404s, so
nobody learns of a plan or a shortlist that is not out yet."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, g, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user

from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths import queries
from fair.booths.models import Booth
from fair.booths.views import bp
from fair.extensions import db
from fair.fairs.models import Fair
from fair.navigation import add_fair_nav

add_fair_nav(40, _l("我的展位"), "booths.my_booth", Role.exhibitor)
MAX_QUERY = 100


@bp.app_context_processor
def plan_helpers():
    """The fair overview and the welcome page link to the public plan once it is public."""
    return {"plan_is_public": queries.plan_is_public}


def _public_fair(slug: str) -> Fair:
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
    if fair is None or not queries.plan_is_public(fair):
        abort(404)
    g.fair = fair                     # times in its timezone, and its sections for a member who is logged in
    return fair


def project_href(fair: Fair):
    """application id → its public page; url_for once, not once per booth."""
    stem = url_for("booths.project", slug=fair.slug, application_id=0)[:-1]
    return lambda application_id: f"{stem}{application_id}"


@dataclass
class Search:
    """A visitor's search: words and a category; `active` when either is given."""

    words: str
    category_id: int | None

    @classmethod
    def from_args(cls, args, fair: Fair) -> "Search":
        category_id = args.get("category", type=int)
        if category_id not in {category.id for category in fair.categories}:
            category_id = None
        return cls(" ".join(args.get("q", "").split())[:MAX_QUERY], category_id)

    @property
    def active(self) -> bool:
        return bool(self.words) or self.category_id is not None


@bp.get("/plan")
def public_plan(slug):
    fair = _public_fair(slug)
    locale = str(get_locale())
    search = Search.from_args(request.args, fair)
    href = project_href(fair)
    plan = queries.load_plan(fair, locale=locale, public=True, href_for=href)
    listed = [booth for booth in plan.booths if queries.is_public(booth.application)]
    found = {booth.id for booth in listed if queries.matches(booth, search.words, search.category_id)} \
        if search.active else set()
    halls = {hall.hall.id: hall for hall in plan.halls}
    current = halls.get(request.args.get("hall", type=int))
    if current is None and found:
        current = next(hall for hall in plan.halls if any(booth.id in found for booth in hall.rows))
    if current is None and plan.halls:
        current = plan.halls[0]
    per_hall = {hall.hall.id: sum(booth.id in found for booth in hall.rows) for hall in plan.halls}
    return render_template("booths/public_plan.html", fair=fair, plan=plan, current=current, search=search,
                           listed=listed, found=found, per_hall=per_hall, locale=locale, href=href,
                           search_text=queries.search_text)


@bp.get("/projects/<int:application_id>")
def project(slug, application_id: int):
    fair = _public_fair(slug)
    application = queries.public_project(fair, application_id)
    if application is None:
        abort(404)
    locale = str(get_locale())
    booth = queries.booth_of(application.id)
    hall = None
    if booth is not None:
        hall = queries.load_plan(fair, locale=locale, public=True, href_for=project_href(fair),
                                 hall_ids=[booth.hall_id]).halls[0]
    # A judge who scanned the booth's QR code goes on to score it (judging's page for the booth).
    judging = booth is not None and current_user.is_authenticated and current_user.has_role(fair, Role.judge)
    return render_template("booths/project.html", fair=fair, application=application, booth=booth, hall=hall,
                           locale=locale, judging=judging)


@bp.get("/my-booth")
@fair_role_required(Role.exhibitor)
def my_booth(fair):
    locale = str(get_locale())
    published = queries.plan_is_public(fair)
    projects, booths, plan = [], {}, None
    if current_user.organisation_id is not None:
        projects = queries.organisation_projects(fair, current_user.organisation_id)
    if published and projects:
        plan = queries.load_plan(fair, locale=locale, public=True, href_for=project_href(fair))
        booths = {booth.application_id: booth for booth in plan.booths if booth.application_id}
    mine: list[tuple] = []
    for application in projects:
        booth: Booth | None = booths.get(application.id)
        mine.append((application, booth, plan.hall_of(booth) if booth else None))
    return render_template("booths/my_booth.html", fair=fair, mine=mine, published=published,
                           zones=plan.zones if plan else {}, locale=locale,
                           has_organisation=current_user.organisation_id is not None)
