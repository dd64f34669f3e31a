from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.extensions import db
from fair.times import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One change a person (or the system, when actor is empty) made; written in the change's transaction."""

    __table_args__ = (sa.Index("ix_audit_event_fair_at", "fair_id", "at"),
                      sa.Index("ix_audit_event_object", "object_type", "object_id"))   # an object's timeline

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    fair_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[Optional[str]] = mapped_column(sa.String(40))
    object_label: Mapped[str] = mapped_column(sa.String(200), default="")
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)

    actor = relationship("User", lazy="joined")

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field that differs, for the audit page."""
        before, after = self.before or {}, self.after or {}
        return [(key, before.get(key), after.get(key))
                for key in sorted(set(before) | set(after))
                if before.get(key) != after.get(key)]
