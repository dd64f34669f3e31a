import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.auth.models import Organisation, User, enum_column
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.times import UTCDateTime, utcnow


class ApplicationStatus(enum.Enum):
    """The applicant's side of the lifecycle; the organizer's outcome is `Decision`."""

    draft = "draft"
    submitted = "submitted"
    reopened = "reopened"      # an organizer let the applicant edit again; it must be resubmitted
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    ApplicationStatus.draft: _l("草稿"),
    ApplicationStatus.submitted: _l("已提交"),
    ApplicationStatus.reopened: _l("退回修改"),
    ApplicationStatus.withdrawn: _l("已撤回"),
}


class Decision(enum.Enum):
    """The published outcome of shortlisting."""

    shortlisted = "shortlisted"
    waitlisted = "waitlisted"
    rejected = "rejected"

    @property
    def label(self) -> str:
        return str(DECISION_LABELS[self])


DECISION_LABELS = {
    Decision.shortlisted: _l("入围"),
    Decision.waitlisted: _l("候补"),
    Decision.rejected: _l("未入围"),
}


class Support(enum.Enum):
    """Kinds of support a project asks for (and a sponsor offers)."""

    funds = "funds"
    goods = "goods"
    volunteers = "volunteers"
    venue = "venue"
    professional = "professional"

    @property
    def label(self) -> str:
        return str(SUPPORT_LABELS[self])


SUPPORT_LABELS = {
    Support.funds: _l("资金"),
    Support.goods: _l("物资"),
    Support.volunteers: _l("志愿者"),
    Support.venue: _l("场地"),
    Support.professional: _l("专业服务"),
}


class BoothSize(enum.Enum):
    standard = "standard"
    double = "double"

    @property
    def label(self) -> str:
        return str(BOOTH_SIZE_LABELS[self])


BOOTH_SIZE_LABELS = {BoothSize.standard: _l("标准展位"), BoothSize.double: _l("双展位")}


class Application(db.Model):
    """A project an organisation puts forward for one fair (项目申报). Its history is its audit events."""

    __table_args__ = (
        sa.Index("ix_application_fair_status", "fair_id", "status"),
        sa.Index("ix_application_fair_city", "fair_id", "city"),
        sa.CheckConstraint("funding_need_fen >= 0", name="funding_not_negative"),
        sa.CheckConstraint("volunteers >= 0 AND beneficiaries >= 0 AND years_running >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # where the project serves: province / city / district
    province: Mapped[str] = mapped_column(sa.String(20), default="")
    city: Mapped[str] = mapped_column(sa.String(30), default="")
    district: Mapped[str] = mapped_column(sa.String(30), default="")
    service_targets: Mapped[str] = mapped_column(sa.Text, default="")
    beneficiaries: Mapped[int] = mapped_column(default=0)
    volunteers: Mapped[int] = mapped_column(default=0)
    years_running: Mapped[int] = mapped_column(default=0)
    past_outcomes: Mapped[str] = mapped_column(sa.Text, default="")
    funding_need_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    support_wanted: Mapped[list[str]] = mapped_column(sa.JSON, default=list)      # Support values
    booth_size: Mapped[BoothSize] = mapped_column(enum_column(BoothSize), default=BoothSize.standard)
    needs_power: Mapped[bool] = mapped_column(default=False)
    needs_step_free: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus), default=ApplicationStatus.draft)
    decision: Mapped[Optional[Decision]] = mapped_column(enum_column(Decision))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    fair: Mapped[Fair] = relationship()
    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="application", order_by="Attachment.id", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.title

    @property
    def region(self) -> str:
        return "".join((self.province, self.city, self.district))


class AttachmentKind(enum.Enum):
    photo = "photo"
    document = "document"


class Attachment(db.Model):
    """A photo or document of an application, stored outside static/ under a random name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind))
    original_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(60))     # sniffed from the content, not the name
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="attachments")

    def __str__(self) -> str:
        return self.original_name


class DuplicateCandidate(db.Model):
    """Two applications that look like the same project submitted twice, for the organizer to settle."""

    __table_args__ = (sa.UniqueConstraint("application_id", "other_id"),
                      sa.CheckConstraint("application_id < other_id", name="pair_ordered"))

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    similarity: Mapped[float]        # 0..1, a text similarity, not money
    resolution: Mapped[Optional[str]] = mapped_column(sa.String(20))      # "not_duplicate", "merged", "rejected"
    resolved_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(foreign_keys=[application_id])
    other: Mapped[Application] = relationship(foreign_keys=[other_id])

    def __str__(self) -> str:
        return f"{self.application_id} ≈ {self.other_id}"


class ScreeningCriterion(db.Model):
    """One line of the screening rubric: scored 0–10, weighted."""

    __table_args__ = (sa.CheckConstraint("weight > 0", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    weight: Mapped[int]              # relative weight, e.g. 30 of 100
    position: Mapped[int] = mapped_column(default=0)

    fair: Mapped[Fair] = relationship()

    def __str__(self) -> str:
        return self.name


class ReviewAssignment(db.Model):
    """A reviewer's task to screen one application; done when `submitted_at` is set."""

    __table_args__ = (sa.UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship()
    scores: Mapped[list["ReviewScore"]] = relationship(back_populates="assignment", cascade="all, delete-orphan")

    @property
    def fair(self) -> Fair:
        return self.application.fair

    def __str__(self) -> str:
        return f"{self.reviewer.name} · {self.application.title}"


class ReviewScore(db.Model):
    """One criterion's points (0–10) in one review; saved as the reviewer goes."""

    __table_args__ = (sa.UniqueConstraint("assignment_id", "criterion_id"),
                      sa.CheckConstraint("points >= 0 AND points <= 10", name="points_in_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("review_assignment.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("screening_criterion.id", ondelete="CASCADE"))
    points: Mapped[int]

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="scores")
    criterion: Mapped[ScreeningCriterion] = relationship()


class QuotaDimension(enum.Enum):
    category = "category"
    city = "city"


class Quota(db.Model):
    """At least `minimum` and at most `maximum` shortlisted projects of one category or one city."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "dimension", "key"),
                      sa.CheckConstraint("minimum >= 0", name="minimum_not_negative"),
                      sa.CheckConstraint("maximum IS NULL OR maximum >= minimum", name="maximum_not_below_minimum"))

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[QuotaDimension] = mapped_column(enum_column(QuotaDimension))
    key: Mapped[str] = mapped_column(sa.String(40))      # the category id, or the city's name
    minimum: Mapped[int] = mapped_column(default=0)
    maximum: Mapped[Optional[int]]

    fair: Mapped[Fair] = relationship()

    def __str__(self) -> str:
        return f"{self.dimension.value}:{self.key}"


class Placement(enum.Enum):
    shortlist = "shortlist"
    waitlist = "waitlist"
    out = "out"


class ShortlistEntry(db.Model):
    """Where the proposal puts one application, and the organizer's override with its reason."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    score: Mapped[Optional[float]]          # severity-corrected screening score, not money
    proposed: Mapped[Placement] = mapped_column(enum_column(Placement))
    waitlist_rank: Mapped[Optional[int]]
    override: Mapped[Optional[Placement]] = mapped_column(enum_column(Placement, name="placement_override"))
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")

    application: Mapped[Application] = relationship()

    @property
    def placement(self) -> Placement:
        return self.override or self.proposed

    def __str__(self) -> str:
        return f"{self.application.title}: {self.placement.value}"
