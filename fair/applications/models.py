import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.auth.models import Organisation, enum_column
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.times import UTCDateTime, utcnow


class ApplicationStatus(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    ApplicationStatus.draft: _l("草稿"),
    ApplicationStatus.submitted: _l("已提交"),
    ApplicationStatus.withdrawn: _l("已撤回"),
}


class Application(db.Model):
    """A project an organisation puts forward for one fair (项目申报)."""

    __table_args__ = (
        sa.Index("ix_application_fair_status", "fair_id", "status"),
        sa.CheckConstraint("funding_need_fen >= 0", name="funding_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"))
    title: Mapped[str] = mapped_column(sa.String(100))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    funding_need_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus), default=ApplicationStatus.draft)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    fair: Mapped[Fair] = relationship()
    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category] = relationship()

    def __str__(self) -> str:
        return self.title
