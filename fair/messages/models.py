from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair.auth.models import Organisation, User
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import UTCDateTime, utcnow


class Message(db.Model):
    """A message to an organisation's users or to one person: in the inbox at once, e-mailed when SMTP is set."""

    __table_args__ = (sa.Index("ix_message_organisation_created", "organisation_id", "created_at"),
                      sa.Index("ix_message_user_created", "user_id", "created_at"),
                      sa.CheckConstraint("(organisation_id IS NULL) <> (user_id IS NULL)", name="one_recipient"))

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    # to every user of an organisation (an applicant), or to one person (a reviewer)
    organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))          # e.g. "shortlist.decision", "screening.reminder"
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    emailed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)    # null: not (yet) sent by SMTP
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    fair: Mapped[Fair] = relationship()
    organisation: Mapped[Optional[Organisation]] = relationship()
    user: Mapped[Optional[User]] = relationship()

    def __str__(self) -> str:
        return self.subject
