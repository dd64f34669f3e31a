"""Long work outside the request: the registry of job kinds, and the verbs a person or a worker applies to a
job (enqueue, claim, run, cancel, retry).

A kind is a function `work(context) -> Result`. It reads what it needs through `db.session`, reports how far
it is with `context.progress(done, total, message)` (or iterates `context.each(items)`), and returns the
file. Progress is written on a connection of its own, in a short transaction, so the browser sees it while
the job's own session goes on reading; the same write tells the job whether someone asked it to stop, and
then `Cancelled` ends it at that step. The function runs inside a request context built from the
requester's address and language, so `url_for(..., _external=True)` and `_()` work as they did on the page.

Where the work happens: `FAIR_JOBS_INLINE` runs a job as soon as it is queued, inside the request (tests,
tiny installs); otherwise a worker claims it: `fair jobs work`, or the thread `ensure_worker_thread` starts
in the web process unless `FAIR_JOBS_THREAD` is off (on by default, so `fair demo` needs no second command)."""
import os
import re
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import force_locale, get_locale, gettext as _

from fair.audit.log import audit, snapshot
from fair.extensions import db
from fair.fairs.models import Fair
from fair.jobs.models import Job, JobStatus
from fair.refusal import Refused
from fair.times import utcnow

FINISHED = (JobStatus.done, JobStatus.failed, JobStatus.cancelled)
AUDITED = ("status", "attempts")


class Cancelled(Exception):
    """Raised between steps when the job was asked to stop; the runner ends it as cancelled."""


class Interrupted(Cancelled):
    """The worker is shutting down: the job goes back to the queue instead of ending."""


class JobError(Exception):
    """A failure whose message (translated) is meant for the person who asked for the job."""


@dataclass(frozen=True)
class Result:
    content: bytes
    name: str                                      # the download's file name
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Kind:
    work: Callable[["JobContext"], Result]
    label: Any                                     # lazy string, shown in the jobs list


KINDS: dict[str, Kind] = {}


def register(kind: str, work: Callable[["JobContext"], Result], label: Any = None) -> None:
    """Make `kind` runnable; each area registers its kinds when its views module is imported."""
    KINDS[kind] = Kind(work, label or kind)


def kind_label(kind: str) -> str:
    found = KINDS.get(kind)
    return str(found.label) if found else kind


def jobs_folder(app: Flask | None = None) -> Path:
    return Path((app or current_app).instance_path) / "jobs"


def result_file(job: Job) -> Path | None:
    """The finished job's file, if it is still there."""
    if job.status is not JobStatus.done or not job.result_path:
        return None
    path = jobs_folder() / job.result_path
    return path if path.is_file() else None


def is_expired(job: Job) -> bool:
    """A done job whose file `retention.clean_results` removed (it clears result_path)."""
    return job.status is JobStatus.done and not job.result_path


def _remove_files(job_id: int) -> None:
    shutil.rmtree(jobs_folder() / str(job_id), ignore_errors=True)


# ---- the verbs a person triggers ------------------------------------------------------------------------

def enqueue(fair: Fair | None, kind: str, params: dict, actor) -> Job:
    """Queue a job; the requester's address and language go with it, for links and words in the result."""
    if kind not in KINDS:
        raise Refused(_("未知的任务类型。"), "unknown_kind")
    context = {"base_url": request.host_url, "locale": str(get_locale())} if has_request_context() else {}
    job = Job(fair=fair, kind=kind, params={**context, **params}, status=JobStatus.queued, created_by=actor,
              created_at=utcnow())
    db.session.add(job)
    audit(actor, "jobs.job.queued", job, after={"kind": kind, "params": params}, fair=fair)
    db.session.commit()
    dispatch(job)
    return job


def find_unfinished(fair: Fair | None, kind: str, params: dict) -> Job | None:
    """The same work already queued or running (a second click joins it instead of doing it twice)."""
    rows = db.session.scalars(sa.select(Job).where(
        Job.fair_id == (fair.id if fair else None), Job.kind == kind,
        Job.status.in_([JobStatus.queued, JobStatus.running]), Job.cancel_requested_at.is_(None))
        .order_by(Job.id.desc())).all()
    return next((job for job in rows if all(job.params.get(key) == value for key, value in params.items())), None)


def cancel(job: Job, actor) -> Job:
    """A queued job ends at once; a running one is asked to stop and ends at its next step."""
    before = snapshot(job, AUDITED)
    now = utcnow()
    stopped = _update(job, [JobStatus.queued], status=JobStatus.cancelled, finished_at=now, cancel_requested_at=now,
                      message=_("已取消")) or _update(job, [JobStatus.running], cancel_requested_at=now,
                                                     message=_("正在取消…"))
    if not stopped:
        raise Refused(_("该任务已经结束，不能取消。"), "finished")
    audit(actor, "jobs.job.cancelled", job, before=before, after=snapshot(job, AUDITED))
    db.session.commit()
    return job


def retry(job: Job, actor) -> Job:
    """A failed or cancelled job, or a done one whose result expired, is queued again from the start."""
    before = snapshot(job, AUDITED)
    retryable = [JobStatus.failed, JobStatus.cancelled] + ([JobStatus.done] if is_expired(job) else [])
    if not _update(job, retryable, status=JobStatus.queued, done=0, total=0,
                   message="", error="", result_path="", result_name="", result_type="", started_at=None,
                   finished_at=None, cancel_requested_at=None, worker="", created_at=utcnow()):
        raise Refused(_("只有失败或已取消的任务可以重试。"), "not_retryable")
    audit(actor, "jobs.job.retried", job, before=before, after=snapshot(job, AUDITED))
    db.session.commit()
    dispatch(job)
    return job


def _update(job: Job, statuses: list[JobStatus], **values) -> bool:
    """Change the job only if it is still in one of `statuses`: one UPDATE, so a worker's claim in between
    cannot be overwritten."""
    changed = db.session.execute(sa.update(Job).where(Job.id == job.id, Job.status.in_(statuses)).values(**values)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(job)
    return changed == 1


# ---- where the work runs ---------------------------------------------------------------------------------

def dispatch(job: Job) -> None:
    if current_app.config["FAIR_JOBS_INLINE"]:
        claimed = claim(job.id, f"inline:{os.getpid()}")
        if claimed is not None:
            run(claimed)
    else:
        dispatch_pending()


def dispatch_pending() -> None:
    """Make sure this process has a worker thread, unless a separate `fair jobs work` is the plan."""
    if current_app.config["FAIR_JOBS_THREAD"] and not current_app.config["FAIR_JOBS_INLINE"]:
        ensure_worker_thread(current_app._get_current_object())


_thread_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


def ensure_worker_thread(app: Flask) -> None:
    """One worker thread per process and app, started on first need (the demo server's jobs get done
    without a separate `fair jobs work`)."""
    from fair.jobs.worker import work

    with _thread_lock:
        thread = _threads.get(id(app))
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=work, args=(app,), kwargs={"name": f"{worker_name()}:thread"},
                                  name="fair-jobs", daemon=True)
        _threads[id(app)] = thread
        thread.start()


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def claim_next(worker: str) -> Job | None:
    """The oldest queued job, now running for `worker`; None when the queue is empty."""
    for job_id in _candidates():
        job = claim(job_id, worker)
        if job is not None:
            return job
    return None


def _candidates(limit: int = 5) -> list[int]:
    ids = db.session.scalars(sa.select(Job.id).where(Job.status == JobStatus.queued)
                             .order_by(Job.created_at, Job.id).limit(limit)).all()
    db.session.rollback()                          # no read transaction held while others write
    return list(ids)


def claim(job_id: int, worker: str) -> Job | None:
    """Move one queued job to running in one UPDATE that checks it is still queued: of two workers that
    chose the same job, one changes the row and the other changes nothing."""
    changed = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.queued)
        .values(status=JobStatus.running, started_at=utcnow(), worker=worker[:80], attempts=Job.attempts + 1,
                message=_("开始处理…"))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return db.session.get(Job, job_id, populate_existing=True) if changed == 1 else None


def release_abandoned(host: str | None = None) -> int:
    """Jobs left running by a process of this host that no longer exists (killed, machine restarted) fail,
    so they can be retried instead of showing "running" for ever."""
    host = host or socket.gethostname()[:60]
    running = db.session.execute(sa.select(Job.id, Job.worker).where(Job.status == JobStatus.running)).all()
    gone = [job_id for job_id, worker in running if _is_gone(worker, host)]
    if gone:
        db.session.execute(sa.update(Job).where(Job.id.in_(gone), Job.status == JobStatus.running).values(
            status=JobStatus.failed, finished_at=utcnow(), error=_("处理任务的进程已中断，请重试。")))
        for job_id in gone:
            _remove_files(job_id)
    db.session.commit()
    return len(gone)


def _is_gone(worker: str, host: str) -> bool:
    parts = worker.split(":")
    if len(parts) < 2 or parts[0] != host or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ---- running one job -------------------------------------------------------------------------------------

class JobContext:
    """What a kind's function gets: the job's parameters and fair, progress reporting and the stop check."""

    def __init__(self, job: Job, *, stopping: threading.Event | None = None,
                 echo: Callable[[Job, int, int, str], None] | None = None):
        self.job_id = job.id
        self.fair = job.fair
        self.params = dict(job.params or {})
        self.folder = jobs_folder() / str(job.id)
        self._stopping = stopping
        self._echo = echo
        self._engine = db.engine

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Record how far the job is, in its own transaction; stop here if someone asked for it."""
        with self._engine.begin() as connection:
            connection.execute(sa.update(Job).where(Job.id == self.job_id).values(
                done=max(0, min(done, total)), total=max(0, total), message=str(message)[:200]))
        if self._echo:
            self._echo(self.job_id, done, total, str(message))
        if self.cancelled():
            raise Interrupted() if self._stopping is not None and self._stopping.is_set() else Cancelled()

    def cancelled(self) -> bool:
        if self._stopping is not None and self._stopping.is_set():
            return True
        with self._engine.connect() as connection:
            return connection.scalar(sa.select(Job.cancel_requested_at).where(Job.id == self.job_id)) is not None

    def each(self, items: Iterable, message: str = "", *, steps: int = 100) -> Iterator:
        """Yield the items, reporting progress about `steps` times in all (and stopping if asked)."""
        items = list(items)
        every = max(1, len(items) // steps)
        self.progress(0, len(items), message)
        for index, item in enumerate(items):
            yield item
            if (index + 1) % every == 0 or index + 1 == len(items):
                self.progress(index + 1, len(items), message)


def run(job: Job, *, stopping: threading.Event | None = None, echo=None) -> Job:
    """Do a claimed job to its end: done with its file, cancelled, back in the queue (worker stopping) or
    failed with a message for the user. Partial files never outlive a job that did not finish."""
    job_id = job.id
    kind = KINDS.get(job.kind)
    context = JobContext(job, stopping=stopping, echo=echo)
    try:
        if kind is None:
            raise JobError(_("未知的任务类型：%(kind)s", kind=job.kind))
        with _request_context(job):
            result = kind.work(context)
            name = _safe_name(result.name)
            context.folder.mkdir(parents=True, exist_ok=True)
            (context.folder / name).write_bytes(result.content)
            db.session.rollback()
            _finish(job_id, status=JobStatus.done, result_path=f"{job_id}/{name}", result_name=result.name[:200],
                    result_type=result.content_type[:80], message=_("已完成"), done=Job.total,
                    finished_at=utcnow())
    except Interrupted:
        _abandon(job_id, status=JobStatus.queued, message=_("工作进程停止，任务已重新排队。"), started_at=None,
                 worker="", done=0)
    except Cancelled:
        _abandon(job_id, status=JobStatus.cancelled, message=_("已取消"))
    except (JobError, Refused) as failure:
        _abandon(job_id, status=JobStatus.failed, error=str(getattr(failure, "message", failure)))
    except Exception:                               # noqa: BLE001  the user sees a sentence; the log has the trace
        current_app.logger.exception("job %s failed", job_id)
        _abandon(job_id, status=JobStatus.failed, error=_("生成时出错。可以重试；如果仍然失败，请联系管理员。"))
    return db.session.get(Job, job_id, populate_existing=True)


def _abandon(job_id: int, **values) -> None:
    db.session.rollback()
    _remove_files(job_id)
    if values["status"] is not JobStatus.queued:
        values["finished_at"] = utcnow()
    _finish(job_id, **values)


def _finish(job_id: int, **values) -> None:
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


class _request_context:
    """The request the job's function sees: the requester's host (for external links) and language."""

    def __init__(self, job: Job):
        self.job = job
        self.stack = []

    def __enter__(self):
        params = self.job.params or {}
        if not has_request_context():
            self.stack.append(current_app.test_request_context(base_url=params.get("base_url") or None))
        self.stack.append(force_locale(params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]))
        for manager in self.stack:
            manager.__enter__()
        g.fair = self.job.fair
        return self

    def __exit__(self, *exc):
        for manager in reversed(self.stack):
            manager.__exit__(*exc)
        return False


def _safe_name(name: str) -> str:
    """The name on disk: ASCII letters, digits, dot, dash and underscore (the download keeps the real one)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "result"
    return cleaned[:120]
