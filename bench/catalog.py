"""The sponsors' project catalog at 3,500 exhibited projects: search, filters, sort and paging.

    python bench/catalog.py [--runs N] [--database-url URL]

The data: the demo fair with the seed's 3,500 applications imported through the applications import and
then all marked exhibited (shortlisted and submitted, a bulk UPDATE: test data, eight times the real fair's
435 so the filters have work to do), 80 published awards, 500 projects on booths and 390 funded by signed
agreements of 40 sponsors (rows inserted in bulk). Each measure is the median of N GETs (at least 5)
through the Flask test client, logged in as the demo's sponsor, the measures taking turns, next to a floor:
a bare SELECT of one page of 24 exhibited projects with their organisation and category. The SQL
statements of one request are counted too. Default database: a fresh SQLite file; with --database-url
(PostgreSQL), its public schema is DROPPED and rebuilt, so never point it at data you keep."""
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.common import fresh_app, run_alone  # noqa: E402
from bench.screening_assign import seed_fair_table  # noqa: E402
from fair.applications import services as applications  # noqa: E402
from fair.applications.models import Application, ApplicationStatus, Decision  # noqa: E402
from fair.auth.models import Organisation, OrganisationKind  # noqa: E402
from fair.booths.models import Booth, Hall, Zone  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Fair  # noqa: E402
from fair.times import utcnow  # noqa: E402
from judging.models import Award, AwardTier, JudgingSetup  # noqa: E402
from judging.queries import DEFAULT_TIERS  # noqa: E402
from sponsorship.models import Agreement, AgreementStatus, Side, SponsorProfile  # noqa: E402

TARGET_MS = 50
BOOTHS, FUNDED, SPONSORS = 500, 390, 40
FLOOR = sa.text("SELECT * FROM application JOIN organisation ON organisation.id = application.organisation_id "
                "JOIN category ON category.id = application.category_id WHERE application.fair_id = :fair "
                "AND application.decision = 'shortlisted' AND application.status = 'submitted' "
                "ORDER BY application.title, application.id LIMIT 24")


def exhibited_fair(workdir: Path, database_url: str | None):
    """The demo fair with every one of the seed's 3,500 projects exhibited, awards published, booths and
    signed agreements."""
    app = fresh_app(workdir, database_url, "catalog")
    with app.app_context():
        fair = build_demo("small", screened=False).fair
        applications.import_applications(fair, seed_fair_table(fair), actor=None, source="bench")
        now = utcnow()
        db.session.execute(sa.update(Application).where(Application.fair_id == fair.id).values(
            status=ApplicationStatus.submitted, decision=Decision.shortlisted, decided_at=now,
            submitted_at=sa.func.coalesce(Application.submitted_at, now)))
        ids = db.session.scalars(sa.select(Application.id).where(Application.fair_id == fair.id)
                                 .order_by(Application.id)).all()
        _publish_awards(fair, ids[::len(ids) // 80][:80], now)
        _place(fair, ids[:BOOTHS])
        _fund(fair, ids[5::len(ids) // FUNDED][:FUNDED])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # A live database's autovacuum would have analysed the tables after such a load; without the
            # statistics the planner guesses one row per table and nests loops over 3,500.
            with db.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
        db.session.remove()
    return app


def _publish_awards(fair: Fair, awarded: list[int], now) -> None:
    db.session.add(JudgingSetup(fair_id=fair.id, judges_per_project=3, opened_at=now, locked_at=now,
                                frozen_at=now, published_at=now))
    tiers = [AwardTier(fair_id=fair.id, name=name, name_en=name_en, position=position, count=count)
             for position, (name, name_en, count) in enumerate(DEFAULT_TIERS)]
    db.session.add_all(tiers)
    db.session.flush()
    by_rank = [tier for tier in tiers for _ in range(tier.count)]
    db.session.execute(sa.insert(Award), [
        {"fair_id": fair.id, "application_id": application_id, "tier_id": tier.id, "rank": rank + 1,
         "certificate_code": secrets.token_urlsafe(18)}
        for rank, (application_id, tier) in enumerate(zip(awarded, by_rank))])


def _place(fair: Fair, placed: list[int]) -> None:
    hall = Hall(fair_id=fair.id, name="一号馆", name_en="Hall 1", width=80, depth=70)
    db.session.add(hall)
    db.session.flush()
    zone = Zone(fair_id=fair.id, hall_id=hall.id, name="综合展区", name_en="General")
    db.session.add(zone)
    db.session.flush()
    db.session.execute(sa.insert(Booth), [
        {"fair_id": fair.id, "hall_id": hall.id, "zone_id": zone.id, "code": f"A-{number + 1:03d}",
         "x": 1 + 3 * (number % 25), "y": 1 + 3 * (number // 25), "width": 3, "depth": 3,
         "application_id": application_id}
        for number, application_id in enumerate(placed)])


def _fund(fair: Fair, funded: list[int]) -> None:
    organisations = [Organisation(name=f"爱心企业{number}", kind=OrganisationKind.enterprise)
                     for number in range(SPONSORS)]
    db.session.add_all(organisations)
    db.session.flush()
    sponsors = [SponsorProfile(fair_id=fair.id, organisation_id=organisation.id) for organisation in organisations]
    db.session.add_all(sponsors)
    db.session.flush()
    db.session.execute(sa.insert(Agreement), [
        {"fair_id": fair.id, "number": f"XY-{number + 1:04d}", "sponsor_id": sponsors[number % SPONSORS].id,
         "application_id": application_id, "status": AgreementStatus.signed, "amount_fen": 8_000_000,
         "support_kinds": ["funds"], "period_start": date(2027, 6, 1), "period_end": date(2028, 5, 31),
         "drafted_by_side": Side.sponsor, "verification_code": secrets.token_urlsafe(18), "signed_at": utcnow()}
        for number, application_id in enumerate(funded)])


def statements_of(engine, client, url: str) -> int:
    """How many SQL statements one GET of `url` runs."""
    statements = []

    def record(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def interleaved_medians(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Each action's median ms, the actions taking turns run after run, so a busy moment of the machine
    falls on all of them alike and the ratios hold."""
    for action in actions.values():
        action()                                # warm caches (templates, statements) once
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def catalog_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The catalog measures, as rows for this script's table (and bench/run.py's, should it list them).
    Requests run outside any app context, so each gets its own database session, as in production."""
    runs = max(runs, 5)
    app = exhibited_fair(workdir, database_url)
    with app.app_context():
        engine = db.engine
        fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
        fair_id, total = fair.id, db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(Application.fair_id == fair.id))
        elderly = next(category.id for category in fair.categories if category.name == "助老")
        project_id = db.session.scalar(sa.select(Booth.application_id).where(Booth.fair_id == fair_id).limit(1))
    client = app.test_client()
    login = {"email": "sponsor@demo.fair", "password": DEMO_PASSWORD}
    assert client.post("/login", data=login).status_code == 302
    page = f"/fairs/{DEMO_SLUG}/sponsorship/catalog"
    cases = [("catalog, no filter", page, {}),
             ("catalog, search 助老", page, {"q": "助老"}),
             ("catalog, search 2 words 老人 手机", page, {"q": "老人 手机"}),
             ("catalog, category 助老 + need ¥50,000–¥200,000", page,
              {"category": elderly, "need_min": 50000, "need_max": 200000}),
             ("catalog, funded", page, {"funded": "yes"}),
             ("catalog, page 10", page, {"page": 10}),
             ("catalog, by need, wanting volunteers", page, {"sort": "need_desc", "support": "volunteers"}),
             ("API listCatalogProjects, search 助老", f"/api/v1/fairs/{DEMO_SLUG}/catalog", {"q": "助老"}),
             (f"project page, its hall of {BOOTHS} booths", f"/fairs/{DEMO_SLUG}/sponsorship/projects/{project_id}",
              {})]
    urls = {label: path + (f"?{urlencode(args)}" if args else "") for label, path, args in cases}
    statements = {label: statements_of(engine, client, url) for label, url in urls.items()}

    def bare_select():
        with engine.connect() as connection:
            connection.execute(FLOOR, {"fair": fair_id}).fetchall()

    actions: dict[str, Callable[[], object]] = {"floor": bare_select}
    actions.update({label: (lambda url=url: client.get(url)) for label, url in urls.items()})
    medians = interleaved_medians(actions, runs)
    print(f"{total:,} exhibited projects")
    catalog = [label for label in urls if not label.startswith("project")]
    return [(f"{label} ({statements[label]} SQL)", runs, medians[label], medians["floor"] if label in catalog else None,
             TARGET_MS if label in catalog else None) for label in urls]


def main() -> None:
    run_alone(catalog_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
