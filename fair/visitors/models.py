"""Visitors: tickets, the points where they are scanned, every scan (admitted or refused), who is inside
each area now, and the scanning devices.

Exactly once is the database's job: a check-in that may happen once per fair (or once per day) carries a
`once_key` naming the point, the ticket (and the day), unique, so two gates scanning the same ticket at
the same instant get one row and one refusal whatever the timing; a retried request carries the same
device nonce, unique per device, and is answered from the row it already made."""
import enum
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.applications.models import Application
from fair.auth.models import User, enum_column
from fair.booths.models import Booth
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import UTCDateTime, utcnow


class VisitorKind(enum.Enum):
    public = "public"
    volunteer = "volunteer"
    group = "group"              # a school or organised group, with a group size
    media = "media"
    guest = "guest"

    @property
    def label(self) -> str:
        return str(VISITOR_KIND_LABELS[self])


VISITOR_KIND_LABELS = {VisitorKind.public: _l("普通观众"), VisitorKind.volunteer: _l("志愿者"),
                       VisitorKind.group: _l("学校或团体"), VisitorKind.media: _l("媒体"),
                       VisitorKind.guest: _l("嘉宾")}


class TicketSource(enum.Enum):
    online = "online"            # the visitor registered on their phone
    imported = "imported"        # an organizer's group list
    walk_in = "walk_in"          # registered at the gate
    reissued = "reissued"


class Ticket(db.Model):
    """A visitor's ticket (入场码). `code` is the random ticket id inside the signed QR payload
    (tickets.py); the QR's signature lets a device check it without the server."""

    __table_args__ = (
        # One live ticket per phone number and fair (revoked ones and phone-less group passes aside): the
        # database, not a check before the insert, keeps two simultaneous registrations from both landing.
        sa.Index("uq_ticket_fair_phone_live", "fair_id", "phone", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL AND phone <> ''"),
                 postgresql_where=sa.text("revoked_at IS NULL AND phone <> ''")),
        sa.CheckConstraint("group_size >= 1", name="group_has_someone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    phone: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[VisitorKind] = mapped_column(enum_column(VisitorKind), default=VisitorKind.public)
    group_name: Mapped[str] = mapped_column(sa.String(120), default="")
    group_size: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    source: Mapped[TicketSource] = mapped_column(enum_column(TicketSource), default=TicketSource.online)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    replaces_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("ticket.id", ondelete="SET NULL"))

    fair: Mapped[Fair] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.code[:6]}…)"


class Area(db.Model):
    """A place whose occupancy is counted (the venue, a zone, an activity ground). Entering it may check
    the visitor out of `leaves_area` (entering zone B leaves zone A)."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    capacity: Mapped[Optional[int]]
    leaves_area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("area.id", ondelete="SET NULL"))

    def __str__(self) -> str:
        return self.name


class PointKind(enum.Enum):
    entry = "entry"              # a venue gate, inbound
    exit = "exit"                # a venue gate, outbound
    activity = "activity"        # an outdoor experience activity
    class_ = "class"             # 志愿课堂
    salon = "salon"              # 志愿沙龙
    booth = "booth"              # a visit to a booth

    @property
    def label(self) -> str:
        return str(POINT_KIND_LABELS[self])


POINT_KIND_LABELS = {PointKind.entry: _l("入口"), PointKind.exit: _l("出口"), PointKind.activity: _l("户外体验活动"),
                     PointKind.class_: _l("志愿课堂"), PointKind.salon: _l("志愿沙龙"), PointKind.booth: _l("展位")}


class Policy(enum.Enum):
    once = "once"                # once per fair
    daily = "daily"              # once per day
    unlimited = "unlimited"      # any number of times (with exits)

    @property
    def label(self) -> str:
        return str(POLICY_LABELS[self])


POLICY_LABELS = {Policy.once: _l("每届一次"), Policy.daily: _l("每天一次"), Policy.unlimited: _l("不限次数")}


class CheckinPoint(db.Model):
    """Where tickets are scanned, with its rule (policy, opening hours in the fair's timezone, capacity,
    advance registration) and the area it lets people into (or out of, for an exit)."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    kind: Mapped[PointKind] = mapped_column(enum_column(PointKind, name="point_kind"))
    policy: Mapped[Policy] = mapped_column(enum_column(Policy), default=Policy.daily)
    area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("area.id", ondelete="SET NULL"))
    capacity: Mapped[Optional[int]]                         # a session's seats (classes, salons)
    needs_registration: Mapped[bool] = mapped_column(default=False)
    offline_allowed: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[Optional[time]]                        # daily, local time
    closes_at: Mapped[Optional[time]]
    booth_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("booth.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)

    area: Mapped[Optional[Area]] = relationship()
    booth: Mapped[Optional[Booth]] = relationship()

    def __str__(self) -> str:
        return self.name


class Registration(db.Model):
    """A visitor's seat booked in advance for a class or salon that needs it."""

    __table_args__ = (sa.UniqueConstraint("point_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_point.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Device(db.Model):
    """A scanning device or gate terminal: a bearer token (kept as its SHA-256 only) for some points."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    point_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return self.name


class Checkin(db.Model):
    """One scan, admitted (`reason` "ok") or refused with its reason code; refused scans keep the raw code.

    once_key: "point:ticket" (once per fair) or "point:ticket:day" (once per day) on admitted scans,
    unique: the database keeps a ticket from being admitted twice. (device_id, nonce) unique: a retried
    request finds its first answer. `conflict`: admitted offline by a second device after another had
    admitted it, for the organizer's conflict list."""

    __table_args__ = (
        sa.UniqueConstraint("device_id", "nonce"),
        sa.Index("ix_checkin_point_time", "point_id", "recorded_at"),
        sa.Index("ix_checkin_ticket", "ticket_id"),
        # The console's tallies (people admitted per point, per hour) read this index alone.
        sa.Index("ix_checkin_tally", "fair_id", "reason", "point_id", "scanned_at", "people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))  # ix_checkin_tally leads
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_point.id", ondelete="CASCADE"))
    ticket_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(20))          # ok, already_redeemed, invalid, revoked, ...
    people: Mapped[int] = mapped_column(default=1)
    day: Mapped[date]                                           # the fair's local day of the scan
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the device's time (offline scans)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    once_key: Mapped[Optional[str]] = mapped_column(sa.String(60), unique=True)
    device_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("device.id", ondelete="SET NULL"))
    staff_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    nonce: Mapped[Optional[str]] = mapped_column(sa.String(64))
    raw_code: Mapped[str] = mapped_column(sa.String(200), default="")
    offline: Mapped[bool] = mapped_column(default=False)
    conflict: Mapped[bool] = mapped_column(default=False)

    point: Mapped[CheckinPoint] = relationship()
    ticket: Mapped[Optional[Ticket]] = relationship()


class Presence(db.Model):
    """Who is inside an area now (a group counts `people`): a row per ticket and area, unique, so
    "inside now" is a sum the database keeps exact."""

    __table_args__ = (sa.UniqueConstraint("area_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"))  # (area, ticket) indexes it
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"))
    people: Mapped[int] = mapped_column(default=1)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoothVisit(db.Model):
    """A ticket holder at a project's booth: the visit, a bookmark, and contact details only if the
    visitor chose to leave them for the project team."""

    __table_args__ = (sa.UniqueConstraint("ticket_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    bookmarked: Mapped[bool] = mapped_column(default=False)
    shared_name: Mapped[str] = mapped_column(sa.String(60), default="")
    shared_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    shared_note: Mapped[str] = mapped_column(sa.Text, default="")
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    application: Mapped[Application] = relationship()


class FairKey(db.Model):
    """The fair's Ed25519 key pair for ticket signatures: devices get the public key to check codes
    offline. The private key stays in the database, encrypted under the app's secret key."""

    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[int] = mapped_column(default=1)             # in the payload: a rotated key is told apart
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    private_key_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    created_by: Mapped[Optional[User]] = relationship()
