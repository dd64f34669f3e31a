"""The commonest scan answered beside the framework: a WSGI middleware in front of the Flask app for
`POST /api/v1/checkin/redeem`.

At a gate almost every request is the same: a device whose token this process checked seconds ago scans a
genuine single ticket, valid today and not admitted yet, at a point with no seat limit, registration or
area limit. For that request the middleware does what checkins.redeem does (the Ed25519 check, here by
signing the payload again with the fair's key and comparing, at a third of a verification's cost; the
ticket's SELECT, the scan's INSERT with its unique once_key and nonce, the presence INSERT, one commit) on
a connection of the database driver itself, and answers as the API does (api.answer, the
app's JSON and security headers). Anything else goes to the Flask app with its body: another route, a
token this process has not seen lately, a cookie, a body that is not the usual three strings, a language
whose labels are not translated yet, a point with rules, a ticket the database does not admit at once
(unknown, revoked, another fair's, a group, outside its dates or the point's hours), a unique key saying
"already", any error. So the fast path never refuses nor words anything itself, and tests run each scan
both ways and compare. It exists because Flask's request handling and SQLAlchemy's execution layers cost
several times the statements themselves (bench/README.md, issue 7's floor)."""
import io
import json
import os
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from werkzeug.datastructures import Headers

from fair.extensions import db
from fair.fairs.models import Fair
from fair.security import add_headers
from fair.times import utcnow
from fair.visitors import api, checkins, services, tickets
from fair.visitors.models import Checkin, PointKind, Presence, Ticket

PATH = "/api/v1/checkin/redeem"
MAX_BODY = 2048               # a scan's body is about 150 bytes; anything larger is the app's to judge


def install(app: Flask) -> None:
    """Put the fast path in front of the app unless FAIR_FAST_REDEEM is off or the database lives in memory
    (one connection shared by everything: no driver connection of our own)."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    in_memory = url.get_backend_name() == "sqlite" and (url.database or ":memory:").endswith(":memory:")
    if app.config["FAIR_FAST_REDEEM"] and not in_memory:
        app.wsgi_app = app.extensions["fast_redeem"] = FastRedeem(app, app.wsgi_app)


class FastRedeem:
    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.answered = 0                  # scans this process answered here (tests read it)
        self._database: _Database | None = None
        self.signers: dict[int, tuple] = {}   # fair id → (the public key it was read for, (key id, private key))
        headers = Headers([("Vary", "Cookie")])        # as Flask's answer: the language may come from a cookie
        add_headers(headers, app.config["SESSION_COOKIE_SECURE"])
        self.headers = headers.to_wsgi_list()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        body = _body(environ)
        answer = self._admit(environ, body) if body is not None else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        self.answered += 1
        data = (self.app.json.dumps(answer, separators=(",", ":")) + "\n").encode()
        start_response("201 CREATED", [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                                       *self.headers])
        return [data]

    def _admit(self, environ: dict, body: bytes) -> dict | None:
        """The API's answer to a first admission (api.answer), or None to hand the request to the app."""
        seen = checkins.cached_device(checkins.token_digest(api.bearer_token(environ.get("HTTP_AUTHORIZATION", ""))))
        labels = api.translated_labels((None, environ.get("HTTP_ACCEPT_LANGUAGE")))
        if seen is None or labels is None:
            return None
        fair, device = seen.fair, seen.device
        signer = self._signer(fair.id)
        try:
            scan = json.loads(body)
        except ValueError:
            return None
        if signer is None or not api.plain_scan(scan):
            return None
        point = seen.points.get(scan["point"])
        if point is None or not _plain_point(point, fair.id):
            return None
        raw = scan["code"][:200]
        payload = tickets.issued_by(raw, *signer)
        if payload is None:
            return None
        now = utcnow()
        if not checkins.is_open(point, now, fair.timezone):
            return None
        if not api.buckets.take(device.token_digest, self.app.config.get("FAIR_DEVICE_LIMIT",
                                                                         api.DEFAULT_DEVICE_LIMIT)):
            return None
        database = self._database or self._connect()
        day = checkins.local_day(fair, now)
        admitted = database.admit(payload.code, point, day, dict(
            fair_id=fair.id, point_id=point.id, reason="ok", people=1, day=day, scanned_at=now, recorded_at=now,
            device_id=device.id, staff_id=None, nonce=scan.get("nonce"), raw_code=raw, offline=False,
            conflict=False))
        if admitted is None:
            api.buckets.give_back(device.token_digest)
            return None
        ticket, checkin_id = admitted
        return api.answer(checkins.Result("ok", ticket, None, 1, checkin_id, 0, now), labels=labels)

    def _signer(self, fair_id: int) -> tuple[int, Ed25519PrivateKey] | None:
        """The fair's key pair that issued the codes, to check them by signing again (tickets.issued_by). Read
        once per key, and only after the app has read the public key (checkins' cache, so the key exists); a
        new public key there (a restored database) is read again. None (the app answers) when the two keys do
        not match or the private key cannot be read."""
        public = checkins.cached_public_key(fair_id)
        if public is None:
            return None
        known = self.signers.get(fair_id)
        if known is None or known[0] is not public:
            try:
                with self.app.app_context():
                    key_id, private = services.signing_key(db.session.get(Fair, fair_id))
            except RuntimeError:               # sealed under another secret key: the app verifies, as devices do
                self.signers[fair_id] = (public, None)
                return None
            except sa.exc.SQLAlchemyError:     # the database away for a moment: the app answers, and we try again
                return None
            matches = key_id == public[0] and private.public_key().public_bytes_raw() == public[1].public_bytes_raw()
            known = self.signers[fair_id] = (public, (key_id, private) if matches else None)
        return known[1]

    def _connect(self) -> "_Database":
        with self.app.app_context():
            self._database = _Database(db.engine)
        return self._database


def _body(environ: dict) -> bytes | None:
    """A small JSON body without cookies, read once and put back for the app; None: not one to try."""
    if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != "application/json" \
            or "HTTP_COOKIE" in environ:
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _plain_point(point, fair_id: int) -> bool:
    """A point whose admission is the ticket's INSERTs alone: no seats, registration, area limit or move."""
    area = point.area
    return (point.active and point.fair_id == fair_id and point.kind is not PointKind.exit
            and not point.needs_registration and not (point.capacity is not None and point.kind in checkins.SEATED)
            and (point.area_id is None or (area is not None and area.capacity is None
                                           and area.leaves_area_id is None)))


@dataclass(frozen=True)
class _Ticket:
    """What the answer says of the ticket (an ORM object costs more to build than the INSERT)."""
    id: int
    name: str
    kind: object
    group_name: str
    group_size: int


class _Database:
    """The driver's connections of this process and the three statements, compiled once for the dialect
    with their columns' conversions (so rows are stored exactly as the ORM stores them). Connections are
    kept outside SQLAlchemy's pool, whose checkout (and on PostgreSQL its ping) costs what we save; one per
    request at a time; a fork (gunicorn --preload) starts afresh."""

    def __init__(self, engine: sa.Engine):
        self.engine, self.pid, self.idle = engine, os.getpid(), []
        dialect = engine.dialect
        ticket, checkin, presence = Ticket.__table__, Checkin.__table__, Presence.__table__
        self.ticket_columns = ("id", "fair_id", "name", "kind", "group_name", "group_size", "valid_from",
                               "valid_until", "revoked_at")
        self.select_ticket = _Statement(
            sa.select(*(ticket.c[name] for name in self.ticket_columns)).where(ticket.c.code == sa.bindparam("code")),
            ticket, dialect)
        self.insert_checkin = _Statement(
            checkin.insert().values({name: sa.bindparam(name) for name in _CHECKIN_COLUMNS}).returning(checkin.c.id),
            checkin, dialect)
        self.insert_presence = _Statement(
            presence.insert().values({name: sa.bindparam(name) for name in ("area_id", "ticket_id", "people", "since")}),
            presence, dialect)
        self.results = [ticket.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
                        for name in self.ticket_columns]

    def admit(self, code: str, point, day, row: dict) -> tuple[_Ticket, int] | None:
        """Store the first admission of the ticket `code` at `point` (the checkin `row` without its ticket and
        once_key) in one transaction: (ticket, checkin id), or None, with nothing written, when the ticket is
        not one to admit at once or a unique key holds."""
        connection = self._take()
        try:
            cursor = connection.cursor()
            found = self.select_ticket.run(cursor, {"code": code}).fetchone()
            ticket = self._ticket(found, row["fair_id"], day) if found is not None else None
            if ticket is None:
                connection.rollback()
                self.idle.append(connection)
                return None
            row.update(ticket_id=ticket.id, once_key=checkins.once_key(point, ticket.id, day))
            checkin_id = self.insert_checkin.run(cursor, row).fetchone()[0]
            if point.area_id is not None:
                self.insert_presence.run(cursor, {"area_id": point.area_id, "ticket_id": ticket.id, "people": 1,
                                                  "since": row["recorded_at"]})
            connection.commit()
        except self.engine.dialect.dbapi.Error:
            self._drop(connection)            # a unique key, a lock timeout, a lost connection: the app decides
            return None
        self.idle.append(connection)
        return ticket, checkin_id

    def _ticket(self, found, fair_id: int, day) -> _Ticket | None:
        values = dict(zip(self.ticket_columns, (convert(value) if convert else value
                                                for convert, value in zip(self.results, found))))
        if values["fair_id"] != fair_id or values["revoked_at"] is not None or values["group_size"] != 1 \
                or not values["valid_from"] <= day <= values["valid_until"]:
            return None
        return _Ticket(values["id"], values["name"], values["kind"], values["group_name"], 1)

    def _take(self):
        if self.pid != os.getpid():
            self.pid, self.idle = os.getpid(), []
        try:
            return self.idle.pop()
        except IndexError:
            proxied = self.engine.raw_connection()        # through the engine: its connect events (PRAGMAs)
            proxied.detach()
            return proxied

    def _drop(self, connection) -> None:
        """Roll back and keep the connection if it still answers, else close it."""
        try:
            connection.rollback()
        except self.engine.dialect.dbapi.Error:   # gone: a new one is made for the next scan
            connection.close()
            return
        self.idle.append(connection)


_CHECKIN_COLUMNS = ("fair_id", "point_id", "ticket_id", "reason", "people", "day", "scanned_at", "recorded_at",
                    "once_key", "device_id", "staff_id", "nonce", "raw_code", "offline", "conflict")


class _Statement:
    """A statement's SQL for one dialect and its parameters' conversions, run on a driver cursor."""

    def __init__(self, statement, table: sa.Table, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = compiled.positiontup if compiled.positional else None
        self.convert = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                        for name in compiled.binds}

    def run(self, cursor, values: dict):
        converted = {name: (convert(values[name]) if convert else values[name])
                     for name, convert in self.convert.items()}
        cursor.execute(self.sql, tuple(converted[name] for name in self.order) if self.order is not None
                       else converted)
        return cursor
