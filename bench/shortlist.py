"""Shortlisting at the provincial fair's size: about 3,300 submitted applications, 2 reviews each, 435 places.

    python bench/shortlist.py [--runs N] [--database-url URL]

Four measures, each the median of N runs: the maths alone (fair/shortlist/ranking.py: severity correction of
7,000 reviews, then the integer program with a quota per category and per city), the whole proposal service
(load the reviews, correct, select, write an entry per application, audit, commit) next to a floor (a bare
multi-row INSERT of the same entries), the organizer's shortlist page, and publishing (a decision and a
message per application, one transaction; once per database, so its floor is a bare INSERT of the messages).
Default database: a fresh SQLite file; with --database-url (PostgreSQL), its public schema is DROPPED and
rebuilt, so never point it at data you keep."""
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from bench.screening_assign import seed_fair_table  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import QuotaDimension, ReviewAssignment, ReviewScore, ShortlistEntry  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.auth.models import Role  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402
from fair.demo_seed import CITIES  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs import services as fairs  # noqa: E402
from fair.fairs.models import Fair, Phase  # noqa: E402
from fair.messages.models import Message  # noqa: E402
from fair.screening import services as screening  # noqa: E402
from fair.shortlist import ranking, services as shortlist  # noqa: E402
from fair.times import utcnow  # noqa: E402

APPLICATIONS, REVIEWERS, SIZE = 3500, 40, 435
MATHS_TARGET_MS, PROPOSE_TARGET_MS, PAGE_TARGET_MS, PUBLISH_TARGET_MS = 1_000, 5_000, 300, 10_000


def maths_row(runs: int) -> tuple:
    """Severity correction and selection on made-up data of the fair's shape: 10 categories, 13 cities."""
    rng = random.Random(2026)
    severity = {reviewer: rng.gauss(0, 1) for reviewer in range(REVIEWERS)}
    quality = [rng.gauss(6, 1.5) for _ in range(APPLICATIONS)]
    reviews = [ranking.Review(reviewer, number, min(10.0, max(0.0, quality[number] + severity[reviewer])))
               for number in range(APPLICATIONS) for reviewer in rng.sample(range(REVIEWERS), 2)]
    groups = [frozenset({("category", str(rng.randrange(10))), ("city", rng.choice(list(CITIES)))})
              for _ in range(APPLICATIONS)]
    quotas = ([ranking.Quota("category", str(key), 25, 70) for key in range(10)]
              + [ranking.Quota("city", city, 15, 60) for city in CITIES])

    def solve():
        estimates = ranking.correct_severity(reviews).estimates
        candidates = [ranking.Candidate(number, estimates[number].score, groups[number])
                      for number in range(APPLICATIONS)]
        assert len(ranking.select(candidates, SIZE, quotas, waitlist_size=44).shortlist) == SIZE

    return f"shortlist maths {APPLICATIONS:,} → {SIZE}, {len(quotas)} quotas", runs, median_ms(solve, runs), None, \
        MATHS_TARGET_MS


def _screened_fair(workdir: Path, database_url: str | None, name: str):
    """The demo fair with the seed's applications imported, each reviewed by two of 40 reviewers, each
    reviewer with a severity of their own; the shortlist's size and a quota per category and city."""
    app = fresh_app(workdir, database_url, name)
    with app.app_context():
        fair = build_demo("small", screened=False).fair
        applications.import_applications(fair, seed_fair_table(fair), actor=None, source="bench")
        organizer = auth.find_user("organizer@demo.fair")
        for number in range(REVIEWERS - len(screening.reviewers(fair))):
            person = auth.create_user(f"bench-reviewer-{number}@example.cn", f"专家{number}", "bench-password")
            auth.grant_role(fair, person, Role.reviewer, actor=organizer)
        while fair.phase != Phase.screening:
            fairs.move_phase(fair, fair.phase.neighbours()[0], actor=organizer)
        criteria = screening.set_rubric(fair, [screening.CriterionDetails(*line) for line in screening.DEFAULT_RUBRIC],
                                        actor=organizer)
        screening.assign_reviewers(fair, actor=organizer)
        rng = random.Random(7)
        severity = {person.id: rng.randint(-2, 2) for person in screening.reviewers(fair)}
        assignments = db.session.execute(sa.select(ReviewAssignment.id, ReviewAssignment.reviewer_id)).all()
        db.session.execute(sa.insert(ReviewScore), [
            {"assignment_id": assignment, "criterion_id": criterion.id,
             "points": min(10, max(0, rng.randint(3, 9) + severity[reviewer]))}
            for assignment, reviewer in assignments for criterion in criteria])
        db.session.execute(sa.update(ReviewAssignment).values(submitted_at=utcnow()))
        db.session.commit()
        quotas = [shortlist.QuotaSetting(QuotaDimension.category, str(category.id), 10, 80)
                  for category in fair.categories if category.name not in ("其他",)]
        quotas += [shortlist.QuotaSetting(QuotaDimension.city, city, 12, None) for city in CITIES]
        shortlist.save_settings(fair, size=SIZE, quotas=quotas, actor=organizer)
        db.session.remove()
    return app


def _bare_insert_ms(model, rows: list[dict]) -> float:
    db.session.execute(sa.delete(model))
    db.session.commit()
    started = time.perf_counter()
    db.session.execute(sa.insert(model), rows)
    db.session.commit()
    return (time.perf_counter() - started) * 1000


def service_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    proposals, proposal_floors, pages, publishes, publish_floors = [], [], [], [], []
    for run in range(runs):
        app = _screened_fair(workdir, database_url, f"shortlist-{run}")
        with app.app_context():
            fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
            organizer = auth.find_user("organizer@demo.fair")
            started = time.perf_counter()
            proposal = shortlist.propose(fair, actor=organizer)
            proposals.append((time.perf_counter() - started) * 1000)
            entries = [{column.name: getattr(entry, column.name) for column in ShortlistEntry.__table__.columns
                        if column.name != "id"} for entry in db.session.scalars(sa.select(ShortlistEntry))]
            proposal_floors.append(_bare_insert_ms(ShortlistEntry, entries))

            app.config["WTF_CSRF_ENABLED"] = False
            client = app.test_client()
            login = {"email": "organizer@demo.fair", "password": DEMO_PASSWORD}
            assert client.post("/login", data=login).status_code == 302

            def page():
                assert client.get(f"/fairs/{DEMO_SLUG}/shortlist").status_code == 200

            pages.append(median_ms(page, 5))

            started = time.perf_counter()
            tally = shortlist.publish(fair, actor=organizer)
            publishes.append((time.perf_counter() - started) * 1000)
            messages = [{column.name: getattr(message, column.name) for column in Message.__table__.columns
                         if column.name != "id"} for message in db.session.scalars(sa.select(Message))]
            publish_floors.append(_bare_insert_ms(Message, messages))
            db.session.remove()
    entries_count = sum(tally.values())
    return [
        (f"propose {entries_count:,} → {proposal.shortlisted} (+{proposal.waitlisted} waitlist)", runs,
         statistics.median(proposals), statistics.median(proposal_floors), PROPOSE_TARGET_MS),
        (f"shortlist page ({entries_count:,} entries)", runs, statistics.median(pages), None, PAGE_TARGET_MS),
        (f"publish {entries_count:,} decisions + messages", runs, statistics.median(publishes),
         statistics.median(publish_floors), PUBLISH_TARGET_MS),
    ]


def shortlist_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """Every shortlisting measure, as rows for this script's table and for bench/run.py's."""
    return [maths_row(max(runs, 5))] + service_rows(workdir, database_url, runs)


def main() -> None:
    run_alone(shortlist_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
