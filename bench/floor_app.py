"""The floor for the check-in benchmark: a minimal Flask endpoint that parses the same JSON as redeemCheckin
and does one SQLite INSERT into a table with a unique key, served by gunicorn exactly like the real app.

    FLOOR_DATABASE=/tmp/floor.sqlite gunicorn -w 2 -k sync bench.floor_app:app

The connection is opened once per worker with the app's own PRAGMAs (WAL, busy_timeout, foreign keys) and
SQLite's default synchronous setting, so the two differ only in what the app does per scan."""
import os
import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:                  # after gunicorn forks: one connection per worker
        _connection = sqlite3.connect(os.environ["FLOOR_DATABASE"])
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000"):
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
