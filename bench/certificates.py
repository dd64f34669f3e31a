"""Award certificates at the provincial fair's size: 80 awards (5 special honour, 15 gold, 25 silver, 35 bronze)
as one PDF.

    python bench/certificates.py [--runs N] [--database-url URL]

Two measures, each the median of N runs (at least 3): the drawing alone (judging/certificates.py: 80 pages,
each with its QR code and Chinese text in the embedded CJK font), and the organizer's download `POST
/fairs/<slug>/judging/certificates.pdf` (a job, run inline) and its download through the test client. The
data: the demo fair with 80 of the seed's projects shortlisted and an Award row for each, written directly as
the freeze leaves them (the ranking that decides them is measured in bench/judging_ranking.py). Default
database: a fresh SQLite file; with --database-url (PostgreSQL), its public schema is DROPPED and rebuilt."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import batch_pdf, fresh_app, median_ms, run_alone  # noqa: E402
from bench.screening_assign import seed_fair_table  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, Decision  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402
from fair.documents.pdf import cjk_font  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Fair  # noqa: E402
from fair.times import utcnow  # noqa: E402
from fair.documents.codes import public_code  # noqa: E402
from judging.awards import awards_of  # noqa: E402
from judging.certificates import render_certificates  # noqa: E402
from judging.models import Award, AwardTier, JudgingSetup  # noqa: E402
from judging.queries import DEFAULT_TIERS  # noqa: E402
from judging.results_views import certificate_of  # noqa: E402

AWARDS = 80
TARGET_MS = 5_000


def awarded_fair(workdir: Path, database_url: str | None):
    """The demo fair, 80 projects shortlisted, judging frozen with an award each (bench data)."""
    app = fresh_app(workdir, database_url, "certificates")
    with app.app_context():
        fair = build_demo("small", screened=False).fair
        applications.import_applications(fair, seed_fair_table(fair)[:AWARDS * 2], actor=None, source="bench")
        chosen = db.session.scalars(sa.select(Application.id).where(
            Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted)
            .order_by(Application.id).limit(AWARDS)).all()
        db.session.execute(sa.update(Application).where(Application.id.in_(chosen))
                           .values(decision=Decision.shortlisted, decided_at=utcnow()))
        setup = db.session.get(JudgingSetup, fair.id) or JudgingSetup(fair_id=fair.id)
        setup.opened_at = setup.locked_at = setup.frozen_at = utcnow()
        db.session.add(setup)
        tiers = [AwardTier(fair_id=fair.id, name=name, name_en=name_en, position=position, count=count)
                 for position, (name, name_en, count) in enumerate(DEFAULT_TIERS)]
        db.session.add_all(tiers)
        db.session.flush()
        places = [tier for tier in tiers for _ in range(tier.count)]
        db.session.add_all(Award(fair_id=fair.id, application_id=application_id, tier_id=tier.id, rank=rank,
                                 estimate=90.0 - rank / 2, certificate_code=public_code())
                           for rank, (application_id, tier) in enumerate(zip(chosen, places), start=1))
        db.session.commit()
        db.session.remove()
    return app


def certificate_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The certificate measures, as rows for this script's table."""
    runs = max(runs, 3)
    app = awarded_fair(workdir, database_url)
    with app.app_context(), app.test_request_context():
        fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
        setup = db.session.get(JudgingSetup, fair.id)
        certificates = [certificate_of(fair, setup, award) for award in awards_of(fair)]
        assert len(certificates) == AWARDS, len(certificates)
        assert cjk_font().embedded, "no TrueType CJK font: install fonts-wqy-microhei or set FAIR_PDF_FONT"
        drawing = median_ms(lambda: render_certificates(certificates, title="bench"), runs)

    with app.app_context():
        client = app.test_client()
        login = {"email": "organizer@demo.fair", "password": DEMO_PASSWORD}
        assert client.post("/login", data=login).status_code == 302

        def download():
            batch_pdf(client, f"/fairs/{DEMO_SLUG}/judging/certificates.pdf")

        whole = median_ms(download, runs)
    return [
        (f"certificate drawing, {AWARDS} awards", runs, drawing, None, TARGET_MS),
        (f"certificates.pdf as a job, {AWARDS} awards", runs, whole, None, TARGET_MS),
    ]


def main() -> None:
    run_alone(certificate_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
