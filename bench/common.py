"""What every benchmark script shares: a fresh migrated database, the median of timed runs, the table."""
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from flask_migrate import upgrade

from fair import create_app
from fair.extensions import db

HEADER = f"{'benchmark':<52} {'runs':>4} {'median ms':>10} {'floor ms':>9} {'ratio':>7} {'target ms':>10}"


def fresh_app(workdir: Path, database_url: str | None, name: str):
    """An app on a new SQLite file in `workdir`, or on PostgreSQL with its public schema DROPPED and rebuilt."""
    url = database_url or f"sqlite:///{workdir / f'{name}.sqlite'}"
    app = create_app({"INSTANCE_PATH": str(workdir / "instance"), "SQLALCHEMY_DATABASE_URI": url,
                      "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "FAIR_PASSWORD_HASH": "pbkdf2:sha256:1000", "FAIR_JOBS_INLINE": True,
                      "FAIR_JOBS_THREAD": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
    return app


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()                                    # warm caches (templates, statements) once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def row_text(label: str, runs: int, median: float, floor: float | None, target) -> str:
    floor_text, ratio = (f"{floor:.1f}", f"{median / floor:.0f}x") if floor else ("", "")
    return f"{label:<52} {runs:>4} {median:>10.1f} {floor_text:>9} {ratio:>7} {target or '':>10}"


def run_alone(rows_for: Callable[[Path, str | None, int], list[tuple]], description: str) -> None:
    """The command line of a benchmark script run on its own: --runs, --database-url, one table."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=3, help="runs to take the median of (default %(default)s)")
    parser.add_argument("--database-url", help="PostgreSQL to run on instead of SQLite; its schema is dropped")
    args = parser.parse_args()
    logging.disable(logging.INFO)        # Alembic configures its own INFO logging at every upgrade
    with tempfile.TemporaryDirectory(prefix="fair-bench-") as folder:
        rows = rows_for(Path(folder), args.database_url, args.runs)
    print("\n" + HEADER)
    for row in rows:
        print(row_text(*row))


def batch_pdf(client, url: str) -> bytes:
    """A batch PDF as an organizer gets it: POST starts its job (run inline here, FAIR_JOBS_INLINE), then the
    job's download. A batch of more than jobs.SMALL_BATCH pages is always a job."""
    started = client.post(url)
    assert started.status_code == 302, started.status_code
    response = client.get(started.headers["Location"].rstrip("/") + "/download")
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    return response.data
