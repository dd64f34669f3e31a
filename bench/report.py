"""The summary report (fair/console/report.py and report_pdf.py) at the seed fair's size.

    python bench/report.py [--runs N] [--database-url URL] [--keep FOLDER]

Data (bench data, written in bulk, not through the services, so it builds in seconds): bench/dashboard.py's
seed-sized fair (3,500 applications, 435 exhibited on 480 booths in 10 zones, 80 awards published, 50,000
tickets, 31,000 entries at the gate and 10,000 outdoor check-ins over 3 days) and sponsorship on top: 400
sponsors (enterprises, foundations, social-work agencies), 600 meetings (520 held, 50 no-shows, 30
cancelled), 390 agreements signed for exactly ¥31,200,000 on 390 exhibited projects, half of them paid in
full, 30 caring units. Measures, each the median of N runs (at least 3): gathering the content (the SQL),
drawing the PDF, and the organizer's download `GET /fairs/<slug>/console/report.pdf` (Chinese, and English)
through the Flask test client, each with its SQL statements; prints the figures the report states. With
--keep the two PDFs are written to FOLDER to look at. Default database: a fresh SQLite file; with
--database-url (PostgreSQL), its public schema is DROPPED and rebuilt, so never point it at data you keep."""
import random
import secrets
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, median_ms, run_alone  # noqa: E402
from bench.dashboard import _counting, _ids, _insert, build  # noqa: E402
from fair.applications.models import Application  # noqa: E402
from fair.auth.models import Organisation, OrganisationKind  # noqa: E402
from fair.booths.placing import PLACEABLE  # noqa: E402
from fair.console import report_views  # noqa: E402,F401  the route, on the console's blueprint
from fair.console.report import gather  # noqa: E402
from fair.console.report_pdf import render_report  # noqa: E402
from fair.demo import DEMO_PASSWORD  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.times import utcnow  # noqa: E402
from judging import report as judging_report  # noqa: E402,F401  the awards' part
from sponsorship import report as sponsorship_report  # noqa: E402,F401  the resources' part
from sponsorship.demo import split_amount  # noqa: E402
from sponsorship.models import (Agreement, AgreementStatus, CaringUnit, Meeting, MeetingStatus, Payment,  # noqa: E402
                                Side, SponsorProfile)

TARGET_MS = 10_000
SPONSORS, AGREEMENTS, AMOUNT_FEN, CARING_UNITS = 400, 390, 3_120_000_000, 30
MEETINGS = {MeetingStatus.held: 520, MeetingStatus.no_show: 50, MeetingStatus.cancelled: 30}
KINDS = [(OrganisationKind.enterprise, 60), (OrganisationKind.foundation, 25), (OrganisationKind.social_work, 15)]


def build_with_sponsorship(rng: random.Random):
    """bench/dashboard.py's fair with the sponsorship above; returns it."""
    fair = build(rng)
    now = utcnow()
    exhibited = _ids(sa.select(Application.id).where(Application.fair_id == fair.id, PLACEABLE)
                     .order_by(Application.id))
    kinds = rng.choices([kind for kind, _weight in KINDS], [weight for _kind, weight in KINDS], k=SPONSORS)
    _insert(Organisation, [{"name": f"爱心支持单位{number:03d}", "kind": kind, "province": "江苏省", "city": "南京市",
                            "district": "", "contact_name": "", "contact_phone": "", "created_at": now}
                           for number, kind in enumerate(kinds)])
    organisations = _ids(sa.select(Organisation.id).where(Organisation.name.like("爱心支持单位%"))
                         .order_by(Organisation.id))
    _insert(SponsorProfile, [{"fair_id": fair.id, "organisation_id": organisation, "introduction": "",
                              "focus_category_ids": [], "regions": [], "budget_min_fen": 0, "budget_max_fen": 0,
                              "support_offered": ["funds"], "wants": "", "contact_name": "", "contact_phone": "",
                              "created_at": now, "updated_at": now, "version": 1} for organisation in organisations])
    sponsors = _ids(sa.select(SponsorProfile.id).where(SponsorProfile.fair_id == fair.id).order_by(SponsorProfile.id))
    _insert(Meeting, [{"fair_id": fair.id, "sponsor_id": rng.choice(sponsors), "application_id": rng.choice(exhibited),
                       "requested_by_side": Side.sponsor, "message": "", "status": status, "at_booth": False,
                       "code": secrets.token_hex(12), "answer_note": "", "created_at": now, "version": 1}
                      for status, count in MEETINGS.items() for _ in range(count)])
    amounts = split_amount(AMOUNT_FEN, AGREEMENTS, rng)
    _insert(Agreement, [{"fair_id": fair.id, "number": f"XY-{number + 1:04d}", "revision": 1,
                         "sponsor_id": rng.choice(sponsors), "application_id": project,
                         "status": AgreementStatus.signed, "amount_fen": amount, "support_kinds": ["funds"],
                         "in_kind_value_fen": 0, "in_kind_description": "", "period_start": date(2027, 6, 1),
                         "period_end": date(2028, 5, 31), "terms": "", "drafted_by_side": Side.sponsor,
                         "created_at": now, "updated_at": now, "signed_at": now, "cancel_reason": "",
                         "verification_code": secrets.token_hex(12), "version": 1}
                        for number, (project, amount) in enumerate(zip(rng.sample(exhibited, AGREEMENTS), amounts))])
    signed = db.session.execute(sa.select(Agreement.id, Agreement.amount_fen).where(Agreement.fair_id == fair.id)).all()
    _insert(Payment, [{"agreement_id": agreement, "amount_fen": amount, "paid_on": fair.ends_on, "reference": "",
                       "recorded_at": now} for agreement, amount in signed[::2]])
    _insert(CaringUnit, [{"fair_id": fair.id, "organisation_id": organisation, "citation": "",
                          "certificate_code": secrets.token_hex(12), "created_at": now}
                         for organisation in organisations[:CARING_UNITS]])
    db.session.commit()
    return fair


def report_rows(workdir: Path, database_url: str | None, runs: int, keep: Path | None = None) -> list[tuple]:
    runs = max(runs, 3)
    app = fresh_app(workdir, database_url, "report")
    with app.app_context():
        fair = build_with_sponsorship(random.Random(2026))
        slug = fair.slug
        statements = _counting(db.engine)
        content = gather(fair, "zh_Hans")
        gather_sql = len(statements)
        gather_ms = median_ms(lambda: (gather(fair, "zh_Hans"), db.session.rollback()), runs)
        render_ms = median_ms(lambda: render_report(content), runs)
        for section in content.sections:
            for block in section.blocks:
                for item in getattr(block, "items", ()):
                    print(f"{section.title} · {item.label}: {item.value}")
        db.session.remove()
    client = app.test_client()
    assert client.post("/login", data={"email": "organizer@demo.fair", "password": DEMO_PASSWORD}).status_code == 302
    rows = [(f"gather the content ({gather_sql} SQL)", runs, gather_ms, None, None),
            ("draw the PDF (reportlab)", runs, render_ms, None, None)]
    for label, query in (("download, Chinese", ""), ("download, English", "?lang=en")):
        url = f"/fairs/{slug}/console/report.pdf{query}"
        statements.clear()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        count = len(statements)
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"report{query.replace('?lang=', '-')}.pdf").write_bytes(response.data)

        def download(url=url):
            assert client.get(url).status_code == 200

        rows.append((f"{label} ({count} SQL, {len(response.data) // 1024} KB)", runs, median_ms(download, runs),
                     None, TARGET_MS))
    return rows


if __name__ == "__main__":
    kept = None
    if "--keep" in sys.argv:
        at = sys.argv.index("--keep")
        kept = Path(sys.argv[at + 1]).resolve()
        del sys.argv[at:at + 2]
    run_alone(lambda workdir, url, runs: report_rows(workdir, url, runs, kept), __doc__.splitlines()[0])
