"""Run every benchmark and print one table: the seed-scale demo, then each area's measures at the real
fair's size (lists, imports, solvers, PDFs, tickets, catalog, matching, scheduling, dashboard, report).

    python bench/run.py [--runs N] [--database-url URL]

The check-in load test needs gunicorn and wrk and runs on its own: `python bench/checkin.py`.

Each measure is the median of N runs, next to a floor measured in the same run on the same data (what the
database alone needs for the same rows), so the ratio says what the app adds and survives a faster or slower
machine. Default database: a fresh SQLite file in a temporary folder; with --database-url (PostgreSQL), its
public schema is DROPPED and rebuilt, so never point it at data you keep."""
import argparse
import logging
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.allocate import allocate_rows  # noqa: E402
from bench.catalog import catalog_rows  # noqa: E402
from bench.certificates import certificate_rows  # noqa: E402
from bench.dashboard import dashboard_rows  # noqa: E402
from bench.matching import matching_rows  # noqa: E402
from bench.report import report_rows  # noqa: E402
from bench.schedule import schedule_rows  # noqa: E402
from bench.tickets import ticket_rows  # noqa: E402
from bench.common import HEADER, fresh_app, median_ms, row_text  # noqa: E402
from bench.screening_assign import screening_rows  # noqa: E402
from bench.judging_assign import judging_assign_rows  # noqa: E402
from bench.judge_list import judge_list_rows  # noqa: E402
from bench.judging_ranking import ranking_rows  # noqa: E402
from bench.plan_svg import plan_rows  # noqa: E402
from bench.shortlist import shortlist_rows  # noqa: E402
from bench.signage import signage_rows  # noqa: E402
from fair.applications import services  # noqa: E402
from fair.applications.models import Application  # noqa: E402
from fair.applications.spreadsheet import Sheet, read_table, xlsx_bytes  # noqa: E402
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo  # noqa: E402
from fair.demo_seed import seed_table  # noqa: E402
from fair.extensions import db  # noqa: E402
from fair.fairs.models import Fair  # noqa: E402

LIST_TARGET_MS = 100
IMPORT_TARGET_MS = 10_000


def list_benchmarks(app, runs: int) -> list[tuple]:
    """GETs of the organizer's list and the JSON API through the test client, against a bare SELECT of the page."""
    rows = []
    with app.app_context():
        fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
        total = db.session.scalar(sa.select(sa.func.count(Application.id)).where(Application.fair_id == fair.id))
        client = app.test_client()
        client.post("/login", data={"email": "organizer@demo.fair", "password": DEMO_PASSWORD})
        page = sa.text("SELECT * FROM application WHERE fair_id = :fair ORDER BY submitted_at DESC, id DESC LIMIT 50")

        def bare_select():
            db.session.execute(page, {"fair": fair.id}).fetchall()
            db.session.rollback()

        floor = median_ms(bare_select, runs)
        cases = [("list, first page", f"/fairs/{DEMO_SLUG}/applications"),
                 ("list, search 助老 + sort by funding", f"/fairs/{DEMO_SLUG}/applications?q=助老&sort=funding"),
                 ("list, city + kind + page 3", f"/fairs/{DEMO_SLUG}/applications?city=苏州市&kind=volunteer&page=3"),
                 ("API listApplications", f"/api/v1/fairs/{DEMO_SLUG}/applications")]
        for label, url in cases:
            def get(url=url):
                assert client.get(url).status_code == 200
            rows.append((f"{label} ({total:,} rows)", runs, median_ms(get, runs), floor, LIST_TARGET_MS))
        export = median_ms(lambda: client.get(f"/fairs/{DEMO_SLUG}/applications/export.xlsx"), max(runs // 10, 3))
        rows.append((f"export XLSX ({total:,} rows)", max(runs // 10, 3), export, None, None))
    return rows


def import_benchmark(workdir: Path, database_url: str | None, runs: int) -> tuple:
    """Importing 3,500 rows from an XLSX into an empty database, against a bare multi-row INSERT of them."""
    imports, floors = [], []
    for run in range(runs):
        app = fresh_app(workdir, database_url, f"import-{run}")
        with app.app_context():
            fair = build_demo("small").fair
            table = seed_table([category.name for category in fair.categories], fair.applications_open_at,
                               fair.applications_close_at, fair.timezone)
            content = xlsx_bytes(Sheet("项目申报", table[0], table[1:]))
            started = time.perf_counter()
            report = services.import_applications(fair, read_table(content), actor=None, source="bench")
            imports.append((time.perf_counter() - started) * 1000)
            assert report.imported == len(table) - 1
            values = [{c.name: getattr(a, c.name) for c in Application.__table__.columns if c.name != "id"}
                      for a in db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id))]
            db.session.rollback()
            started = time.perf_counter()
            db.session.execute(sa.insert(Application), values)
            db.session.commit()
            floors.append((time.perf_counter() - started) * 1000)
            db.session.remove()
    return (f"import {len(table) - 1:,} rows from XLSX (dry run included)", runs, statistics.median(imports),
            statistics.median(floors), IMPORT_TARGET_MS)


def machine(database: str) -> str:
    cpu = platform.processor() or ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {platform.machine()}, Python {platform.python_version()}, {database}"
            + (f" {sqlite3.sqlite_version}" if database == "sqlite" else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per list measure (default %(default)s)")
    parser.add_argument("--import-runs", type=int, default=3, help="imports to take the median of (default %(default)s)")
    parser.add_argument("--database-url", help="PostgreSQL to run on instead of SQLite; its schema is dropped")
    args = parser.parse_args()
    logging.disable(logging.INFO)        # Alembic configures its own INFO logging at every upgrade

    with tempfile.TemporaryDirectory(prefix="fair-bench-") as folder:
        workdir = Path(folder)
        app = fresh_app(workdir, args.database_url, "list")
        with app.app_context():
            started = time.perf_counter()
            build_demo("seed")
            seed_ms = (time.perf_counter() - started) * 1000
            dialect = db.engine.dialect.name
        rows = [("fair demo --scale seed (whole demo)", 1, seed_ms, None, 120_000)]
        rows += list_benchmarks(app, args.runs)
        rows += judge_list_rows(app, args.runs)                                   # bench/judge_list.py
        rows.append(import_benchmark(workdir, args.database_url, args.import_runs))
        rows += screening_rows(workdir, args.database_url, args.import_runs)      # bench/screening_assign.py
        rows += shortlist_rows(workdir, args.database_url, args.import_runs)      # bench/shortlist.py
        rows += allocate_rows(workdir, args.database_url, args.import_runs)       # bench/allocate.py
        rows += plan_rows(workdir, args.database_url, args.import_runs)           # bench/plan_svg.py
        rows += signage_rows(workdir, args.database_url, args.import_runs)        # bench/signage.py
        rows += judging_assign_rows(workdir, args.database_url, args.import_runs)  # bench/judging_assign.py
        rows += ranking_rows(workdir, args.database_url, args.import_runs)        # bench/judging_ranking.py
        rows += certificate_rows(workdir, args.database_url, args.import_runs)    # bench/certificates.py
        rows += ticket_rows(workdir, args.database_url, args.import_runs)         # bench/tickets.py
        rows += catalog_rows(workdir, args.database_url, args.import_runs)        # bench/catalog.py
        rows += matching_rows(workdir, args.database_url, args.import_runs)       # bench/matching.py
        rows += schedule_rows(workdir, args.database_url, args.import_runs)       # bench/schedule.py
        rows += dashboard_rows(workdir, args.database_url, args.import_runs)      # bench/dashboard.py
        rows += report_rows(workdir, args.database_url, args.import_runs)         # bench/report.py

    print(f"\n{machine(dialect)} · {time.strftime('%Y-%m-%d')}\n")
    print(HEADER)
    for label, runs, median, floor, target in rows:
        print(row_text(label, runs, median, floor, target))
    if any(target and median > target for _label, _runs, median, _floor, target in rows):
        print("\nSome medians are over their targets.")


if __name__ == "__main__":
    main()
