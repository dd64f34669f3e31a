"""The floors for the check-in benchmark, served by gunicorn exactly like the real app: `app`, a minimal Flask
endpoint that parses the same JSON as redeemCheckin and does one INSERT into a table with a unique key (issue
7's floor; the key is (code, point), a ticket once per gate, so that every request of a run is a first INSERT); `bare`, the same endpoint with no database at all (issue 9's "bare Flask endpoint": what
Flask and gunicorn cost alone); and `required`, on SQLite, the least that issue 7 asks of a first admission
written as plainly as Flask allows: the Ed25519 check (fair/visitors/tickets.py), the ticket's SELECT, the
check-in INSERT with its unique keys, the presence INSERT, one commit, on the app's own database file
(REQUIRED_DATABASE), with no device, rate limit, point rules, opening hours or translated answer. It is a
bound on what any implementation of the issue in Flask can reach.

    FLOOR_DATABASE=/tmp/floor.sqlite gunicorn -w 2 -k sync bench.floor_app:app
    FLOOR_DATABASE=postgresql://postgres@127.0.0.1/bench gunicorn -w 2 -k sync bench.floor_app:app
    gunicorn -w 2 -k sync bench.floor_app:bare
    REQUIRED_DATABASE=/tmp/checkin.sqlite gunicorn -w 2 -k sync bench.floor_app:required

The connection is opened once per worker: SQLite with the app's own PRAGMAs (fair.SQLITE_PRAGMAS: WAL,
synchronous=NORMAL, foreign keys, busy_timeout), PostgreSQL with psycopg 3 as the app uses it, so the two
differ only in what the app does per scan."""
import os
import sqlite3
from datetime import datetime, timezone

from flask import Flask, jsonify, request

from fair import SQLITE_PRAGMAS
from fair.visitors import tickets

app = Flask(__name__)
_connection = None
POSTGRES = os.environ.get("FLOOR_DATABASE", "").startswith("postgresql")
INSERT = "INSERT INTO floor_scan (code, point, nonce, scanned_at) VALUES ({0}, {0}, {0}, {0})".format(
    "%s" if POSTGRES else "?")


def connection():
    global _connection
    if _connection is None:                  # after gunicorn forks: one connection per worker
        if POSTGRES:
            import psycopg
            _connection = psycopg.connect(os.environ["FLOOR_DATABASE"])
            try:
                _connection.execute("CREATE TABLE IF NOT EXISTS floor_scan (id SERIAL PRIMARY KEY, code TEXT NOT NULL, "
                                    "point TEXT NOT NULL, nonce TEXT, scanned_at TEXT, UNIQUE (code, point))")
            except psycopg.errors.UniqueViolation:     # the other worker created it at the same moment
                _connection.rollback()
        else:
            _connection = sqlite3.connect(os.environ["FLOOR_DATABASE"])
            for pragma in SQLITE_PRAGMAS:
                _connection.execute(f"PRAGMA {pragma}")
            _connection.execute("CREATE TABLE IF NOT EXISTS floor_scan (id INTEGER PRIMARY KEY, code TEXT NOT NULL, "
                                "point TEXT NOT NULL, nonce TEXT, scanned_at TEXT, UNIQUE (code, point))")
        _connection.commit()
    return _connection


def _unique_violation(error: Exception) -> bool:
    return isinstance(error, sqlite3.IntegrityError) or type(error).__name__ == "UniqueViolation"


@app.post("/api/v1/checkin/redeem")
def redeem():
    body = request.get_json()
    db = connection()
    try:
        db.execute(INSERT, (body["code"], body["point"], body.get("nonce"), body.get("scanned_at")))
        db.commit()
    except Exception as error:              # noqa: BLE001  the two drivers' unique violations
        db.rollback()
        if not _unique_violation(error):
            raise
        return jsonify(status="error", reason="already_redeemed"), 409
    return jsonify(status="ok", reason="ok"), 201


bare = Flask("bare")


@bare.post("/api/v1/checkin/redeem")
def redeem_nothing():
    body = request.get_json()
    if not isinstance(body, dict) or "code" not in body:
        return jsonify(status="error", reason="invalid"), 400
    return jsonify(status="ok", reason="ok"), 201


required = Flask("required")
_required: dict = {}              # per worker: the connection, the fairs' keys, the points' (id, area id)
_INSERT_CHECKIN = ("INSERT INTO checkin (fair_id, point_id, ticket_id, reason, people, day, scanned_at, recorded_at, "
                   "once_key, device_id, staff_id, nonce, raw_code, offline, conflict) "
                   "VALUES (?, ?, ?, 'ok', 1, ?, ?, ?, ?, NULL, NULL, ?, ?, 0, 0)")


def _required_connection() -> sqlite3.Connection:
    if "db" not in _required:
        connection = _required["db"] = sqlite3.connect(os.environ["REQUIRED_DATABASE"])
        for pragma in SQLITE_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
    return _required["db"]


@required.post("/api/v1/checkin/redeem")
def admit():
    body = request.get_json()
    db = _required_connection()
    fair_id = tickets.parse(body["code"]).fair_id
    if ("key", fair_id) not in _required:
        key_id, public = db.execute("SELECT key_id, public_key FROM fair_key WHERE fair_id = ?", (fair_id,)).fetchone()
        _required["key", fair_id] = {key_id: bytes(public)}
    payload = tickets.verify(body["code"], _required["key", fair_id])
    if ("point", body["point"]) not in _required:
        _required["point", body["point"]] = db.execute(
            "SELECT id, area_id FROM checkin_point WHERE fair_id = ? AND slug = ?", (fair_id, body["point"])).fetchone()
    point_id, area_id = _required["point", body["point"]]
    ticket_id, group_size, revoked_at = db.execute(
        "SELECT id, group_size, revoked_at FROM ticket WHERE code = ?", (payload.code,)).fetchone()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    day = now.date()
    if revoked_at is not None or group_size != 1 or not payload.valid_on(day):
        return jsonify(status="error", reason="invalid"), 409
    try:
        checkin_id = db.execute(_INSERT_CHECKIN, (fair_id, point_id, ticket_id, day.isoformat(), str(now), str(now),
                                                  f"{point_id}:{ticket_id}:{day.isoformat()}", body.get("nonce"),
                                                  body["code"])).lastrowid
        db.execute("INSERT INTO presence (area_id, ticket_id, people, since) VALUES (?, ?, 1, ?)",
                   (area_id, ticket_id, str(now)))
        db.commit()
    except sqlite3.IntegrityError:
        db.rollback()
        return jsonify(status="error", reason="already_redeemed"), 409
    return jsonify(status="ok", reason="ok", checkin_id=checkin_id), 201
