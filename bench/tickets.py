"""Issuing visitor tickets at the provincial fair's size: 50,000 tickets in under 30 s.

    python bench/tickets.py [--runs N] [--database-url URL]

Three measures, each the median of N runs (at least 3), every run on a fresh fair of the same database:
issuing 50,000 tickets through visitors.services.issue_tickets (one transaction, INSERTs of 5,000 rows,
one audit event) next to a floor (a bare executemany INSERT of the same 50,000 rows); the same followed by
the export of every ticket with its signed QR content (50,000 Ed25519 signatures and the CSV), which is
what "issued" means for a print shop; and a 10,000-row group list (the import's limit) read, checked row
by row and issued, through visitors.services.import_group_list. Default database: a fresh SQLite file;
with --database-url (PostgreSQL), its public schema is DROPPED and rebuilt, so never point it at data you
keep."""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, run_alone  # noqa: E402
from fair.applications.spreadsheet import csv_bytes  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Phase  # noqa: E402
from fair.times import utcnow  # noqa: E402
from fair.visitors import services, tickets  # noqa: E402
from fair.visitors.models import Ticket, TicketSource, VisitorKind  # noqa: E402

TICKETS = 50_000
GROUP_LIST = 10_000
TARGET_MS = 30_000
KINDS = list(VisitorKind)


def _fair(number: int, organizer):
    from fair.fairs import services as fairs
    from tests.factories import fair_details

    fair = fairs.create_fair(fair_details(slug=f"bench-{number}"), actor=organizer)
    for phase in (Phase.applications_open, Phase.screening, Phase.preparation):
        fair = fairs.move_phase(fair, phase, actor=organizer)
    return fair


def _visitors(count: int, offset: int = 0) -> list[services.VisitorDetails]:
    return [services.VisitorDetails(f"观众{n}", f"139{n:08d}", KINDS[n % len(KINDS)],
                                    20 if KINDS[n % len(KINDS)] is VisitorKind.group else 1)
            for n in range(offset, offset + count)]


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def ticket_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The ticket measures, as rows for this script's table and for bench/run.py's."""
    runs = max(runs, 3)
    app = fresh_app(workdir, database_url, "tickets")
    issue, issue_export, floor, group_list = [], [], [], []
    with app.app_context():
        organizer = auth.create_user("organizer@bench.fair", "组织者", "bench-password-1", is_admin=True)
        rows = _visitors(TICKETS)
        table = [[column.header for column in services.IMPORT_COLUMNS]] + [
            [row.name, row.phone, str(row.kind.label), "", row.group_size] for row in _visitors(GROUP_LIST, TICKETS)]
        group_file = csv_bytes(table[0], table[1:])
        number = 0
        for run in range(runs + 1):                      # the first run warms caches and is dropped
            number += 1
            fair = _fair(number, organizer)
            took = _timed(lambda: services.issue_tickets(fair, rows, source=TicketSource.imported, actor=organizer))
            exported = _timed(lambda: services.export_tickets(fair, actor=organizer))
            number += 1
            other = _fair(number, organizer)
            imported = _timed(lambda: services.import_group_list(other, group_file, actor=organizer, source="bench"))
            number += 1
            bare = _fair(number, organizer)
            floor_took = _timed(lambda: _bare_insert(bare.id, rows))
            if run:
                issue.append(took)
                issue_export.append(took + exported)
                group_list.append(imported)
                floor.append(floor_took)
        assert db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.fair_id == fair.id)) == TICKETS
        text = services.qr_text(db.session.scalars(sa.select(Ticket).where(Ticket.fair_id == fair.id).limit(1)).one())
        assert tickets.verify(text, services.public_keys(fair)).fair_id == fair.id
    bare_floor = statistics.median(floor)
    return [(f"issue {TICKETS:,} tickets (service, one event)", runs, statistics.median(issue), bare_floor, TARGET_MS),
            (f"issue {TICKETS:,} + export with signed QR content", runs, statistics.median(issue_export), bare_floor,
             TARGET_MS),
            (f"import a {GROUP_LIST:,}-row group list (CSV)", runs, statistics.median(group_list), None, None)]


def _bare_insert(fair_id: int, rows: list[services.VisitorDetails]) -> None:
    """The floor: the same rows in one executemany, no validation, no audit, codes made the same way."""
    now = utcnow()
    values = [{"fair_id": fair_id, "code": tickets.new_code(), "name": row.name, "phone": row.phone,
               "kind": row.kind.value, "group_name": "", "group_size": row.group_size, "valid_from": now.date(),
               "valid_until": now.date(), "source": "imported", "issued_at": now.replace(tzinfo=None),
               "revoked_reason": ""} for row in rows]
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO ticket (fair_id, code, name, phone, kind, group_name, group_size, valid_from, valid_until, "
            "source, issued_at, revoked_reason) VALUES (:fair_id, :code, :name, :phone, :kind, :group_name, "
            ":group_size, :valid_from, :valid_until, :source, :issued_at, :revoked_reason)"), values)


if __name__ == "__main__":
    run_alone(ticket_rows, __doc__.splitlines()[0])
