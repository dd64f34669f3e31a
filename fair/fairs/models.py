import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.auth.models import Role, enum_column
from fair.extensions import db
from fair.times import UTCDateTime, start_of_day, utcnow


class Phase(enum.Enum):
    """A fair moves through these in order; an organizer may step forward or back one at a time."""

    draft = "draft"
    applications_open = "applications_open"
    screening = "screening"
    preparation = "preparation"
    live = "live"
    closed = "closed"

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self])

    @property
    def position(self) -> int:
        return list(Phase).index(self)

    def neighbours(self) -> list["Phase"]:
        order = list(Phase)
        return [order[i] for i in (self.position - 1, self.position + 1) if 0 <= i < len(order)]


PHASE_LABELS = {
    Phase.draft: _l("筹备草稿"),
    Phase.applications_open: _l("申报开放"),
    Phase.screening: _l("初审遴选"),
    Phase.preparation: _l("布展准备"),
    Phase.live: _l("展会进行"),
    Phase.closed: _l("已闭幕"),
}

# The default service areas of a volunteer-service fair, with their English names.
DEFAULT_CATEGORIES = [
    ("助老", "Elderly care"),
    ("助残", "Disability support"),
    ("青少年", "Children and youth"),
    ("环保", "Environment"),
    ("社区治理", "Community governance"),
    ("应急救援", "Emergency response"),
    ("文化", "Culture"),
    ("医疗健康", "Health care"),
    ("扶贫济困", "Poverty relief"),
    ("其他", "Other"),
]


class Fair(db.Model):
    """One edition of the fair (展示交流会)."""

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint("applications_close_at > applications_open_at", name="window_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    city: Mapped[str] = mapped_column(sa.String(60))
    venue: Mapped[str] = mapped_column(sa.String(120))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    applications_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applications_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    phase: Mapped[Phase] = mapped_column(enum_column(Phase), default=Phase.draft)
    # screening and shortlisting settings
    reviewers_per_application: Mapped[int] = mapped_column(default=2)
    blind_screening: Mapped[bool] = mapped_column(default=False)
    shortlist_size: Mapped[Optional[int]]
    # what exhibitors need to know to set up their booth (move-in times, loading bay, what the booth has)
    setup_notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list["Category"]] = relationship(
        back_populates="fair", order_by="Category.position", cascade="all, delete-orphan")
    memberships = relationship("Membership", back_populates="fair", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name

    @property
    def opens_at(self) -> datetime:
        """The first moment of the fair, in UTC."""
        return start_of_day(self.starts_on, self.timezone)

    def members(self, role: Role):
        return [m.user for m in self.memberships if m.role == role]


class Category(db.Model):
    """A service area (服务领域) projects apply under and zones accept."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(60), default="")
    position: Mapped[int] = mapped_column(default=0)

    fair: Mapped[Fair] = relationship(back_populates="categories")

    def __str__(self) -> str:
        return self.name

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name
