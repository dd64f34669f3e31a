"""Sponsorship: sponsors' profiles and bookmarks, the negotiation area's tables and time slots, meetings,
agreements with their two signatures and payments, and caring units (爱心单位).

The rules that concurrency could break are database rules here: one profile per organisation and fair;
no table, sponsor or project in two live meetings of one slot (partial unique indexes over the live
statuses); one signature per party and agreement; one open draft per agreement series."""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.applications.models import Application
from fair.auth.models import Organisation, User, enum_column
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import UTCDateTime, utcnow


class SponsorProfile(db.Model):
    """What a sponsoring organisation (enterprise, foundation, social-work agency) offers in one fair.
    Its representatives are the organisation's users who hold the sponsor role in the fair."""

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "organisation_id"),
        sa.CheckConstraint("budget_min_fen >= 0 AND budget_max_fen >= budget_min_fen", name="budget_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    introduction: Mapped[str] = mapped_column(sa.Text, default="")
    focus_category_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)         # city names, e.g. "南京市"
    budget_min_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    budget_max_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    support_offered: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # Support values
    wants: Mapped[str] = mapped_column(sa.Text, default="")                   # what they want to see
    contact_name: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    fair: Mapped[Fair] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.organisation.name if self.organisation else f"sponsor {self.id}"


class Bookmark(db.Model):
    """A sponsor's shortlist of projects to look at."""

    __table_args__ = (sa.UniqueConstraint("sponsor_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsor_id: Mapped[int] = mapped_column(sa.ForeignKey("sponsor_profile.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sponsor: Mapped[SponsorProfile] = relationship()
    application: Mapped[Application] = relationship()

    @property
    def fair(self) -> Fair:
        return self.sponsor.fair

    def __str__(self) -> str:
        return f"{self.sponsor} → {self.application.title if self.application else self.application_id}"


class MeetingTable(db.Model):
    """A table in the fair's negotiation area (洽谈区)."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    fair: Mapped[Fair] = relationship()

    def __str__(self) -> str:
        return self.name


class MeetingSlot(db.Model):
    """A time slot for meetings, in UTC; slots of one fair do not overlap (checked by the service)."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "starts_at"),
                      sa.CheckConstraint("ends_at > starts_at", name="slot_in_order"))

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    fair: Mapped[Fair] = relationship()

    def __str__(self) -> str:
        return self.starts_at.isoformat()


class Side(enum.Enum):
    """The two parties of a meeting or an agreement."""

    sponsor = "sponsor"
    exhibitor = "exhibitor"

    @property
    def label(self) -> str:
        return str(SIDE_LABELS[self])


SIDE_LABELS = {Side.sponsor: _l("支持方"), Side.exhibitor: _l("参展单位")}


class MeetingStatus(enum.Enum):
    requested = "requested"      # waiting for the other side (or for the organizer's scheduling)
    accepted = "accepted"
    declined = "declined"
    cancelled = "cancelled"
    held = "held"                # checked in by QR at the table or booth
    no_show = "no_show"

    @property
    def label(self) -> str:
        return str(MEETING_STATUS_LABELS[self])


MEETING_STATUS_LABELS = {
    MeetingStatus.requested: _l("待回复"),
    MeetingStatus.accepted: _l("已确认"),
    MeetingStatus.declined: _l("已婉拒"),
    MeetingStatus.cancelled: _l("已取消"),
    MeetingStatus.held: _l("已洽谈"),
    MeetingStatus.no_show: _l("未到场"),
}
# A meeting in one of these holds its slot: its table, its sponsor and its project are taken then.
LIVE_MEETING = ("requested", "accepted", "held")
_LIVE = sa.text("status IN ('requested', 'accepted', 'held') AND slot_id IS NOT NULL")


def _live_unique(name: str, *columns: str) -> sa.Index:
    return sa.Index(name, "slot_id", *columns, unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE)


class Meeting(db.Model):
    """A face-to-face meeting between a sponsor and a project's team, at a negotiation table or at the
    project's booth (`table_id` None) in one slot; `slot_id` None while it waits for the organizer's
    scheduling. `code` is the random code of its check-in QR."""

    __table_args__ = (
        _live_unique("uq_meeting_table_slot", "table_id"),
        _live_unique("uq_meeting_sponsor_slot", "sponsor_id"),
        _live_unique("uq_meeting_project_slot", "application_id"),
        sa.Index("ix_meeting_fair_status", "fair_id", "status"),
        sa.Index("ix_meeting_slot", "slot_id"),        # a day's grid, a slot's free tables (any status)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))
    sponsor_id: Mapped[int] = mapped_column(sa.ForeignKey("sponsor_profile.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    requested_by_side: Mapped[Side] = mapped_column(enum_column(Side, name="meeting_requested_by"))
    requested_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(enum_column(MeetingStatus), default=MeetingStatus.requested)
    slot_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("meeting_slot.id", ondelete="RESTRICT"))
    table_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("meeting_table.id", ondelete="RESTRICT"))
    at_booth: Mapped[bool] = mapped_column(default=False)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    answered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    answer_note: Mapped[str] = mapped_column(sa.Text, default="")
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    fair: Mapped[Fair] = relationship()
    sponsor: Mapped[SponsorProfile] = relationship()
    application: Mapped[Application] = relationship()
    slot: Mapped[Optional[MeetingSlot]] = relationship()
    table: Mapped[Optional[MeetingTable]] = relationship()
    requested_by: Mapped[Optional[User]] = relationship(foreign_keys=[requested_by_id])

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        title = self.application.title if self.application else self.application_id
        return f"{self.sponsor} × {title}"


class AgreementStatus(enum.Enum):
    """intent (draft, sponsor_signed) → signed; an amendment's countersignature supersedes the version
    it amends; a cancelled agreement keeps its reason."""

    draft = "draft"
    sponsor_signed = "sponsor_signed"
    signed = "signed"
    superseded = "superseded"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str(AGREEMENT_STATUS_LABELS[self])


AGREEMENT_STATUS_LABELS = {
    AgreementStatus.draft: _l("草拟"),
    AgreementStatus.sponsor_signed: _l("支持方已签"),
    AgreementStatus.signed: _l("已签约"),
    AgreementStatus.superseded: _l("已被修订"),
    AgreementStatus.cancelled: _l("已取消"),
}
_OPEN_DRAFT = sa.text("status IN ('draft', 'sponsor_signed')")


class Agreement(db.Model):
    """One version of a support agreement between a sponsor and a project. Versions of one agreement
    share `number`; an amendment is a new version (`amends_id`). Amounts in fen: `amount_fen` of money,
    `in_kind_value_fen` the value of goods, volunteers, venue or services. Once a party has signed, the
    text is fixed: each signature holds the SHA-256 of the exact text it confirmed."""

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "number", "revision"),
        sa.Index("uq_agreement_open_draft", "fair_id", "number", unique=True,
                 sqlite_where=_OPEN_DRAFT, postgresql_where=_OPEN_DRAFT),
        sa.Index("ix_agreement_fair_status", "fair_id", "status"),
        sa.CheckConstraint("amount_fen >= 0 AND in_kind_value_fen >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("amount_fen + in_kind_value_fen > 0", name="something_given"),
        sa.CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(sa.String(20))          # e.g. XY-0001, shared by its versions
    revision: Mapped[int] = mapped_column(default=1)
    amends_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agreement.id", ondelete="SET NULL"))
    sponsor_id: Mapped[int] = mapped_column(sa.ForeignKey("sponsor_profile.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("meeting.id", ondelete="SET NULL"))
    status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus), default=AgreementStatus.draft)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    support_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)    # Support values
    in_kind_value_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    in_kind_description: Mapped[str] = mapped_column(sa.Text, default="")
    period_start: Mapped[date]
    period_end: Mapped[date]
    terms: Mapped[str] = mapped_column(sa.Text, default="")
    # The exact text as the sponsor signed it: fixed from then on, even if a party or the project is
    # renamed later; the countersignature, the PDF and the verification page use it.
    signed_text: Mapped[Optional[str]] = mapped_column(sa.Text)
    drafted_by_side: Mapped[Side] = mapped_column(enum_column(Side, name="agreement_drafted_by"))
    drafted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    signed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)       # the countersignature's time
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    verification_code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    fair: Mapped[Fair] = relationship()
    sponsor: Mapped[SponsorProfile] = relationship()
    application: Mapped[Application] = relationship()
    amends: Mapped[Optional["Agreement"]] = relationship(remote_side=[id])
    signatures: Mapped[list["Signature"]] = relationship(
        back_populates="agreement", order_by="Signature.signed_at", cascade="all, delete-orphan")
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="agreement", order_by="Payment.paid_on", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.number} v{self.revision}"

    @property
    def total_value_fen(self) -> int:
        return self.amount_fen + self.in_kind_value_fen


class Signature(db.Model):
    """One party's confirmation of one agreement version, by a logged-in representative: who, when, and
    the SHA-256 of the exact text confirmed. One per party and agreement, a database rule."""

    __table_args__ = (sa.UniqueConstraint("agreement_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement.id", ondelete="CASCADE"))
    side: Mapped[Side] = mapped_column(enum_column(Side, name="signature_side"))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    signer_name: Mapped[str] = mapped_column(sa.String(80))        # kept as signed, if the user changes later
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    address: Mapped[str] = mapped_column(sa.String(45), default="")

    agreement: Mapped[Agreement] = relationship(back_populates="signatures")
    user: Mapped[Optional[User]] = relationship()

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.side.value}"


class Payment(db.Model):
    """An instalment the sponsor paid on a signed agreement, as recorded with its date."""

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="payment_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(sa.String(80), default="")     # bank transfer number, receipt
    recorded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="payments")

    @property
    def fair(self) -> Fair:
        return self.agreement.fair

    def __str__(self) -> str:
        return f"{self.agreement} · {self.amount_fen}"


class CaringUnit(db.Model):
    """An organisation the organizer recognises as a caring unit (爱心单位) of the fair, with the citation
    its certificate prints and the random code the certificate's QR carries."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    citation: Mapped[str] = mapped_column(sa.Text, default="")
    certificate_code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    designated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fair: Mapped[Fair] = relationship()
    organisation: Mapped[Organisation] = relationship()

    def __str__(self) -> str:
        return self.organisation.name if self.organisation else f"caring unit {self.id}"
