"""Drafting, submitting, withdrawing and reopening project applications.

The rules live here once, for the form, the import and the demo alike: `check_project` says what a
project may look like, `_check_window` when it may be submitted (in the fair's timezone)."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from fair.applications.models import Application, ApplicationStatus, BoothSize, Support
from fair.audit.log import audit, snapshot
from fair.auth.models import Organisation, User
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused
from fair.templating import localtime, yuan
from fair.times import utcnow

AUDITED_FIELDS = ["title", "category_id", "summary", "province", "city", "district", "service_targets",
                  "beneficiaries", "volunteers", "years_running", "past_outcomes", "funding_need_fen",
                  "support_wanted", "booth_size", "needs_power", "needs_step_free", "status", "submitted_at"]
# Field: (longest text allowed) or (smallest, largest number allowed)
TEXT_LIMITS = {"title": 100, "summary": 2000, "service_targets": 1000, "past_outcomes": 2000,
               "province": 20, "city": 30, "district": 30}
NUMBER_LIMITS = {"beneficiaries": (0, 10_000_000), "volunteers": (0, 100_000), "years_running": (0, 100),
                 "funding_need_fen": (0, 50_000_000_00)}       # at most ¥50,000,000
REQUIRED = ("title", "summary", "province", "city")


@dataclass
class ProjectDetails:
    """What an applicant states about a project; money already in fen."""

    title: str
    category: Category
    summary: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    service_targets: str = ""
    beneficiaries: int = 0
    volunteers: int = 0
    years_running: int = 0
    past_outcomes: str = ""
    funding_need_fen: int = 0
    support_wanted: list[Support] = field(default_factory=list)
    booth_size: BoothSize = BoothSize.standard
    needs_power: bool = False
    needs_step_free: bool = False

    def cleaned(self) -> "ProjectDetails":
        texts = {name: getattr(self, name).strip() for name in TEXT_LIMITS}
        return ProjectDetails(**{**self.__dict__, **texts})


def check_project(fair: Fair, details: ProjectDetails) -> None:
    """Refuse what no application may hold, naming the field (the form and the import report it)."""
    for name in REQUIRED:
        if not getattr(details, name).strip():
            raise Refused(_("此项为必填项。"), "required", name)
    for name, longest in TEXT_LIMITS.items():
        if len(getattr(details, name).strip()) > longest:
            raise Refused(_("不能超过 %(n)d 个字。", n=longest), "too_long", name)
    for name, (smallest, largest) in NUMBER_LIMITS.items():
        value = getattr(details, name)
        if not isinstance(value, int) or isinstance(value, bool) or not smallest <= value <= largest:
            if name == "funding_need_fen":
                message = _("资金需求须在 ¥0 到 %(most)s 之间。", most=yuan(largest))
            else:
                message = _("须为 %(low)d 到 %(high)d 之间的整数。", low=smallest, high=largest)
            raise Refused(message, "out_of_range", name)
    if details.category is None or details.category.fair_id != fair.id:
        raise Refused(_("请选择本届展会的服务领域。"), "bad_category", "category")
    if any(not isinstance(kind, Support) for kind in details.support_wanted):
        raise Refused(_("未知的支持类型。"), "bad_support", "support_wanted")


def _check_window(fair: Fair, at: datetime) -> None:
    if at < fair.applications_open_at:
        opens = localtime(fair.applications_open_at, tz=fair.timezone)
        raise Refused(_("申报尚未开始，开始时间为 %(at)s。", at=opens), "not_open")
    if at >= fair.applications_close_at:
        closed = localtime(fair.applications_close_at, tz=fair.timezone)
        raise Refused(_("申报已于 %(at)s 截止。", at=closed), "closed")


def _apply(application: Application, details: ProjectDetails) -> None:
    for name, value in details.__dict__.items():
        if name == "support_wanted":
            value = [kind.value for kind in value]
        setattr(application, name, value)


def new_application(fair: Fair, organisation: Organisation, details: ProjectDetails, *,
                    actor: User | None) -> Application:
    """An unsaved draft checked against the rules; the caller adds, audits and commits
    (create_application for one, the import for many in one transaction)."""
    details = details.cleaned()
    check_project(fair, details)
    application = Application(fair=fair, organisation=organisation, status=ApplicationStatus.draft,
                              created_by_id=getattr(actor, "id", None))
    _apply(application, details)
    return application


def create_application(fair: Fair, organisation: Organisation, details: ProjectDetails, *, actor: User | None,
                       at: datetime | None = None) -> Application:
    """A draft, inside the application window."""
    _check_window(fair, at or utcnow())
    application = new_application(fair, organisation, details, actor=actor)
    db.session.add(application)
    audit(actor, "applications.application.created", application, after=snapshot(application, AUDITED_FIELDS))
    db.session.commit()
    return application


def submit_application(application: Application, *, actor: User | None, at: datetime | None = None) -> Application:
    at = at or utcnow()
    if application.status not in (ApplicationStatus.draft, ApplicationStatus.reopened):
        raise Refused(_("只有草稿或退回修改的申报可以提交。"), "not_draft")
    _check_window(application.fair, at)
    before = snapshot(application, AUDITED_FIELDS)
    application.status, application.submitted_at = ApplicationStatus.submitted, at
    audit(actor, "applications.application.submitted", application, before=before,
          after=snapshot(application, AUDITED_FIELDS))
    db.session.commit()
    return application
