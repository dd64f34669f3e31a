"""Drafting and submitting project applications; the window is enforced here, in the fair's time."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from fair.applications.models import Application, ApplicationStatus
from fair.audit.log import audit, snapshot
from fair.auth.models import Organisation, User
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused
from fair.templating import localtime
from fair.times import utcnow

AUDITED_FIELDS = ["title", "category_id", "summary", "funding_need_fen", "status", "submitted_at"]


@dataclass
class ProjectDetails:
    title: str
    category: Category
    summary: str = ""
    funding_need_fen: int = 0


def _check(fair: Fair, details: ProjectDetails) -> None:
    if not details.title.strip():
        raise Refused(_("请填写项目名称。"), "no_title", "title")
    if details.category.fair_id != fair.id:
        raise Refused(_("请选择本届展会的服务领域。"), "bad_category", "category")
    if details.funding_need_fen < 0:
        raise Refused(_("资金需求不能为负数。"), "negative_funding", "funding_need")


def _check_window(fair: Fair, at: datetime) -> None:
    if at < fair.applications_open_at:
        opens = localtime(fair.applications_open_at, tz=fair.timezone)
        raise Refused(_("申报尚未开始，开始时间为 %(at)s。", at=opens), "not_open")
    if at >= fair.applications_close_at:
        closed = localtime(fair.applications_close_at, tz=fair.timezone)
        raise Refused(_("申报已于 %(at)s 截止。", at=closed), "closed")


def create_application(fair: Fair, organisation: Organisation, details: ProjectDetails, *, actor: User | None,
                       at: datetime | None = None) -> Application:
    """A draft, inside the application window."""
    _check(fair, details)
    _check_window(fair, at or utcnow())
    application = Application(fair=fair, organisation=organisation, category=details.category,
                              title=details.title.strip(), summary=details.summary.strip(),
                              funding_need_fen=details.funding_need_fen, created_by_id=getattr(actor, "id", None),
                              status=ApplicationStatus.draft)
    db.session.add(application)
    audit(actor, "applications.application.created", application, after=snapshot(application, AUDITED_FIELDS))
    db.session.commit()
    return application


def submit_application(application: Application, *, actor: User | None, at: datetime | None = None) -> Application:
    at = at or utcnow()
    if application.status != ApplicationStatus.draft:
        raise Refused(_("只有草稿可以提交。"), "not_draft")
    _check_window(application.fair, at)
    before = snapshot(application, AUDITED_FIELDS)
    application.status, application.submitted_at = ApplicationStatus.submitted, at
    audit(actor, "applications.application.submitted", application, before=before,
          after=snapshot(application, AUDITED_FIELDS))
    db.session.commit()
    return application
