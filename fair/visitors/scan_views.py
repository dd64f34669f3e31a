"""The gate staff's scan page and the JSON it talks to: redeem a scan, download the offline kit (the fair's
public key, the revoked tickets, which points may scan offline), and sync the scans queued while the network
was down. Session-authenticated with the CSRF token in a header, like the screening page's autosave; the
answers have the device API's shape (api.answer), so the page and gate hardware read the same reasons.

A retried or queued scan carries the nonce the page gave it when it was first scanned: the server answers a
nonce it has seen as before (checkins.redeem looks up the staff member's nonce), so a scan whose answer got
lost and which was then queued offline is still recorded once."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from babel import dates
from flask import jsonify, make_response, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from zoneinfo import ZoneInfo

from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.fairs.models import Fair
from fair.navigation import add_fair_nav
from fair.security import CSP
from fair.times import utcnow
from fair.visitors import checkins, services, tickets
from fair.visitors.api import REFUSAL_STATUS, answer
from fair.visitors.models import VISITOR_KIND_LABELS, CheckinPoint, Ticket
from fair.visitors.views import bp

add_fair_nav(61, _l("扫码签到"), "visitors.scan", Role.gate_staff, Role.organizer)

KIT_HOURS = 24                # an offline kit older than this is not trusted: revocations since are unknown
MAX_CODE = 500
MAX_NONCE = 64
MAX_PEOPLE = 10_000
# The camera decoder (static/vendor/qr-scanner) runs its decoding in a Web Worker made from a blob: URL.
SCAN_CSP = CSP + "; worker-src 'self' blob:"


def _points(fair: Fair) -> list[CheckinPoint]:
    return list(db.session.scalars(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id,
                                                                 CheckinPoint.active)
                                   .order_by(CheckinPoint.kind, CheckinPoint.name)))


def _point_name(point: CheckinPoint) -> str:
    return point.name_en if point.name_en and not str(get_locale()).startswith("zh") else point.name


def _offline_allowed(point: CheckinPoint) -> bool:
    """As the organizer set it, except where the page could not check a rule alone: a class's bookings."""
    return point.offline_allowed and not point.needs_registration


def _local_text(fair: Fair, moment: datetime | None) -> str | None:
    """A time as the gate reads it, on the fair's clock: 5月20日 09:12 / May 20 09:12."""
    if moment is None:
        return None
    zone, locale = ZoneInfo(fair.timezone), get_locale()
    return f"{dates.format_skeleton('MMMd', moment, tzinfo=zone, locale=locale)} " \
           f"{dates.format_time(moment, 'HH:mm', tzinfo=zone, locale=locale)}"


def _body(fair: Fair, result: checkins.Result, nonce: str | None = None) -> dict:
    """The API's answer, plus the first scan's time as the gate reads it (the fair's clock, the staff's
    language)."""
    body = answer(result, nonce)
    body["first_at_text"] = _local_text(fair, result.first_at)
    return body


def _problem(status: int, reason: str, message: str):
    return jsonify(status="error", reason=reason, code=reason, message=message), status


def _text(value, longest: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= longest else None


def _people(value) -> int | None | bool:
    """None (all still to come), a count, or False when it is not one."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PEOPLE:
        return False
    return value


@bp.get("/scan")
@fair_role_required(Role.gate_staff, Role.organizer)
def scan(fair: Fair):
    """The page; everything after the first load is JSON (scan.js)."""
    points = _points(fair)
    config = {
        "fair": fair.slug, "timezone": fair.timezone,
        "urls": {"redeem": url_for("visitors.scan_redeem", slug=fair.slug),
                 "kit": url_for("visitors.scan_offline_kit", slug=fair.slug),
                 "sync": url_for("visitors.scan_sync", slug=fair.slug),
                 "decoder": url_for("static", filename="vendor/qr-scanner/qr-scanner.min.js"),
                 "ed25519": url_for("static", filename="vendor/noble-ed25519/index.js")},
        "reasons": {reason: str(label) for reason, label in checkins.REASON_LABELS.items()},
        "kinds": {kind.value: str(label) for kind, label in VISITOR_KIND_LABELS.items()},
        "kindCodes": list(tickets.KINDS),
        "messages": {
            "checking": _("正在核验…"), "offline": _("离线"), "pending": _("待同步 %(n)s", n="{n}"),
            "synced": _("已全部同步"), "syncRefused": _("同步时有 %(n)s 条被拒绝，请看签到记录", n="{n}"),
            "noOffline": _("网络中断，此签到点不能离线签到"), "noKit": _("网络中断，本机还没有离线核验资料"),
            "staleKit": _("离线核验资料已过期，请联网后刷新页面"), "login": _("登录已过期，请重新登录"),
            "choosePoint": _("请先选择签到点"), "firstAt": _("首次签到：%(time)s", time="{time}"),
            "group": _("团体 %(size)s 人，本次 %(people)s 人", size="{size}", people="{people}"),
            "groupSize": _("团体 %(size)s 人", size="{size}"), "remaining": _("还有 %(n)s 人未到", n="{n}"),
            "canOffline": _("断网时可离线签到"), "cannotOffline": _("此签到点不能离线签到"),
            "cameraOn": _("打开摄像头"), "cameraOff": _("关闭摄像头"),
            "noCamera": _("无法打开摄像头：请允许使用摄像头，或改用扫码枪"),
        },
    }
    response = make_response(render_template(
        "visitors/scan.html", fair=fair, points=points, point_name=_point_name, config=config,
        walk_in_url=url_for("visitors.walk_in", slug=fair.slug), csrf=generate_csrf()))
    response.headers["Content-Security-Policy"] = SCAN_CSP
    return response


@bp.post("/scan/redeem")
@fair_role_required(Role.gate_staff, Role.organizer)
def scan_redeem(fair: Fair):
    """{"code", "point", "nonce", "people"?} → the scan's answer (201 admitted, 409 a repeat or full, 400
    another refusal), recorded with the staff member as the scanner."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    code, slug = body.get("code"), _text(body.get("point"), 40)
    nonce, people = _text(body.get("nonce"), MAX_NONCE), _people(body.get("people"))
    if not isinstance(code, str) or len(code) > MAX_CODE or slug is None or nonce is None or people is False:
        return _problem(422, "unprocessable", _("请求内容不完整或格式不对。"))
    point = db.session.scalar(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id,
                                                            CheckinPoint.slug == slug))
    if point is None:
        return _problem(404, "unknown_point", _("本届没有标识为“%(slug)s”的签到点。", slug=slug))
    result = checkins.redeem(fair, point, code, staff=current_user, nonce=nonce, people=people)
    return jsonify(_body(fair, result)), REFUSAL_STATUS.get(result.reason, 400)


@bp.get("/scan/offline-kit")
@fair_role_required(Role.gate_staff, Role.organizer)
def scan_offline_kit(fair: Fair):
    """What the page needs to check codes alone: the fair's public key, the revoked tickets' codes, each
    point's rules, the time after which the kit is stale; and a fresh CSRF token for a page left open."""
    key = services.public_key_for(fair)
    db.session.commit()                       # the key is made on first use
    revoked = db.session.scalars(sa.select(Ticket.code).where(Ticket.fair_id == fair.id,
                                                              Ticket.revoked_at.isnot(None))).all()
    now = utcnow()
    points = [{"slug": point.slug, "name": _point_name(point), "kind": point.kind.value,
               "policy": point.policy.value, "offline": _offline_allowed(point),
               "opens_at": point.opens_at.strftime("%H:%M") if point.opens_at else None,
               "closes_at": point.closes_at.strftime("%H:%M") if point.closes_at else None}
              for point in _points(fair)]
    response = jsonify(fair_id=fair.id, timezone=fair.timezone, prefix=tickets.PREFIX,
                       keys=[{"key_id": key["key_id"], "public_key": key["public_key"]}],
                       revoked=sorted(revoked), points=points, issued_at=now.isoformat(),
                       valid_until=(now + timedelta(hours=KIT_HOURS)).isoformat(), csrf=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/scan/sync")
@fair_role_required(Role.gate_staff, Role.organizer)
def scan_sync(fair: Fair):
    """{"scans": [{code, point, nonce, scanned_at, people?}]} → {"results": [answer with its nonce]}.
    The page drops from its queue every scan answered; a scan that is not well formed is answered
    `unprocessable` (it can never be recorded), the rest as checkins.redeem decides."""
    body = request.get_json(silent=True)
    scans = body.get("scans") if isinstance(body, dict) else None
    if not isinstance(scans, list) or not scans:
        return _problem(422, "unprocessable", _("请求内容不完整或格式不对。"))
    if len(scans) > checkins.MAX_BATCH:
        return _problem(422, "too_many", _("一次最多同步 %(n)d 条扫码记录。", n=checkins.MAX_BATCH))
    return jsonify(results=sync_as_staff(fair, scans, current_user))


def _offline_scan(item, now: datetime) -> checkins.OfflineScan | None:
    if not isinstance(item, dict):
        return None
    code, slug = item.get("code"), _text(item.get("point"), 40)
    nonce, people = _text(item.get("nonce"), MAX_NONCE), _people(item.get("people"))
    try:
        scanned_at = datetime.fromisoformat(str(item.get("scanned_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
    if not isinstance(code, str) or len(code) > MAX_CODE or slug is None or nonce is None or people is False \
            or scanned_at.tzinfo is None:
        return None
    # A phone whose clock runs ahead must not put its scans before everyone else's by mistake.
    return checkins.OfflineScan(code, slug, nonce, min(scanned_at.astimezone(timezone.utc), now), people)


def sync_as_staff(fair: Fair, items: list, staff) -> list[dict]:
    """checkins.sync for a logged-in staff member instead of a device: earliest scan first (so duplicates
    keep the earliest), each redeemed as an offline scan by `staff`; answers in the order sent."""
    now = utcnow()
    points = {point.slug: point for point in db.session.scalars(
        sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id))}
    parsed = [_offline_scan(item, now) for item in items]
    answers: dict[int, dict] = {}
    for index, item in enumerate(items):
        if parsed[index] is None:
            nonce = item.get("nonce") if isinstance(item, dict) else None
            answers[index] = {"status": "error", "reason": "unprocessable", "nonce": nonce,
                              "message": _("请求内容不完整或格式不对。")}
    for index in sorted((i for i, scan in enumerate(parsed) if scan), key=lambda i: parsed[i].scanned_at):
        scan = parsed[index]
        point = points.get(scan.point)
        result = checkins.Result("blocked", scanned_at=scan.scanned_at) if point is None else checkins.redeem(
            fair, point, scan.code, staff=staff, nonce=scan.nonce, scanned_at=scan.scanned_at, people=scan.people,
            offline=True)
        answers[index] = _body(fair, result, scan.nonce)
    return [answers[index] for index in range(len(items))]

