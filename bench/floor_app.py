"""The floor for the check-in benchmark: a minimal Flask endpoint that parses the same JSON as redeemCheckin
and does one SQLite INSERT into a table with a unique key, served by gunicorn exactly like the real app.

    FLOOR_DATABASE=/tmp/floor.sqlite gunicorn -w 2 -k sync bench.floor_app:app

The connection is opened once per worker with the app's own PRAGMAs (fair.SQLITE_PRAGMAS: WAL,
synchronous=NORMAL, foreign keys, busy_timeout), so the two differ only in what the app does per scan."""
import os
import sqlite3

from flask import Flask, jsonify, request

from fair import SQLITE_PRAGMAS

app = Flask(__name__)
_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:                  # after gunicorn forks: one connection per worker
        _connection = sqlite3.connect(os.environ["FLOOR_DATABASE"])
        for pragma in SQLITE_PRAGMAS:
            _connection.execute(f"PRAGMA {pragma}")
        _connection.execute("CREATE TABLE IF NOT EXISTS scan (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,"
                            " point TEXT NOT NULL, nonce TEXT, scanned_at TEXT)")
        _connection.commit()
    return _connection


@app.post("/api/v1/checkin/redeem")
def redeem():
    body = request.get_json()
    db = connection()
    try:
        with db:
            db.execute("INSERT INTO scan (code, point, nonce, scanned_at) VALUES (?, ?, ?, ?)",
                       (body["code"], body["point"], body.get("nonce"), body.get("scanned_at")))
    except sqlite3.IntegrityError:
        return jsonify(status="error", reason="already_redeemed"), 409
    return jsonify(status="ok", reason="ok"), 201
