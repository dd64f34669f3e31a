"""Visitor test data through the services: a fair open for registration, tickets one by one or in bulk."""
import itertools

from fair.fairs import services as fairs
from fair.fairs.models import Fair, Phase
from fair.visitors import services
from fair.visitors.models import Ticket, TicketSource, VisitorKind

_numbers = itertools.count(1)


def visiting_fair(fair: Fair, phase: Phase = Phase.preparation, *, actor=None) -> Fair:
    """Step `fair` through the phases (each a service call) until it reaches `phase`."""
    order = list(Phase)
    while fair.phase.position < phase.position:
        fair = fairs.move_phase(fair, order[fair.phase.position + 1], actor=actor)
    return fair


def phone_number(number: int | None = None) -> str:
    """A distinct valid mobile number per call."""
    return f"139{(number if number is not None else next(_numbers)):08d}"


def make_ticket(fair: Fair, *, source: TicketSource = TicketSource.online, actor=None, **overrides) -> Ticket:
    """A ticket registered through the service (the fair must be open for registration)."""
    number = next(_numbers)
    values = {"name": f"观众{number}", "phone": phone_number(number), "kind": VisitorKind.public, "group_size": 1}
    values.update(overrides)
    ticket, _created = services.register_visitor(fair, services.VisitorDetails(**values), source=source, actor=actor)
    return ticket


def make_tickets(fair: Fair, count: int, *, actor=None, **overrides) -> list[str]:
    """`count` tickets in one bulk issue; returns their codes."""
    rows = []
    for _ in range(count):
        number = next(_numbers)
        values = {"name": f"观众{number}", "phone": phone_number(number), "kind": VisitorKind.public}
        values.update(overrides)
        rows.append(services.VisitorDetails(**values))
    return services.issue_tickets(fair, rows, source=TicketSource.imported, actor=actor)


# --- check-in (fair/visitors/checkins.py) -----------------------------------------------------------------

def make_scannable_ticket(fair: Fair, **overrides) -> tuple[Ticket, str]:
    """A ticket issued through the service (in any phase but closed) and its QR content: (ticket, code text).
    A group (kind group) when `group_size` is over 1."""
    import sqlalchemy as sa
    from fair.extensions import db

    number = next(_numbers)
    values = {"name": f"观众{number}", "phone": phone_number(number),
              "kind": VisitorKind.group if overrides.get("group_size", 1) > 1 else VisitorKind.public}
    values.update(overrides)
    [code] = services.issue_tickets(fair, [services.VisitorDetails(**values)], source=TicketSource.imported,
                                    actor=None)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.code == code))
    return ticket, services.qr_text(ticket)


def make_area(fair: Fair, name: str = "场馆", **overrides):
    from fair.visitors import checkins
    return checkins.save_area(fair, checkins.AreaDetails(name, **overrides), actor=None)


def make_point(fair: Fair, slug: str = "gate", **overrides):
    """A check-in point, an entry gate unless `kind` says otherwise."""
    from fair.visitors import checkins
    from fair.visitors.models import PointKind

    values = {"name": slug, "kind": PointKind.entry}
    values.update(overrides)
    return checkins.save_point(fair, checkins.PointDetails(slug, values.pop("name"), values.pop("kind"), **values),
                               actor=None)


def make_device(fair: Fair, points, name: str = "闸机"):
    """A scanning device for `points`: (device, bearer token)."""
    from fair.visitors import checkins
    return checkins.issue_device(fair, name, list(points), actor=None)


def inside(area) -> int:
    """People inside `area` now."""
    import sqlalchemy as sa
    from fair.extensions import db
    from fair.visitors.models import Presence

    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Presence.people), 0))
                             .where(Presence.area_id == area.id))


def checkin_count(**where) -> int:
    """Stored scans, admitted or refused, matching `where` (Checkin columns)."""
    import sqlalchemy as sa
    from fair.extensions import db
    from fair.visitors.models import Checkin

    return db.session.scalar(sa.select(sa.func.count(Checkin.id)).filter_by(**where))
