"""The organizer's dashboard and the figures API at the seed fair's size.

    python bench/dashboard.py [--runs N] [--database-url URL]

Data (bench data, written in bulk, not through the services, so it builds in seconds): the small demo fair
with the seed's 3,500 applications imported, all submitted, 2 submitted reviews each, 435 shortlisted on 480
booths; 60 judges, 3 scorecards per project, 80 awards published, 5,000 people's choice votes; 50,000 tickets
(8% groups of 8–40), 31,000 entries at the gate over 3 days, 90% of them leaving by the exit, 10,000 outdoor
check-ins and 1,000 refused scans. Measures, each the median of N runs (at least 10) through the Flask test
client logged in as the organizer: the figures alone (stats.figures), the dashboard page, the JSON it polls,
getFairStats and the public numbers page, each with its number of SQL statements, next to a floor: one bare
COUNT of the fair's check-ins (the largest table the figures read). Each label also gives the median process
CPU time: on SQLite the database works inside the process, so that is the request's own cost however busy the
machine (on PostgreSQL the server's share is not in it). Default database: a fresh SQLite file;
with --database-url (PostgreSQL), its public schema is DROPPED and rebuilt, so never point it at data you keep."""
import random
import secrets
import statistics
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from time import process_time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from bench.screening_assign import seed_fair_table  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, Decision, ReviewAssignment  # noqa: E402
from fair.auth.models import User  # noqa: E402
from fair.booths import services as booths  # noqa: E402
from fair.booths.models import Booth  # noqa: E402
from fair.console import stats  # noqa: E402
from fair.demo import DEMO_PASSWORD, build_demo  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Phase  # noqa: E402
from fair.times import from_local, utcnow  # noqa: E402
from fair.visitors import checkins  # noqa: E402
from fair.visitors.models import Checkin, PointKind, Policy, Presence, Ticket, TicketSource, VisitorKind  # noqa: E402
from judging.models import (Award, AwardTier, Judge, JudgeAssignment, JudgingSetup, Scorecard,  # noqa: E402
                            Vote)

TARGET_MS = 100
SHORTLIST, BOOTHS, ZONES = 435, 480, 10
JUDGES, PER_PROJECT = 60, 3
TIERS = [("特别荣誉奖", "Special honour", 5), ("金奖", "Gold", 15), ("银奖", "Silver", 25), ("铜奖", "Bronze", 35)]
TICKETS, ENTRIES, OUTDOOR, REFUSED, VOTES = 50_000, 31_000, 10_000, 1_000, 5_000
CHUNK = 5_000


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(model.__table__), rows[start:start + CHUNK])


def _ids(query) -> list[int]:
    return db.session.scalars(query).all()


def build(rng: random.Random):
    """The seed-sized fair (see the module's docstring); returns it."""
    fair = build_demo("small", screened=False).fair
    applications.import_applications(fair, seed_fair_table(fair), actor=None, source="bench")
    now = utcnow()
    db.session.execute(sa.update(Application).where(Application.fair_id == fair.id)
                       .values(status=ApplicationStatus.submitted, submitted_at=now))
    projects = _ids(sa.select(Application.id).where(Application.fair_id == fair.id).order_by(Application.id))
    reviewers = _people("reviewer", 40)
    _insert(ReviewAssignment, [{"application_id": project, "reviewer_id": reviewer, "assigned_at": now,
                                "submitted_at": now, "comment": ""}
                               for project in projects for reviewer in rng.sample(reviewers, 2)])
    chosen = sorted(rng.sample(projects, SHORTLIST))
    db.session.execute(sa.update(Application).where(Application.id.in_(chosen))
                       .values(decision=Decision.shortlisted, decided_at=now))
    _booths(fair, chosen)
    _judging(fair, chosen, rng, now)
    _visitors(fair, chosen, rng, now)
    fair.phase = Phase.live
    db.session.commit()
    return fair


def _people(role: str, count: int) -> list[int]:
    hashed = db.session.scalar(sa.select(User.password_hash).limit(1))
    _insert(User, [{"email": f"{role}{number}@bench.fair", "name": f"{role} {number}", "password_hash": hashed,
                    "is_admin": False, "is_active_account": True, "created_at": utcnow()} for number in range(count)])
    return _ids(sa.select(User.id).where(User.email.like(f"{role}%@bench.fair")).order_by(User.id))


def _booths(fair, chosen: list[int]) -> None:
    hall = booths.create_hall(fair, booths.HallDetails("一号馆", 160, 100, "Hall 1"), actor=None)
    zones = [booths.create_zone(fair, booths.ZoneDetails(f"{category.name}展区", hall.id, [category.id]), actor=None)
             for category in fair.categories[:ZONES]]
    per_zone = BOOTHS // ZONES
    _insert(Booth, [{"fair_id": fair.id, "hall_id": hall.id, "zone_id": zones[number // per_zone].id,
                     "code": f"{'ABCDEFGHJK'[number // per_zone]}-{number % per_zone + 1:02d}",
                     "x": 1 + 3 * (number % 40), "y": 1 + 4 * (number // 40), "width": 3, "depth": 3,
                     "size": "standard", "corner": False, "power": True, "step_free": True,
                     "application_id": chosen[number] if number < len(chosen) else None, "locked": False,
                     "version": 1, "updated_at": utcnow()} for number in range(BOOTHS)])


def _judging(fair, chosen: list[int], rng: random.Random, now: datetime) -> None:
    db.session.add(JudgingSetup(fair_id=fair.id, judges_per_project=PER_PROJECT, opened_at=now, locked_at=now,
                                frozen_at=now, published_at=now, voting_opened_at=now))
    tiers = [AwardTier(fair_id=fair.id, name=name, name_en=name_en, position=position, count=count)
             for position, (name, name_en, count) in enumerate(TIERS)]
    db.session.add_all(tiers)
    db.session.flush()
    users = _people("judge", JUDGES)
    _insert(Judge, [{"fair_id": fair.id, "user_id": user, "title": "", "active": True, "created_at": now}
                    for user in users])
    judges = _ids(sa.select(Judge.id).where(Judge.fair_id == fair.id).order_by(Judge.id))
    _insert(JudgeAssignment, [{"fair_id": fair.id, "judge_id": judge, "application_id": project, "source": "solver",
                               "locked": False, "walk_order": 0, "skip_reason": "", "created_at": now}
                              for project in chosen for judge in rng.sample(judges, PER_PROJECT)])
    pairs = _ids(sa.select(JudgeAssignment.id).where(JudgeAssignment.fair_id == fair.id))
    _insert(Scorecard, [{"assignment_id": pair, "comment": "", "submitted_at": now, "updated_at": now, "version": 2}
                        for pair in pairs])
    ranked = iter(rng.sample(chosen, sum(count for _name, _en, count in TIERS)))
    _insert(Award, [{"fair_id": fair.id, "application_id": next(ranked), "tier_id": tier.id, "reason": "",
                     "certificate_code": secrets.token_hex(12), "created_at": now}
                    for tier in tiers for _ in range(tier.count)])


def _visitors(fair, chosen: list[int], rng: random.Random, now: datetime) -> None:
    venue = checkins.save_area(fair, checkins.AreaDetails("展馆", "Exhibition halls"), actor=None)
    gate = checkins.save_point(fair, checkins.PointDetails("gate", "东门入口", PointKind.entry, Policy.daily,
                                                          area_id=venue.id), actor=None)
    exit_ = checkins.save_point(fair, checkins.PointDetails("gate-out", "东门出口", PointKind.exit, Policy.unlimited,
                                                           area_id=venue.id), actor=None)
    outdoor = [checkins.save_point(fair, checkins.PointDetails(f"outdoor-{n}", f"户外体验{n}", PointKind.activity,
                                                              Policy.once), actor=None) for n in range(3)]
    _insert(Ticket, [{"fair_id": fair.id, "code": secrets.token_hex(16), "name": f"观众{number}",
                      "phone": f"139{number:08d}", "kind": VisitorKind.group if group else VisitorKind.public,
                      "group_name": "学校" if group else "", "group_size": rng.randint(8, 40) if group else 1,
                      "valid_from": fair.starts_on, "valid_until": fair.ends_on, "source": TicketSource.online,
                      "issued_at": now, "revoked_reason": ""}
                     for number, group in ((n, rng.random() < 0.08) for n in range(TICKETS))])
    tickets = db.session.execute(sa.select(Ticket.id, Ticket.group_size).where(Ticket.fair_id == fair.id)).all()
    days = [fair.starts_on + timedelta(days=offset) for offset in range(3)]
    scans, inside = [], []
    for number, (ticket, size) in enumerate(rng.sample(tickets, ENTRIES)):
        day = days[number % 3]
        arrived = from_local(datetime.combine(day, time(rng.randint(9, 16), rng.randrange(60))), fair.timezone)
        scans.append(_scan(fair, gate.id, ticket, size, day, arrived, f"{gate.id}:{ticket}:{day.isoformat()}"))
        if rng.random() < 0.9:
            scans.append(_scan(fair, exit_.id, ticket, size, day, arrived + timedelta(hours=2), None))
        elif day == days[-1]:                  # still inside on the last day
            inside.append({"area_id": venue.id, "ticket_id": ticket, "people": size, "since": arrived})
    for number, (ticket, size) in enumerate(rng.sample(tickets, OUTDOOR)):
        point = outdoor[number % 3]
        moment = from_local(datetime.combine(days[number % 3], time(rng.randint(9, 16))), fair.timezone)
        scans.append(_scan(fair, point.id, ticket, size, days[number % 3], moment, f"{point.id}:{ticket}"))
    for number in range(REFUSED):
        scans.append(_scan(fair, gate.id, None, 0, days[0], now, None, reason="invalid"))
    _insert(Checkin, scans)
    _insert(Presence, inside)
    categories = dict(db.session.execute(sa.select(Application.id, Application.category_id)
                                         .where(Application.id.in_(chosen))).all())
    _insert(Vote, [{"fair_id": fair.id, "ticket_id": ticket, "category_id": categories[project],
                    "application_id": project, "address": "", "device": "", "created_at": now}
                   for (ticket, _size), project in zip(rng.sample(tickets, VOTES), rng.choices(chosen, k=VOTES))])


def _scan(fair, point_id: int, ticket: int | None, people: int, day, at: datetime, once_key: str | None,
          reason: str = "ok") -> dict:
    return {"fair_id": fair.id, "point_id": point_id, "ticket_id": ticket, "reason": reason, "people": people,
            "day": day, "scanned_at": at, "recorded_at": at, "once_key": once_key, "raw_code": "",
            "offline": False, "conflict": False}


def median_cpu_ms(action, runs: int) -> float:
    """The median process CPU time of `action`: on SQLite, which runs inside the process, the work itself,
    whatever else the machine is doing (wall time on a shared machine mostly measures the others)."""
    action()
    times = []
    for _ in range(runs):
        started = process_time()
        action()
        times.append((process_time() - started) * 1000)
    return statistics.median(times)


def _counting(engine) -> list[str]:
    """The statements `engine` runs from now on (clear the list to start again)."""
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def dashboard_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    runs = max(runs, 10)
    app = fresh_app(workdir, database_url, "dashboard")
    with app.app_context():
        fair = build(random.Random(2026))
        slug, fair_id = fair.slug, fair.id
        if db.engine.dialect.name == "postgresql":
            # A live database's autovacuum would have analysed the tables after such a load (bench/catalog.py)
            with db.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
        rows_read = db.session.scalar(sa.select(sa.func.count(Checkin.id)).where(Checkin.fair_id == fair_id))
        statements = _counting(db.engine)
        found = stats.api_figures(stats.figures(fair))
        figures_sql = len(statements)
        figures_ms = median_ms(lambda: (stats.figures(fair), db.session.rollback()), runs)
        figures_cpu = median_cpu_ms(lambda: (stats.figures(fair), db.session.rollback()), runs)
        count_sql = sa.text("SELECT count(*) FROM checkin WHERE fair_id = :fair")
        floor = median_ms(lambda: (db.session.execute(count_sql, {"fair": fair_id}).scalar(), db.session.rollback()),
                          runs)
        db.session.remove()
    print("figures:", found)
    client = app.test_client()
    assert client.post("/login", data={"email": "organizer@demo.fair", "password": DEMO_PASSWORD}).status_code == 302
    rows = [(f"stats.figures, {rows_read:,} check-ins ({figures_sql} SQL, CPU {figures_cpu:.0f} ms)", runs,
             figures_ms, floor, TARGET_MS)]
    for label, url in (("dashboard page", f"/fairs/{slug}/console"),
                       ("dashboard JSON (polled)", f"/fairs/{slug}/console/data.json"),
                       ("API getFairStats", f"/api/v1/fairs/{slug}/stats"),
                       ("public numbers page", f"/fairs/{slug}/numbers")):
        statements.clear()
        assert client.get(url).status_code == 200
        count = len(statements)

        def get(url=url):
            assert client.get(url).status_code == 200

        wall, cpu = median_ms(get, runs), median_cpu_ms(get, runs)
        rows.append((f"{label} ({count} SQL, CPU {cpu:.0f} ms)", runs, wall, floor, TARGET_MS))
    return rows


if __name__ == "__main__":
    run_alone(dashboard_rows, __doc__.splitlines()[0])
