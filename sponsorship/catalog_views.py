"""The catalog of exhibited projects, a project's page for sponsors, and its photos. Who may browse and
who sees contact data is decided in sponsorship/catalog.py (members in every phase, anyone once the plan
is public). Nothing here writes; the page's actions (bookmark, meeting, agreement) are other modules'
includes."""
from flask import abort, render_template, request, send_file, url_for
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user

from fair.applications import services as applying
from fair.applications.models import SUPPORT_LABELS, Support
from fair.applications.views import FILE_CSP
from fair.auth.models import Role
from fair.booths import queries as booth_queries
from fair.navigation import add_fair_nav
from judging.queries import published_awards, published_tiers
from sponsorship import catalog
from sponsorship.access import sponsor_of
from sponsorship.views import bp

add_fair_nav(60, _l("项目库"), "sponsorship.catalog", Role.sponsor, Role.organizer, Role.exhibitor,
             also=("sponsorship.project",))

SORT_LABELS = {"recommended": _l("推荐：奖项，再按名称"), "need_asc": _l("资金需求从低到高"),
               "need_desc": _l("资金需求从高到低"), "newest": _l("最新提交")}


def support_choices() -> list[tuple[str, str]]:
    return [(kind.value, str(SUPPORT_LABELS[kind])) for kind in Support]


def project_href(fair):
    """application id → its page in the catalog; url_for once, not once per booth of the plan."""
    stem = url_for("sponsorship.project", slug=fair.slug, application_id=0)[:-1]
    return lambda application_id: f"{stem}{application_id}"


@bp.get("/catalog", endpoint="catalog")
@catalog.browsing_fair
def catalog_index(fair):
    tiers = published_tiers(fair)
    filters, problems = catalog.read_filters(request.args, fair, tiers)
    listing = catalog.catalog_page(fair, filters, page=request.args.get("page", 1, type=int))
    return render_template(
        "sponsorship/catalog.html", fair=fair, filters=filters, problems=problems, listing=listing,
        page=listing.page, tiers=tiers, cities=catalog.cities(fair), supports=support_choices(),
        support_labels=dict(support_choices()), sort_labels=SORT_LABELS, locale=str(get_locale()),
        href=project_href(fair),
        member=current_user.is_authenticated and current_user.has_role(fair, *catalog.BROWSER_ROLES))


@bp.get("/projects/<int:application_id>")
@catalog.browsing_fair
def project(fair, application_id: int):
    application = catalog.exhibited_project(fair, application_id)
    if application is None:
        abort(404)
    locale = str(get_locale())
    booth = booth_queries.booth_of(application.id)
    hall = None
    if booth is not None:
        hall = booth_queries.load_plan(fair, locale=locale, public=True, href_for=project_href(fair),
                                       hall_ids=[booth.hall_id]).halls[0]
    return render_template(
        "sponsorship/project.html", fair=fair, application=application, booth=booth, hall=hall, locale=locale,
        photos=catalog.photos(application), award=published_awards(fair, [application.id]).get(application.id),
        signed=catalog.signed_agreements(application), support_labels=dict(support_choices()),
        contact=catalog.sees_contact(current_user, fair), sponsor=sponsor_of(current_user, fair),
        is_organizer=current_user.is_authenticated and current_user.has_role(fair, Role.organizer))


@bp.get("/projects/<int:application_id>/photos/<int:attachment_id>")
@catalog.browsing_fair
def photo(fair, application_id: int, attachment_id: int):
    """A photo of an exhibited project, to whoever may see its page (the application's own download
    serves the team, organizers and reviewers, and documents too)."""
    application = catalog.exhibited_project(fair, application_id)
    photos = catalog.photos(application) if application is not None else []
    attachment = next((item for item in photos if item.id == attachment_id), None)
    if attachment is None:
        abort(404)
    path = applying.attachment_path(attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
