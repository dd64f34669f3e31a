"""Backups and restores of a whole installation: the database, the uploaded files and the jobs' results.

A backup is a folder, not an archive: `fair.sqlite` (or `fair.dump` from pg_dump), `uploads/`, `jobs/`
and `manifest.json` (time in UTC, migration revision, row counts, SHA-256 of every file). Uploads are
PDFs and photos that gzip does not shrink; a folder can be checked file by file before a restore touches
anything, and an operator can copy, rsync or tar it as they like.

SQLite: the online backup API copies the live database in one step, a read transaction that in WAL mode
lets the app's readers and writer go on; the copy is the database as it was when the step began. The
files are copied after the database, so every file the snapshot names is already on disk (the app
writes a file before it commits its row). PostgreSQL: pg_dump's custom format, restored with pg_restore."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from fair import ROOT
from fair.extensions import db

MANIFEST = "manifest.json"
SQLITE_FILE = "fair.sqlite"
DUMP_FILE = "fair.dump"
FOLDERS = ("uploads", "jobs")
PG_HELP = ("PostgreSQL is backed up with its own tools: install them (Debian: apt-get install postgresql-client, "
           "the same major version as the server) or run by hand:\n"
           "  pg_dump -Fc -f fair.dump \"$FAIR_DATABASE_URL\"\n"
           "  pg_restore --clean --if-exists --no-owner --single-transaction -d \"$FAIR_DATABASE_URL\" fair.dump")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Check:
    """What a restore would do: the backup's revision against the target's, and whether that is allowed."""

    backup_revision: str | None
    target_revision: str | None
    target_is_newer: bool


# --- backup ---------------------------------------------------------------------------------------------

def backup(app: Flask, out: Path | None = None, *, now: datetime | None = None) -> Path:
    """Back up the app's database and files into `out` (default: a timestamped folder under
    <instance>/backups/); returns the folder."""
    now = now or datetime.now(timezone.utc)
    folder = Path(out) if out else Path(app.instance_path) / "backups" / f"fair-{now:%Y%m%dT%H%M%SZ}"
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} exists and is not empty: choose another --out.")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)                    # it holds every visitor's name and phone: the owner's alone
    if _dialect(app) == "sqlite":
        copy_sqlite(_sqlite_path(app), folder / SQLITE_FILE)
        revision, counts = sqlite_contents(folder / SQLITE_FILE)
    else:
        revision, counts = dump_postgresql(app, folder / DUMP_FILE)
    for name, source in source_folders(app).items():
        _copy_tree(source, folder / name)
    write_manifest(folder, now, revision, counts)
    return folder


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup of `source` into `target` in one step (pages=-1): one consistent snapshot,
    taken as a reader, so the app's writer is not stopped."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.execute("PRAGMA busy_timeout=5000")
        src.backup(dst, pages=-1)


def sqlite_contents(path: Path) -> tuple[str | None, dict[str, int]]:
    """The migration revision and every table's row count of a SQLite file."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return _revision(connection), _counts(connection)
    finally:
        engine.dispose()


def dump_postgresql(app: Flask, target: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump of the database, and the revision and row counts read in the very snapshot it dumps
    (an exported snapshot, held open by a repeatable-read transaction while pg_dump runs)."""
    pg_tool("pg_dump")
    with app.app_context(), db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            found = _revision(connection), _counts(connection)
            pg_dump(app, target, snapshot)
    return found


def _revision(connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _counts(connection) -> dict[str, int]:
    present = set(sa.inspect(connection).get_table_names())
    return {table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables if table.name in present}


def write_manifest(folder: Path, at: datetime, revision: str | None, counts: dict[str, int]) -> None:
    manifest = {"created_at": at.astimezone(timezone.utc).isoformat(timespec="seconds"),
                "alembic_revision": revision, "row_counts": counts, "files": checksums(folder)}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` (but the manifest), by its relative path with forward slashes."""
    return {path.relative_to(folder).as_posix(): sha256(path)
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != MANIFEST}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_folders(app: Flask) -> dict[str, Path]:
    """The folders a backup carries besides the database: uploaded files and the jobs' results."""
    return {"uploads": Path(app.config["FAIR_UPLOAD_DIR"]), "jobs": Path(app.instance_path) / "jobs"}


def _copy_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)


# --- restore --------------------------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}.")
    return json.loads(path.read_text())


def verify(folder: Path, manifest: dict) -> None:
    """Every file the manifest lists is there with its checksum; a damaged backup is not restored."""
    found = checksums(Path(folder))
    damaged = sorted(name for name, digest in manifest["files"].items() if found.get(name) != digest)
    if damaged:
        raise BackupError(f"The backup is damaged: these files are missing or changed: {', '.join(damaged[:10])}")


def check(app: Flask, manifest: dict) -> Check:
    """Compare the backup's migration revision with the target database's. A backup whose revision this
    code does not know was made by newer code: refused, whatever is asked."""
    with app.app_context(), db.engine.connect() as connection:
        target = _revision(connection)
    ours = manifest.get("alembic_revision")
    scripts = ScriptDirectory(str(ROOT / "migrations"))
    known = {script.revision for script in scripts.walk_revisions()}
    if ours is not None and ours not in known:
        raise BackupError(f"The backup's migration revision {ours} is unknown to this version of the code: "
                          "restore it with the version that made it.")
    newer = target is not None and target != ours and (ours is None or ours in _ancestors(scripts, target))
    return Check(ours, target, newer)


def _ancestors(scripts: ScriptDirectory, revision: str) -> set[str]:
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        return set()          # a target from newer code: every revision we know is older
    return {script.revision for script in scripts.iterate_revisions(revision, "base")} - {revision}


def restore(app: Flask, folder: Path, *, allow_older: bool = False) -> Check:
    """Replace the app's database and files with the backup's. Refused when the target database has
    newer migrations than the backup, unless `allow_older` (then run `fair db upgrade` afterwards)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    verify(folder, manifest)
    checked = check(app, manifest)
    if checked.target_is_newer and not allow_older:
        raise BackupError(
            f"The database is at migration {checked.target_revision}, newer than the backup's "
            f"{checked.backup_revision}. Restore anyway with --allow-older, then run `fair db upgrade`.")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()                # no pooled connection keeps the old database's pages
    if _dialect(app) == "sqlite":
        if not (folder / SQLITE_FILE).is_file():
            raise BackupError(f"{folder} holds no {SQLITE_FILE}: it is not a SQLite backup.")
        copy_sqlite(folder / SQLITE_FILE, _sqlite_path(app))
    else:
        if not (folder / DUMP_FILE).is_file():
            raise BackupError(f"{folder} holds no {DUMP_FILE}: it is not a PostgreSQL backup.")
        pg_restore(app, folder / DUMP_FILE)
    for name, target in source_folders(app).items():
        _replace_tree(folder / name, target)
    return checked


def _replace_tree(source: Path, target: Path) -> None:
    """`target` holds exactly the backup's files afterwards: files made since the backup have no row."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)


# --- PostgreSQL -----------------------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH.\n{PG_HELP}")
    return found


def pg_dump(app: Flask, target: Path, snapshot: str) -> None:
    dsn, env = libpq(app.config["SQLALCHEMY_DATABASE_URI"])
    _run([pg_tool("pg_dump"), "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target), "-d", dsn], env)


def pg_restore(app: Flask, dump: Path) -> None:
    """--clean --if-exists drops what the dump holds before recreating it; one transaction, so a failed
    restore leaves the database as it was."""
    dsn, env = libpq(app.config["SQLALCHEMY_DATABASE_URI"])
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "-d", dsn, str(dump)], env)


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The database URL as libpq wants it, with the password in PGPASSWORD rather than on the command
    line, where `ps` would show it."""
    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = sa.URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                          database=parsed.database, query=parsed.query)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}):\n{done.stderr.strip()}")


# --- helpers --------------------------------------------------------------------------------------------

def _dialect(app: Flask) -> str:
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def _sqlite_path(app: Flask) -> Path:
    path = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(path)
