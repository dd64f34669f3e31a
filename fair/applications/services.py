"""Drafting, submitting, withdrawing and reopening project applications, and their attachments.

The rules live here once, for the form, the import and the demo alike: `check_project` says what a
project may look like, `_check_window` when it may be submitted (in the fair's timezone)."""
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import gettext as _

from fair.applications import uploads
from fair.applications.models import Application, ApplicationStatus, Attachment, AttachmentKind, BoothSize, Support
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
    for name in NUMBER_LIMITS:
        check_number(name, getattr(details, name))
    if details.category is None or details.category.fair_id != fair.id:
        raise Refused(_("请选择本届展会的服务领域。"), "bad_category", "category")
    if any(not isinstance(kind, Support) for kind in details.support_wanted):
        raise Refused(_("未知的支持类型。"), "bad_support", "support_wanted")


def check_number(name: str, value) -> None:
    """Refuse a count or amount outside NUMBER_LIMITS (the form marks each such field with it at once)."""
    smallest, largest = NUMBER_LIMITS[name]
    if not isinstance(value, int) or isinstance(value, bool) or not smallest <= value <= largest:
        if name == "funding_need_fen":
            message = _("资金需求须在 ¥0 到 %(most)s 之间。", most=yuan(largest))
        else:
            message = _("须为 %(low)d 到 %(high)d 之间的整数。", low=smallest, high=largest)
        raise Refused(message, "out_of_range", name)


def _check_window(fair: Fair, at: datetime) -> None:
    if at < fair.applications_open_at:
        opens = localtime(fair.applications_open_at, tz=fair.timezone)
        raise Refused(_("申报尚未开始，开始时间为 %(at)s。", at=opens), "not_open")
    if at >= fair.applications_close_at:
        closed = localtime(fair.applications_close_at, tz=fair.timezone)
        raise Refused(_("申报已于 %(at)s 截止。", at=closed), "closed")


def window_open(fair: Fair, at: datetime | None = None) -> bool:
    """Whether a new application may be made now; the pages offer the form only then."""
    return fair.applications_open_at <= (at or utcnow()) < fair.applications_close_at


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
    db.session.flush()          # category_id in place before the snapshot
    audit(actor, "applications.application.created", application, after=snapshot(application, AUDITED_FIELDS))
    db.session.commit()
    return application


def submit_application(application: Application, *, actor: User | None, at: datetime | None = None) -> Application:
    at = at or utcnow()
    _check_submittable(application, at)
    _hand_in(application, actor, at)
    db.session.commit()
    return application


EDITABLE = (ApplicationStatus.draft, ApplicationStatus.reopened)
REOPEN_REASON_LIMIT = 500
MAX_ATTACHMENTS = 20
log = logging.getLogger(__name__)


def _check_submittable(application: Application, at: datetime) -> None:
    """A draft inside the window; a reopened application also after the deadline, since an organizer
    sent it back for corrections (otherwise reopening during screening would leave it stuck)."""
    if application.status not in EDITABLE:
        raise Refused(_("只有草稿或退回修改的申报可以提交。"), "not_draft")
    if application.status == ApplicationStatus.draft:
        _check_window(application.fair, at)


def _hand_in(application: Application, actor: User | None, at: datetime) -> None:
    before = snapshot(application, AUDITED_FIELDS)
    application.status, application.submitted_at = ApplicationStatus.submitted, at
    audit(actor, "applications.application.submitted", application, before=before,
          after=snapshot(application, AUDITED_FIELDS))


def _check_editable(application: Application, field: str | None = None) -> None:
    if application.status not in EDITABLE:
        raise Refused(_("申报已提交，不能再修改；如需修改，请联系组织方退回。"), "not_editable", field)


def update_application(application: Application, details: ProjectDetails, *, actor: User | None,
                       submit: bool = False, at: datetime | None = None) -> Application:
    """Save the applicant's edits to a draft or reopened application; with `submit`, hand it in too:
    both or neither, so a submission after the deadline changes nothing."""
    at = at or utcnow()
    _check_editable(application)
    if submit:
        _check_submittable(application, at)
    details = details.cleaned()
    check_project(application.fair, details)
    before = snapshot(application, AUDITED_FIELDS)
    _apply(application, details)
    db.session.flush()          # category_id follows the category before the snapshot
    after = snapshot(application, AUDITED_FIELDS)
    if after != before:
        audit(actor, "applications.application.updated", application, before=before, after=after)
    if submit:
        _hand_in(application, actor, at)
    db.session.commit()
    return application


def withdraw_application(application: Application, *, actor: User | None) -> Application:
    """The applicant takes a submitted project out of screening; it stays on record, and cannot come back."""
    if application.status != ApplicationStatus.submitted:
        raise Refused(_("只有已提交的申报可以撤回。"), "not_submitted")
    application.status = ApplicationStatus.withdrawn
    audit(actor, "applications.application.withdrawn", application, before={"status": "submitted"},
          after={"status": ApplicationStatus.withdrawn.value})
    db.session.commit()
    return application


def reopen_application(application: Application, reason: str, *, actor: User | None) -> Application:
    """An organizer sends a submitted application back for corrections; the reason is kept in the
    audit event and shown to the applicant on the application's timeline."""
    reason = reason.strip()
    if not reason:
        raise Refused(_("请说明退回修改的原因。"), "required", "reason")
    if len(reason) > REOPEN_REASON_LIMIT:
        raise Refused(_("不能超过 %(n)d 个字。", n=REOPEN_REASON_LIMIT), "too_long", "reason")
    if application.status != ApplicationStatus.submitted:
        raise Refused(_("只有已提交的申报可以退回修改。"), "not_submitted")
    if application.decision is not None:
        raise Refused(_("遴选结果已公布，不能再退回修改。"), "decided")
    application.status = ApplicationStatus.reopened
    audit(actor, "applications.application.reopened", application, before={"status": "submitted"},
          after={"status": ApplicationStatus.reopened.value, "reason": reason})
    db.session.commit()
    return application


def attachment_path(attachment: Attachment) -> Path:
    """Where the file lies: FAIR_UPLOAD_DIR, outside static/, so only the download view serves it."""
    return Path(current_app.config["FAIR_UPLOAD_DIR"]) / attachment.stored_name


def _upload_problem(problem: str, name: str) -> str:
    return {
        "empty": _("“%(name)s”是空文件。", name=name),
        "program": _("“%(name)s”是可执行程序，不是 PDF、JPG 或 PNG 文件，不能上传。", name=name),
        "unknown": _("“%(name)s”不是 PDF、JPG 或 PNG 文件（按文件内容判断，与扩展名无关）。", name=name),
        "damaged": _("“%(name)s”已损坏或不完整，无法打开，请重新导出后上传。", name=name),
    }[problem]


def _plain_name(filename: str) -> str:
    """The name as the applicant knows it, without folders or control characters, for display only."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    return "".join(char for char in name if char.isprintable())[:200]


def add_attachment(application: Application, *, data: bytes, filename: str, kind: AttachmentKind,
                   actor: User | None) -> Attachment:
    """Keep a photo or document whose type its bytes prove (never its name), under a random name."""
    _check_editable(application, "file")
    if len(application.attachments) >= MAX_ATTACHMENTS:
        raise Refused(_("每个项目最多 %(n)d 个附件，请先删除不需要的。", n=MAX_ATTACHMENTS), "too_many", "file")
    name = _plain_name(filename) or _("未命名文件")
    limit = current_app.config["FAIR_MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        raise Refused(_("“%(name)s”超过 %(mb)d MB，请压缩后上传。", name=name, mb=limit // 2**20), "too_large", "file")
    verdict = uploads.inspect(data)
    if verdict.problem:
        raise Refused(_upload_problem(verdict.problem, name), verdict.problem, "file")
    if verdict.content_type not in uploads.IMAGES:
        kind = AttachmentKind.document          # a PDF is never a photo, whichever box was ticked
    attachment = Attachment(application=application, kind=kind, original_name=name, content_type=verdict.content_type,
                            stored_name=secrets.token_hex(16) + uploads.EXTENSIONS[verdict.content_type],
                            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            uploaded_by_id=getattr(actor, "id", None))
    db.session.add(attachment)
    path = attachment_path(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        audit(actor, "applications.attachment.created", attachment, fair=application.fair,
              after={"application_id": application.id, "kind": kind.value, "name": name,
                     "content_type": verdict.content_type, "size": len(data)})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return attachment


def delete_attachment(attachment: Attachment, *, actor: User | None) -> None:
    """Remove a file while its application may still be edited; the row goes first, then the file."""
    application = attachment.application
    _check_editable(application)
    path = attachment_path(attachment)
    audit(actor, "applications.attachment.deleted", attachment, fair=application.fair,
          before={"application_id": application.id, "name": attachment.original_name})
    application.attachments.remove(attachment)
    db.session.commit()
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove %s; it is no longer referenced", path)


# Bulk import: every row checked by the rules above, then all rows saved in one transaction or none.
# Its imports sit here, next to the only part of the module that needs them.
import dataclasses  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from fair.applications import importing  # noqa: E402
from fair.auth import services as auth_services  # noqa: E402

IMPORT_CHUNK = 500          # rows written per flush, and names per IN (...) when looking up organisations


@dataclass
class ImportReport:
    """A dry run's or an import's outcome: the rows, every problem by row and column, what saving does."""

    rows: list[importing.ImportRow]
    problems: list[importing.Problem]
    new_organisations: int = 0
    imported: int = 0


class ImportRefused(Refused):
    """An import turned away whole; `report` says which rows and columns to fix."""

    def __init__(self, report: ImportReport):
        super().__init__(_("发现 %(n)d 处错误，没有导入任何项目。", n=len(report.problems)), "import_invalid")
        self.report = report


def check_import(fair: Fair, table: list[list], *, now: datetime | None = None) -> ImportReport:
    """The dry run: every row checked against the same rules as the form; nothing is written."""
    return _check_import(fair, table, now or utcnow())[0]


def import_applications(fair: Fair, table: list[list], *, actor: User | None, source: str = "",
                        now: datetime | None = None, progress=None) -> ImportReport:
    """Check every row again (a dry run proves nothing about the file now), then save all of them, new
    organisations included, with one audit event each and one for the import, in one transaction.
    `progress(done, total)` is told as rows are saved."""
    report, known = _check_import(fair, table, now or utcnow())
    if report.problems:
        raise ImportRefused(report)
    created: dict[str, Organisation] = {}
    try:
        for start in range(0, len(report.rows), IMPORT_CHUNK):
            _save_rows(fair, report, report.rows[start:start + IMPORT_CHUNK], known, created, actor)
            if progress:
                progress(min(start + IMPORT_CHUNK, len(report.rows)), len(report.rows))
        report.imported, report.new_organisations = len(report.rows), len(created)
        audit(actor, "applications.import.completed", fair, after={
            "source": source, "applications": report.imported, "organisations_created": report.new_organisations})
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Refused(_("导入期间数据发生了变化（例如同一信用代码的单位刚刚登记），请重新检查文件。"),
                      "import_conflict") from None
    except BaseException:
        db.session.rollback()
        raise
    return report


def _save_rows(fair: Fair, report: ImportReport, rows: list[importing.ImportRow], known: dict[str, Organisation],
               created: dict[str, Organisation], actor: User | None) -> None:
    """Add some rows' new organisations and applications, flush them together, then audit each: with the
    ids in place audit() need not flush, so rows and events go to the database a chunk at a time."""
    fresh, applications = [], []
    for row in rows:
        try:
            organisation = known.get(row.organisation.key) or created.get(row.organisation.key)
            if organisation is None:
                organisation = created[row.organisation.key] = _new_organisation(row.organisation)
                fresh.append(organisation)
            application = new_application(fair, organisation, ProjectDetails(**row.project), actor=actor)
        except Refused as refusal:      # a rule the check did not know of when it ran
            report.problems.append(importing.Problem(row.row, importing.FIELD_COLUMNS.get(refusal.field),
                                                     refusal.message))
            raise ImportRefused(report) from None
        if row.status == ApplicationStatus.submitted:
            application.status, application.submitted_at = row.status, row.submitted_at
        db.session.add(application)
        applications.append(application)
    db.session.flush()
    for organisation in fresh:
        audit(actor, "auth.organisation.created", organisation,
              after=snapshot(organisation, auth_services.ORGANISATION_FIELDS), fair=fair)
    for application in applications:
        audit(actor, "applications.application.imported", application, after=snapshot(application, AUDITED_FIELDS))


def _new_organisation(fields: importing.OrganisationFields) -> Organisation:
    with db.session.no_autoflush:       # the check found the code unregistered; its query need not flush first
        return auth_services.new_organisation(
            fields.name, fields.kind, credit_code=fields.credit_code, province=fields.province, city=fields.city,
            district=fields.district, contact_name=fields.contact_name, contact_phone=fields.contact_phone)


def _check_import(fair: Fair, table: list[list], now: datetime) -> tuple[ImportReport, dict[str, Organisation]]:
    parsed = importing.parse_table(table, importing.vocabulary_for(fair), now=now)
    problems = list(parsed.problems)
    known = _known_organisations([row.organisation for row in parsed.rows])
    applied = {(organisation_id, title) for organisation_id, title in db.session.execute(
        sa.select(Application.organisation_id, Application.title).where(Application.fair_id == fair.id))}
    flagged = {(problem.row, problem.column) for problem in problems}
    new = set()
    for row in parsed.rows:
        # A cell that could not be read is reported once, not again as the default it was left at.
        problems.extend(problem for problem in _project_problems(fair, row)
                        if (problem.row, problem.column) not in flagged)
        organisation = known.get(row.organisation.key)
        if organisation is None:
            new.add(row.organisation.key)
        elif (organisation.id, row.project["title"]) in applied:
            problems.append(importing.Problem(row.row, importing.FIELD_COLUMNS["title"],
                                              _("“%(name)s”在本届展会已申报过同名项目。", name=organisation.name)))
    problems.sort(key=lambda problem: problem.row or 0)
    return ImportReport(parsed.rows, problems, len(new)), known


def _known_organisations(wanted: list[importing.OrganisationFields]) -> dict[str, Organisation]:
    """Organisations already registered, by import key: the credit code, else the exact name."""
    codes = sorted({fields.credit_code for fields in wanted if fields.credit_code})
    names = sorted({fields.name for fields in wanted if not fields.credit_code})
    known: dict[str, Organisation] = {}
    for start in range(0, len(codes), IMPORT_CHUNK):
        for organisation in db.session.scalars(
                sa.select(Organisation).where(Organisation.credit_code.in_(codes[start:start + IMPORT_CHUNK]))):
            known[organisation.credit_code] = organisation
    for start in range(0, len(names), IMPORT_CHUNK):
        for organisation in db.session.scalars(
                sa.select(Organisation).where(Organisation.name.in_(names[start:start + IMPORT_CHUNK]))
                .order_by(Organisation.id.desc())):
            known[f"name:{organisation.name}"] = organisation        # the oldest of a name wins
    return known


def _project_problems(fair: Fair, row: importing.ImportRow) -> list[importing.Problem]:
    """Every rule of check_project a row breaks, not just the first: a broken field is set to a
    harmless value and the row checked again, so one round of fixing clears the row."""
    harmless = {"title": "-", "summary": "-", "province": "-", "city": "-", "district": "", "service_targets": "",
                "past_outcomes": "", "beneficiaries": 0, "volunteers": 0, "years_running": 0, "funding_need_fen": 0,
                "support_wanted": [], "category": fair.categories[0] if fair.categories else None}
    details, problems = ProjectDetails(**row.project).cleaned(), []
    while True:
        try:
            check_project(fair, details)
            return problems
        except Refused as refusal:
            problems.append(importing.Problem(row.row, importing.FIELD_COLUMNS.get(refusal.field),
                                              refusal.message))
            if refusal.field not in harmless or getattr(details, refusal.field) == harmless[refusal.field]:
                return problems
            details = dataclasses.replace(details, **{refusal.field: harmless[refusal.field]})
