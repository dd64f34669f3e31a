"""`fair backup` and `fair restore`: an online backup taken while check-ins keep being written, restored
into a fresh database, equals its snapshot table by table, row by row; uploads compare by checksum."""
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from fair import backup, create_app
from fair.applications.models import Application
from fair.demo import build_demo
from fair.extensions import db
from fair.visitors import booth_visits, checkins
from fair.visitors.models import Ticket
from tests.conftest import test_config
from tests.visitor_factories import make_point, make_scannable_ticket



def populated_fair():
    """The small demo (every area: applications, judging, booths, visitors, sponsorship) plus what it lacks:
    contacts left at booths, an uploaded file and a job's result."""
    fair = build_demo("small").fair
    tickets = db.session.scalars(sa.select(Ticket).where(Ticket.fair_id == fair.id).order_by(Ticket.id).limit(3)).all()
    project = db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id,
                                                              Application.decision.isnot(None))
                                 .order_by(Application.id)).first()
    for ticket in tickets:
        booth_visits.share_contact(ticket, project, booth_visits.ContactDetails(
            ticket.name, ticket.phone, "想做志愿者", consent=True))
    return fair


def write_files(app) -> dict[str, bytes]:
    """An upload and a job result on disk, as the app leaves them."""
    uploads = Path(app.config["FAIR_UPLOAD_DIR"])
    jobs = Path(app.instance_path) / "jobs" / "1"
    uploads.mkdir(parents=True, exist_ok=True)
    jobs.mkdir(parents=True, exist_ok=True)
    files = {"uploads/backup-test.pdf": b"%PDF-1.4 test " + os.urandom(64), "jobs/1/result.pdf": b"%PDF-1.4 job"}
    (uploads / "backup-test.pdf").write_bytes(files["uploads/backup-test.pdf"])
    (jobs / "result.pdf").write_bytes(files["jobs/1/result.pdf"])
    return files


@pytest.fixture
def files(app):
    written = write_files(app)
    yield written
    (Path(app.config["FAIR_UPLOAD_DIR"]) / "backup-test.pdf").unlink(missing_ok=True)
    shutil.rmtree(Path(app.instance_path) / "jobs" / "1", ignore_errors=True)


class CheckinWriter(threading.Thread):
    """Scans tickets at a gate in a loop, each scan a committed row, until told to stop."""

    def __init__(self, app, fair_id: int, point_id: int, codes: list[str]):
        super().__init__(daemon=True)
        self.app, self.fair_id, self.point_id, self.codes = app, fair_id, point_id, codes
        self.written = 0
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.progress = threading.Condition()

    def run(self) -> None:
        from fair.fairs.models import Fair
        from fair.visitors.models import CheckinPoint

        with self.app.app_context():
            try:
                fair, point = db.session.get(Fair, self.fair_id), db.session.get(CheckinPoint, self.point_id)
                while not self.stop.is_set():
                    checkins.redeem(fair, point, self.codes[self.written % len(self.codes)])
                    with self.progress:
                        self.written += 1
                        self.progress.notify_all()
            except BaseException as error:   # the test reports it: a thread's exception is otherwise lost
                self.error = error
                with self.progress:
                    self.progress.notify_all()
            finally:
                db.session.remove()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.written >= count or self.error, timeout=60)
        assert self.error is None, self.error


def rows_of(engine) -> dict[str, list[tuple]]:
    """Every table's every row, all columns, in primary-key order."""
    with engine.connect() as connection:
        return {table.name: [tuple(row) for row in connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables}


def fresh_app(tmp_path: Path, database_url: str):
    instance = tmp_path / "restored-instance"
    return create_app(test_config(database_url, str(instance), FAIR_UPLOAD_DIR=str(instance / "uploads")))


def scratch_database(app) -> str | None:
    """A fresh database to restore into: a SQLite file, or the PostgreSQL scratch database made anew."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return None
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{restore_name(url)}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{restore_name(url)}"'))
    admin.dispose()
    return url.set(database=restore_name(url)).render_as_string(hide_password=False)


def restore_name(url: sa.URL) -> str:
    """The scratch database beside the test database: `test` restores into `test_restore`."""
    return f"{url.database}_restore"


def drop_scratch(app) -> None:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{restore_name(url)}" WITH (FORCE)'))
    admin.dispose()


def needs_pg_tools(app) -> None:
    if db.engine.dialect.name == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("FAIR_REQUIRE_PG_TOOLS"):
            pytest.fail("FAIR_REQUIRE_PG_TOOLS is set but pg_dump/pg_restore are not on PATH")
        pytest.skip("pg_dump and pg_restore are not on PATH (apt-get install postgresql-client)")


def test_online_backup_while_checkins_are_written_restores_every_table(app, files, tmp_path):
    needs_pg_tools(app)
    fair = populated_fair()
    point = make_point(fair, slug="backup-gate")
    codes = [make_scannable_ticket(fair, phone=f"137{number:08d}")[1] for number in range(5)]
    writer = CheckinWriter(app, fair.id, point.id, codes)
    writer.start()
    try:
        writer.wait_for(5)
        folder = backup.backup(app, tmp_path / "backup")
        after_backup = writer.written
        writer.wait_for(after_backup + 5)          # the writer went on after the backup, never blocked
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    manifest = backup.read_manifest(folder)

    scratch = scratch_database(app)
    restored_app = fresh_app(tmp_path, scratch or f"sqlite:///{tmp_path / 'restored.sqlite'}")
    backup.restore(restored_app, folder)
    with restored_app.app_context():
        restored = rows_of(db.engine)
        db.engine.dispose()
    try:
        if scratch is None:
            snapshot_engine = sa.create_engine(f"sqlite:///{folder / backup.SQLITE_FILE}")
            snapshot = rows_of(snapshot_engine)
            snapshot_engine.dispose()
            assert restored == snapshot
        assert {name: len(rows) for name, rows in restored.items()} == manifest["row_counts"]
        assert all(restored[name] for name in ("fair", "ticket", "checkin", "booth_visit", "sponsor_profile",
                                               "agreement", "judge", "booth", "audit_event"))
        # The snapshot is whole: the scans it holds are the live table's first ones, none half-written.
        live = rows_of(db.engine)
        snapshot_scans = restored["checkin"]
        assert live["checkin"][:len(snapshot_scans)] == snapshot_scans
        assert len(live["checkin"]) > len(snapshot_scans)
        for name in set(live) - {"checkin", "presence", "audit_event", "device"}:
            assert live[name] == restored[name], name
    finally:
        if scratch is not None:
            drop_scratch(app)

    uploads = Path(restored_app.config["FAIR_UPLOAD_DIR"])
    jobs = Path(restored_app.instance_path) / "jobs"
    assert backup.sha256(uploads / "backup-test.pdf") == backup.sha256(Path(app.config["FAIR_UPLOAD_DIR"]) / "backup-test.pdf")
    assert (jobs / "1" / "result.pdf").read_bytes() == files["jobs/1/result.pdf"]
    copied = {name: digest for name, digest in manifest["files"].items() if not name.startswith("fair.")}
    assert set(files) <= set(copied)              # ours, besides what other tests left in the shared folders
    assert copied == {name: backup.sha256(folder / name) for name in copied}


def test_manifest_says_when_which_migration_and_how_many(app, files, tmp_path):
    needs_pg_tools(app)
    fair = populated_fair()
    folder = backup.backup(app, tmp_path / "backup")
    manifest = backup.read_manifest(folder)
    with db.engine.connect() as connection:
        head = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert manifest["alembic_revision"] == head
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["row_counts"]["ticket"] == db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(Ticket.fair_id == fair.id))
    assert set(manifest["files"]) >= set(files) | {backup.SQLITE_FILE if db.engine.dialect.name == "sqlite"
                                                    else backup.DUMP_FILE}


def test_default_folder_is_timestamped_under_the_instance(app):
    needs_pg_tools(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    folder = Path(result.output.split("Backed up to ", 1)[1].splitlines()[0])
    try:
        assert folder.parent == Path(app.instance_path) / "backups"
        assert folder.name.startswith("fair-") and folder.name.endswith("Z")
        assert (folder / backup.MANIFEST).is_file()
    finally:
        shutil.rmtree(folder)


def test_a_second_backup_into_a_used_folder_is_refused(app, tmp_path):
    needs_pg_tools(app)
    backup.backup(app, tmp_path / "backup")
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "backup")])
    assert result.exit_code == 1
    assert "not empty" in result.output


def _older_revision() -> str:
    from alembic.script import ScriptDirectory
    from fair import ROOT
    scripts = ScriptDirectory(str(ROOT / "migrations"))
    return scripts.get_revision(scripts.get_current_head()).down_revision


def _rewrite_manifest(folder: Path, **changes) -> None:
    manifest = backup.read_manifest(folder)
    manifest.update(changes)
    (folder / backup.MANIFEST).write_text(json.dumps(manifest))


def test_restore_refuses_a_backup_older_than_the_database_unless_asked(app, tmp_path):
    needs_pg_tools(app)
    populated_fair()
    folder = backup.backup(app, tmp_path / "backup")
    _rewrite_manifest(folder, alembic_revision=_older_revision())
    before = rows_of(db.engine)
    result = app.test_cli_runner().invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code == 1
    assert "newer than the backup" in result.output and "--allow-older" in result.output
    assert rows_of(db.engine) == before


def test_restore_refuses_a_backup_from_newer_code(app, tmp_path):
    needs_pg_tools(app)
    folder = backup.backup(app, tmp_path / "backup")
    _rewrite_manifest(folder, alembic_revision="ffffffffffff")
    result = app.test_cli_runner().invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code == 1
    assert "unknown to this version" in result.output


def test_restore_refuses_a_damaged_backup(app, tmp_path):
    needs_pg_tools(app)
    write_files(app)
    folder = backup.backup(app, tmp_path / "backup")
    (folder / "uploads" / "backup-test.pdf").write_bytes(b"changed")
    result = app.test_cli_runner().invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code == 1
    assert "damaged" in result.output and "uploads/backup-test.pdf" in result.output
    (Path(app.config["FAIR_UPLOAD_DIR"]) / "backup-test.pdf").unlink()


def test_restore_asks_first_and_a_no_changes_nothing(app, tmp_path):
    needs_pg_tools(app)
    folder = backup.backup(app, tmp_path / "backup")
    populated_fair()
    before = rows_of(db.engine)
    result = app.test_cli_runner().invoke(args=["restore", str(folder)], input="n\n")
    assert result.exit_code == 1
    assert "Everything there now is replaced" in result.output
    assert rows_of(db.engine) == before


def test_restore_with_yes_puts_the_backup_back_and_removes_later_files(app, tmp_path):
    """Restored into a fresh app of its own: the session's database stays for the other tests."""
    needs_pg_tools(app)
    populated_fair()
    folder = backup.backup(app, tmp_path / "backup")
    scratch = scratch_database(app)
    other = fresh_app(tmp_path, scratch or f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        with other.app_context():
            upgrade()
            db.session.remove()
        late = Path(other.config["FAIR_UPLOAD_DIR"]) / "made-after.pdf"
        late.parent.mkdir(parents=True, exist_ok=True)
        late.write_bytes(b"%PDF")
        with other.app_context():               # the command acts on the app whose context is current
            result = other.test_cli_runner().invoke(args=["restore", str(folder), "--yes"])
        assert result.exit_code == 0, result.output
        assert "Restored." in result.output
        with other.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == \
                backup.read_manifest(folder)["row_counts"]["ticket"]
            db.session.remove()
            db.engine.dispose()
        assert not late.exists()
    finally:
        if scratch is not None:
            drop_scratch(app)


def test_postgresql_without_pg_dump_says_what_to_do(app, tmp_path, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump is used on PostgreSQL only")
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "pg_dump is not on PATH" in result.output and "pg_dump -Fc" in result.output
    assert "pg_restore --clean --if-exists" in result.output


def test_libpq_keeps_the_password_off_the_command_line():
    dsn, env = backup.libpq("postgresql+psycopg://fair:s3cret@db.example:5432/fair")
    assert dsn == "postgresql://fair@db.example:5432/fair"
    assert env["PGPASSWORD"] == "s3cret"
