"""The fair's background jobs for organizers: the list, one job's page (its progress bar polls `job_json`
through static/js/jobs.js), the download, cancel and retry. Other areas start their long work with
`offer` (a page with one button, so a plain link never starts work by itself) and `start`."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload

from fair.auth.models import Role
from fair.auth.permissions import deny, fair_role_required
from fair.extensions import db
from fair.fairs.models import Fair
from fair.jobs import runner
from fair.jobs.models import Job, JobStatus
from fair.navigation import add_fair_nav
from fair.refusal import Refused

bp = Blueprint("jobs", __name__, url_prefix="/fairs/<slug>/jobs")
add_fair_nav(92, _l("后台任务"), "jobs.index", Role.organizer, also=("jobs.job",), group="settings")
PER_PAGE = 50
SMALL_BATCH = 30                 # pages a batch link still sends at once; more go through a job


class ActionForm(FlaskForm):
    """Only the CSRF token: the job is in the URL."""


def _job(fair: Fair, job_id: int) -> Job:
    """The fair's job, to its organizers or the person who asked for it; another fair's id does not exist."""
    job = db.session.get(Job, job_id)
    if job is None or job.fair_id != fair.id:
        abort(404)
    if job.created_by_id != current_user.id and not current_user.has_role(fair, Role.organizer):
        deny(_("只有本展会的组织者或发起人可以查看此任务。"))
    return job


def job_state(fair: Fair, job: Job) -> dict:
    """What the job page shows, as its JSON: the figures, the words, and which buttons apply."""
    finished = job.status in runner.FINISHED
    percent = 100 if job.status is JobStatus.done else (job.done * 100 // job.total if job.total else 0)
    return {
        "id": job.id,
        "kind": job.kind,
        "label": runner.kind_label(job.kind),
        "status": job.status.value,
        "status_label": job.status.label,
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "message": job.message,
        "error": job.error,
        "finished": finished,
        "cancelling": job.status is JobStatus.running and job.cancel_requested_at is not None,
        "download_url": url_for("jobs.download", slug=fair.slug, job_id=job.id)
        if job.status is JobStatus.done and job.result_path else None,
        "can_cancel": job.status in (JobStatus.queued, JobStatus.running) and job.cancel_requested_at is None,
        "can_retry": job.status in (JobStatus.failed, JobStatus.cancelled) or runner.is_expired(job),
    }


@bp.get("/")
@fair_role_required(Role.organizer)
def index(fair: Fair):
    query = (sa.select(Job).where(Job.fair_id == fair.id).options(joinedload(Job.created_by))
             .order_by(Job.id.desc()))
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("jobs/index.html", fair=fair, page=page, states={job.id: job_state(fair, job)
                                                                           for job in page.items})


@bp.get("/<int:job_id>")
@fair_role_required()
def job(fair: Fair, job_id: int):
    found = _job(fair, job_id)
    if found.status is JobStatus.queued:
        runner.dispatch_pending()
    return render_template("jobs/job.html", fair=fair, job=found, state=job_state(fair, found),
                           is_organizer=current_user.has_role(fair, Role.organizer), back_url=back_url(found))


def back_url(job: Job) -> str | None:
    """The page the job was started from (`back` in its params), if it is a path of this site."""
    back = str((job.params or {}).get("back") or "")
    return back if back.startswith("/") and not back.startswith("//") else None


@bp.get("/<int:job_id>.json")
@fair_role_required()
def job_json(fair: Fair, job_id: int):
    return job_state(fair, _job(fair, job_id))


@bp.get("/<int:job_id>/download")
@fair_role_required()
def download(fair: Fair, job_id: int):
    found = _job(fair, job_id)
    if runner.is_expired(found):
        return _expired(fair, found)
    path = runner.result_file(found)
    if path is None:
        abort(404, description=_("此任务没有可下载的文件。"))
    try:
        response = send_file(path, mimetype=found.result_type or "application/octet-stream", as_attachment=True,
                             download_name=found.result_name or path.name, max_age=0)
    except FileNotFoundError:                       # removed by the cleaner since the check above
        return _expired(fair, found)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _expired(fair: Fair, found: Job):
    """An old link to a removed result: the job's page, which offers to run it again, says why."""
    flash(_("结果已过期，请重新生成"), "warning")
    return redirect(url_for("jobs.job", slug=fair.slug, job_id=found.id))


@bp.post("/<int:job_id>/cancel")
@fair_role_required()
def cancel(fair: Fair, job_id: int):
    return _act(fair, _job(fair, job_id), runner.cancel, _("已取消任务。"))


@bp.post("/<int:job_id>/retry")
@fair_role_required()
def retry(fair: Fair, job_id: int):
    return _act(fair, _job(fair, job_id), runner.retry, _("任务已重新排队。"))


def _act(fair: Fair, found: Job, verb, done_message: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        verb(found, current_user)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "danger")
    else:
        flash(done_message, "success")
    return redirect(url_for("jobs.job", slug=fair.slug, job_id=found.id))


# ---- for the areas whose batches run as jobs ---------------------------------------------------------------

def offer(fair: Fair, *, title: str, summary: str, back_url: str):
    """The page a batch link opens: what will be made, and the button (a POST to the same URL) that starts it."""
    return render_template("jobs/start.html", fair=fair, title=title, summary=summary, back_url=back_url,
                           form=ActionForm())


def start(fair: Fair, kind: str, params: dict):
    """Queue the work (or join the same work already under way) and go to its page."""
    if not ActionForm().validate_on_submit():
        abort(400)
    found = runner.find_unfinished(fair, kind, params) or runner.enqueue(fair, kind, params, current_user)
    return redirect(url_for("jobs.job", slug=fair.slug, job_id=found.id))
