"""Every change to accounts, organisations, roles and invitations: validated, written, audited."""
import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from fair import regions
from fair.audit.log import audit, snapshot
from fair.auth import credit_code as credit_codes
from fair.auth.models import (Invitation, Membership, Organisation, OrganisationKind, Role, User, password_method,
                              token_digest)
from fair.extensions import db
from fair.fairs.models import Phase
from fair.refusal import Refused
from fair.times import utcnow

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _check_password_rules(password: str, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(_("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH), "weak_password", field)


def _new_user(email: str, name: str, password: str, organisation: Organisation | None, is_admin: bool,
              password_hash: str | None = None) -> User:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise Refused(_("该邮箱已注册，请直接登录。"), "email_taken", "email")
    _check_password_rules(password, "password")
    user = User(email=email, name=name.strip(), organisation=organisation, is_admin=is_admin)
    if password_hash is None:
        user.set_password(password)
    else:
        user.password_hash = password_hash
    db.session.add(user)
    return user


def create_user(email: str, name: str, password: str, *, organisation: Organisation | None = None,
                is_admin: bool = False, actor: User | None = None, password_hash: str | None = None) -> User:
    """`password_hash`: the caller's hash of `password`, made once for many generated accounts (the seed
    demo's hundreds of representatives), where hashing each with scrypt would take a minute."""
    user = _new_user(email, name, password, organisation, is_admin, password_hash)
    audit(actor, "auth.user.created", user, after=snapshot(user, ["email", "name", "is_admin"]))
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None: the caller shows one message for every failure."""
    user = find_user(email)
    if user is None:
        User(password_hash=_dummy_hash(password_method())).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    audit(user, "auth.user.logged_in", user)
    db.session.commit()
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when the e-mail is unknown, so a failed log-in takes as long either way."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise Refused(_("当前密码不正确。"), "wrong_password", "current_password")
    _check_password_rules(new, "new_password")
    user.set_password(new)
    audit(user, "auth.user.password_changed", user)
    db.session.commit()


ORGANISATION_FIELDS = ["name", "kind", "credit_code", "province", "city", "district", "contact_name",
                       "contact_phone"]


def new_organisation(name: str, kind: OrganisationKind, *, credit_code: str | None = None, province: str = "",
                     city: str = "", district: str = "", contact_name: str = "", contact_phone: str = "") -> Organisation:
    """A checked organisation added to the session, not committed: the caller audits and commits
    (create_organisation for one, the applications import for many in one transaction)."""
    credit_code = (credit_code or "").strip().upper() or None
    if credit_code and db.session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == credit_code)):
        raise Refused(_("该统一社会信用代码已登记。"), "credit_code_taken", "credit_code")
    organisation = Organisation(name=name.strip(), kind=kind, credit_code=credit_code, province=province.strip(),
                                city=city.strip(), district=district.strip(), contact_name=contact_name.strip(),
                                contact_phone=contact_phone.strip())
    db.session.add(organisation)
    return organisation


def check_credit_code(code: str) -> str:
    """The code normalised, or a refusal that says what is wrong with it (GB 32100-2015)."""
    code = credit_codes.normalise(code)
    problem = credit_codes.problem(code)
    if problem == "length":
        raise Refused(_("统一社会信用代码应为 18 位，当前为 %(n)d 位。", n=len(code)), "credit_code_length", "credit_code")
    if problem == "charset":
        raise Refused(_("统一社会信用代码只含数字和大写字母（不含 I、O、S、V、Z）。"), "credit_code_characters",
                      "credit_code")
    if problem == "check":
        raise Refused(_("统一社会信用代码校验位不符，请对照营业执照或登记证书核对。"), "credit_code_check",
                      "credit_code")
    return code


def create_organisation(name: str, kind: OrganisationKind, *, credit_code: str | None = None, province: str = "",
                        city: str = "", district: str = "", contact_name: str = "", contact_phone: str = "",
                        actor: User | None = None) -> Organisation:
    if credit_code and credit_code.strip():
        credit_code = check_credit_code(credit_code)
    organisation = new_organisation(name, kind, credit_code=credit_code, province=province, city=city,
                                    district=district, contact_name=contact_name, contact_phone=contact_phone)
    audit(actor, "auth.organisation.created", organisation, after=snapshot(organisation, ORGANISATION_FIELDS))
    db.session.commit()
    return organisation


MOBILE = re.compile(r"^1\d{10}$")
# Field: longest text allowed, for an organisation registering itself (the columns' sizes).
REGISTRATION_LIMITS = {"organisation_name": 120, "district": 30, "contact_name": 40}


@dataclass
class OrganisationDetails:
    """What an organisation states about itself when it registers for a fair."""

    name: str
    kind: OrganisationKind
    credit_code: str
    province: str
    city: str
    district: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def check_mobile(phone: str) -> str:
    """A mainland mobile number (11 digits, starting with 1) without the blanks, hyphens or +86 typed with it."""
    phone = re.sub(r"[\s-]", "", phone)
    phone = phone[3:] if phone.startswith("+86") else phone
    if not MOBILE.match(phone):
        raise Refused(_("请填写 11 位手机号码，以 1 开头。"), "bad_mobile", "contact_phone")
    return phone


def _check_registration(details: OrganisationDetails) -> OrganisationDetails:
    """The details cleaned, or a refusal naming the registration form's field."""
    texts = {"organisation_name": details.name.strip(), "district": details.district.strip(),
             "contact_name": details.contact_name.strip()}
    for field in ("organisation_name", "contact_name"):
        if not texts[field]:
            raise Refused(_("此项为必填项。"), "required", field)
    for field, longest in REGISTRATION_LIMITS.items():
        if len(texts[field]) > longest:
            raise Refused(_("不能超过 %(n)d 个字。", n=longest), "too_long", field)
    if details.province not in regions.PROVINCES:
        raise Refused(_("请选择所在省份。"), "bad_region", "province")
    if not regions.is_region(details.province, details.city):
        raise Refused(_("请选择%(province)s的城市。", province=details.province), "bad_region", "city")
    return OrganisationDetails(texts["organisation_name"], details.kind, check_credit_code(details.credit_code),
                               details.province, details.city, texts["district"], texts["contact_name"],
                               check_mobile(details.contact_phone))


def register_exhibitor(fair, organisation: OrganisationDetails, *, name: str, email: str, password: str) -> User:
    """An organisation signs itself up while the fair takes applications: the organisation, its first
    user and the exhibitor role are saved together or not at all; the new user is the actor."""
    if fair.phase != Phase.applications_open:
        raise Refused(_("本届展会目前不接受申报单位注册。"), "registration_closed")
    details = _check_registration(organisation)
    if not name.strip():
        raise Refused(_("此项为必填项。"), "required", "name")
    if len(name.strip()) > 80:
        raise Refused(_("不能超过 %(n)d 个字。", n=80), "too_long", "name")
    try:
        new = new_organisation(details.name, details.kind, credit_code=details.credit_code,
                               province=details.province, city=details.city, district=details.district,
                               contact_name=details.contact_name, contact_phone=details.contact_phone)
        user = _new_user(email, name, password, new, False)
        membership = _grant(fair, user, Role.exhibitor)
        audit(user, "auth.organisation.created", new, after=snapshot(new, ORGANISATION_FIELDS), fair=fair)
        audit(user, "auth.user.created", user, after=snapshot(user, ["email", "name"]), fair=fair)
        audit(user, "auth.membership.created", membership, after={"user": user.email, "role": Role.exhibitor.value})
        db.session.commit()
    except Refused:
        db.session.rollback()           # nothing half-made stays in the session
        raise
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise _taken(email) from None
    return user


def _taken(email: str) -> Refused:
    """Someone registered the same e-mail or credit code in the same instant: the unique keys caught it."""
    if find_user(email) is not None:
        return Refused(_("该邮箱已注册，请直接登录。"), "email_taken", "email")
    return Refused(_("该统一社会信用代码已登记。"), "credit_code_taken", "credit_code")


def _grant(fair, user: User, role: Role) -> Membership | None:
    """Add the membership unless the user already holds that role there."""
    if role in user.roles_in(fair):
        return None
    membership = Membership(user=user, fair=fair, role=role)
    db.session.add(membership)
    return membership


def grant_role(fair, user: User, role: Role, *, actor: User | None) -> Membership | None:
    membership = _grant(fair, user, role)
    if membership is not None:
        audit(actor, "auth.membership.created", membership, after={"user": user.email, "role": role.value})
        db.session.commit()
    return membership


def revoke_role(membership: Membership, *, actor: User) -> None:
    fair = membership.fair
    if membership.role == Role.organizer and len(fair.members(Role.organizer)) == 1:
        raise Refused(_("每届展会至少需要一位组织方。"), "last_organizer")
    audit(actor, "auth.membership.deleted", membership,
          before={"user": membership.user.email, "role": membership.role.value})
    db.session.delete(membership)
    db.session.commit()


def invite(fair, email: str, role: Role, *, name: str = "", organisation: Organisation | None = None,
           actor: User, now: datetime | None = None, valid_days: int = 14) -> tuple[Invitation, str]:
    """A one-time invitation; returns it with the token for the link (only its digest is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=token_digest(token), fair=fair, email=normalise_email(email), name=name.strip(),
        role=role, organisation=organisation, invited_by_id=actor.id, created_at=now,
        expires_at=now + timedelta(days=valid_days))
    db.session.add(invitation)
    audit(actor, "auth.invitation.created", invitation,
          after=snapshot(invitation, ["email", "role", "expires_at"]))
    db.session.commit()
    return invitation, token


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit(actor, "auth.invitation.revoked", invitation)
        db.session.commit()


def open_invitation(token: str, now: datetime | None = None) -> Invitation:
    """The invitation behind a link, or a refusal saying why it can no longer be used."""
    now = now or utcnow()
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_digest(token)))
    if invitation is None:
        raise Refused(_("邀请链接无效，请检查链接是否完整。"), "unknown")
    if invitation.used_at is not None:
        raise Refused(_("此邀请链接已被使用过，不能再次使用。"), "used")
    if invitation.revoked_at is not None:
        raise Refused(_("此邀请已被组织方撤销。"), "revoked")
    if invitation.is_expired(now):
        raise Refused(_("此邀请链接已过期，请联系组织方重新邀请。"), "expired")
    return invitation


def accept_invitation(token: str, *, user: User | None = None, name: str = "", password: str = "",
                      now: datetime | None = None) -> User:
    """Redeem the link once: join as `user`, or make a new account for the invited e-mail.
    The guarded UPDATE is the real one-time check, so two clicks at once make one account."""
    now = now or utcnow()
    invitation = open_invitation(token, now)
    if user is None:
        user = _new_user(invitation.email, name or invitation.name, password, invitation.organisation, False)
        created = True
    else:
        created = False
        if user.organisation is None and invitation.organisation is not None:
            user.organisation = invitation.organisation
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Refused(_("此邀请链接已被使用过，不能再次使用。"), "used")
    db.session.flush()
    invitation.used_by_id = user.id
    if created:
        audit(user, "auth.user.created", user, after=snapshot(user, ["email", "name"]), fair=invitation.fair)
    membership = _grant(invitation.fair, user, invitation.role)
    audit(user, "auth.invitation.accepted", invitation, after={"user": user.email, "role": invitation.role.value})
    if membership is not None:
        audit(user, "auth.membership.created", membership, after={"user": user.email, "role": invitation.role.value})
    db.session.commit()
    return user
