"""The organizer's page for reading a fair's audit log, filtered."""
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from fair.audit.models import AuditEvent
from fair.auth.models import Role, User
from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.navigation import add_fair_nav
from fair.templating import localtime, yuan
from fair.times import from_local

bp = Blueprint("audit", __name__)

add_fair_nav(90, _l("审计日志"), "audit.events", Role.organizer, group="settings")
PER_PAGE = 50


@bp.app_template_filter("audit_value")
def audit_value(value, key: str) -> str:
    """A stored before/after value as a person reads it: money in yuan, times in the fair's timezone."""
    if value is None:
        return "∅"
    if key.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if key.endswith("_at") and isinstance(value, str):
        try:
            return localtime(datetime.fromisoformat(value), "short")
        except ValueError:
            pass
    return str(value)


def _day(value: str | None):
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None


@bp.get("/fairs/<slug>/audit")
@fair_role_required(Role.organizer)
def events(fair):
    filters = {key: request.args.get(key, "").strip() for key in ("action", "actor", "since", "until")}
    query = sa.select(AuditEvent).where(AuditEvent.fair_id == fair.id)
    if filters["action"]:
        query = query.where(AuditEvent.action.startswith(filters["action"], autoescape=True))
    if filters["actor"]:
        pattern = f"%{filters['actor'].lower()}%"
        query = query.join(User, User.id == AuditEvent.actor_id).where(
            sa.or_(sa.func.lower(User.email).like(pattern), User.name.like(pattern)))
    if since := _day(filters["since"]):
        query = query.where(AuditEvent.at >= from_local(datetime.combine(since, time.min), fair.timezone))
    if until := _day(filters["until"]):
        end = datetime.combine(until + timedelta(days=1), time.min)
        query = query.where(AuditEvent.at < from_local(end, fair.timezone))
    page = db.paginate(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), per_page=PER_PAGE,
                       error_out=False)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.fair_id == fair.id)
                                 .distinct().order_by(AuditEvent.action)).all()
    return render_template("audit/events.html", fair=fair, page=page, filters=filters, actions=actions)
