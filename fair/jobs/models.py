import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.auth.models import User, enum_column
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import UTCDateTime, utcnow


class JobStatus(enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str(JOB_STATUS_LABELS[self])


JOB_STATUS_LABELS = {
    JobStatus.queued: _l("排队中"),
    JobStatus.running: _l("进行中"),
    JobStatus.done: _l("已完成"),
    JobStatus.failed: _l("失败"),
    JobStatus.cancelled: _l("已取消"),
}


class Job(db.Model):
    """A piece of long work a person asked for: what (`kind` and its `params`), how far (`done` of
    `total`, `message`), and how it ended (a result file under the instance folder, or the error).

    A worker claims a queued job by moving it to running in one UPDATE that checks it is still queued,
    so two workers never run one job; `cancel_requested_at` asks a running job to stop at its next step."""

    __table_args__ = (
        sa.Index("ix_job_status_created", "status", "created_at"),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="progress_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))             # e.g. "judging.certificates"
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.queued)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    result_path: Mapped[str] = mapped_column(sa.String(300), default="")     # relative to the jobs folder
    result_name: Mapped[str] = mapped_column(sa.String(200), default="")     # the download's file name
    result_type: Mapped[str] = mapped_column(sa.String(80), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancel_requested_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(sa.String(80), default="")           # host:pid of the worker running it

    fair: Mapped[Optional[Fair]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()

    def __str__(self) -> str:
        return f"{self.kind} #{self.id}"
