"""Check-in: redeeming a scanned code at a point, who is inside each area, devices, and offline sync.

Exactly once is the database's job (models.Checkin): an admission that may happen once carries a unique
`once_key`, so of two gates scanning one ticket at the same instant one INSERT wins and the other gets
IntegrityError and answers already_redeemed with the first scan's time. A device's retried request
carries the same nonce, unique per device: the retry finds the first answer instead of writing again.

Groups. A group leader's ticket admits `group_size` people at once, or fewer (the staff say how many are
here) and the rest later. Each admission of part of a group claims the key of the count already in:
"point:ticket[:day]" for the first (the same key a single ticket has), "…+3" for one after three were
admitted. Two gates admitting parts of one group at once read the same count and so claim the same key:
one wins. So the people admitted never exceed the group's size, without a lock.

Occupancy. A Presence row per (area, ticket), unique, holds how many of the ticket are inside; an entry
adds, an exit removes, entering an area that `leaves_area` another moves them. A capacity is checked
after the write, inside the same transaction, and the write undone when it overflows: on SQLite the
transaction already holds the database's write lock, on PostgreSQL the area's (or point's) row is locked
first, so the count is exact under concurrency.

The hot path (a single ticket at an entry gate) runs: the ticket's SELECT, the scan's INSERT and, for a
point with an area, the presence INSERT, as Core statements on the session's connection (no ORM loading);
the fair's public key is cached per process, the device and its points for a few seconds. No audit event
per scan: the Checkin row is itself the append-only record of who scanned what (device or staff, raw code).
A device's first admission of a single ticket at a plain point is answered by fast_redeem.py with the same
statements beside the framework: a rule added here must be added to its checks too (test_fast_redeem.py
plays a day at the gates through both and compares every answer and row)."""
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic as _monotonic
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.orm import joinedload
from zoneinfo import ZoneInfo

from fair.audit.log import audit, snapshot
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from fair.times import from_local, utcnow
from fair.visitors import tickets
from fair.visitors.models import (Area, Checkin, CheckinPoint, Device, FairKey, PointKind, Policy, Presence,
                                  Registration, Ticket)

REASONS = ("ok", "already_redeemed", "invalid", "revoked", "wrong_fair", "invalid_time", "capacity_full",
           "not_registered", "blocked")
REASON_LABELS = {"ok": _l("可以入场"), "already_redeemed": _l("已签到过"), "invalid": _l("无效的入场码"),
                 "revoked": _l("入场码已作废"), "wrong_fair": _l("不是本届展会的入场码"),
                 "invalid_time": _l("不在有效时间内"), "capacity_full": _l("已满员"),
                 "not_registered": _l("未预约此场次"), "blocked": _l("此处不接受此次扫码")}
SEATED = (PointKind.class_, PointKind.salon, PointKind.activity)    # point capacity = people admitted
MAX_BATCH = 500

_INSERT_CHECKIN = Checkin.__table__.insert()      # Core statements: the ORM's bulk machinery costs more
_INSERT_PRESENCE = Presence.__table__.insert()    # than the INSERT on the hot path
_TICKET_BY_CODE = sa.select(Ticket.__table__).where(Ticket.__table__.c.code == sa.bindparam("code"))
_public_keys: dict[int, tuple[int, object]] = {}     # fair id → (key id, Ed25519PublicKey), per process


@dataclass(frozen=True)
class Result:
    """A scan's answer. `first_at`: for already_redeemed, when the ticket was first admitted here;
    `remaining`: people of the group still to come; `replayed`: the answer of an earlier request."""

    reason: str
    ticket: Optional[Ticket] = None
    first_at: Optional[datetime] = None
    people: int = 0
    checkin_id: Optional[int] = None
    remaining: int = 0
    scanned_at: Optional[datetime] = None
    conflict: bool = False
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


class _Refusal(Exception):
    def __init__(self, reason: str, ticket: Ticket | None = None, first_at: datetime | None = None,
                 remaining: int = 0):
        super().__init__(reason)
        self.reason, self.ticket, self.first_at, self.remaining = reason, ticket, first_at, remaining


def _sql() -> sa.Connection:
    """The session's connection, for the scan's Core statements: they skip the ORM session's execute
    machinery, which costs more than the statement, and still share its transaction (commit, rollback)."""
    return db.session.connection()


def local_day(fair: Fair, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(fair.timezone)).date()


def public_keys(fair_id: int) -> dict[int, object]:
    """The fair's verification key by key id, from FairKey once per process."""
    cached = _public_keys.get(fair_id)
    if cached is None:
        cached = _load_key(fair_id)
    return {cached[0]: cached[1]} if cached else {}


def cached_public_key(fair_id: int) -> tuple[int, object] | None:
    """(key id, key) as this process has it, without reading the database; None: not read yet."""
    return _public_keys.get(fair_id)


def _load_key(fair_id: int) -> tuple[int, object] | None:
    row = db.session.execute(sa.select(FairKey.key_id, FairKey.public_key).where(FairKey.fair_id == fair_id)).first()
    if row is None:
        return None
    key = _public_keys[fair_id] = (row.key_id, tickets.Ed25519PublicKey.from_public_bytes(bytes(row.public_key)))
    return key


def _payload(raw: str, fair_id: int) -> tickets.Payload:
    """A genuine code of this fair, else _Refusal invalid or wrong_fair. Verified with the cached key; a
    failure is checked again with the key read afresh, so a cache older than the key (a restored database,
    a rotated key) never refuses a genuine code."""
    try:
        return tickets.verify(raw, public_keys(fair_id))
    except tickets.InvalidTicket:
        pass
    try:
        if tickets.parse(raw).fair_id != fair_id:
            raise _Refusal("wrong_fair")
        fresh = _load_key(fair_id)
        if fresh is not None:
            return tickets.verify(raw, {fresh[0]: fresh[1]})
    except tickets.InvalidTicket:
        pass
    raise _Refusal("invalid")


def redeem(fair: Fair, point: CheckinPoint, code_text: str, *, device: Device | None = None, staff=None,
           nonce: str | None = None, scanned_at: datetime | None = None, people: int | None = None,
           offline: bool = False) -> Result:
    """Check a scanned code at `point` and record the scan, admitted or refused, exactly once.

    `people`: how many of a group are here (default: all still to come); `scanned_at`: the device's
    time of an offline scan (default now). A refusal is an answer, not an exception."""
    now = utcnow()
    at = scanned_at or now
    day = local_day(fair, at)
    raw = str(code_text or "")[:200]
    scan = dict(fair_id=fair.id, point_id=point.id, day=day, scanned_at=at, recorded_at=now,
                device_id=device.id if device else None, staff_id=getattr(staff, "id", None),
                nonce=nonce or None, raw_code=raw, offline=offline)
    if nonce and device is None and staff is not None:
        earlier = _replay(scan)            # device-less scans have no unique (device, nonce): look first
        if earlier is not None:
            return earlier
    ticket = None
    try:
        ticket = _ticket(fair, point, raw, at, day, offline)
        if people is not None and people < 1:
            raise _Refusal("invalid", ticket)
        if point.kind is PointKind.exit:
            return _leave(scan, point, ticket, people)
        return _admit(scan, point, ticket, people)
    except _Refusal as refusal:
        return _refuse(scan, refusal, refusal.ticket or ticket)


def _ticket(fair: Fair, point: CheckinPoint, raw: str, at: datetime, day: date, offline: bool) -> Ticket:
    """The scanned ticket, or the first rule it breaks (in the order a gate wants to hear them)."""
    if not point.active or point.fair_id != fair.id or (offline and not point.offline_allowed):
        raise _Refusal("blocked")
    payload = _payload(raw, fair.id)
    row = _sql().execute(_TICKET_BY_CODE, {"code": payload.code}).first()
    if row is None:
        raise _Refusal("invalid")
    ticket = Ticket(**row._mapping)        # not in the session: a plain record of the row, for the answer
    if ticket.fair_id != fair.id:
        raise _Refusal("wrong_fair", ticket)
    if ticket.revoked_at is not None:
        raise _Refusal("revoked", ticket)
    if point.kind is PointKind.exit:
        return ticket                      # nobody is kept in: leaving needs a genuine ticket only
    if not ticket.valid_from <= day <= ticket.valid_until or not is_open(point, at, fair.timezone):
        raise _Refusal("invalid_time", ticket)
    if point.needs_registration and _sql().scalar(sa.select(Registration.id).where(
            Registration.point_id == point.id, Registration.ticket_id == ticket.id)) is None:
        raise _Refusal("not_registered", ticket)
    return ticket


def is_open(point: CheckinPoint, at: datetime, tz: str) -> bool:
    """Within the point's daily hours in the fair's timezone (a closing time before the opening time
    runs past midnight)."""
    if point.opens_at is None and point.closes_at is None:
        return True
    now = at.astimezone(ZoneInfo(tz)).time().replace(tzinfo=None)
    opens, closes = point.opens_at or time.min, point.closes_at or time.max
    return opens <= now < closes if opens <= closes else (now >= opens or now < closes)


def once_key(point: CheckinPoint, ticket_id: int, day: date) -> str | None:
    """The unique key of a first admission under the point's policy (None: unlimited)."""
    if point.policy is Policy.once:
        return f"{point.id}:{ticket_id}"
    if point.policy is Policy.daily:
        return f"{point.id}:{ticket_id}:{day.isoformat()}"
    return None


def _admitted(point: CheckinPoint, ticket: Ticket, day: date) -> tuple[int, datetime | None]:
    """People of this ticket admitted here so far (today, for a daily point) and the first time."""
    query = sa.select(sa.func.coalesce(sa.func.sum(Checkin.people), 0), sa.func.min(Checkin.scanned_at)).where(
        Checkin.point_id == point.id, Checkin.ticket_id == ticket.id, Checkin.reason == "ok")
    if point.policy is Policy.daily:
        query = query.where(Checkin.day == day)
    count, first = _sql().execute(query).one()
    return int(count), first


def _admit(scan: dict, point: CheckinPoint, ticket: Ticket, people: int | None) -> Result:
    base = once_key(point, ticket.id, scan["day"])
    size = ticket.group_size
    before, first_at = _admitted(point, ticket, scan["day"]) if size > 1 and base else (0, None)
    remaining = size - before
    if base and remaining <= 0:
        raise _Refusal("already_redeemed", ticket, first_at)
    count = remaining if people is None else people
    if base and count > remaining:
        raise _Refusal("already_redeemed", ticket, first_at, remaining)
    if not base:
        count = min(count, size)
    key = base if before == 0 else f"{base}+{before}"
    row = dict(scan, ticket_id=ticket.id, reason="ok", people=count, once_key=key)
    try:
        sql = _sql()
        _lock_for_capacity(sql, point)
        checkin_id = sql.execute(_INSERT_CHECKIN, row).inserted_primary_key[0]
        if point.area_id is not None:
            _enter(sql, point, ticket, count, size, scan["recorded_at"])
        _check_capacity(sql, point, scan["day"])
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        if scan["offline"] and key:
            return _reconcile(row, point, ticket)
        return _already(scan, point, ticket, key, remaining)
    except _Refusal:
        db.session.rollback()
        raise
    return Result("ok", ticket, None, count, checkin_id, remaining - count if base else 0, scan["scanned_at"])


def _already(scan: dict, point: CheckinPoint, ticket: Ticket, once_key: str | None, remaining: int) -> Result:
    """The INSERT lost: to a retry of this very request (its nonce), else to another scan of the ticket."""
    replay = _replay(scan) if scan["nonce"] else None
    if replay is not None:
        return replay
    first_at = None
    if once_key:
        base = once_key.partition("+")[0]
        first_at = db.session.scalar(sa.select(Checkin.scanned_at).where(Checkin.once_key == base))
    else:
        first_at = db.session.scalar(sa.select(Presence.since).where(Presence.area_id == point.area_id,
                                                                     Presence.ticket_id == ticket.id))
    return _refuse(scan, _Refusal("already_redeemed", ticket, first_at, max(remaining, 0)), ticket)


def _lock_for_capacity(sql: sa.Connection, point: CheckinPoint) -> None:
    """PostgreSQL: one admission at a time to a limited point or area (SQLite's writes are serial anyway)."""
    if sql.dialect.name != "postgresql":
        return
    if point.capacity is not None and point.kind in SEATED:
        sql.execute(sa.select(CheckinPoint.id).where(CheckinPoint.id == point.id).with_for_update())
    if point.area_id is not None and point.area is not None and point.area.capacity is not None:
        sql.execute(sa.select(Area.id).where(Area.id == point.area_id).with_for_update())


def _check_capacity(sql: sa.Connection, point: CheckinPoint, day: date) -> None:
    """After the write, inside its transaction: over a limit undoes the admission."""
    if point.capacity is not None and point.kind in SEATED:
        query = sa.select(sa.func.coalesce(sa.func.sum(Checkin.people), 0)).where(
            Checkin.point_id == point.id, Checkin.reason == "ok")
        if point.policy is Policy.daily:
            query = query.where(Checkin.day == day)
        if sql.scalar(query) > point.capacity:
            raise _Refusal("capacity_full")
    area = point.area if point.area_id is not None else None
    if area is not None and area.capacity is not None:
        inside = sql.scalar(sa.select(sa.func.coalesce(sa.func.sum(Presence.people), 0))
                            .where(Presence.area_id == area.id))
        if inside > area.capacity:
            raise _Refusal("capacity_full")


def _enter(sql: sa.Connection, point: CheckinPoint, ticket: Ticket, count: int, size: int, now: datetime) -> None:
    """Add `count` of the ticket to the point's area (IntegrityError: already all inside), moving them
    out of the area it leaves."""
    area = point.area
    if area is not None and area.leaves_area_id is not None:
        _remove(sql, area.leaves_area_id, ticket.id, count)
    if count < size:
        added = sql.execute(sa.update(Presence).where(
            Presence.area_id == point.area_id, Presence.ticket_id == ticket.id,
            Presence.people + count <= size).values(people=Presence.people + count)).rowcount
        if added:
            return
    sql.execute(_INSERT_PRESENCE, {"area_id": point.area_id, "ticket_id": ticket.id, "people": count,
                                   "since": now})


def _remove(sql: sa.Connection, area_id: int, ticket_id: int, count: int | None) -> int:
    """Take `count` (None: all) of a ticket out of an area; how many were there to take."""
    where = (Presence.area_id == area_id, Presence.ticket_id == ticket_id)
    inside = sql.scalar(sa.select(Presence.people).where(*where)) or 0
    if count is None or count >= inside:
        sql.execute(sa.delete(Presence).where(*where))
        return inside
    sql.execute(sa.update(Presence).where(*where).values(people=Presence.people - count))
    return count


def _leave(scan: dict, point: CheckinPoint, ticket: Ticket, people: int | None) -> Result:
    left = _remove(_sql(), point.area_id, ticket.id, people) if point.area_id is not None else (people or 1)
    row = dict(scan, ticket_id=ticket.id, reason="ok", people=left)
    try:
        checkin_id = _sql().execute(_INSERT_CHECKIN, row).inserted_primary_key[0]
        db.session.commit()
    except sa.exc.IntegrityError:           # only a retried nonce can collide here
        db.session.rollback()
        return _replay(scan) or Result("invalid", ticket)
    return Result("ok", ticket, None, left, checkin_id, 0, scan["scanned_at"])


def _refuse(scan: dict, refusal: _Refusal, ticket: Ticket | None, conflict: bool = False) -> Result:
    """Store the refused scan (reason, device, raw code); a retried nonce gets its first answer."""
    row = dict(scan, ticket_id=getattr(ticket, "id", None), reason=refusal.reason, people=0, once_key=None,
               conflict=conflict)
    try:
        checkin_id = _sql().execute(_INSERT_CHECKIN, row).inserted_primary_key[0]
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        replay = _replay(scan)
        if replay is not None:
            return replay
        raise
    return Result(refusal.reason, ticket, refusal.first_at, 0, checkin_id, refusal.remaining,
                  scan["scanned_at"], conflict)


def _replay(scan: dict) -> Result | None:
    """The answer already given to this device's (or staff member's) nonce."""
    who = (Checkin.device_id == scan["device_id"] if scan["device_id"] is not None
           else sa.and_(Checkin.device_id.is_(None), Checkin.staff_id == scan["staff_id"]))
    row = db.session.execute(sa.select(Checkin).where(who, Checkin.nonce == scan["nonce"])).scalar()
    if row is None:
        return None
    first_at = None
    if row.reason == "already_redeemed" and row.ticket_id is not None:
        first_at = db.session.scalar(sa.select(sa.func.min(Checkin.scanned_at)).where(
            Checkin.point_id == row.point_id, Checkin.ticket_id == row.ticket_id, Checkin.reason == "ok"))
    ticket = db.session.get(Ticket, row.ticket_id) if row.ticket_id else None
    return Result(row.reason, ticket, first_at, row.people, row.id, 0, row.scanned_at, row.conflict, replayed=True)


def _reconcile(row: dict, point: CheckinPoint, ticket: Ticket) -> Result:
    """An offline admission that collides with one already stored: the earliest scan keeps the admission.
    Admitted by two different devices (a visitor let in twice), the later one is flagged as a conflict
    for the organizer's list."""
    replay = _replay(row) if row["nonce"] else None
    if replay is not None:
        return replay
    held = db.session.execute(sa.select(Checkin).where(Checkin.once_key == row["once_key"])).scalar()
    if held is None:                      # the other admission was undone meanwhile: try again as new
        return _admit({k: v for k, v in row.items() if k not in ("ticket_id", "reason", "people", "once_key")},
                      point, ticket, row["people"])
    # Two different scanners (devices, or staff on the scan page) let the visitor in: a conflict.
    twice = (held.device_id, held.staff_id) != (row["device_id"], row["staff_id"])
    if row["scanned_at"] >= held.scanned_at:
        return _refuse(row, _Refusal("already_redeemed", ticket, held.scanned_at), ticket, conflict=twice)
    # The offline scan was first: it takes the key, the stored one becomes the repeat.
    try:
        db.session.execute(sa.update(Checkin).where(Checkin.id == held.id).values(
            once_key=None, reason="already_redeemed", conflict=twice))
        checkin_id = db.session.execute(_INSERT_CHECKIN, row).inserted_primary_key[0]
        db.session.commit()
    except sa.exc.IntegrityError:          # the same batch sent twice at once: the other one did it
        db.session.rollback()
        return _replay(row) or _refuse(row, _Refusal("already_redeemed", ticket, row["scanned_at"]), ticket)
    return Result("ok", ticket, None, row["people"], checkin_id, 0, row["scanned_at"])


def search_tickets(fair: Fair, query: str, limit: int = 20) -> list[Ticket]:
    """A visitor who lost their code: by a whole mobile number, its last four digits, or part of the name."""
    query = "".join(query.split())
    if query.isdigit() and len(query) in (4, 11):
        where = Ticket.phone == query if len(query) == 11 else Ticket.phone.endswith(query)
    else:
        where = Ticket.name.contains(query, autoescape=True)
    return list(db.session.scalars(sa.select(Ticket).where(Ticket.fair_id == fair.id, where)
                                   .order_by(Ticket.revoked_at.isnot(None), Ticket.name).limit(limit)))


# Offline batches ------------------------------------------------------------------------------------------

@dataclass
class OfflineScan:
    code: str
    point: str
    nonce: str
    scanned_at: datetime
    people: int | None = None


def sync(device: Device, scans: list[OfflineScan]) -> list[tuple[OfflineScan, Result]]:
    """Redeem a device's queued offline scans, earliest first, so reconciling duplicates keeps the earliest;
    a replayed batch is answered from its nonces and writes nothing. Answers come back in the order sent."""
    if len(scans) > MAX_BATCH:
        raise Refused(_("一次最多同步 %(n)d 条扫码记录。", n=MAX_BATCH), "too_many")
    fair = db.session.get(Fair, device.fair_id)
    points = {point.slug: point for point in db.session.scalars(
        sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id))}
    answers: dict[int, Result] = {}
    for index in sorted(range(len(scans)), key=lambda i: scans[i].scanned_at):
        scan = scans[index]
        point = points.get(scan.point)
        if point is None or point.id not in (device.point_ids or []):
            answers[index] = Result("blocked", scanned_at=scan.scanned_at)
            continue
        answers[index] = redeem(fair, point, scan.code, device=device, nonce=scan.nonce,
                                scanned_at=scan.scanned_at, people=scan.people, offline=True)
    return [(scan, answers[index]) for index, scan in enumerate(scans)]


# Devices --------------------------------------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_device(fair: Fair, name: str, points: list[CheckinPoint], *, actor) -> tuple[Device, str]:
    """A scanning device's bearer token for some of the fair's points; the token is shown once and only
    its SHA-256 is kept."""
    name = (name or "").strip()
    if not name:
        raise Refused(_("此项为必填项。"), "required", "name")
    if len(name) > 60:
        raise Refused(_("不能超过 %(n)d 个字。", n=60), "too_long", "name")
    if not points or any(point.fair_id != fair.id for point in points):
        raise Refused(_("请至少选择一个本届的签到点。"), "no_points", "point_ids")
    token = "fdt_" + secrets.token_urlsafe(32)
    device = Device(fair_id=fair.id, name=name, token_digest=token_digest(token),
                    point_ids=sorted(point.id for point in points), created_by_id=getattr(actor, "id", None))
    db.session.add(device)
    audit(actor, "visitors.device.issued", device, fair=fair, after=snapshot(device, ["name", "point_ids"]))
    db.session.commit()
    return device, token


def revoke_device(device: Device, *, actor) -> Device:
    """The token stops working at once (401)."""
    _devices.pop(device.token_digest, None)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit(actor, "visitors.device.revoked", device, fair=db.session.get(Fair, device.fair_id))
        db.session.commit()
    return device


def device_for_token(token: str) -> Device | None:
    """The live device a bearer token belongs to (None: unknown or revoked). Kept per process for
    DEVICE_CACHE_SECONDS with its fair and points (detached, read-only), so a scan does not read them again:
    a revoked token or a changed point takes effect at once in this process and within that time in others."""
    digest = token_digest(token)
    seen = _devices.get(digest)
    if seen is not None and seen.until > _monotonic():
        return seen.device
    device = db.session.scalar(sa.select(Device).where(Device.token_digest == digest))
    if device is None or device.revoked_at is not None:
        _devices.pop(digest, None)
        return None
    fair = db.session.get(Fair, device.fair_id)
    points = db.session.scalars(sa.select(CheckinPoint).options(joinedload(CheckinPoint.area))
                                .where(CheckinPoint.id.in_(device.point_ids or []))).unique().all()
    areas = {point.area.id: point.area for point in points if point.area is not None}   # gates share an area
    for thing in (device, fair, *points, *areas.values()):
        db.session.expunge(thing)
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > timedelta(minutes=1):
        db.session.execute(sa.update(Device).where(Device.id == device.id).values(last_seen_at=now))
        db.session.commit()
    _devices[digest] = _Seen(device, fair, {point.slug: point for point in points},
                             _monotonic() + DEVICE_CACHE_SECONDS)
    return device


def cached_device(digest: str) -> "_Seen | None":
    """What device_for_token keeps of a token's device, while it is fresh; None: ask device_for_token."""
    seen = _devices.get(digest)
    return seen if seen is not None and seen.until > _monotonic() else None


def device_fair(device: Device) -> Fair:
    return _devices[device.token_digest].fair


def device_point(device: Device, slug: str) -> CheckinPoint | None:
    """One of the device's points by slug (None: not given to this device)."""
    return _devices[device.token_digest].points.get(slug)


@dataclass
class _Seen:
    device: Device
    fair: Fair
    points: dict[str, CheckinPoint]
    until: float


DEVICE_CACHE_SECONDS = 5.0
_devices: dict[str, _Seen] = {}


# Points and areas -----------------------------------------------------------------------------------------

AREA_FIELDS = ["name", "name_en", "capacity", "leaves_area_id"]
POINT_FIELDS = ["slug", "name", "name_en", "kind", "policy", "area_id", "capacity", "needs_registration",
                "offline_allowed", "opens_at", "closes_at", "booth_id", "active"]


@dataclass
class AreaDetails:
    name: str
    name_en: str = ""
    capacity: int | None = None
    leaves_area_id: int | None = None


@dataclass
class PointDetails:
    slug: str
    name: str
    kind: PointKind
    policy: Policy = Policy.daily
    name_en: str = ""
    area_id: int | None = None
    capacity: int | None = None
    needs_registration: bool = False
    offline_allowed: bool = False
    opens_at: time | None = None
    closes_at: time | None = None
    booth_id: int | None = None
    active: bool = True
    problems: list = field(default_factory=list, repr=False)


def save_area(fair: Fair, details: AreaDetails, *, actor, area: Area | None = None) -> Area:
    """Create an area (or change `area`): a unique name, a positive capacity, leaving another of the fair's."""
    name = details.name.strip()
    if not name:
        raise Refused(_("此项为必填项。"), "required", "name")
    if details.capacity is not None and details.capacity < 1:
        raise Refused(_("容量须为正整数，不限请留空。"), "capacity", "capacity")
    if details.leaves_area_id is not None:
        other = db.session.get(Area, details.leaves_area_id)
        if other is None or other.fair_id != fair.id or (area is not None and other.id == area.id):
            raise Refused(_("请选择本届的另一个区域。"), "leaves_area", "leaves_area_id")
    taken = sa.select(Area.id).where(Area.fair_id == fair.id, Area.name == name)
    if area is not None:
        taken = taken.where(Area.id != area.id)
    if db.session.scalar(taken) is not None:
        raise Refused(_("已有同名区域。"), "duplicate", "name")
    before = snapshot(area, AREA_FIELDS) if area is not None else None
    if area is None:
        area = Area(fair_id=fair.id)
        db.session.add(area)
    area.name, area.name_en = name, details.name_en.strip()
    area.capacity, area.leaves_area_id = details.capacity, details.leaves_area_id
    audit(actor, "visitors.area.updated" if before else "visitors.area.created", area, fair=fair, before=before,
          after=snapshot(area, AREA_FIELDS))
    db.session.commit()
    return area


SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def _point_snapshot(point: CheckinPoint) -> dict:
    values = snapshot(point, POINT_FIELDS)
    return {name: value.isoformat() if isinstance(value, time) else value for name, value in values.items()}


def save_point(fair: Fair, details: PointDetails, *, actor, point: CheckinPoint | None = None) -> CheckinPoint:
    """Create a check-in point (or change `point`) with its policy, hours, capacity and offline rule."""
    slug = details.slug.strip().lower()
    if not slug or not set(slug) <= SLUG_CHARS or len(slug) > 40:
        raise Refused(_("标识只能包含小写字母、数字和连字符，最多 40 个字符。"), "slug", "slug")
    if not details.name.strip():
        raise Refused(_("此项为必填项。"), "required", "name")
    if details.capacity is not None and details.capacity < 1:
        raise Refused(_("容量须为正整数，不限请留空。"), "capacity", "capacity")
    if (details.opens_at is None) != (details.closes_at is None) or (
            details.opens_at is not None and details.opens_at == details.closes_at):
        raise Refused(_("请同时填写开放和关闭时间（全天开放则都留空）。"), "hours", "closes_at")
    if details.area_id is not None:
        area = db.session.get(Area, details.area_id)
        if area is None or area.fair_id != fair.id:
            raise Refused(_("请选择本届的区域。"), "area", "area_id")
    if details.kind is PointKind.exit and details.area_id is None:
        raise Refused(_("出口须指定离开的区域。"), "area", "area_id")
    taken = sa.select(CheckinPoint.id).where(CheckinPoint.fair_id == fair.id, CheckinPoint.slug == slug)
    if point is not None:
        taken = taken.where(CheckinPoint.id != point.id)
    if db.session.scalar(taken) is not None:
        raise Refused(_("本届已有此标识的签到点。"), "duplicate", "slug")
    before = _point_snapshot(point) if point is not None else None
    if point is None:
        point = CheckinPoint(fair_id=fair.id)
        db.session.add(point)
    for name in POINT_FIELDS:
        setattr(point, name, getattr(details, name))
    point.slug, point.name, point.name_en = slug, details.name.strip(), details.name_en.strip()
    audit(actor, "visitors.point.updated" if before else "visitors.point.created", point, fair=fair,
          before=before, after=_point_snapshot(point))
    db.session.commit()
    return point


# Counters -------------------------------------------------------------------------------------------------

def counters(fair: Fair, day: date) -> dict:
    """The live figures for one local day: people registered, entered (admitted at entry gates), inside
    each area now (and in all, counting the areas entry gates lead into, so a zone inside the venue is not
    counted twice), admitted per point and per hour, refusals by reason, open conflicts. A fixed number of
    queries however many scans: each is one aggregate."""
    registered = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Ticket.group_size), 0)).where(
        Ticket.fair_id == fair.id, Ticket.revoked_at.is_(None)))
    today = (Checkin.fair_id == fair.id, Checkin.day == day)
    per_point = dict(db.session.execute(
        sa.select(Checkin.point_id, sa.func.sum(Checkin.people)).where(*today, Checkin.reason == "ok")
        .group_by(Checkin.point_id)).all())
    points = db.session.scalars(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id)
                                .order_by(CheckinPoint.kind, CheckinPoint.name)).all()
    areas = db.session.scalars(sa.select(Area).where(Area.fair_id == fair.id).order_by(Area.name)).all()
    inside = dict(db.session.execute(
        sa.select(Presence.area_id, sa.func.sum(Presence.people)).join(Area, Area.id == Presence.area_id)
        .where(Area.fair_id == fair.id).group_by(Presence.area_id)).all())
    entries = [point.id for point in points if point.kind is PointKind.entry]
    venues = {point.area_id for point in points if point.kind is PointKind.entry and point.area_id}
    hours = [start_of_hour(fair, day, hour) for hour in range(25)]
    by_hour = db.session.execute(sa.select(*[
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(Checkin.scanned_at >= hours[hour],
                                                        Checkin.scanned_at < hours[hour + 1]), Checkin.people),
                                             else_=0)), 0) for hour in range(24)])
        .where(*today, Checkin.reason == "ok", Checkin.point_id.in_(entries))).one() if entries else [0] * 24
    refusals = dict(db.session.execute(
        sa.select(Checkin.reason, sa.func.count(Checkin.id)).where(*today, Checkin.reason != "ok")
        .group_by(Checkin.reason)).all())
    conflicts = db.session.scalar(sa.select(sa.func.count(Checkin.id)).where(Checkin.fair_id == fair.id,
                                                                             Checkin.conflict))
    return {"day": day.isoformat(), "registered": int(registered),
            "entered": int(sum(per_point.get(point_id, 0) for point_id in entries)),
            "inside": int(sum(inside.get(area_id, 0) for area_id in venues)),
            "areas": [{"id": area.id, "name": area.name, "inside": int(inside.get(area.id, 0)),
                       "capacity": area.capacity} for area in areas],
            "points": [{"id": point.id, "name": point.name, "kind": point.kind.value, "kind_label": point.kind.label,
                        "admitted": int(per_point.get(point.id, 0))} for point in points],
            "hours": [int(count) for count in by_hour],
            "refusals": {reason: refusals.get(reason, 0) for reason in REASONS[1:]},
            "conflicts": int(conflicts)}


def start_of_hour(fair: Fair, day: date, hour: int) -> datetime:
    """The UTC moment a local hour of the fair's day begins (hour 24: the next day's first)."""
    return from_local(datetime.combine(day, time.min), fair.timezone) + timedelta(hours=hour)


def conflicts(fair: Fair) -> list[Checkin]:
    """Tickets admitted offline by two devices, latest first, for the organizer to look into."""
    return list(db.session.scalars(
        sa.select(Checkin).where(Checkin.fair_id == fair.id, Checkin.conflict)
        .options(joinedload(Checkin.ticket), joinedload(Checkin.point)).order_by(Checkin.scanned_at.desc())))
