"""The floor for the check-in benchmark: a minimal Flask endpoint that parses the same JSON as redeemCheckin
and does one INSERT into a table with a unique key, served by gunicorn exactly like the real app.

    FLOOR_DATABASE=/tmp/floor.sqlite gunicorn -w 2 -k sync bench.floor_app:app
    FLOOR_DATABASE=postgresql://postgres@127.0.0.1/bench gunicorn -w 2 -k sync bench.floor_app:app

The connection is opened once per worker: SQLite with the app's own PRAGMAs (fair.SQLITE_PRAGMAS: WAL,
synchronous=NORMAL, foreign keys, busy_timeout), PostgreSQL with psycopg 3 as the app uses it, so the two
differ only in what the app does per scan."""
import os
import sqlite3

from flask import Flask, jsonify, request

from fair import SQLITE_PRAGMAS

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
            _connection.execute("CREATE TABLE IF NOT EXISTS floor_scan (id SERIAL PRIMARY KEY, code TEXT NOT NULL "
                                "UNIQUE, point TEXT NOT NULL, nonce TEXT, scanned_at TEXT)")
        else:
            _connection = sqlite3.connect(os.environ["FLOOR_DATABASE"])
            for pragma in SQLITE_PRAGMAS:
                _connection.execute(f"PRAGMA {pragma}")
            _connection.execute("CREATE TABLE IF NOT EXISTS floor_scan (id INTEGER PRIMARY KEY, code TEXT NOT NULL "
                                "UNIQUE, point TEXT NOT NULL, nonce TEXT, scanned_at TEXT)")
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
