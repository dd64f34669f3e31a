"""The organizer's list of applications and an exhibitor's own projects."""
import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from fair.applications.models import Application, ApplicationStatus
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.navigation import add_fair_nav

bp = Blueprint("applications", __name__, url_prefix="/fairs/<slug>")

add_fair_nav(20, _l("项目申报"), "applications.index", Role.organizer, Role.reviewer)
add_fair_nav(20, _l("我的项目"), "applications.mine", Role.exhibitor)
PER_PAGE = 50


def _with_relations(query):
    return query.options(joinedload(Application.organisation), joinedload(Application.category))


@bp.get("/applications")
@fair_role_required(Role.organizer, Role.reviewer)
def index(fair):
    filters = {"category": request.args.get("category", type=int), "status": request.args.get("status", "")}
    query = sa.select(Application).where(Application.fair_id == fair.id)
    if filters["category"]:
        query = query.where(Application.category_id == filters["category"])
    if filters["status"] in {status.value for status in ApplicationStatus}:
        query = query.where(Application.status == ApplicationStatus(filters["status"]))
    page = db.paginate(_with_relations(query).order_by(Application.id.desc()), per_page=PER_PAGE, error_out=False)
    return render_template("applications/index.html", fair=fair, page=page, filters=filters,
                           statuses=list(ApplicationStatus))


@bp.get("/my-projects")
@fair_role_required(Role.exhibitor)
def mine(fair):
    applications = []
    if current_user.organisation_id is not None:
        applications = db.session.scalars(_with_relations(
            sa.select(Application).where(Application.fair_id == fair.id,
                                         Application.organisation_id == current_user.organisation_id)
            .order_by(Application.id))).all()
    return render_template("applications/mine.html", fair=fair, applications=applications)
