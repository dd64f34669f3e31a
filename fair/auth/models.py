import enum
import hashlib
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from fair.extensions import db
from fair.times import UTCDateTime, utcnow


class OrganisationKind(enum.Enum):
    volunteer = "volunteer"
    enterprise = "enterprise"
    foundation = "foundation"
    social_work = "social_work"
    government = "government"

    @property
    def label(self) -> str:
        return str(ORGANISATION_KIND_LABELS[self])


ORGANISATION_KIND_LABELS = {
    OrganisationKind.volunteer: _l("志愿服务组织"),
    OrganisationKind.enterprise: _l("爱心企业"),
    OrganisationKind.foundation: _l("慈善基金会"),
    OrganisationKind.social_work: _l("社工机构"),
    OrganisationKind.government: _l("政府单位"),
}


class Role(enum.Enum):
    organizer = "organizer"
    reviewer = "reviewer"
    judge = "judge"
    sponsor = "sponsor"
    exhibitor = "exhibitor"
    gate_staff = "gate_staff"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.organizer: _l("组织方"),
    Role.reviewer: _l("初审专家"),
    Role.judge: _l("评委"),
    Role.sponsor: _l("支持方"),
    Role.exhibitor: _l("参展单位"),
    Role.gate_staff: _l("检票人员"),
}


def enum_column(kind: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """Enums stored as their value in a VARCHAR with a CHECK, the same on SQLite and PostgreSQL.
    Two columns of one enum in a table need their own `name`: it names the CHECK constraint."""
    return sa.Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                   create_constraint=True, validate_strings=True, name=name or kind.__name__.lower())


def password_method() -> str:
    """werkzeug's scrypt; FAIR_PASSWORD_HASH lets the test suite use a cheaper one."""
    return current_app.config.get("FAIR_PASSWORD_HASH", "scrypt") if has_app_context() else "scrypt"


class Organisation(db.Model):
    """A volunteer organisation, enterprise, foundation, social-work agency or government unit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    # 统一社会信用代码: 18 characters; unique where given (conflicts of interest match on it).
    credit_code: Mapped[Optional[str]] = mapped_column(sa.String(18), unique=True)
    province: Mapped[str] = mapped_column(sa.String(20), default="")
    city: Mapped[str] = mapped_column(sa.String(30), default="")
    district: Mapped[str] = mapped_column(sa.String(30), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> str:
        return "".join((self.province, self.city, self.district))


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # A platform administrator creates fair editions; rights inside a fair come from Membership.
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organisation: Mapped[Optional[Organisation]] = relationship(back_populates="users")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def roles_in(self, fair) -> set[Role]:
        return {m.role for m in self.memberships if m.fair_id == fair.id}

    def has_role(self, fair, *roles: Role) -> bool:
        return bool(self.roles_in(fair) & set(roles))


class Membership(db.Model):
    """A user's role in one fair edition; a user may hold several roles in one fair."""

    __table_args__ = (sa.UniqueConstraint("user_id", "fair_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    fair = relationship("Fair", back_populates="memberships")

    def __str__(self) -> str:
        return f"{self.user.name} · {self.role.label}"


def token_digest(token: str) -> str:
    """Invitation tokens are kept only as a SHA-256 digest: a leaked database reveals no link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(db.Model):
    """A one-time link that makes its holder a member of a fair in a role."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id"))
    invited_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    used_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    fair = relationship("Fair")
    organisation: Mapped[Optional[Organisation]] = relationship()
    invited_by = relationship("User", foreign_keys=[invited_by_id])

    def __str__(self) -> str:
        return f"{self.email} · {self.role.label}"

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
