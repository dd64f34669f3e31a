"""The floor plan (halls, themed zones, booths) and which shortlisted project stands on which booth.

Positions and sizes are whole metres on the hall's plan, origin at the hall's top-left corner: booths
come in 3 m steps and aisles in metres, and whole numbers keep the overlap checks exact."""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.applications.models import Application, BoothSize
from fair.auth.models import User, enum_column
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.times import UTCDateTime, utcnow


class Hall(db.Model):
    """A hall (展馆) or an outdoor area, drawn as a rectangle `width` × `depth` metres."""

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "name"),
        sa.CheckConstraint("width > 0 AND depth > 0", name="hall_has_area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(60), default="")
    width: Mapped[int]               # metres, left to right on the plan
    depth: Mapped[int]               # metres, top to bottom on the plan
    position: Mapped[int] = mapped_column(default=0)

    fair: Mapped[Fair] = relationship()
    zones: Mapped[list["Zone"]] = relationship(back_populates="hall", order_by="Zone.position, Zone.id")
    booths: Mapped[list["Booth"]] = relationship(back_populates="hall", order_by="Booth.code")

    def __str__(self) -> str:
        return self.name


zone_category = sa.Table(
    "zone_category",
    db.metadata,
    sa.Column("zone_id", sa.ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class Zone(db.Model):
    """A themed zone (展区) in one hall; it accepts projects of one or more categories."""

    __table_args__ = (sa.UniqueConstraint("fair_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(60), default="")
    colour: Mapped[str] = mapped_column(sa.String(7), default="#4e79a7")      # #rrggbb on the plan
    position: Mapped[int] = mapped_column(default=0)

    hall: Mapped[Hall] = relationship(back_populates="zones")
    categories: Mapped[list[Category]] = relationship(secondary=zone_category, order_by="Category.position")
    booths: Mapped[list["Booth"]] = relationship(back_populates="zone", order_by="Booth.code")

    def __str__(self) -> str:
        return self.name


class BoothStatus(enum.Enum):
    """Shown on the plan; derived from the booth, not stored."""

    free = "free"
    assigned = "assigned"
    locked = "locked"

    @property
    def label(self) -> str:
        return str(BOOTH_STATUS_LABELS[self])


BOOTH_STATUS_LABELS = {BoothStatus.free: _l("空闲"), BoothStatus.assigned: _l("已分配"), BoothStatus.locked: _l("已锁定")}


class Booth(db.Model):
    """A booth (展位) with its code, its rectangle on the hall's plan and what it offers.

    `application_id` is the project standing on it (unique: a project has one booth); `locked` keeps that
    pair through the next automatic allocation. `version` makes two organizers' concurrent changes to one
    booth conflict instead of overwriting each other (SQLAlchemy's version counter)."""

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "code"),
        sa.UniqueConstraint("application_id"),
        sa.CheckConstraint("x >= 0 AND y >= 0 AND width > 0 AND depth > 0", name="booth_has_area"),
        sa.CheckConstraint("NOT locked OR application_id IS NOT NULL", name="locked_booth_has_project"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    hall_id: Mapped[int] = mapped_column(sa.ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zone.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(12))
    x: Mapped[int]
    y: Mapped[int]
    width: Mapped[int]
    depth: Mapped[int]
    size: Mapped[BoothSize] = mapped_column(enum_column(BoothSize), default=BoothSize.standard)
    corner: Mapped[bool] = mapped_column(default=False)
    power: Mapped[bool] = mapped_column(default=False)
    step_free: Mapped[bool] = mapped_column(default=False)
    application_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("application.id", ondelete="SET NULL"))
    locked: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    hall: Mapped[Hall] = relationship(back_populates="booths")
    zone: Mapped[Zone] = relationship(back_populates="booths")
    application: Mapped[Optional[Application]] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def status(self) -> BoothStatus:
        if self.locked:
            return BoothStatus.locked
        return BoothStatus.assigned if self.application_id else BoothStatus.free

    def __str__(self) -> str:
        return self.code


class AllocationRun(db.Model):
    """One automatic allocation: the weights it used and what it reached, for the organizer to compare."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    weights: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    projects: Mapped[int] = mapped_column(default=0)
    locked: Mapped[int] = mapped_column(default=0)
    objective: Mapped[float] = mapped_column(default=0.0)      # the solver's objective, not money
    optimal: Mapped[bool] = mapped_column(default=False)
    side_by_side: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)

    actor: Mapped[Optional[User]] = relationship()
