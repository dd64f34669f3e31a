"""After a fair: remove the personal data it collected, keep every count.

What goes (only rows that belong to the closed fair):
- tickets: the visitor's name becomes a placeholder naming the ticket's id, the phone becomes empty
  (as a group pass has); kind, group, group size, validity and every scan stay, so the figures do not move;
- contact details visitors left at booths (name, phone, note); the visits and bookmarks stay;
- sponsor profiles' contact name and phone;
- people's-choice votes' IP address and device id (kept only to flag bursts while voting ran);
- organisations' contact name and phone, only for organisations that took part in this fair and no other
  (organisations are shared across editions: another fair's organizers may still need the contact);
- the same values where this fair's audit events copied them (ticket and booth labels, before/after).

What stays, and why: user accounts and invitations (staff, judges, exhibitors' and sponsors'
representatives: a log-in used across editions, not data collected from this fair's visitors);
signatures' signer name and address (the record of a signed agreement); meeting messages and notes,
bookmark notes, ticket revocation reasons (written by staff and sponsors about the work, not collected
from visitors); group names (schools and organisations, not people)."""
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from fair.applications.models import Application
from fair.audit.log import audit
from fair.audit.models import AuditEvent
from fair.auth.models import Invitation, Membership, Organisation, User
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.refusal import Refused
from fair.visitors.models import BoothVisit, Ticket
from judging.models import Judge, JudgeAffiliation, Vote
from sponsorship.models import CaringUnit, SponsorProfile

PLACEHOLDER = "已清除"                     # a ticket's name becomes "已清除 #<ticket id>"
ACTION = "privacy.personal_data.purged"

# Per audited object type, the keys of before/after that hold the personal data cleared above.
# None: the ticket's placeholder name.
AUDIT_KEYS = {"ticket": {"name": None, "phone": ""},
              "booth_visit": {"name": "", "phone": ""},
              "sponsor_profile": {"contact_name": "", "contact_phone": ""},
              "organisation": {"contact_name": "", "contact_phone": ""}}


@dataclass
class Purged:
    """How many rows each step changed: the audit event's content, never the data itself."""

    tickets: int = 0
    booth_contacts: int = 0
    sponsor_contacts: int = 0
    organisation_contacts: int = 0
    votes: int = 0
    audit_events: int = 0

    @property
    def changed(self) -> bool:
        return any(asdict(self).values())


def placeholder_name(ticket_id: int) -> str:
    return f"{PLACEHOLDER} #{ticket_id}"


def purge_personal_data(fair: Fair, *, actor) -> Purged:
    """Clear the fair's personal data in one transaction with one audit event of the counts; refused
    unless the fair is closed. A second run finds nothing left and writes nothing."""
    if fair.phase is not Phase.closed:
        raise Refused(_("展会闭幕后才能清除个人信息（当前阶段：%(phase)s）。", phase=fair.phase.label), "not_closed")
    try:
        purged = Purged()
        organisations = _only_here(fair)
        purged.audit_events = _scrub_audit(fair, organisations)
        purged.tickets = _tickets(fair)
        purged.booth_contacts = _booth_contacts(fair)
        purged.sponsor_contacts = _sponsor_contacts(fair)
        purged.organisation_contacts = _organisation_contacts(organisations)
        purged.votes = _votes(fair)
        if purged.changed:
            audit(actor, ACTION, fair, fair=fair, after=asdict(purged))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return purged


def _tickets(fair: Fair) -> int:
    name = sa.literal(PLACEHOLDER + " #") + sa.cast(Ticket.id, sa.String)
    return db.session.execute(
        sa.update(Ticket).where(Ticket.fair_id == fair.id, sa.or_(Ticket.name != name, Ticket.phone != ""))
        .values(name=name, phone="").execution_options(synchronize_session=False)).rowcount


def _booth_contacts(fair: Fair) -> int:
    tickets = sa.select(Ticket.id).where(Ticket.fair_id == fair.id)
    return db.session.execute(
        sa.update(BoothVisit)
        .where(BoothVisit.ticket_id.in_(tickets),
               sa.or_(BoothVisit.shared_name != "", BoothVisit.shared_phone != "", BoothVisit.shared_note != ""))
        .values(shared_name="", shared_phone="", shared_note="").execution_options(synchronize_session=False)).rowcount


def _sponsor_contacts(fair: Fair) -> int:
    """The version moves on, so a profile form opened before the purge cannot write the contact back."""
    return db.session.execute(
        sa.update(SponsorProfile)
        .where(SponsorProfile.fair_id == fair.id,
               sa.or_(SponsorProfile.contact_name != "", SponsorProfile.contact_phone != ""))
        .values(contact_name="", contact_phone="", version=SponsorProfile.version + 1)
        .execution_options(synchronize_session=False)).rowcount


def _organisation_contacts(organisations: set[int]) -> int:
    if not organisations:
        return 0
    return db.session.execute(
        sa.update(Organisation)
        .where(Organisation.id.in_(organisations),
               sa.or_(Organisation.contact_name != "", Organisation.contact_phone != ""))
        .values(contact_name="", contact_phone="").execution_options(synchronize_session=False)).rowcount


def _votes(fair: Fair) -> int:
    return db.session.execute(
        sa.update(Vote).where(Vote.fair_id == fair.id, sa.or_(Vote.address != "", Vote.device != ""))
        .values(address="", device="").execution_options(synchronize_session=False)).rowcount


# --- organisations of this fair alone -----------------------------------------------------------------------

def _fairs_of_organisations() -> sa.Select:
    """(organisation id, fair id) for every way an organisation takes part in a fair."""
    return sa.union(
        sa.select(Application.organisation_id, Application.fair_id),
        sa.select(SponsorProfile.organisation_id, SponsorProfile.fair_id),
        sa.select(CaringUnit.organisation_id, CaringUnit.fair_id),
        sa.select(User.organisation_id, Membership.fair_id).join(Membership, Membership.user_id == User.id)
        .where(User.organisation_id.isnot(None)),
        sa.select(Invitation.organisation_id, Invitation.fair_id).where(Invitation.organisation_id.isnot(None)),
        sa.select(JudgeAffiliation.organisation_id, Judge.fair_id).join(Judge, Judge.id == JudgeAffiliation.judge_id),
    ).subquery()


def _only_here(fair: Fair) -> set[int]:
    """Organisations that took part in `fair` and in no other fair."""
    taking_part = _fairs_of_organisations()
    organisation, fair_id = taking_part.c[0], taking_part.c[1]
    return set(db.session.scalars(
        sa.select(organisation).group_by(organisation)
        .having(sa.func.min(fair_id) == fair.id, sa.func.max(fair_id) == fair.id)))


# --- audit events ----------------------------------------------------------------------------------------------

def _scrub_audit(fair: Fair, organisations: set[int]) -> int:
    """Clear the personal values this fair's events copied, and those of its own organisations' events.
    Labels of tickets, booth visits and votes read "name (code…) · …": the name before the code goes."""
    tickets = {str(ticket_id): (ticket_id, code) for ticket_id, code in db.session.execute(
        sa.select(Ticket.id, Ticket.code).where(Ticket.fair_id == fair.id))}
    owners = {"ticket": {key: value for key, value in tickets.items()},
              "booth_visit": _ticket_of(BoothVisit.id, BoothVisit.ticket_id, fair, tickets),
              "vote": _ticket_of(Vote.id, Vote.ticket_id, fair, tickets)}
    events = db.session.scalars(sa.select(AuditEvent).where(sa.or_(
        sa.and_(AuditEvent.fair_id == fair.id, AuditEvent.object_type.in_(["ticket", "booth_visit", "vote",
                                                                           "sponsor_profile"])),
        sa.and_(AuditEvent.object_type == "organisation",
                AuditEvent.object_id.in_([str(i) for i in organisations]))))).all()
    changed = 0
    for event in events:
        owner = owners.get(event.object_type, {}).get(event.object_id or "")
        label = _label(event.object_label, owner)
        before, after = _cleared(event, event.before, owner), _cleared(event, event.after, owner)
        if (label, before, after) != (event.object_label, event.before, event.after):
            event.object_label, event.before, event.after = label, before, after
            changed += 1
    db.session.flush()
    return changed


def _ticket_of(object_id, ticket_id, fair: Fair, tickets: dict) -> dict[str, tuple[int, str]]:
    """Object id (as the audit log writes it) → (ticket id, ticket code) for rows pointing at this fair's tickets."""
    rows = db.session.execute(sa.select(object_id, ticket_id).join(Ticket, Ticket.id == ticket_id)
                              .where(Ticket.fair_id == fair.id))
    return {str(row_id): tickets[str(owner)] for row_id, owner in rows}


def _label(label: str, owner: tuple[int, str] | None) -> str:
    if owner is None:
        return label
    ticket_id, code = owner
    at = label.find(f" ({code[:6]}…)")
    return (placeholder_name(ticket_id) + label[at:])[:200] if at >= 0 else label


def _cleared(event: AuditEvent, values: dict | None, owner: tuple[int, str] | None) -> dict | None:
    keys = AUDIT_KEYS.get(event.object_type, {})
    if not values or not keys.keys() & values.keys():
        return values
    cleared = dict(values)
    for key, blank in keys.items():
        if key in cleared:
            cleared[key] = placeholder_name(owner[0]) if blank is None and owner else (blank or "")
    return cleared
