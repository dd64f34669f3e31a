"""Booth signage at the provincial fair's size: one PDF of 435 projects' signs plus the free booths.

    python bench/signage.py [--runs N] [--database-url URL]

Two measures, each the median of N runs (at least 3): the drawing alone (fair/booths/signage.py: 435 signs
with a QR code each and the free booths' signs, Chinese text in the embedded CJK font), and the organizer's
download (`POST /fairs/<slug>/signage.pdf` starts a job, run inline, then its download) through the test
client, next to a floor (a bare SELECT of the same booth rows with their project, organisation and category).
The data: the demo fair, 435 projects of the seed data shortlisted, the demo's floor plan for them (a tenth
more booths than projects) and the allocation run. Default database: a fresh SQLite file; with --database-url
(PostgreSQL), its public schema is DROPPED and rebuilt, so never point it at data you keep."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import batch_pdf, fresh_app, median_ms, run_alone  # noqa: E402
from bench.screening_assign import seed_fair_table  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, Decision  # noqa: E402
from fair.auth import services as auth  # noqa: E402
from fair.booths import allocate, placing  # noqa: E402
from fair.booths.models import Booth  # noqa: E402
from fair.booths.signage import render_signs  # noqa: E402
from fair.booths.signage_views import sign_of, signage_booths  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402
from fair.demo_plan import build_plan  # noqa: E402
from fair.documents.pdf import cjk_font  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Fair  # noqa: E402
from fair.times import utcnow  # noqa: E402

PROJECTS = 435
TARGET_MS = 10_000
FLOOR = sa.text("SELECT * FROM booth LEFT JOIN application ON application.id = booth.application_id "
                "LEFT JOIN organisation ON organisation.id = application.organisation_id "
                "LEFT JOIN category ON category.id = application.category_id "
                "JOIN zone ON zone.id = booth.zone_id JOIN hall ON hall.id = booth.hall_id "
                "WHERE booth.fair_id = :fair ORDER BY booth.code")


def placed_fair(workdir: Path, database_url: str | None):
    """The demo fair with 435 of the seed's projects shortlisted, a floor plan for them, and placed."""
    app = fresh_app(workdir, database_url, "signage")
    with app.app_context():
        fair = build_demo("small", screened=False).fair
        organizer = auth.find_user("organizer@demo.fair")
        applications.import_applications(fair, seed_fair_table(fair)[:PROJECTS * 2], actor=None, source="bench")
        chosen = db.session.scalars(sa.select(Application.id).where(
            Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted)
            .order_by(Application.id).limit(PROJECTS)).all()
        db.session.execute(sa.update(Application).where(Application.id.in_(chosen))
                           .values(decision=Decision.shortlisted, decided_at=utcnow()))
        db.session.commit()
        build_plan(fair, organizer, lambda _message: None)
        placing.run_allocation(fair, allocate.Weights(), actor=organizer)
        db.session.remove()
    return app


def signage_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The signage measures, as rows for this script's table and for bench/run.py's."""
    runs = max(runs, 3)
    app = placed_fair(workdir, database_url)
    with app.app_context(), app.test_request_context():
        fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
        booths = signage_booths(fair)
        signs = [sign_of(fair, booth) for booth in booths]
        placed = sum(sign.assigned for sign in signs)
        assert placed == PROJECTS, placed
        assert cjk_font().embedded, "no TrueType CJK font: install fonts-wqy-microhei or set FAIR_PDF_FONT"
        drawing = median_ms(lambda: render_signs(signs, title="bench"), runs)

    with app.app_context():
        client = app.test_client()
        login = {"email": "organizer@demo.fair", "password": DEMO_PASSWORD}
        assert client.post("/login", data=login).status_code == 302
        fair_id = db.session.scalar(sa.select(Fair.id).where(Fair.slug == DEMO_SLUG))

        def bare_select():
            db.session.execute(FLOOR, {"fair": fair_id}).fetchall()
            db.session.rollback()

        def download():
            batch_pdf(client, f"/fairs/{DEMO_SLUG}/signage.pdf")

        floor = median_ms(bare_select, runs)
        whole = median_ms(download, runs)
        total = db.session.scalar(sa.select(sa.func.count(Booth.id)).where(Booth.fair_id == fair_id))
    return [
        (f"signage drawing, {placed} projects + {len(signs) - placed} free booths", runs, drawing, None, TARGET_MS),
        (f"signage.pdf as a job, {total} booths ({placed} projects)", runs, whole, floor, TARGET_MS),
    ]


def main() -> None:
    run_alone(signage_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
