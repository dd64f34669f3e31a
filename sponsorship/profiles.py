"""Sponsors' profiles and bookmarks: the sponsor saves what it offers, the organizer registers a sponsor
organisation and invites its representative, a representative bookmarks exhibited projects. Each change
validates, writes and audits in one transaction; a refusal names the form field it belongs to.

A profile carries SQLAlchemy's version counter: an edit names the version its page showed, so two
representatives of one sponsor cannot overwrite each other unseen. Bookmarks are unique per sponsor and
project in the database, so a double click or two tabs at once leave one row, never an error page."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from fair import regions
from fair.applications.models import Application, Support
from fair.audit.log import audit, snapshot
from fair.auth.models import Invitation, Membership, Organisation, OrganisationKind, Role, User
from fair.auth.services import (ORGANISATION_FIELDS, check_mobile, find_user, grant_role, invite, new_organisation,
                                normalise_email)
from fair.booths.placing import is_placeable
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from sponsorship.access import is_organizer, require_sponsor_representative
from sponsorship.models import Bookmark, SponsorProfile

SPONSOR_KINDS = (OrganisationKind.enterprise, OrganisationKind.foundation, OrganisationKind.social_work)
MAX_BUDGET_FEN = 100_000_000 * 100            # ¥100,000,000: beyond it a typo, not a budget
TEXT_LIMITS = {"introduction": 2000, "wants": 1000, "contact_name": 40}
NAME_LONGEST = 120                             # Organisation.name
PERSON_LONGEST = 80                            # User.name
NOTE_LONGEST = 200                             # Bookmark.note
PROFILE_FIELDS = ["introduction", "focus_category_ids", "regions", "budget_min_fen", "budget_max_fen",
                  "support_offered", "wants", "contact_name", "contact_phone"]


@dataclass
class ProfileDetails:
    """What a sponsor states about itself in one fair; amounts in fen. Empty focus or regions: any."""

    introduction: str = ""
    focus_category_ids: list[int] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    budget_min_fen: int = 0
    budget_max_fen: int = 0
    support_offered: list[str] = field(default_factory=list)
    wants: str = ""
    contact_name: str = ""
    contact_phone: str = ""


# --- regions and budget -------------------------------------------------------------------------------

def fair_province(fair: Fair) -> str | None:
    """The province the fair's city lies in ("南京市", "南京" or a province's own name), if it is known."""
    city = (fair.city or "").strip()
    if city in regions.PROVINCES:
        return city
    return next((province for province, cities in regions.PROVINCES.items()
                 if city in cities or f"{city}市" in cities), None)


def region_choices(fair: Fair) -> tuple[str, ...]:
    """The cities a sponsor of this fair may pick: its province's, or every city when the fair's city is
    not one regions knows."""
    province = fair_province(fair)
    if province is not None:
        return regions.cities(province)
    return tuple(city for cities in regions.PROVINCES.values() for city in cities)


def check_budget(low: int, high: int) -> None:
    """Neither amount negative nor absurd, the lower not above the upper."""
    for name, amount in (("budget_min", low), ("budget_max", high)):
        if amount < 0:
            raise Refused(_("金额不能为负数。"), "negative_amount", name)
        if amount > MAX_BUDGET_FEN:
            raise Refused(_("金额不能超过 ¥100,000,000，请检查是否多输了位数。"), "absurd_amount", name)
    if low > high:
        raise Refused(_("预算上限不能低于下限。"), "budget_out_of_order", "budget_max")


def _text(value: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_LIMITS[name]:
        raise Refused(_("不能超过 %(n)d 个字。", n=TEXT_LIMITS[name]), "too_long", name)
    return value


def check_details(fair: Fair, details: ProfileDetails) -> ProfileDetails:
    """The details cleaned (texts trimmed, lists in the fair's order, phone digits), or a refusal at the field."""
    categories = [category.id for category in fair.categories]
    wanted = set(details.focus_category_ids or [])
    if wanted - set(categories):
        raise Refused(_("请从本届展会的服务领域中选择。"), "unknown_category", "focus_category_ids")
    cities = region_choices(fair)
    picked = set(details.regions or [])
    if picked - set(cities):
        raise Refused(_("请从列出的城市中选择。"), "unknown_region", "regions")
    support = set(details.support_offered or [])
    known = [kind.value for kind in Support]
    if support - set(known):
        raise Refused(_("请从列出的支持方式中选择。"), "unknown_support", "support_offered")
    if not support:
        raise Refused(_("请至少选择一种支持方式。"), "no_support", "support_offered")
    check_budget(details.budget_min_fen, details.budget_max_fen)
    contact_name = _text(details.contact_name, "contact_name")
    if not contact_name:
        raise Refused(_("此项为必填项。"), "required", "contact_name")
    if not (details.contact_phone or "").strip():
        raise Refused(_("此项为必填项。"), "required", "contact_phone")
    return ProfileDetails(
        introduction=_text(details.introduction, "introduction"),
        focus_category_ids=[cid for cid in categories if cid in wanted],
        regions=[city for city in cities if city in picked],
        budget_min_fen=details.budget_min_fen, budget_max_fen=details.budget_max_fen,
        support_offered=[kind for kind in known if kind in support],
        wants=_text(details.wants, "wants"), contact_name=contact_name,
        contact_phone=check_mobile(details.contact_phone))


# --- profiles ------------------------------------------------------------------------------------------

def profile_of(fair: Fair, organisation: Organisation) -> SponsorProfile | None:
    return db.session.scalar(sa.select(SponsorProfile).where(
        SponsorProfile.fair_id == fair.id, SponsorProfile.organisation_id == organisation.id))


def is_sponsor_kind(organisation: Organisation | None) -> bool:
    return organisation is not None and organisation.kind in SPONSOR_KINDS


def representatives(fair: Fair, organisation: Organisation) -> list[User]:
    """The organisation's users who hold the sponsor role in the fair."""
    return db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(User.organisation_id == organisation.id, Membership.fair_id == fair.id,
               Membership.role == Role.sponsor)
        .order_by(User.name, User.id)).all()


def pending_invitations(fair: Fair, organisation: Organisation) -> list[Invitation]:
    """Sponsor invitations for the organisation in the fair, not yet used or revoked."""
    return db.session.scalars(
        sa.select(Invitation).where(Invitation.fair_id == fair.id, Invitation.role == Role.sponsor,
                                    Invitation.organisation_id == organisation.id,
                                    Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())).all()


def _may_edit(actor: User | None, fair: Fair, organisation: Organisation) -> bool:
    """A representative of the organisation, an organizer of the fair, or the system (no actor)."""
    if actor is None or is_organizer(actor, fair):
        return True
    return actor.organisation_id == organisation.id and actor.has_role(fair, Role.sponsor)


def save_profile(fair: Fair, organisation: Organisation, details: ProfileDetails, actor: User | None,
                 version: int | None = None) -> SponsorProfile:
    """Create the organisation's profile in the fair, or update it. `version` is the one the page showed
    (0: it showed none yet); None skips the check (the demo builder). A stale version is refused."""
    if not is_sponsor_kind(organisation):
        raise Refused(_("只有爱心企业、慈善基金会和社工机构可以作为支持方。"), "not_sponsor_kind")
    if not _may_edit(actor, fair, organisation):
        raise Refused(_("只有“%(name)s”的支持方代表可以修改其资料。", name=organisation.name), "not_representative")
    clean = check_details(fair, details)
    profile = profile_of(fair, organisation)
    if version is not None and version != (profile.version if profile else 0):
        raise _stale()
    with _writing(_stale):
        if profile is None:
            profile = SponsorProfile(fair_id=fair.id, organisation_id=organisation.id, **vars(clean))
            db.session.add(profile)
            db.session.flush()
            audit(actor, "sponsorship.profile.created", profile, fair=fair,
                  after=snapshot(profile, PROFILE_FIELDS))
        else:
            before = snapshot(profile, PROFILE_FIELDS)
            for name, value in vars(clean).items():
                setattr(profile, name, value)
            after = snapshot(profile, PROFILE_FIELDS)
            if after != before:
                audit(actor, "sponsorship.profile.updated", profile, fair=fair,
                      before={k: v for k, v in before.items() if after[k] != v},
                      after={k: v for k, v in after.items() if before[k] != v})
    return profile


def _stale() -> Refused:
    return Refused(_("资料刚被同单位的其他代表修改。您填写的内容仍保留在表单中，请对照最新保存的内容，确认后再保存。"),
                   "stale")


@contextmanager
def _writing(conflict) -> Iterator[None]:
    """Commit the block's writes with their audit events, or none of them; a row someone else changed or
    added meanwhile (the version counter, a unique key) becomes `conflict()`."""
    try:
        yield
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise conflict() from None
    except BaseException:
        db.session.rollback()
        raise


# --- the organizer registers a sponsor -----------------------------------------------------------------

@dataclass(frozen=True)
class SponsorAdded:
    """The new profile and its representative: a user who got the sponsor role, or the invitation sent to
    an e-mail with no account, with `token` for its one-time link (shown once). Unpacks as
    (profile, representative)."""

    profile: SponsorProfile
    representative: User | Invitation
    token: str | None = None

    def __iter__(self):
        return iter((self.profile, self.representative))


def add_sponsor(fair: Fair, organisation_name: str, kind: OrganisationKind | str, email: str, person_name: str,
                actor: User, *, valid_days: int = 14) -> SponsorAdded:
    """Register a sponsor organisation in the fair (an empty profile its representative fills in) and make
    the person with `email` its representative: an existing user gets the sponsor role at once, an unknown
    e-mail an invitation. A user already belonging to an organisation of that name brings it along."""
    name = " ".join((organisation_name or "").split())
    if not name:
        raise Refused(_("此项为必填项。"), "required", "organisation_name")
    if len(name) > NAME_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=NAME_LONGEST), "too_long", "organisation_name")
    try:
        kind = OrganisationKind(kind)
    except ValueError:
        kind = None
    if kind not in SPONSOR_KINDS:
        raise Refused(_("请选择爱心企业、慈善基金会或社工机构。"), "not_sponsor_kind", "kind")
    email = normalise_email(email or "")
    if "@" not in email or len(email) > 254:
        raise Refused(_("请填写有效的邮箱地址。"), "email", "email")
    person_name = (person_name or "").strip()
    if len(person_name) > PERSON_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=PERSON_LONGEST), "too_long", "person_name")
    user = find_user(email)
    organisation = _sponsor_organisation(fair, name, kind, user)
    with _writing(lambda: Refused(_("该支持方刚被登记，请刷新页面查看。"), "conflict")):
        if organisation.id is None:
            db.session.flush()
            audit(actor, "auth.organisation.created", organisation, fair=fair,
                  after=snapshot(organisation, ORGANISATION_FIELDS))
        profile = SponsorProfile(fair_id=fair.id, organisation_id=organisation.id)
        db.session.add(profile)
        db.session.flush()
        audit(actor, "sponsorship.sponsor.added", profile, fair=fair,
              after={"organisation": organisation.name, "kind": kind.value, "representative": email})
        if user is None:
            invitation, token = invite(fair, email, Role.sponsor, name=person_name, organisation=organisation,
                                       actor=actor, valid_days=valid_days)      # commits it all
            return SponsorAdded(profile, invitation, token)
        if user.organisation_id is None:
            user.organisation = organisation
        grant_role(fair, user, Role.sponsor, actor=actor)     # commits it all when the role is new
    return SponsorAdded(profile, user)


def _sponsor_organisation(fair: Fair, name: str, kind: OrganisationKind, user: User | None) -> Organisation:
    """The organisation to register: the user's own when it has this name, else a new one (in the session)."""
    if user is not None and user.organisation is not None:
        organisation = user.organisation
        if organisation.name != name:
            raise Refused(_("该邮箱的用户属于“%(name)s”，不能代表其他单位。请填写该单位的名称，或换一个邮箱。",
                            name=organisation.name), "other_organisation", "email")
        if not is_sponsor_kind(organisation):
            raise Refused(_("“%(name)s”登记的类型是%(kind)s，不能作为支持方。", name=name,
                            kind=organisation.kind.label), "not_sponsor_kind", "kind")
        if profile_of(fair, organisation) is not None:
            raise _already(name)
        return organisation
    taken = db.session.scalar(sa.select(SponsorProfile.id).join(Organisation).where(
        SponsorProfile.fair_id == fair.id, Organisation.name == name))
    if taken is not None:
        raise _already(name)
    return new_organisation(name, kind)


def _already(name: str) -> Refused:
    return Refused(_("“%(name)s”已是本届展会的支持方。", name=name), "already_sponsor", "organisation_name")


# --- bookmarks -----------------------------------------------------------------------------------------

def bookmark_of(sponsor: SponsorProfile, application: Application) -> Bookmark | None:
    return db.session.scalar(sa.select(Bookmark).where(Bookmark.sponsor_id == sponsor.id,
                                                       Bookmark.application_id == application.id))


def _check_bookmark(sponsor: SponsorProfile, application: Application, actor: User | None) -> None:
    if actor is not None:
        require_sponsor_representative(actor, sponsor)
    if application.fair_id != sponsor.fair_id:
        raise Refused(_("只能收藏本届展会的参展项目。"), "other_fair")


def toggle_bookmark(sponsor: SponsorProfile, application: Application, actor: User | None, *,
                    want: bool | None = None) -> bool:
    """Bookmark the project, or remove the bookmark; with `want` the page names the state it wants, so a
    repeated click changes nothing. Returns whether the project is bookmarked now. Only exhibited projects
    can be added; a bookmark stays removable after its project is withdrawn."""
    _check_bookmark(sponsor, application, actor)
    existing = bookmark_of(sponsor, application)
    wanted = existing is None if want is None else want
    if wanted == (existing is not None):
        return wanted
    if not wanted:
        audit(actor, "sponsorship.bookmark.removed", existing, fair=sponsor.fair,
              before={"project": application.title, "note": existing.note})
        db.session.delete(existing)
        db.session.commit()
        return False
    if not is_placeable(application):
        raise Refused(_("只能收藏参展项目。"), "not_exhibited")
    bookmark = Bookmark(sponsor_id=sponsor.id, application_id=application.id)
    db.session.add(bookmark)
    try:
        db.session.flush()
        audit(actor, "sponsorship.bookmark.added", bookmark, fair=sponsor.fair, after={"project": application.title})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()             # the other click of a double click saved it: it is bookmarked
    return True


def set_bookmark_note(sponsor: SponsorProfile, application: Application, note: str, actor: User | None) -> Bookmark:
    """The sponsor's own note on a bookmarked project (why it caught their eye, whom to ask)."""
    _check_bookmark(sponsor, application, actor)
    note = " ".join((note or "").split())
    if len(note) > NOTE_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=NOTE_LONGEST), "too_long", "note")
    bookmark = bookmark_of(sponsor, application)
    if bookmark is None:
        raise Refused(_("请先收藏该项目。"), "not_bookmarked")
    if bookmark.note != note:
        audit(actor, "sponsorship.bookmark.noted", bookmark, fair=sponsor.fair,
              before={"note": bookmark.note}, after={"note": note})
        bookmark.note = note
        db.session.commit()
    return bookmark
