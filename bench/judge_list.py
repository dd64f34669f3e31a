"""The judging pages at the seed fair's size: the organizer's judges, assignment, progress and results, and
a judge's tablet list of projects.

    python bench/judge_list.py [--runs N] [--database-url URL]

On the seed demo (`build_demo("seed")`: 435 exhibited projects, 60 judges three per project, 1,305 submitted
scorecards, the results frozen with 80 awards and published), each page is the median of N GETs through the
Flask test client, logged in as the organizer (the tablet: as the demo judge, one of the 60), each request in
its own app context as in production. Next to it a floor: a bare SELECT of the rows the page shows. The label
gives the page's SQL statements, which should not grow with the fair. Run alone it builds the seed demo
first (about 80 s on SQLite); bench/run.py measures these on the seed demo it has built. Default database: a
fresh SQLite file; with --database-url (PostgreSQL), its public schema is DROPPED and rebuilt, so never point
it at data you keep."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from bench.dashboard import _counting  # noqa: E402
from fair.auth.models import User  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Fair  # noqa: E402
from judging.models import Judge, JudgeAssignment  # noqa: E402

TARGET_MS = 100
ORGANIZER, JUDGE = "organizer@demo.fair", "judge@demo.fair"

JUDGES_SQL = sa.text('SELECT judge.*, "user".name, "user".email FROM judge JOIN "user" ON "user".id = judge.user_id'
                     " WHERE judge.fair_id = :fair ORDER BY judge.active DESC, judge.id")
PAIRS_SQL = sa.text("SELECT judge_assignment.*, scorecard.submitted_at FROM judge_assignment"
                    " LEFT JOIN scorecard ON scorecard.assignment_id = judge_assignment.id"
                    " WHERE judge_assignment.fair_id = :fair")
SCORES_SQL = sa.text("SELECT judge_assignment.judge_id, judge_assignment.application_id, score_line.criterion_id,"
                     " score_line.points FROM judge_assignment"
                     " JOIN scorecard ON scorecard.assignment_id = judge_assignment.id"
                     " JOIN score_line ON score_line.scorecard_id = scorecard.id"
                     " WHERE judge_assignment.fair_id = :fair AND scorecard.submitted_at IS NOT NULL")
WALK_SQL = sa.text("SELECT judge_assignment.*, application.title, booth.code FROM judge_assignment"
                   " JOIN application ON application.id = judge_assignment.application_id"
                   " LEFT JOIN booth ON booth.application_id = judge_assignment.application_id"
                   " WHERE judge_assignment.judge_id = :judge ORDER BY judge_assignment.walk_order, booth.code")


def _client(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
    return client


def _count(column, condition) -> int:
    return db.session.scalar(sa.select(sa.func.count(column)).where(condition))


def judge_list_rows(app, runs: int) -> list[tuple]:
    """The judging pages on the seed demo already built in `app`, each with its statements and floor."""
    with app.app_context():
        fair_id = db.session.scalar(sa.select(Fair.id).where(Fair.slug == DEMO_SLUG))
        judge_id = db.session.scalar(sa.select(Judge.id).join(User).where(Judge.fair_id == fair_id,
                                                                          User.email == JUDGE))
        judges = _count(Judge.id, Judge.fair_id == fair_id)
        pairs = _count(JudgeAssignment.id, JudgeAssignment.fair_id == fair_id)
        walk = _count(JudgeAssignment.id, JudgeAssignment.judge_id == judge_id)
        floors = {}
        for name, query, params in (("judges", JUDGES_SQL, {"fair": fair_id}), ("pairs", PAIRS_SQL, {"fair": fair_id}),
                                    ("scores", SCORES_SQL, {"fair": fair_id}), ("walk", WALK_SQL, {"judge": judge_id})):
            def bare_select(query=query, params=params):
                db.session.execute(query, params).fetchall()
                db.session.rollback()
            floors[name] = median_ms(bare_select, runs)
        statements = _counting(db.engine)
        db.session.remove()
    organizer, judge = _client(app, ORGANIZER), _client(app, JUDGE)
    base = f"/fairs/{DEMO_SLUG}/judging"
    cases = [(f"judging: judges list, {judges} judges", organizer, f"{base}/judges", "judges"),
             (f"judging: assignment, {pairs:,} pairs", organizer, f"{base}/assignment", "pairs"),
             (f"judging: progress, {pairs:,} pairs", organizer, f"{base}/progress", "pairs"),
             (f"judging: results, {pairs:,} scorecards", organizer, f"{base}/results", "scores"),
             (f"judging: tablet list, {walk} projects", judge, f"{base}/my", "walk")]
    rows = []
    for label, client, url, floor in cases:
        def get(client=client, url=url):
            assert client.get(url).status_code == 200

        statements.clear()
        get()
        count = len(statements)
        rows.append((f"{label} ({count} SQL)", runs, median_ms(get, runs), floors[floor], TARGET_MS))
    return rows


def _rows_alone(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    app = fresh_app(workdir, database_url, "judge-list")
    with app.app_context():
        build_demo("seed")
        db.session.remove()
    return judge_list_rows(app, runs)


if __name__ == "__main__":
    run_alone(_rows_alone, __doc__.splitlines()[0])
