"""A ticket holder at a booth: which ticket this phone uses, the visit, the bookmark and the contact details
a visitor chooses to leave for a project's team, and what that team may see of it.

No account: the phone remembers its ticket in a signed, HttpOnly cookie scoped to the fair's pages
(`remember_ticket`), set when the visitor opens their ticket here or types its code. The cookie names the
ticket's row id, not its code (the code is what opens the ticket page), and a revoked ticket stops
counting at once. A BoothVisit row per (ticket, project), unique, holds everything: recording a visit
again, or a retried tap, changes nothing. Contact details are copied only on the visitor's explicit
consent and blanked when it is withdrawn; the audit keeps that it happened (phone masked), not the data."""
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import contains_eager

from fair.applications.models import Application
from fair.audit.log import audit
from fair.booths.queries import PUBLIC
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from fair.times import utcnow
from fair.visitors import services, tickets
from fair.visitors.models import BoothVisit, Ticket

TICKET_COOKIE = "fair_ticket"
DEVICE_COOKIE = "fair_device"
COOKIE_DAYS = 180
NAME_LONGEST = 60
NOTE_LONGEST = 500
_CODE_IN_URL = re.compile(r"/tickets/([A-Za-z2-7]{16})(?:[/?#]|$)")


# --- which ticket this phone uses ---------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="fair.visitors.ticket")


def _cookie_path(fair: Fair) -> str:
    return f"/fairs/{fair.slug}/"


def remember_ticket(response, ticket: Ticket):
    """This phone uses `ticket` on the fair's pages from now on (signed: a changed cookie is ignored)."""
    response.set_cookie(TICKET_COOKIE, _serializer().dumps([ticket.fair_id, ticket.id]),
                        max_age=COOKIE_DAYS * 86400, path=_cookie_path(ticket.fair), httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def forget_ticket(response, fair: Fair):
    response.delete_cookie(TICKET_COOKIE, path=_cookie_path(fair), httponly=True, samesite="Lax",
                           secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def current_ticket(fair: Fair) -> Ticket | None:
    """The valid ticket of `fair` this phone remembers, else None (read once per request)."""
    cache = g.setdefault("_visit_tickets", {})
    if fair.id not in cache:
        cache[fair.id] = _ticket_from_cookie(fair)
    return cache[fair.id]


def _ticket_from_cookie(fair: Fair) -> Ticket | None:
    raw = request.cookies.get(TICKET_COOKIE)
    if not raw:
        return None
    try:
        fair_id, ticket_id = _serializer().loads(raw)
    except (BadSignature, TypeError, ValueError):
        return None
    if fair_id != fair.id or not isinstance(ticket_id, int):
        return None
    ticket = db.session.get(Ticket, ticket_id)
    return ticket if ticket is not None and ticket.fair_id == fair.id and ticket.revoked_at is None else None


def find_ticket(fair: Fair, text: str) -> Ticket:
    """The valid ticket a visitor typed or pasted: its code, its page's address, or its QR code's text
    (checked against the fair's key); else Refused at the `code` field."""
    text = " ".join(str(text or "").split())
    if not text:
        raise Refused(_("请填写入场码。"), "required", "code")
    code = text.replace(" ", "").upper()
    if code.startswith(tickets.PREFIX):
        try:
            payload = tickets.verify(code, services.public_keys(fair))
        except tickets.InvalidTicket:
            raise Refused(_("无法识别此二维码内容，请检查后重试。"), "invalid", "code") from None
        if payload.fair_id != fair.id:
            raise Refused(_("这不是本届展会的入场码。"), "wrong_fair", "code")
        code = payload.code
    elif found := _CODE_IN_URL.search(text):
        code = found.group(1).upper()
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.fair_id == fair.id, Ticket.code == code[:32]))
    if ticket is None:
        raise Refused(_("未找到此入场码，请检查后重试。"), "unknown", "code")
    if ticket.revoked_at is not None:
        raise Refused(_("此入场码已作废，请使用重新签发的入场码。"), "revoked", "code")
    return ticket


def device_id() -> str:
    """The random id this phone keeps (DEVICE_COOKIE), or a new one for `remember_device` to set."""
    known = request.cookies.get(DEVICE_COOKIE, "")
    return known if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", known) else secrets.token_urlsafe(16)


def remember_device(response, device: str):
    if request.cookies.get(DEVICE_COOKIE) != device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=COOKIE_DAYS * 86400, path="/", httponly=True,
                            samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


# --- at a booth ---------------------------------------------------------------------------------------

def public_project(fair: Fair, application_id: int) -> Application | None:
    """A project of `fair` visitors can see (published shortlisted, not withdrawn)."""
    return db.session.scalar(sa.select(Application).where(Application.id == application_id,
                                                          Application.fair_id == fair.id, PUBLIC))


def visit_of(ticket: Ticket | None, application: Application) -> BoothVisit | None:
    if ticket is None:
        return None
    return db.session.scalar(sa.select(BoothVisit).where(BoothVisit.ticket_id == ticket.id,
                                                         BoothVisit.application_id == application.id))


def _check(ticket: Ticket, application: Application) -> None:
    if ticket.revoked_at is not None:
        raise Refused(_("此入场码已作废。"), "revoked")
    if ticket.fair_id != application.fair_id:
        raise Refused(_("这不是本届展会的入场码。"), "wrong_fair")


def _visit(ticket: Ticket, application: Application) -> tuple[BoothVisit, bool]:
    """The (ticket, project) row, made now if there is none; the unique key settles two taps at once."""
    visit = visit_of(ticket, application)
    if visit is not None:
        return visit, False
    try:
        with db.session.begin_nested():
            visit = BoothVisit(ticket_id=ticket.id, application_id=application.id, first_at=utcnow())
            db.session.add(visit)
    except sa.exc.IntegrityError:
        return visit_of(ticket, application), False
    return visit, True


def _audit(action: str, visit: BoothVisit, ticket: Ticket, application: Application, **after) -> None:
    event = audit(None, action, visit, fair=ticket.fair, after={"ticket": ticket.code[:6], **after})
    event.object_label = f"{ticket} · {application.title}"[:200]


def record_visit(ticket: Ticket, application: Application) -> BoothVisit:
    """The visitor was at the project's booth; recorded once, a second time changes nothing."""
    _check(ticket, application)
    visit, created = _visit(ticket, application)
    if created:
        _audit("visitors.visit.recorded", visit, ticket, application)
    db.session.commit()
    return visit


def set_bookmark(ticket: Ticket, application: Application, bookmarked: bool) -> BoothVisit:
    """Bookmark (or un-bookmark) a project; the page sends the state it wants, so a repeated tap is harmless."""
    _check(ticket, application)
    visit, _created = _visit(ticket, application)
    if visit.bookmarked != bookmarked:
        visit.bookmarked = bookmarked
        _audit("visitors.visit.bookmarked" if bookmarked else "visitors.visit.unbookmarked", visit, ticket,
               application)
    db.session.commit()
    return visit


@dataclass
class ContactDetails:
    name: str
    phone: str
    note: str = ""
    consent: bool = False


def check_contact(details: ContactDetails) -> ContactDetails:
    """Tidied details, or Refused at the field; nothing is shared without the consent box ticked."""
    name = " ".join(str(details.name or "").split())
    note = str(details.note or "").strip()
    if not name:
        raise Refused(_("此项为必填项。"), "required", "name")
    if len(name) > NAME_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=NAME_LONGEST), "too_long", "name")
    phone = services.normalise_phone(details.phone)
    if len(note) > NOTE_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=NOTE_LONGEST), "too_long", "note")
    if not details.consent:
        raise Refused(_("请勾选同意后再提交。"), "no_consent", "consent")
    return ContactDetails(name, phone, note, True)


def share_contact(ticket: Ticket, application: Application, details: ContactDetails) -> BoothVisit:
    """Leave these details for the project's team (only they see them); sharing again replaces them."""
    _check(ticket, application)
    details = check_contact(details)
    visit, _created = _visit(ticket, application)
    visit.shared_name, visit.shared_phone, visit.shared_note = details.name, details.phone, details.note
    _audit("visitors.contact.shared", visit, ticket, application, name=details.name,
           phone=services.mask_phone(details.phone), note=bool(details.note))
    db.session.commit()
    return visit


def withdraw_contact(ticket: Ticket, application: Application) -> BoothVisit | None:
    """Take the details back: the team no longer sees them (none shared: nothing happens)."""
    _check(ticket, application)
    visit = visit_of(ticket, application)
    if visit is None or not shares(visit):
        return visit
    visit.shared_name = visit.shared_phone = visit.shared_note = ""
    _audit("visitors.contact.withdrawn", visit, ticket, application)
    db.session.commit()
    return visit


def shares(visit: BoothVisit | None) -> bool:
    return visit is not None and bool(visit.shared_name or visit.shared_phone)


# --- the visitor's list -------------------------------------------------------------------------------

def visits_of(ticket: Ticket) -> list[BoothVisit]:
    """The ticket's visited and bookmarked projects, bookmarks first, newest first, with their projects."""
    return db.session.scalars(
        sa.select(BoothVisit).join(Application, Application.id == BoothVisit.application_id)
        .where(BoothVisit.ticket_id == ticket.id, PUBLIC)
        .options(contains_eager(BoothVisit.application).joinedload(Application.category),
                 contains_eager(BoothVisit.application).joinedload(Application.organisation))
        .order_by(BoothVisit.bookmarked.desc(), BoothVisit.first_at.desc(), BoothVisit.id.desc())).all()


# --- the project team's view --------------------------------------------------------------------------

@dataclass
class ProjectVisits:
    """One project of an exhibitor: how many visited and bookmarked it, and the contacts left for it."""

    application: Application
    visits: int = 0
    bookmarks: int = 0
    contacts: list["SharedContact"] = field(default_factory=list)


@dataclass(frozen=True)
class SharedContact:
    """Only what the visitor chose to share: never the ticket's own name or phone."""

    name: str
    phone: str
    note: str
    at: datetime


def team_view(fair: Fair, projects: list[Application]) -> list[ProjectVisits]:
    """Counts and shared contacts for `projects` (an organisation's own), in two queries."""
    rows = {application.id: ProjectVisits(application) for application in projects}
    if not rows:
        return []
    counts = db.session.execute(
        sa.select(BoothVisit.application_id, sa.func.count(BoothVisit.id),
                  sa.func.sum(sa.case((BoothVisit.bookmarked, 1), else_=0)))
        .where(BoothVisit.application_id.in_(rows)).group_by(BoothVisit.application_id))
    for application_id, visits, bookmarks in counts:
        rows[application_id].visits, rows[application_id].bookmarks = visits, int(bookmarks or 0)
    shared = db.session.execute(
        sa.select(BoothVisit.application_id, BoothVisit.shared_name, BoothVisit.shared_phone,
                  BoothVisit.shared_note, BoothVisit.first_at)
        .where(BoothVisit.application_id.in_(rows), sa.or_(BoothVisit.shared_name != "", BoothVisit.shared_phone != ""))
        .order_by(BoothVisit.first_at.desc(), BoothVisit.id.desc()))
    for application_id, name, phone, note, at in shared:
        rows[application_id].contacts.append(SharedContact(name, phone, note, at))
    return list(rows.values())


def export_contacts(fair: Fair, projects: list[Application], *, actor, local) -> bytes:
    """The shared contacts of `projects` as CSV; exporting personal data is audited. `local` formats a time."""
    from fair.applications.spreadsheet import csv_bytes

    view = team_view(fair, projects)
    rows = [[entry.application.title, contact.name, contact.phone, contact.note, local(contact.at)]
            for entry in view for contact in entry.contacts]
    audit(actor, "visitors.contacts.exported", fair, fair=fair, after={"rows": len(rows)})
    db.session.commit()
    return csv_bytes([_("项目"), _("姓名"), _("手机"), _("留言"), _("到访时间")], rows)
