"""Old result files go, so the instance folder does not grow for ever (a signage batch is megabytes, and
organizers make it again and again): a finished job's folder is removed `FAIR_JOB_RESULTS_DAYS` after it
finished, and a folder whose job row is gone (its fair was deleted) at once. A done job keeps its row, with
its result_path cleared and a message that the result expired; its page then offers to run it again.

Safe beside another cleaner, the workers and the web: a job is marked expired by an UPDATE that checks it
still qualifies, a file or folder someone else removed first is skipped, the folders of queued, running and
recent jobs are left alone, and a file written after the clean began (a job retried meanwhile) is never
removed."""
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from fair.extensions import db
from fair.jobs.models import Job, JobStatus
from fair.jobs.runner import FINISHED, jobs_folder
from fair.times import utcnow

CLEAN_SECONDS = 3600.0
MARKER = ".cleaned"              # its modification time is the last automatic clean, for every process


@dataclass(frozen=True)
class Cleaned:
    expired: int                 # done jobs whose result is now gone
    folders: int
    bytes: int

    def __str__(self) -> str:
        return (f"Removed {self.folders} folder(s), {self.bytes} bytes ({self.bytes / 1024 / 1024:.1f} MB); "
                f"{self.expired} job result(s) expired")


def clean_if_due(every: float = CLEAN_SECONDS) -> Cleaned | None:
    """`clean_results` at most once per `every` seconds across all the processes sharing the instance
    folder (the worker loop asks about every second; a stat is all it costs then)."""
    marker = jobs_folder() / MARKER
    try:
        if time.time() - marker.stat().st_mtime < every:
            return None
    except FileNotFoundError:                      # the first clean here
        pass
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return clean_results()


def clean_results(days: int | None = None) -> Cleaned:
    """Expire the results of jobs that finished more than `days` (FAIR_JOB_RESULTS_DAYS) ago and remove
    their folders, and the folders of no job."""
    days = current_app.config["FAIR_JOB_RESULTS_DAYS"] if days is None else days
    began = time.time() - 1                        # a file's time may lag the clock by a tick
    cutoff = utcnow() - timedelta(days=days)
    expired = _expire(cutoff)
    folders = freed = 0
    for folder in _removable(cutoff):
        size, removed = _remove(folder, began)
        freed += size
        folders += removed
    return Cleaned(expired, folders, freed)


def _expire(cutoff: datetime) -> int:
    """Mark the done jobs finished before `cutoff` as expired, the message in the requester's language."""
    qualifies = (Job.status == JobStatus.done, Job.result_path != "", Job.finished_at < cutoff)
    rows = db.session.execute(sa.select(Job.id, Job.params).where(*qualifies)).all()
    db.session.rollback()                          # no read transaction held into the writes (SQLite)
    by_locale = defaultdict(list)
    for job_id, params in rows:
        by_locale[(params or {}).get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]].append(job_id)
    count = 0
    for locale, job_ids in by_locale.items():      # one UPDATE per language, not per job
        with force_locale(locale):
            message = _("结果已过期，请重新生成")
        count += db.session.execute(sa.update(Job).where(Job.id.in_(job_ids), *qualifies)
                                    .values(result_path="", message=message)
                                    .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count


def _removable(cutoff: datetime) -> list[Path]:
    """The job folders whose job finished before `cutoff` or has no row; other names (the applications'
    `imports/`, the marker) are not ours. The folder is listed before the rows are read, and a job's row is
    committed before its folder is made, so a missing row means a deleted job, not one being made."""
    try:
        folders = {int(entry.name): Path(entry.path) for entry in os.scandir(jobs_folder())
                   if entry.name.isdigit() and entry.is_dir(follow_symlinks=False)}
    except FileNotFoundError:
        return []
    db.session.rollback()                          # read the rows as they are now, after the listing
    keep = set(db.session.scalars(sa.select(Job.id).where(sa.or_(
        Job.status.not_in(FINISHED), Job.finished_at.is_(None), Job.finished_at >= cutoff))))
    db.session.rollback()
    return [folder for job_id, folder in sorted(folders.items()) if job_id not in keep]


def _remove(folder: Path, before: float) -> tuple[int, bool]:
    """Delete the folder's files last written before `before`, then its folders left empty; returns the
    bytes freed and whether the folder itself went."""
    freed, removed, top = 0, False, str(folder)
    for parent, _dirs, files in os.walk(top, topdown=False):
        for name in files:
            path = os.path.join(parent, name)
            try:
                stat = os.lstat(path)
                if stat.st_mtime < before:
                    os.unlink(path)
                    freed += stat.st_size
            except FileNotFoundError:              # another cleaner took it first
                pass
        try:
            os.rmdir(parent)
        except OSError:                            # gone already, or it holds a file written since
            continue
        removed = removed or parent == top
    return freed, removed
