"""Judging: the rubric, the judges with their expertise and ties, who scores what, the scores with their
append-only history, and the award tiers and awards.

Scores are kept per criterion (`ScoreLine`) under one scorecard per judge and project; every change to a
scorecard is also an event (`ScoreEvent`), never updated or deleted, and an event carries the client's
operation id, unique, so a save replayed by a tablet that was offline is recognised and counted once."""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.applications.models import Application
from fair.auth.models import Organisation, User, enum_column
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.times import UTCDateTime, utcnow


class AwardScope(enum.Enum):
    """Where a tier's count applies: to the whole fair, or to each category or each zone."""

    fair = "fair"
    category = "category"
    zone = "zone"

    @property
    def label(self) -> str:
        return str(AWARD_SCOPE_LABELS[self])


AWARD_SCOPE_LABELS = {AwardScope.fair: _l("全展会统一"), AwardScope.category: _l("按服务领域"),
                      AwardScope.zone: _l("按展区")}


class JudgingSetup(db.Model):
    """One fair's judging: how many judges a project gets and where judging stands.

    opened: the rubric is frozen and judges score; locked: only organizers change scores, with a reason;
    frozen: the results are signed off; published: exhibitors see their award."""

    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), primary_key=True)
    judges_per_project: Mapped[int] = mapped_column(default=3)
    award_scope: Mapped[AwardScope] = mapped_column(enum_column(AwardScope), default=AwardScope.fair)
    opened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    locked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    frozen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    frozen_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # people's choice: visitors vote between these two moments; results are hidden until it closes
    voting_opened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    voting_closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    fair: Mapped[Fair] = relationship()
    frozen_by: Mapped[Optional[User]] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def id(self) -> int:
        """The audit log names a row by its id; this one is the fair's."""
        return self.fair_id

    def __str__(self) -> str:
        return f"judging of {self.fair_id}"


class JudgingCriterion(db.Model):
    """A line of the judging rubric (评分标准), scored 0 … `max_points`; `weight` is its share of 100."""

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "name"),
        sa.CheckConstraint("weight > 0 AND max_points BETWEEN 1 AND 100", name="criterion_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[int]
    max_points: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)
    tie_break: Mapped[bool] = mapped_column(default=False)      # the priority criterion of the tie-break

    def __str__(self) -> str:
        return self.name


judge_expertise = sa.Table(
    "judge_expertise",
    db.metadata,
    sa.Column("judge_id", sa.ForeignKey("judge.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class Judge(db.Model):
    """A user judging one fair (评委), with the categories they know and the organisations they belong to.
    `active` false: removed mid-way; their scored pairs stay, the rest go to others."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(120), default="")          # e.g. 南京大学社会学院教授
    zone_ids: Mapped[Optional[list[int]]] = mapped_column(sa.JSON)         # zones they may walk; None: any
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fair: Mapped[Fair] = relationship()
    user: Mapped[User] = relationship()
    expertise: Mapped[list[Category]] = relationship(secondary=judge_expertise, order_by="Category.position")
    affiliations: Mapped[list["JudgeAffiliation"]] = relationship(
        back_populates="judge", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.user.name if self.user else f"judge {self.id}"


class AffiliationKind(enum.Enum):
    employer = "employer"
    member = "member"            # board seat, membership, volunteer role

    @property
    def label(self) -> str:
        return str(AFFILIATION_LABELS[self])


AFFILIATION_LABELS = {AffiliationKind.employer: _l("任职单位"), AffiliationKind.member: _l("其他关联")}


class JudgeAffiliation(db.Model):
    """An organisation a judge works for or belongs to: an organisation row (found by its unified social
    credit code), never a typed name, so a spelling cannot hide a conflict."""

    __table_args__ = (sa.UniqueConstraint("judge_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("judge.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[AffiliationKind] = mapped_column(enum_column(AffiliationKind), default=AffiliationKind.employer)

    judge: Mapped[Judge] = relationship(back_populates="affiliations")
    organisation: Mapped[Organisation] = relationship()


class TieKind(enum.Enum):
    funds = "funds"
    partners = "partners"

    @property
    def label(self) -> str:
        return str(TIE_LABELS[self])


TIE_LABELS = {TieKind.funds: _l("资助"), TieKind.partners: _l("合作")}


class OrganisationTie(db.Model):
    """`organisation` funds or partners with `related`: a judge tied to one is in conflict with the
    other's projects too. Stored once per pair and read both ways, and by every fair (a fact about two
    organisations); only the fair where it was declared (`fair_id`) may remove it."""

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "related_id", "kind"),
        sa.CheckConstraint("organisation_id <> related_id", name="tie_between_two"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    related_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TieKind] = mapped_column(enum_column(TieKind))
    fair_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("fair.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    related: Mapped[Organisation] = relationship(foreign_keys=[related_id])


class DeclarationKind(enum.Enum):
    declared = "declared"        # the judge names a conflict before being assigned
    recused = "recused"          # the judge steps back from an assigned project

    @property
    def label(self) -> str:
        return str(DECLARATION_LABELS[self])


DECLARATION_LABELS = {DeclarationKind.declared: _l("申报回避"), DeclarationKind.recused: _l("主动回避")}


class ConflictDeclaration(db.Model):
    """A conflict a judge (or an organizer for them) declared for one project, with the reason."""

    __table_args__ = (sa.UniqueConstraint("judge_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("judge.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    kind: Mapped[DeclarationKind] = mapped_column(enum_column(DeclarationKind))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    judge: Mapped[Judge] = relationship()
    application: Mapped[Application] = relationship()


class AssignmentSource(enum.Enum):
    solver = "solver"
    manual = "manual"
    dispatch = "dispatch"        # offered to a free judge because the project's award is in doubt
    extra = "extra"              # one more judge requested by the organizer


class JudgeAssignment(db.Model):
    """A judge is to score a project. `locked` keeps the pair through a re-run; `skipped_at` with its
    reason (team absent, conflict) hands the project to another judge."""

    __table_args__ = (sa.UniqueConstraint("judge_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("judge.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    source: Mapped[AssignmentSource] = mapped_column(enum_column(AssignmentSource), default=AssignmentSource.solver)
    locked: Mapped[bool] = mapped_column(default=False)
    walk_order: Mapped[int] = mapped_column(default=0)          # place in the judge's walk
    skipped_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    skip_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    judge: Mapped[Judge] = relationship()
    application: Mapped[Application] = relationship()
    scorecard: Mapped[Optional["Scorecard"]] = relationship(back_populates="assignment", uselist=False)

    def __str__(self) -> str:
        return f"{self.judge} → {self.application.title if self.application else self.application_id}"


class Scorecard(db.Model):
    """A judge's scores for one project; `version` turns two devices' concurrent edits into a conflict."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("judge_assignment.id", ondelete="CASCADE"),
                                               unique=True)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[JudgeAssignment] = relationship(back_populates="scorecard")
    lines: Mapped[list["ScoreLine"]] = relationship(back_populates="scorecard", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return str(self.assignment) if self.assignment else f"scorecard {self.id}"


class ScoreLine(db.Model):
    """The points one criterion got on one scorecard (0 … the criterion's max_points, checked by the service)."""

    __table_args__ = (sa.CheckConstraint("points >= 0", name="points_not_negative"),)

    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("judging_criterion.id", ondelete="CASCADE"),
                                              primary_key=True)
    points: Mapped[int]

    scorecard: Mapped[Scorecard] = relationship(back_populates="lines")
    criterion: Mapped[JudgingCriterion] = relationship()


class ScoreEvent(db.Model):
    """One change to a scorecard, append-only: who, the points before and after, when, and why (an
    organizer's change after the lock needs a reason). `client_op` is the tablet's id for the save."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(30))          # saved, submitted, reopened, organizer_changed
    before: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    after: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    client_op: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Optional[User]] = relationship()


class AwardTier(db.Model):
    """An award tier (特别荣誉奖, 金奖, …), best first by `position`, with how many projects get it
    (in the whole fair, or in each category or zone: JudgingSetup.award_scope)."""

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "name"),
        sa.CheckConstraint("count >= 0", name="tier_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(60), default="")
    position: Mapped[int] = mapped_column(default=0)
    count: Mapped[int]

    def __str__(self) -> str:
        return self.name


class Award(db.Model):
    """A project's award (one per project, a database rule). `reason` is set when an organizer overrode
    the ranking or broke a tie by decision; `certificate_code` is the random code its certificate's QR
    code carries to the public verification page."""

    __table_args__ = (sa.UniqueConstraint("application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("award_tier.id", ondelete="CASCADE"), index=True)
    rank: Mapped[Optional[int]]
    estimate: Mapped[Optional[float]]                 # the ranking's adjusted score, not money
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    certificate_code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
    tier: Mapped[AwardTier] = relationship()

    def __str__(self) -> str:
        return f"{self.tier.name if self.tier else self.tier_id}: {self.application.title if self.application else ''}"


class AwardOverride(db.Model):
    """An organizer's award for one project set by hand before the freeze: a tier, or no award
    (`tier_id` None), with the reason; the ranking's place for it is then ignored."""

    __table_args__ = (sa.UniqueConstraint("application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    tier_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("award_tier.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()

    def __str__(self) -> str:
        return self.application.title if self.application else f"override {self.id}"


class TieDecision(db.Model):
    """The last step of the tie-break cascade: an organizer's order, best first, for projects the
    cascade left equal across a tier cut-off. `members` is their sorted ids, one decision per set."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "members"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    members: Mapped[str] = mapped_column(sa.String(400))        # "12,40,77"
    order: Mapped[list[int]] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"tie {self.members}"


class Vote(db.Model):
    """A visitor's people's-choice vote: one per checked-in ticket and category (a database rule), with
    the address and device it came from so that bursts can be flagged for the organizer."""

    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "category_id"),
        sa.Index("ix_vote_fair_application", "fair_id", "application_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(sa.String(45), default="")       # the client's IP address
    device: Mapped[str] = mapped_column(sa.String(64), default="")        # a random id the phone keeps in a cookie
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
