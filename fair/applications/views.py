"""The organizer's list of applications, an exhibitor's own projects, the application form and page."""
from pathlib import PurePosixPath

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from fair.applications import access, uploads
from fair.applications import services as applying
from fair.applications.forms import ATTACHMENT_KIND_LABELS, ApplicationForm, AttachmentForm, ReopenForm
from fair.applications.listing import UNDECIDED, ListFilters, cities, list_applications
from fair.applications.models import DECISION_LABELS, Application
from fair.applications.models import SUPPORT_LABELS, ApplicationStatus, AttachmentKind, BoothSize, Support
from fair.audit.log import audit
from fair.audit.models import AuditEvent
from fair.auth.forms import ConfirmForm
from fair.auth.models import OrganisationKind, Role
from fair.auth.permissions import deny, fair_role_required
from fair.extensions import db
from fair.forms import show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.times import utcnow

bp = Blueprint("applications", __name__, url_prefix="/fairs/<slug>")

add_fair_nav(20, _l("项目申报"), "applications.index", Role.organizer, Role.reviewer)
add_fair_nav(20, _l("我的项目"), "applications.mine", Role.exhibitor)
PER_PAGE = 50
DECISION_FILTERS = [(decision.value, label) for decision, label in DECISION_LABELS.items()] + [(UNDECIDED, _l("待定"))]


def _with_relations(query):
    return query.options(joinedload(Application.organisation), joinedload(Application.category))


@bp.get("/applications")
@fair_role_required(Role.organizer, Role.reviewer)
def index(fair):
    filters = ListFilters.from_args(request.args)
    listing = list_applications(fair, filters, page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template("applications/index.html", fair=fair, filters=filters, listing=listing,
                           page=listing.page, cities=cities(fair), kinds=list(OrganisationKind),
                           decisions=DECISION_FILTERS, is_organizer=current_user.has_role(fair, Role.organizer))


@bp.get("/my-projects")
@fair_role_required(Role.exhibitor)
def mine(fair):
    applications = []
    if current_user.organisation_id is not None:
        applications = db.session.scalars(_with_relations(
            sa.select(Application).where(Application.fair_id == fair.id,
                                         Application.organisation_id == current_user.organisation_id)
            .order_by(Application.id))).all()
    return render_template("applications/mine.html", fair=fair, applications=applications,
                           window_open=applying.window_open(fair), editable=applying.EDITABLE)


# The application form and page: exhibitors edit their own organisation's projects; organizers and the
# reviewers assigned to a project read it. Another fair's id is a 404, another organisation's a 403.
TIMELINE = {
    "applications.application.created": _l("创建草稿"),
    "applications.application.imported": _l("由组织方导入"),
    "applications.application.updated": _l("修改内容"),
    "applications.application.submitted": _l("申报已提交"),
    "applications.application.withdrawn": _l("申报已撤回"),
    "applications.application.reopened": _l("组织方退回修改"),
}
# Served files: never run as a page, never sniffed into another type.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def _application(fair, application_id: int) -> Application:
    """This fair's application or 404, so no id leads into another fair."""
    return db.first_or_404(_with_relations(sa.select(Application)).options(selectinload(Application.attachments))
                           .where(Application.id == application_id, Application.fair_id == fair.id))


def _own_application(fair, application_id: int) -> Application:
    application = _application(fair, application_id)
    if not access.can_edit(current_user, application):
        deny(_("这不是您单位的项目。"))
    return application


def _locale() -> str:
    return str(get_locale())


def _form_values(application: Application) -> dict:
    """The application as the form's fields hold it: the category by id, the booth size by value."""
    values = {name: getattr(application, name) for name in applying.AUDITED_FIELDS if name not in
              ("category_id", "booth_size", "status", "submitted_at")}
    return {**values, "category": application.category_id, "booth_size": application.booth_size.value}


def _details(form: ApplicationForm, fair) -> applying.ProjectDetails:
    """The form's input as the services take it; their rules decide what is acceptable."""
    texts = {name: getattr(form, name).data or "" for name in applying.TEXT_LIMITS}
    counts = {name: getattr(form, name).data or 0 for name in applying.NUMBER_LIMITS}
    return applying.ProjectDetails(
        **texts, **counts, category=next((c for c in fair.categories if c.id == form.category.data), None),
        support_wanted=[Support(value) for value in form.support_wanted.data or []],
        booth_size=BoothSize(form.booth_size.data), needs_power=form.needs_power.data,
        needs_step_free=form.needs_step_free.data)


def _reopen_reason(application: Application) -> str | None:
    """Why an organizer sent the application back, from the audit event that did it."""
    if application.status != ApplicationStatus.reopened:
        return None
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.fair_id == application.fair_id,
                                    AuditEvent.object_type == "application",
                                    AuditEvent.object_id == str(application.id),
                                    AuditEvent.action == "applications.application.reopened")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))
    return (event.after or {}).get("reason") if event else None


def _form_page(fair, form, application=None, upload_form=None, status: int = 200):
    return render_template(
        "applications/form.html", fair=fair, form=form, application=application,
        upload_form=upload_form or AttachmentForm(formdata=None), kind_labels=ATTACHMENT_KIND_LABELS,
        reopen_reason=_reopen_reason(application) if application else None,
        window_open=applying.window_open(fair), max_mb=current_app.config["FAIR_MAX_UPLOAD_BYTES"] // 2**20), status


def _saved(fair, application, submitted: bool):
    if submitted:
        flash(_("项目“%(title)s”已提交，请等待组织方初审。", title=application.title), "success")
        return redirect(url_for("applications.mine", slug=fair.slug))
    flash(_("草稿已保存。提交前可以随时修改，也可以上传照片和材料。"), "success")
    return redirect(url_for("applications.edit", slug=fair.slug, application_id=application.id))


@bp.route("/applications/new", methods=["GET", "POST"])
@fair_role_required(Role.exhibitor)
def create(fair):
    if current_user.organisation is None:
        deny(_("您的账号尚未关联申报单位，请联系组织方。"))
    form = ApplicationForm(fair=fair, locale=_locale())
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            submitting, at = request.form.get("action") == "submit", utcnow()
            try:
                application = applying.create_application(fair, current_user.organisation, _details(form, fair),
                                                          actor=current_user, at=at)
                if submitting:
                    applying.submit_application(application, actor=current_user, at=at)
            except Refused as refusal:
                show_refusal(form, refusal)
            else:
                return _saved(fair, application, submitting)
    return _form_page(fair, form, status=status)


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@fair_role_required(Role.exhibitor)
def edit(fair, application_id: int):
    application = _own_application(fair, application_id)
    if application.status not in applying.EDITABLE:
        flash(_("申报已提交，不能再修改；如需修改，请联系组织方退回。"), "warning")
        return redirect(url_for("applications.detail", slug=fair.slug, application_id=application.id))
    form = ApplicationForm(data=_form_values(application), fair=fair, locale=_locale())
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            submitting = request.form.get("action") == "submit"
            try:
                applying.update_application(application, _details(form, fair), actor=current_user, submit=submitting)
            except Refused as refusal:
                show_refusal(form, refusal)
            else:
                return _saved(fair, application, submitting)
    return _form_page(fair, form, application, status=status)


@bp.post("/applications/<int:application_id>/attachments")
@fair_role_required(Role.exhibitor)
def upload(fair, application_id: int):
    application = _own_application(fair, application_id)
    upload_form = AttachmentForm()
    if upload_form.validate_on_submit():
        file = upload_form.file.data
        try:
            attachment = applying.add_attachment(application, data=file.read(), filename=file.filename or "",
                                                 kind=AttachmentKind(upload_form.kind.data), actor=current_user)
        except Refused as refusal:
            show_refusal(upload_form, refusal)
        else:
            flash(_("已上传“%(name)s”。", name=attachment.original_name), "success")
            return redirect(url_for("applications.edit", slug=fair.slug, application_id=application.id,
                                    _anchor="attachments"))
    form = ApplicationForm(formdata=None, data=_form_values(application), fair=fair, locale=_locale())
    return _form_page(fair, form, application, upload_form=upload_form, status=400)


def _attachment_of(application: Application, attachment_id: int):
    return next((a for a in application.attachments if a.id == attachment_id), None) or abort(404)


@bp.post("/applications/<int:application_id>/attachments/<int:attachment_id>/delete")
@fair_role_required(Role.exhibitor)
def delete_attachment(fair, application_id: int, attachment_id: int):
    application = _own_application(fair, application_id)
    attachment = _attachment_of(application, attachment_id)
    if ConfirmForm().validate_on_submit():
        name = attachment.original_name
        try:
            applying.delete_attachment(attachment, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
            return redirect(url_for("applications.detail", slug=fair.slug, application_id=application.id))
        flash(_("已删除“%(name)s”。", name=name), "success")
    return redirect(url_for("applications.edit", slug=fair.slug, application_id=application.id,
                            _anchor="attachments"))


def _download_name(attachment, sees_applicant: bool) -> str:
    """The applicant's file name (hidden from blind reviewers), ending in the extension of what it is."""
    extension = uploads.EXTENSIONS[attachment.content_type]
    name = attachment.original_name if sees_applicant else f"attachment-{attachment.id}{extension}"
    suffix = PurePosixPath(name).suffix.lower()
    return name if suffix == extension or (suffix == ".jpeg" and extension == ".jpg") else name + extension


@bp.get("/applications/<int:application_id>/attachments/<int:attachment_id>")
@fair_role_required()
def attachment(fair, application_id: int, attachment_id: int):
    application = _application(fair, application_id)
    if not access.can_view(current_user, application):
        deny(_("您无权查看此项目的附件。"))
    attachment = _attachment_of(application, attachment_id)
    path = applying.attachment_path(attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, conditional=True, max_age=0,
                         as_attachment=attachment.content_type not in uploads.IMAGES,
                         download_name=_download_name(attachment, access.sees_applicant(current_user, application)))
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _detail_page(fair, application: Application, reopen_form=None, status: int = 200):
    if not access.can_view(current_user, application):
        deny(_("您无权查看此项目。"))
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.fair_id == fair.id, AuditEvent.object_type == "application",
                                    AuditEvent.object_id == str(application.id))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    owner = access.owns(current_user, application)
    return render_template(
        "applications/detail.html", fair=fair, application=application, events=events, timeline=TIMELINE,
        owner=owner, can_edit=access.can_edit(current_user, application),
        editable=application.status in applying.EDITABLE,
        sees_applicant=access.sees_applicant(current_user, application),
        is_organizer=current_user.has_role(fair, Role.organizer), reopen_form=reopen_form or ReopenForm(formdata=None),
        kind_labels=ATTACHMENT_KIND_LABELS, support_labels={kind.value: label for kind, label in SUPPORT_LABELS.items()}
    ), status


@bp.get("/applications/<int:application_id>")
@fair_role_required()
def detail(fair, application_id: int):
    return _detail_page(fair, _application(fair, application_id))


@bp.post("/applications/<int:application_id>/reopen")
@fair_role_required(Role.organizer)
def reopen(fair, application_id: int):
    application = _application(fair, application_id)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            applying.reopen_application(application, form.reason.data, actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("已退回申报单位修改，对方修改后需重新提交。"), "success")
            return redirect(url_for("applications.detail", slug=fair.slug, application_id=application.id))
    return _detail_page(fair, application, reopen_form=form, status=400)


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@fair_role_required(Role.exhibitor)
def withdraw(fair, application_id: int):
    """A page that asks first: withdrawing cannot be undone."""
    application = _own_application(fair, application_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            applying.withdraw_application(application, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
        else:
            flash(_("项目“%(title)s”已撤回。", title=application.title), "success")
        return redirect(url_for("applications.mine", slug=fair.slug))
    return render_template("applications/withdraw.html", fair=fair, application=application, form=form)


# Data in and out, organizers only: exports of any filtered list, the import template, the import.
# Their imports sit here, next to the part of the module that needs them.
import io  # noqa: E402
from datetime import date  # noqa: E402

from fair.applications import exporting, staging  # noqa: E402
from fair.applications.import_forms import ImportConfirmForm, ImportUploadForm  # noqa: E402
from fair.applications.importing import unreadable_message  # noqa: E402
from fair.applications.listing import all_applications  # noqa: E402
from fair.applications.spreadsheet import UnreadableFile, read_table  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PROBLEMS = 500            # a report longer than this lists the first ones and says how many more
PREVIEW_ROWS = 20


def _download(content: bytes, mimetype: str, name: str):
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name,
                     max_age=0)


def _export_name(fair, extension: str) -> str:
    return f"{fair.slug}-applications-{date.today():%Y%m%d}.{extension}"


def _audit_export(fair, applications: list, fmt: str) -> None:
    """Contacts' names and phones leave the system in this file: who took how many rows is recorded."""
    audit(current_user, "applications.exported", fair, fair=fair, after={"count": len(applications), "format": fmt})
    db.session.commit()


@bp.get("/applications/export.xlsx")
@fair_role_required(Role.organizer)
def export_xlsx(fair):
    applications = all_applications(fair, ListFilters.from_args(request.args))
    content = exporting.export_xlsx(applications, fair.timezone)
    _audit_export(fair, applications, "xlsx")         # after the file: the commit expires what it read
    return _download(content, XLSX, _export_name(fair, "xlsx"))


@bp.get("/applications/export.csv")
@fair_role_required(Role.organizer)
def export_csv(fair):
    applications = all_applications(fair, ListFilters.from_args(request.args))
    content = exporting.export_csv(applications, fair.timezone)
    _audit_export(fair, applications, "csv")
    return _download(content, "text/csv", _export_name(fair, "csv"))


@bp.get("/applications/import/template.xlsx")
@fair_role_required(Role.organizer)
def import_template(fair):
    content = exporting.template_xlsx([category.name for category in fair.categories])
    return _download(content, XLSX, f"{fair.slug}-import-template.xlsx")


def _import_page(fair, form, *, report=None, token=None, refusal=None, status=200):
    return render_template("applications/import.html", fair=fair, form=form, report=report, token=token,
                           confirm=ImportConfirmForm(token=token), refusal=refusal, shown=SHOWN_PROBLEMS,
                           preview=PREVIEW_ROWS), status


@bp.get("/applications/import")
@fair_role_required(Role.organizer)
def import_start(fair):
    return _import_page(fair, ImportUploadForm())


@bp.post("/applications/import")
@fair_role_required(Role.organizer)
def import_check(fair):
    """The dry run: read and check the upload, keep it for the confirmation, show every row's problems."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _import_page(fair, form, status=400)
    content, filename = form.file.data.read(), form.file.data.filename or ""
    try:
        report = applying.check_import(fair, read_table(content))
    except UnreadableFile as unreadable:
        form.file.errors.append(unreadable_message(str(unreadable)))
        return _import_page(fair, form, status=400)
    token = staging.stage(fair, content, filename) if not report.problems else None
    return _import_page(fair, form, report=report, token=token, status=200 if token else 422)


@bp.post("/applications/import/confirm")
@fair_role_required(Role.organizer)
def import_confirm(fair):
    form = ImportConfirmForm()
    kept = staging.staged(fair, form.token.data) if form.validate_on_submit() else None
    if kept is None:
        flash(_("待确认的文件已过期或已被新的上传替换，请重新上传。"), "warning")
        return redirect(url_for("applications.import_start", slug=fair.slug))
    content, filename = kept
    table = read_table(content)
    if len(table) - 1 > INLINE_ROWS:
        return _import_in_background(fair, content, filename)
    try:
        report = applying.import_applications(fair, table, actor=current_user, source=filename)
    except Refused as refusal:          # the data changed since the dry run: it is shown again, to upload anew
        staging.discard(fair)
        return _import_page(fair, ImportUploadForm(), report=getattr(refusal, "report", None), refusal=refusal,
                            status=409)
    staging.discard(fair)
    flash(_("已导入 %(n)d 个项目，新建 %(m)d 个申报单位。", n=report.imported, m=report.new_organisations),
          "success")
    return redirect(url_for("applications.index", slug=fair.slug))


# A large import runs as a job: the same service, with progress; its file is the import's summary.
import re  # noqa: E402
import secrets  # noqa: E402
import time  # noqa: E402

from fair import exports  # noqa: E402
from fair.jobs import runner  # noqa: E402
from fair.jobs.models import Job  # noqa: E402

INLINE_ROWS = 200               # more rows than this are imported by a background job, with progress
IMPORT_JOB = "applications.import"
UPLOADS = "imports"             # under the jobs folder: kept until the import succeeds, so a retry has the file
KEEP_UPLOAD_SECONDS = 14 * 86400
UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{32}$")
PROBLEMS_IN_ERROR = 5


def _import_in_background(fair, content: bytes, filename: str):
    """Hand the confirmed file to a job. It is kept apart from the job's own folder, which a failed job
    loses: a retry reads the same file again, checked again in full."""
    upload = secrets.token_urlsafe(24)
    folder = _uploads_folder()
    _sweep_uploads(folder)
    (folder / f"{upload}.upload").write_bytes(content)
    staging.discard(fair)
    job = runner.enqueue(fair, IMPORT_JOB, {"upload": upload, "source": filename[:120],
                                            "back": url_for("applications.index", slug=fair.slug)}, current_user)
    return redirect(url_for("jobs.job", slug=fair.slug, job_id=job.id))


def _uploads_folder():
    folder = runner.jobs_folder() / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep_uploads(folder) -> None:
    """Files of imports that failed and were never retried go after KEEP_UPLOAD_SECONDS."""
    oldest = time.time() - KEEP_UPLOAD_SECONDS
    for path in folder.glob("*.upload"):
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


def import_job(context: runner.JobContext) -> runner.Result:
    """The import in one transaction as on the page, by the organizer who confirmed it; a refusal fails the
    job with its first problems and writes nothing. The file is removed once the rows are in."""
    upload = context.params.get("upload", "")
    path = _uploads_folder() / f"{upload}.upload"
    if not UPLOAD_NAME.match(upload) or not path.is_file():
        raise runner.JobError(_("导入文件已不在服务器上，请重新上传。"))
    table = read_table(path.read_bytes())
    actor = db.session.get(Job, context.job_id).created_by
    context.progress(0, max(0, len(table) - 1), _("正在检查文件"))
    try:
        report = applying.import_applications(context.fair, table, actor=actor, source=context.params["source"],
                                              progress=_rows_saved(context))
    except applying.ImportRefused as refusal:
        raise runner.JobError(_refusal_text(refusal)) from None
    path.unlink(missing_ok=True)
    return runner.Result(exports.csv_bytes(_import_summary(context, report)),
                         f"{context.fair.slug}-import-{context.job_id}.csv", exports.CSV_MIMETYPE)


def _rows_saved(context: runner.JobContext):
    """Progress as rows are saved. SQLite has one writer at a time, and the import holds it until its
    commit, so the progress row (written on its own connection) could only wait: there the bar moves at
    the start and the end."""
    if db.engine.dialect.name == "sqlite":
        return None
    return lambda done, total: context.progress(done, total, _("正在导入"))


def _refusal_text(refusal) -> str:
    problems = refusal.report.problems
    lines = [_("第 %(row)s 行 %(column)s：%(message)s", row=problem.row or "—", column=problem.column or "",
               message=problem.message) for problem in problems[:PROBLEMS_IN_ERROR]]
    more = [_("另有 %(n)d 处。", n=len(problems) - PROBLEMS_IN_ERROR)] if len(problems) > PROBLEMS_IN_ERROR else []
    return " ".join([refusal.message, *lines, *more])


def _import_summary(context: runner.JobContext, report) -> exports.Table:
    table = exports.Table(_("导入结果"), [
        exports.Column(_("文件")), exports.Column(_("导入项目数"), exports.NUMBER),
        exports.Column(_("新建申报单位数"), exports.NUMBER)], timezone=context.fair.timezone)
    table.rows.append([context.params["source"], report.imported, report.new_organisations])
    return table


runner.register(IMPORT_JOB, import_job, _l("批量导入项目"))
