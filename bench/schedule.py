"""Scheduling meeting requests at the provincial fair's size: 1,000 waiting requests into 40 tables × 16 slots.

    python bench/schedule.py [--runs N]

Made-up data of the fair's shape: 400 sponsors and 435 projects; a sponsor asks for 1–6 meetings and
popular projects (a few award winners) draw many more requests than the rest (Zipf-like); one request
in six is at the project's booth; a third of the requests may only take some slots (the sponsor's
half day, or a few hours); 120 meetings placed before hold their tables, sponsors and projects. With
40 tables the tables are what runs out; the second shape, 60 tables, leaves tables over, so the
sponsors' and projects' own slots decide. Each measure is the median of N runs (at least 3) of
sponsorship.schedule.schedule(), target 2,000 ms. No database is used (--database-url is accepted and
ignored).

Every run checks the answer breaks no rule (schedule.conflicts) and prints the count placed, the
greedy start's count, the proved upper bound, and the capacity bound anyone can check by hand: table
meetings cannot exceed the free tables, so placed ≤ booth requests + free tables.

The last measure is the whole service, sponsorship.meetings.schedule_waiting, on a database (fresh
SQLite, or --database-url): 1,000 accepted meetings waiting (rows inserted directly: bench data), read,
solved, placed and audited (one event per meeting and one for the run) in one transaction; between runs
the placements and their events are taken back."""
import random
import sys
from collections import Counter
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, Decision  # noqa: E402
from fair.audit.models import AuditEvent  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.auth.models import Organisation, OrganisationKind  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs import services as fairs  # noqa: E402
from sponsorship import meetings  # noqa: E402
from sponsorship.models import Meeting, MeetingStatus, Side, SponsorProfile  # noqa: E402
from sponsorship.schedule import Request, Taken, conflicts, schedule  # noqa: E402

SPONSORS, PROJECTS, REQUESTS, SLOTS, PLACED_BEFORE = 400, 435, 1_000, 16, 120
SHAPES = (40, 60)                   # tables; the first is the fair's negotiation area
TARGET_MS = 2_000


def fair_shape(seed: int = 2027, requests: int = REQUESTS) -> tuple[list[Request], list[int], Taken]:
    rng = random.Random(seed)
    slots = list(range(SLOTS))                          # 8 a day, two days
    popularity = [1.0 / (rank + 1) ** 0.8 for rank in range(PROJECTS)]
    made, pairs = [], set()
    while len(made) < requests:
        sponsor = rng.randrange(SPONSORS)
        for _ in range(rng.randint(1, 6)):
            project = rng.choices(range(PROJECTS), popularity)[0]
            if (sponsor, project) in pairs or len(made) >= requests:
                continue
            pairs.add((sponsor, project))
            kind = rng.random()
            if kind < 0.15:                               # the sponsor's half day
                start = rng.choice((0, 4, 8, 12))
                allowed = frozenset(range(start, start + 4))
            elif kind < 0.33:                             # a few hours somewhere
                allowed = frozenset(rng.sample(slots, rng.randint(3, 8)))
            else:
                allowed = None
            made.append(Request(len(made), sponsor, project, allowed, at_booth=rng.random() < 1 / 6))
    sponsors, projects, tables = set(), set(), set()
    while len(tables) < PLACED_BEFORE:
        slot = rng.choice(slots)
        sponsor, project = (slot, rng.randrange(SPONSORS)), (slot, rng.randrange(PROJECTS))
        if sponsor in sponsors or project in projects:
            continue
        sponsors.add(sponsor)
        projects.add(project)
        tables.add((slot, rng.choice([t for t in range(SHAPES[0]) if (slot, t) not in tables])))
    return made, slots, Taken(frozenset(sponsors), frozenset(projects), frozenset(tables))


def schedule_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The measures as rows for this script's table (and bench/run.py's); prints counts and bounds, and
    fails if an answer breaks a rule."""
    runs, rows = max(runs, 3), []
    for tables in SHAPES:
        requests, slots, taken = fair_shape()
        answer = schedule(requests, slots, tables, taken)
        problems = conflicts(requests, answer.placed, tables, taken)
        assert not problems, problems[:5]
        capacity = sum(r.at_booth for r in requests) + SLOTS * tables - len(taken.tables)
        reasons = Counter(answer.unplaced.values())
        print(f"schedule, {tables} tables x {SLOTS} slots, {len(requests):,} requests, {len(taken.tables)} placed "
              f"before: placed {len(answer.placed)}, greedy start {answer.greedy}, upper bound {answer.upper_bound} "
              f"({'optimal' if answer.optimal else f'gap {answer.gap}'}), capacity bound {capacity}; "
              f"left out: {dict(sorted(reasons.items()))}")
        median = median_ms(lambda: schedule(requests, slots, tables, taken), runs)
        rows.append((f"schedule {len(requests):,} requests, {tables} tables x {SLOTS} slots", runs, median, None,
                     TARGET_MS))
    rows.append(service_row(workdir, database_url, runs))
    return rows


def service_row(workdir: Path, database_url: str | None, runs: int) -> tuple:
    """schedule_waiting on 1,000 waiting meetings in a database, 40 tables × 16 slots over two days."""
    requests, _slots, _taken = fair_shape()
    app = fresh_app(workdir, database_url, "schedule")
    with app.app_context():
        organizer = auth.create_user("organizer@bench.fair", "组织者", "bench-password", is_admin=True)
        first = date(2030, 5, 20)
        fair = fairs.create_fair(fairs.FairDetails(
            "bench-meetings", "洽谈排期基准", "南京市", "南京国际博览中心", first, first + timedelta(days=1),
            datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 3, 1, tzinfo=timezone.utc)), actor=organizer)
        organisations = [Organisation(name=f"单位{n}", kind=OrganisationKind.volunteer) for n in range(PROJECTS + SPONSORS)]
        db.session.add_all(organisations)
        db.session.flush()
        projects = [Application(fair_id=fair.id, organisation_id=organisations[n].id, category_id=fair.categories[0].id,
                                title=f"项目{n}", status=ApplicationStatus.submitted, decision=Decision.shortlisted)
                    for n in range(PROJECTS)]
        sponsors = [SponsorProfile(fair_id=fair.id, organisation_id=organisations[PROJECTS + n].id)
                    for n in range(SPONSORS)]
        db.session.add_all(projects + sponsors)
        db.session.flush()
        db.session.add_all(Meeting(fair_id=fair.id, sponsor_id=sponsors[r.sponsor].id, application_id=projects[r.project].id,
                                   requested_by_side=Side.sponsor, status=MeetingStatus.accepted, code=meetings.new_code())
                           for r in requests)
        db.session.commit()
        meetings.add_tables(fair, "洽谈桌", 1, 40, actor=organizer)
        for day in (first, first + timedelta(days=1)):
            meetings.add_slots(fair, meetings.SlotPlan(day, dtime(9), dtime(13), 30), actor=organizer)
        before = datetime(2030, 5, 1, tzinfo=timezone.utc)
        placed = []

        def run():
            report = meetings.schedule_waiting(fair, actor=organizer, now=before)
            placed.append(report.placed)
            db.session.execute(sa.update(Meeting).values(slot_id=None, table_id=None))
            db.session.execute(sa.delete(AuditEvent).where(AuditEvent.action.like("sponsorship.meeting%")))
            db.session.commit()

        median = median_ms(run, runs)
        print(f"schedule_waiting: {len(requests):,} waiting, 40 tables x 16 slots: placed {placed[-1]} in each run")
        db.session.remove()
    return ("schedule_waiting 1,000 meetings (read, solve, write)", runs, median, None, None)


if __name__ == "__main__":
    run_alone(schedule_rows, __doc__.splitlines()[0])
