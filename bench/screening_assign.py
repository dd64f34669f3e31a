"""Screening at the provincial fair's size: 3,500 applications, 40 reviewers, 2 reviewers each.

    python bench/screening_assign.py [--runs N] [--database-url URL]

Three measures, each the median of N runs: the assignment engine alone (fair/screening/assign.py, 300
conflicts of interest), the duplicate search alone on the seed fair's 3,500 texts, and the whole service
(assign_reviewers: load, solve, write 7,000 assignments, audit, commit) next to a floor, a bare multi-row
INSERT of the same 7,000 rows. Default database: a fresh SQLite file; with --database-url (PostgreSQL),
its public schema is DROPPED and rebuilt, so never point it at data you keep."""
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, ReviewAssignment  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.auth.models import Role  # noqa: E402
from fair.demo import build_demo  # noqa: E402
from fair.demo_seed import seed_table  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs import services as fairs  # noqa: E402
from fair.fairs.models import Phase  # noqa: E402
from fair.screening import services as screening  # noqa: E402
from fair.screening.assign import Item, assign  # noqa: E402
from fair.screening.duplicates import Text, find_duplicates  # noqa: E402

APPLICATIONS, REVIEWERS, PER_APPLICATION, CONFLICTS = 3500, 40, 2, 300
ENGINE_TARGET_MS, DUPLICATES_TARGET_MS, SERVICE_TARGET_MS = 5_000, 5_000, 15_000


def engine_row(runs: int) -> tuple:
    rng = random.Random(2026)
    items = [Item(number, PER_APPLICATION) for number in range(APPLICATIONS)]
    agents = list(range(REVIEWERS))
    conflicts = {(rng.randrange(APPLICATIONS), rng.randrange(REVIEWERS)) for _ in range(CONFLICTS)}

    def solve():
        result = assign(items, agents, conflicts=conflicts)
        assert len(result.pairs) == APPLICATIONS * PER_APPLICATION and result.spread <= 1

    return (f"assign engine {APPLICATIONS:,} × {REVIEWERS} × {PER_APPLICATION}", runs, median_ms(solve, runs), None,
            ENGINE_TARGET_MS)


def seed_fair_table(fair) -> list[list]:
    return seed_table([category.name for category in fair.categories], fair.applications_open_at,
                      fair.applications_close_at, fair.timezone)


def duplicates_row(table: list[list], runs: int) -> tuple:
    header = table[0]
    title, summary, owner = (header.index(name) for name in ("项目名称", "项目简介", "单位名称"))
    texts = [Text(number, row[title], row[summary], row[owner]) for number, row in enumerate(table[1:])]
    found = []
    elapsed = median_ms(lambda: found.append(len(find_duplicates(texts))), runs)
    return f"duplicate search, {len(texts):,} texts ({found[-1]} pairs)", runs, elapsed, None, DUPLICATES_TARGET_MS


def service_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """A fresh database per run: the demo fair, the seed's 3,500 applications imported, 40 reviewers."""
    services, floors, table = [], [], None
    for run in range(runs):
        app = fresh_app(workdir, database_url, f"screening-{run}")
        with app.app_context():
            fair = build_demo("small", screened=False).fair
            table = seed_fair_table(fair)
            applications.import_applications(fair, table, actor=None, source="bench")
            organizer = auth.find_user("organizer@demo.fair")
            for number in range(REVIEWERS - len(screening.reviewers(fair))):       # the demo has one already
                person = auth.create_user(f"bench-reviewer-{number}@example.cn", f"专家{number}", "bench-password")
                auth.grant_role(fair, person, Role.reviewer, actor=organizer)
            while fair.phase != Phase.screening:        # the demo is live: back to screening
                fairs.move_phase(fair, fair.phase.neighbours()[0], actor=organizer)
            started = time.perf_counter()
            summary = screening.assign_reviewers(fair, actor=organizer)
            services.append((time.perf_counter() - started) * 1000)
            rows = [{"application_id": a.application_id, "reviewer_id": a.reviewer_id, "assigned_at": a.assigned_at,
                     "comment": ""} for a in db.session.scalars(sa.select(ReviewAssignment))]
            db.session.execute(sa.delete(ReviewAssignment))
            db.session.commit()
            started = time.perf_counter()
            db.session.execute(sa.insert(ReviewAssignment), rows)
            db.session.commit()
            floors.append((time.perf_counter() - started) * 1000)
            submitted = db.session.scalar(sa.select(sa.func.count(Application.id)).where(
                Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted))
            db.session.remove()
    label = f"assign_reviewers {submitted:,} × {REVIEWERS} × {PER_APPLICATION} ({summary.added:,} rows)"
    return [(label, runs, statistics.median(services), statistics.median(floors), SERVICE_TARGET_MS)], table


def screening_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """Every screening measure, as rows for this script's table and for bench/run.py's."""
    rows, table = service_rows(workdir, database_url, runs)
    return [engine_row(runs), duplicates_row(table, runs)] + rows


def main() -> None:
    run_alone(screening_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
