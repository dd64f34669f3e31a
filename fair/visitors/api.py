"""The JSON API for scanning devices and gate hardware: redeem a scan, sync a batch of offline scans, find a
ticket by name or phone. A device authenticates with the bearer token an organizer issued for some points
of one fair (checkins.issue_device); each device has its own rate limit.

Every answer of /redeem has the same shape, `{"status": "ok" | "error", "reason": <code>, ...}`: 201 for an
admission, 409 for already_redeemed and capacity_full, 400 for the other refusals; a retried nonce gets the
first answer again (`replayed`: true). Errors of the request itself (no or revoked token 401, a point not
given to the device 403, an unknown point 404, a malformed body 422, too many requests 429) have that
shape too, with `reason` unauthorized, forbidden, unknown_point, unprocessable or rate_limited."""
from time import monotonic

import sqlalchemy as sa
from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException

from fair import LANGUAGE_COOKIE
from fair.extensions import csrf, db, limiter
from fair.fairs.models import Fair
from fair.refusal import Refused
from fair.visitors import checkins
from fair.visitors.checkins import REASON_LABELS, OfflineScan
from fair.visitors.models import VISITOR_KIND_LABELS, CheckinPoint, Device

blp = Blueprint("checkin_api", __name__, url_prefix="/api/v1/checkin",
                description="Check-in for scanning devices and gate hardware (签到设备接口). Authenticate with "
                            "`Authorization: Bearer <device token>`; times are ISO-8601 (UTC unless an offset "
                            "is given). Reason codes follow pretix: ok, already_redeemed, invalid, revoked, "
                            "wrong_fair, invalid_time, capacity_full, not_registered, blocked.")
csrf.exempt(blp)
limiter.exempt(blp)            # devices have their own limit (_Buckets): Flask-Limiter's check costs a scan's tenth


@limiter.request_filter
def _device_request() -> bool:
    """Flask-Limiter skips its work at once for the device API (its exemption alone is checked later,
    after most of that work)."""
    return request.blueprint == "checkin_api"


DEFAULT_DEVICE_LIMIT = 600                  # scans a minute per device (a handheld manages about 60)
REFUSAL_STATUS = {"ok": 201, "already_redeemed": 409, "capacity_full": 409}
ERROR_REASONS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "unknown_point",
                 422: "unprocessable", 429: "rate_limited"}


class RedeemSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=500),
                         metadata={"description": "the QR code's content as scanned"})
    point = fields.String(required=True, validate=validate.Length(min=1, max=40),
                          metadata={"description": "the check-in point's slug"})
    nonce = fields.String(validate=validate.Length(min=1, max=64),
                          metadata={"description": "the device's id for this scan (a UUID): a retry with the "
                                                   "same nonce is answered as before and writes nothing"})
    scanned_at = fields.AwareDateTime(metadata={"description": "when it was scanned, for offline scans; "
                                                              "default: now"})
    people = fields.Integer(validate=validate.Range(min=1, max=10_000),
                            metadata={"description": "a group ticket: how many are here (default: all still "
                                                     "to come)"})


class TicketBriefSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "public, volunteer, group, media, guest"})
    kind_label = fields.String(required=True)
    group_name = fields.String(required=True)
    group_size = fields.Integer(required=True)


class AnswerSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok", "error"]))
    reason = fields.String(required=True, metadata={"description": "ok or a refusal's code"})
    message = fields.String(required=True, metadata={"description": "in the device's language (Accept-Language)"})
    checkin_id = fields.Integer(allow_none=True, metadata={"description": "the stored scan (refusals are stored too)"})
    people = fields.Integer(metadata={"description": "people admitted by this scan"})
    remaining = fields.Integer(metadata={"description": "a group's people still to come"})
    first_at = fields.DateTime(allow_none=True, metadata={"description": "already_redeemed: the first admission"})
    scanned_at = fields.DateTime(allow_none=True)
    conflict = fields.Boolean(metadata={"description": "admitted offline by two devices: on the organizer's list"})
    replayed = fields.Boolean(metadata={"description": "the answer to an earlier request with this nonce"})
    ticket = fields.Nested(TicketBriefSchema, allow_none=True)
    nonce = fields.String(metadata={"description": "sync: the scan's nonce, as sent"})
    code = fields.String(metadata={"description": "a request refused before any scan: the same as `reason`, as the "
                                                  "API's other errors name it"})
    errors = fields.Dict(metadata={"description": "422: each field of the request and what is wrong with it"})


class OfflineScanSchema(RedeemSchema):
    nonce = fields.String(required=True, validate=validate.Length(min=1, max=64))
    scanned_at = fields.AwareDateTime(required=True)


class SyncSchema(Schema):
    scans = fields.List(fields.Nested(OfflineScanSchema), required=True,
                        validate=validate.Length(min=1, max=checkins.MAX_BATCH))


class SyncAnswerSchema(Schema):
    results = fields.List(fields.Nested(AnswerSchema), required=True,
                          metadata={"description": "one per scan, in the order sent, each with its nonce"})


class SearchQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=2, max=60),
                      metadata={"description": "part of a name, a whole mobile number, or its last 4 digits"})


class FoundTicketSchema(TicketBriefSchema):
    phone = fields.String(required=True, metadata={"description": "masked: 138****1234"})
    revoked = fields.Boolean(required=True)
    qr = fields.String(required=True, metadata={"description": "the QR content, to redeem as if scanned"})


class FoundSchema(Schema):
    items = fields.List(fields.Nested(FoundTicketSchema), required=True, metadata={"description": "at most 20"})


# --- the device -------------------------------------------------------------------------------------------

def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header ("" for anything else)."""
    kind, _sep, token = authorization.partition(" ")
    return token.strip() if kind.lower() == "bearer" else ""


class _Buckets:
    """A token bucket per device and worker process: FAIR_DEVICE_LIMIT scans a minute, as a burst or spread
    out. (Flask-Limiter's memory storage starts a thread every few requests to expire its counters, which
    costs more than a scan; with several workers each keeps its own count, as that storage would.)"""

    def __init__(self):
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, per_minute: int) -> bool:
        now = monotonic()
        tokens, then = self.state.get(key, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - then) * per_minute / 60)
        if tokens < 1:
            self.state[key] = (tokens, now)
            return False
        self.state[key] = (tokens - 1, now)
        return True

    def give_back(self, key: str) -> None:
        """Undo a take: the request is handed to the app, which takes again."""
        tokens, then = self.state[key]
        self.state[key] = (tokens + 1, then)


buckets = _Buckets()


def _error(status: int, reason: str, message: str):
    return jsonify(status="error", reason=reason, code=reason, message=message), status


def _device() -> Device:
    """The request's device (401 without a live token, 429 over its rate)."""
    token = bearer_token(request.headers.get("Authorization", ""))
    device = checkins.device_for_token(token) if token else None
    if device is None:
        raise _Refused(401, "unauthorized", _("设备令牌无效或已被撤销。"))
    if not buckets.take(device.token_digest, current_app.config.get("FAIR_DEVICE_LIMIT", DEFAULT_DEVICE_LIMIT)):
        raise _Refused(429, "rate_limited", _("请求太频繁，请稍后再试。"))
    return device


@blp.before_request
def _authenticate() -> None:
    """Every endpoint here is a device's: the token is checked before the input, so a request without one
    is a 401 whatever it carries."""
    g.device = _device()


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """Malformed bodies (422), rate limits (429), ...: the same shape as a scan's answer."""
    code = error.code or 500
    reason = ERROR_REASONS.get(code, str(code))
    message = {422: _("请求内容不完整或格式不对。"), 429: _("请求太频繁，请稍后再试。")}.get(code) or str(error.description)
    body = {"status": "error", "reason": reason, "code": reason, "message": message}
    if code == 422 and getattr(error, "data", None):
        body["errors"] = error.data.get("messages", {})     # webargs: the fields and what is wrong with each
    return jsonify(body), code


def _point(device: Device, slug: str) -> CheckinPoint:
    point = checkins.device_point(device, slug)
    if point is not None:
        return point
    other = db.session.scalar(sa.select(CheckinPoint.name).where(CheckinPoint.fair_id == device.fair_id,
                                                                 CheckinPoint.slug == slug))
    if other is None:
        raise _Refused(404, "unknown_point", _("本届没有标识为“%(slug)s”的签到点。", slug=slug))
    raise _Refused(403, "forbidden", _("此设备未获准在“%(point)s”签到。", point=other))


class _Refused(Exception):
    def __init__(self, status: int, reason: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.reason, self.message, self.errors = status, reason, message, errors


@blp.errorhandler(_Refused)
def _refused(error: _Refused):
    body = {"status": "error", "reason": error.reason, "code": error.reason, "message": error.message}
    if error.errors:
        body["errors"] = error.errors
    return jsonify(body), error.status


def answer(result: checkins.Result, nonce: str | None = None, labels: dict | None = None) -> dict:
    """A scan's result as the API (and the scan page) reports it; `labels`: the request's (_labels())."""
    ticket = result.ticket
    labels = labels or _labels()
    body = {"status": "ok" if result.ok else "error", "reason": result.reason,
            "message": labels[result.reason], "checkin_id": result.checkin_id,
            "people": result.people, "remaining": result.remaining,
            "first_at": result.first_at.isoformat() if result.first_at else None,
            "scanned_at": result.scanned_at.isoformat() if result.scanned_at else None,
            "conflict": result.conflict, "replayed": result.replayed,
            "ticket": {"name": ticket.name, "kind": ticket.kind.value, "kind_label": labels[ticket.kind],
                       "group_name": ticket.group_name, "group_size": ticket.group_size} if ticket else None}
    if nonce is not None:
        body["nonce"] = nonce
    return body


_translated: dict[tuple, dict] = {}


def _labels() -> dict:
    """The reasons' and visitor kinds' labels in the request's language, translated once per process for
    what decides the language (fair.select_locale: the cookie, Accept-Language): Flask-Babel's choosing
    and looking up costs more than a scan's INSERT."""
    asked = (request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language"))
    labels = translated_labels(asked)
    if labels is None:
        if len(_translated) > 100:          # headers are the client's to choose: keep the cache small
            _translated.clear()
        labels = _translated[asked] = {**{reason: str(label) for reason, label in REASON_LABELS.items()},
                                        **{kind: str(label) for kind, label in VISITOR_KIND_LABELS.items()}}
    return labels


def translated_labels(asked: tuple) -> dict | None:
    """The labels already translated for (language cookie, Accept-Language), if any."""
    return _translated.get(asked)


def _errors(*codes):
    def decorate(view):
        for code in codes:
            view = blp.alt_response(code, schema=AnswerSchema, description=ERROR_REASONS[code])(view)
        return view
    return decorate


# --- the endpoints ----------------------------------------------------------------------------------------

_REDEEM = RedeemSchema()
_PLAIN_FIELDS = {"code": (0, 500), "point": (1, 40), "nonce": (1, 64)}


def plain_scan(body) -> bool:
    """A scan's usual body: code, point and perhaps a nonce, strings of the allowed lengths, nothing else."""
    return type(body) is dict and "code" in body and "point" in body and all(
        type(value) is str and name in _PLAIN_FIELDS and
        _PLAIN_FIELDS[name][0] <= len(value) <= _PLAIN_FIELDS[name][1] for name, value in body.items())


def _redeem_body() -> dict:
    """The body as RedeemSchema accepts it. A scan's usual body (code, point and nonce as strings of the
    allowed lengths) is taken as it is; anything else goes through the schema, which decides and words the
    422. (marshmallow's load costs a tenth of a scan.)"""
    body = request.get_json(silent=True)
    if plain_scan(body):
        return body
    try:
        return _REDEEM.load(body or {})
    except ValidationError as error:
        raise _Refused(422, "unprocessable", _("请求内容不完整或格式不对。"), {"json": error.messages}) from None


@blp.route("/redeem", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": RedeemSchema}}})
@blp.response(201, AnswerSchema, description="admitted")
@blp.alt_response(400, schema=AnswerSchema, description="refused: invalid, revoked, wrong_fair, invalid_time, "
                                                       "not_registered or blocked")
@blp.alt_response(409, schema=AnswerSchema, description="refused: already_redeemed (with first_at) or capacity_full")
@_errors(401, 403, 404, 422, 429)
@blp.doc(operationId="redeemCheckin", summary="Check a scanned ticket in at a point, exactly once")
def redeem():
    body = _redeem_body()
    device = g.device
    point = _point(device, body["point"])
    fair = checkins.device_fair(device)
    result = checkins.redeem(fair, point, body["code"], device=device, nonce=body.get("nonce"),
                             scanned_at=body.get("scanned_at"), people=body.get("people"))
    return jsonify(answer(result)), REFUSAL_STATUS.get(result.reason, 400)


@blp.route("/sync", methods=["POST"])
@blp.arguments(SyncSchema)
@blp.response(200, SyncAnswerSchema)
@_errors(400, 401, 422, 429)
@blp.doc(operationId="syncCheckins", summary="Upload scans made offline; duplicates keep the earliest scan")
def sync(body: dict):
    device = g.device
    scans = [OfflineScan(scan["code"], scan["point"], scan["nonce"], scan["scanned_at"], scan.get("people"))
             for scan in body["scans"]]
    try:
        results = checkins.sync(device, scans)
    except Refused as refusal:
        return _error(422, refusal.code, refusal.message)
    return jsonify(results=[answer(result, scan.nonce) for scan, result in results])


@blp.route("/tickets", methods=["GET"])
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, FoundSchema)
@_errors(401, 422, 429)
@blp.doc(operationId="searchTickets", summary="Find a visitor's ticket by name or mobile number")
def search_tickets(args: dict):
    from fair.visitors import services

    device = g.device
    fair = db.session.get(Fair, device.fair_id)
    found = checkins.search_tickets(fair, args["q"])
    qrs = services.qr_texts(fair, found) if found else []
    return {"items": [{"name": ticket.name, "kind": ticket.kind.value, "kind_label": ticket.kind.label,
                       "group_name": ticket.group_name, "group_size": ticket.group_size,
                       "phone": services.mask_phone(ticket.phone), "revoked": ticket.revoked_at is not None,
                       "qr": qr} for ticket, qr in zip(found, qrs)]}

