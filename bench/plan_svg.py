"""The floor plan at the provincial fair's size: 500 booths in 10 zones, 435 of them with a project.

    python bench/plan_svg.py [--runs N] [--database-url URL]

Three measures, each the median of N runs (at least 10): the drawing alone (fair/booths/svg.py on plain
shapes; the issue's target: under 100 ms), the plan read from the database and drawn (queries.load_plan,
then the SVG), and the whole public page `GET /fairs/<slug>/plan` through the Flask test client, with the
number of SQL statements it runs in the row's label. Data: the small demo fair with the seed's
applications imported, 435 of them marked shortlisted and put on booths directly (bench data; the
allocation has its own benchmark), the hall, zones and booths built through fair.booths.services.
Default database: a fresh SQLite file; with --database-url (PostgreSQL), its public schema is DROPPED and
rebuilt, so never point it at data you keep."""
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from bench.screening_assign import seed_fair_table  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, Decision  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.booths import queries, services as booths  # noqa: E402
from fair.booths.svg import BoothShape, HallShape, ZoneShape, render_plan  # noqa: E402
from fair.demo import build_demo  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs import services as fairs  # noqa: E402
from fair.fairs.models import Phase  # noqa: E402
from fair.times import utcnow  # noqa: E402

BOOTHS, ZONES, PROJECTS = 500, 10, 435
PER_ZONE = BOOTHS // ZONES                 # two back-to-back rows of 25
SVG_TARGET_MS = 100
COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac"]


def layout() -> list[tuple[int, int, int, int]]:
    """(zone, booth number, x, y) for every booth: zones in two columns of five, 3 m booths, 4 m aisles."""
    spots = []
    for zone in range(ZONES):
        x0, y0 = 2 + (zone % 2) * 80, 2 + (zone // 2) * 13
        for number in range(PER_ZONE):
            spots.append((zone, number, x0 + 3 * (number % 25), y0 + 3 * (number // 25)))
    return spots


def shapes() -> tuple[HallShape, list[ZoneShape], list[BoothShape]]:
    """The plan as plain shapes, as the pages hand them to the drawing: most booths taken, some locked."""
    rng = random.Random(2026)
    zones = [ZoneShape(zone, f"展区{zone + 1}", COLOURS[zone]) for zone in range(ZONES)]
    booths = []
    for index, (zone, number, x, y) in enumerate(layout()):
        status = "free" if rng.random() < 0.13 else ("locked" if rng.random() < 0.05 else "assigned")
        booths.append(BoothShape(index, f"{'ABCDEFGHJK'[zone]}-{number + 1:02d}", x, y, 3, 3, zone, status,
                                 title="" if status == "free" else f"社区志愿服务项目{index}",
                                 href=None if status == "free" else f"/fairs/js-2026/projects/{index}",
                                 power=rng.random() < 0.5, step_free=rng.random() < 0.7))
    return HallShape(1, "一号馆", 160, 70), zones, booths


def svg_row(runs: int) -> tuple:
    hall, zones, booths = shapes()
    return (f"plan SVG, {BOOTHS} booths (svg.render_plan)", runs,
            median_ms(lambda: render_plan(hall, zones, booths, highlight={3, 4}), runs), None, SVG_TARGET_MS)


def _planned_fair():
    """The demo fair in preparation with the whole plan built and 435 shortlisted projects on booths."""
    fair = build_demo("small", screened=False).fair
    applications.import_applications(fair, seed_fair_table(fair), actor=None, source="bench")
    organizer = auth.find_user("organizer@demo.fair")
    hall = booths.create_hall(fair, booths.HallDetails("一号馆", 160, 70, "Hall 1"), actor=organizer)
    zones = [booths.create_zone(fair, booths.ZoneDetails(f"{category.name}展区", hall.id, [category.id],
                                                         COLOURS[number]), actor=organizer)
             for number, category in enumerate(fair.categories[:ZONES])]
    made = booths.create_booths(fair, [
        booths.BoothDetails(f"{'ABCDEFGHJK'[zone]}-{number + 1:02d}", hall.id, zones[zone].id, x, y,
                            power=number % 2 == 0) for zone, number, x, y in layout()], actor=organizer)
    by_category: dict[int, list] = {}
    for booth in made:
        by_category.setdefault(booth.zone.categories[0].id, []).append(booth)
    placed = 0
    projects = db.session.scalars(sa.select(Application).where(
        Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted)
        .order_by(Application.id)).all()
    for project in projects:
        free = by_category.get(project.category_id)
        if placed == PROJECTS or not free:
            continue
        project.decision, project.decided_at = Decision.shortlisted, utcnow()
        free.pop().application_id = project.id
        placed += 1
    db.session.commit()
    fairs.move_phase(fair, Phase.preparation, actor=organizer)
    return fair, placed


def database_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    app = fresh_app(workdir, database_url, "plan-svg")
    with app.app_context():
        fair, placed = _planned_fair()
        slug = fair.slug

        def load_and_draw():
            plan = queries.load_plan(fair, public=True, href_for=lambda application_id: f"/p/{application_id}")
            return [hall.svg() for hall in plan.halls]

        drawn = median_ms(load_and_draw, runs)
        db.session.remove()
    client = app.test_client()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    response = client.get(f"/fairs/{slug}/plan")
    sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200 and response.get_data(as_text=True).count('class="booth ') == BOOTHS
    count = len(statements)

    def get_page():
        assert client.get(f"/fairs/{slug}/plan").status_code == 200

    page = median_ms(get_page, runs)
    return [(f"plan from the database, {placed} projects (load + SVG)", runs, drawn, None, None),
            (f"GET /fairs/…/plan, {BOOTHS} booths ({count} SQL statements)", runs, page, None, None)]


def plan_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The plan's measures, as rows for this script's table."""
    runs = max(runs, 10)
    return [svg_row(runs)] + database_rows(workdir, database_url, runs)


def main() -> None:
    run_alone(plan_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
