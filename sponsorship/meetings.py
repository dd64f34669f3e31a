"""Meetings between sponsors and project teams: the negotiation area (tables and time slots), requests
and answers, cancelling and moving, check-in by QR, no-shows, and the organizer's scheduling of the
meetings waiting for a slot. Each change validates, writes and audits in one transaction.

Nobody is double-booked: no table, no sponsor and no project (its team is on booth duty) in two live
meetings of one slot. The database holds that rule (the partial unique indexes uq_meeting_table_slot,
uq_meeting_sponsor_slot, uq_meeting_project_slot over requested/accepted/held meetings with a slot);
the services check the same first so the refusal names what is taken, and when two requests race past
that check the index's IntegrityError becomes the same refusal, read again after the winner committed.

Check-in: both parties' agendas show a QR for the meeting, each carrying the meeting's random `code`
and a tag that says which party's agenda it came from (an HMAC with the app's secret key, so it cannot
be forged from the code). The party across the table scans it and confirms; so a party cannot check a
meeting in alone from its own screen. Organizers and gate staff may confirm any meeting's code."""
import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import perf_counter

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application
from fair.audit.log import audit
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths.models import Booth
from fair.booths.placing import is_placeable
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from fair.times import from_local, to_local, utcnow
from sponsorship import schedule
from sponsorship.access import (is_organizer, represents_project, represents_sponsor, require_project_representative,
                                require_sponsor_representative)
from sponsorship.models import LIVE_MEETING, Meeting, MeetingSlot, MeetingStatus, MeetingTable, Side, SponsorProfile

MESSAGE_LENGTH = 500
NOTE_LENGTH = 300
TABLE_NAME_LENGTH = 40
TABLE_PREFIX_LENGTH = 30
MOST_TABLES_AT_ONCE = 200
SLOT_MINUTES = (5, 240)
BREAK_MINUTES = (0, 120)
CHECK_IN_EARLY = timedelta(minutes=30)      # a party may arrive a little early
NO_SHOW_GRACE = timedelta(minutes=15)       # after the slot's end, before a meeting counts as a no-show
SCHEDULE_TIME_LIMIT = 10.0                  # seconds HiGHS may search in a web request
LIVE = tuple(MeetingStatus(value) for value in LIVE_MEETING)
OPEN = (MeetingStatus.requested, MeetingStatus.accepted)          # may still be answered, moved, cancelled

REASON_LABELS = {
    "no_slot": _l("展会已没有尚未开始的洽谈时段。"),
    "sponsor_busy": _l("支持方在每个可用时段都已有洽谈。"),
    "project_busy": _l("项目团队在每个可用时段都已有洽谈。"),
    "tables_full": _l("每个可用时段的洽谈桌都已约满。"),
    "busy": _l("每个可用时段都有冲突：支持方、项目团队或洽谈桌已被占用。"),
    "no_booth": _l("项目还没有展位，无法在展位洽谈。"),
}


def new_code() -> str:
    """The meeting's check-in code: random, unguessable (144 bits)."""
    return secrets.token_urlsafe(18)


# --- the negotiation area -------------------------------------------------------------------------------

def tables_of(fair: Fair) -> list[MeetingTable]:
    return db.session.scalars(sa.select(MeetingTable).where(MeetingTable.fair_id == fair.id)
                              .order_by(MeetingTable.position, MeetingTable.name, MeetingTable.id)).all()


def slots_of(fair: Fair) -> list[MeetingSlot]:
    return db.session.scalars(sa.select(MeetingSlot).where(MeetingSlot.fair_id == fair.id)
                              .order_by(MeetingSlot.starts_at)).all()


def table_names(prefix: str, first: int, last: int) -> list[str]:
    """"洽谈桌", 1, 40 → 洽谈桌 01 … 洽谈桌 40: numbers padded to the last one's width (two digits at least),
    so the names sort as they are numbered."""
    width = max(2, len(str(last)))
    prefix = prefix.strip()
    return [f"{prefix} {number:0{width}d}" if prefix else f"{number:0{width}d}" for number in range(first, last + 1)]


def add_tables(fair: Fair, prefix: str, first: int, last: int, *, actor) -> list[MeetingTable]:
    """Add the tables numbered `first`..`last` (e.g. 洽谈桌 01–40) at the end of the area's list."""
    if len(prefix.strip()) > TABLE_PREFIX_LENGTH:
        raise Refused(_("名称前缀不能超过 %(n)d 个字。", n=TABLE_PREFIX_LENGTH), "too_long", "prefix")
    if first is None or last is None or first < 0 or last < first:
        raise Refused(_("请填写起止编号，结束编号不小于起始编号。"), "bad_range", "last")
    if last - first + 1 > MOST_TABLES_AT_ONCE:
        raise Refused(_("一次最多添加 %(n)d 张洽谈桌。", n=MOST_TABLES_AT_ONCE), "too_many", "last")
    names = table_names(prefix, first, last)
    existing = {table.name: table for table in tables_of(fair)}
    clash = next((name for name in names if name in existing), None)
    if clash:
        raise Refused(_("已有名为“%(name)s”的洽谈桌。", name=clash), "duplicate", "first")
    start = max((table.position for table in existing.values()), default=-1) + 1
    tables = [MeetingTable(fair_id=fair.id, name=name, position=start + n) for n, name in enumerate(names)]
    with _writing(_("刚有人添加了同名的洽谈桌，请刷新页面后重试。")):
        db.session.add_all(tables)
        audit(actor, "sponsorship.tables.added", fair, after={"tables": names})
    return tables


def rename_table(table: MeetingTable, name: str, *, actor) -> MeetingTable:
    name = name.strip()
    if not name:
        raise Refused(_("此项为必填项。"), "required", "name")
    if len(name) > TABLE_NAME_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=TABLE_NAME_LENGTH), "too_long", "name")
    if name == table.name:
        return table
    if db.session.scalar(sa.select(MeetingTable.id).where(MeetingTable.fair_id == table.fair_id,
                                                          MeetingTable.name == name)):
        raise Refused(_("已有名为“%(name)s”的洽谈桌。", name=name), "duplicate", "name")
    before = {"name": table.name}
    with _writing(_("刚有人添加了同名的洽谈桌，请刷新页面后重试。")):
        table.name = name
        audit(actor, "sponsorship.table.renamed", table, before=before, after={"name": name})
    return table


def remove_table(table: MeetingTable, *, actor) -> None:
    """Only a table no meeting ever used: a meeting's history keeps the table it had."""
    used = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.table_id == table.id))
    if used:
        raise Refused(_("洽谈桌“%(name)s”已有 %(n)d 场洽谈安排，不能删除；可以改名。", name=table.name, n=used), "in_use")
    with _writing(_("洽谈桌刚被安排了洽谈，不能删除。")):
        audit(actor, "sponsorship.table.removed", table, before={"name": table.name})
        db.session.delete(table)


@dataclass(frozen=True)
class SlotPlan:
    """Slots for one day, as typed in the fair's timezone."""

    day: date
    start: time
    end: time
    minutes: int
    break_minutes: int = 0


def plan_slots(plan: SlotPlan, tz: str) -> list[tuple[datetime, datetime]]:
    """Back-to-back slots of `minutes` (a break between them) from `start` while they end by `end`, in UTC."""
    step = timedelta(minutes=plan.minutes + plan.break_minutes)
    length = timedelta(minutes=plan.minutes)
    moment, last = datetime.combine(plan.day, plan.start), datetime.combine(plan.day, plan.end)
    made = []
    while moment + length <= last:
        made.append((from_local(moment, tz), from_local(moment + length, tz)))
        moment += step
    return made


def add_slots(fair: Fair, plan: SlotPlan, *, actor) -> list[MeetingSlot]:
    """Generate a day's slots; refused if the day is not the fair's or a slot would overlap one there is."""
    if not fair.starts_on <= plan.day <= fair.ends_on:
        raise Refused(_("请选择展会期间（%(first)s 至 %(last)s）的日期。", first=fair.starts_on.isoformat(),
                        last=fair.ends_on.isoformat()), "outside_fair", "day")
    if not SLOT_MINUTES[0] <= (plan.minutes or 0) <= SLOT_MINUTES[1]:
        raise Refused(_("每场时长须在 %(low)d–%(high)d 分钟之间。", low=SLOT_MINUTES[0], high=SLOT_MINUTES[1]),
                      "bad_minutes", "minutes")
    if not BREAK_MINUTES[0] <= (plan.break_minutes or 0) <= BREAK_MINUTES[1]:
        raise Refused(_("间隔须在 %(low)d–%(high)d 分钟之间。", low=BREAK_MINUTES[0], high=BREAK_MINUTES[1]),
                      "bad_break", "break_minutes")
    if plan.end <= plan.start:
        raise Refused(_("结束时间须晚于开始时间。"), "bad_range", "end")
    times = plan_slots(plan, fair.timezone)
    if not times:
        raise Refused(_("开始与结束之间放不下一场 %(n)d 分钟的洽谈。", n=plan.minutes), "too_short", "end")
    for slot in slots_of(fair):
        if any(slot.starts_at < ends and slot.ends_at > starts for starts, ends in times):
            raise Refused(_("与已有时段 %(slot)s 重叠。", slot=slot_label(slot, fair.timezone)), "overlap", "start")
    slots = [MeetingSlot(fair_id=fair.id, starts_at=starts, ends_at=ends) for starts, ends in times]
    with _writing(_("刚有人添加了相同的时段，请刷新页面后重试。")):
        db.session.add_all(slots)
        audit(actor, "sponsorship.slots.added", fair, after={
            "day": plan.day.isoformat(), "slots": [f"{_hm(s, fair.timezone)}–{_hm(e, fair.timezone)}" for s, e in times]})
    return slots


def remove_slot(slot: MeetingSlot, *, actor) -> None:
    used = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.slot_id == slot.id))
    if used:
        raise Refused(_("时段 %(slot)s 已有 %(n)d 场洽谈，不能删除。", slot=slot_label(slot, slot.fair.timezone), n=used),
                      "in_use")
    with _writing(_("时段刚被安排了洽谈，不能删除。")):
        audit(actor, "sponsorship.slot.removed", slot, before={"starts_at": slot.starts_at.isoformat(),
                                                               "ends_at": slot.ends_at.isoformat()})
        db.session.delete(slot)


def _hm(moment: datetime, tz: str) -> str:
    return to_local(moment, tz).strftime("%H:%M")


def slot_label(slot: MeetingSlot, tz: str) -> str:
    """e.g. 05-20 09:00–09:30, in the fair's timezone."""
    return f"{to_local(slot.starts_at, tz).strftime('%m-%d')} {_hm(slot.starts_at, tz)}–{_hm(slot.ends_at, tz)}"


def local_day(slot: MeetingSlot, tz: str) -> date:
    return to_local(slot.starts_at, tz).date()


# --- requests and answers -------------------------------------------------------------------------------

def state(meeting: Meeting) -> dict:
    """A meeting for the audit log: who, status, when and where."""
    return {"sponsor": str(meeting.sponsor), "project": meeting.application.title, "status": meeting.status.value,
            "slot": meeting.slot.starts_at.isoformat() if meeting.slot else None,
            "table": meeting.table.name if meeting.table else None, "at_booth": meeting.at_booth}


def request_meeting(fair: Fair, sponsor: SponsorProfile, application: Application, *, side: Side, actor,
                    message: str = "", slot: MeetingSlot | None = None, table: MeetingTable | None = None,
                    at_booth: bool = False, now: datetime | None = None) -> Meeting:
    """A sponsor's representative asks a project's team for a meeting, or an exhibitor's asks a sponsor.
    With a slot: at `table`, at the first free table (none given), or at the project's booth; without
    one the organizer's scheduling places it once the other side has accepted."""
    now = now or utcnow()
    if sponsor.fair_id != fair.id or application.fair_id != fair.id:
        raise Refused(_("支持方和项目须属于同一届展会。"), "not_in_fair")
    _require_side(actor, side, sponsor, application)
    if not is_placeable(application):
        raise Refused(_("只能与本届的参展项目洽谈。"), "not_exhibited")
    message = _text(message, MESSAGE_LENGTH, "message")
    pending = db.session.scalar(sa.select(Meeting.id).where(
        Meeting.sponsor_id == sponsor.id, Meeting.application_id == application.id,
        sa.or_(Meeting.status == MeetingStatus.requested,
               sa.and_(Meeting.status == MeetingStatus.accepted, Meeting.slot_id.is_(None)))))
    if pending:
        raise Refused(_("“%(sponsor)s”与“%(title)s”之间已有一个待回复或待安排的洽谈。", sponsor=str(sponsor),
                        title=application.title), "already_requested")
    meeting = Meeting(fair=fair, sponsor=sponsor, application=application, requested_by_side=side,
                      requested_by_id=getattr(actor, "id", None), message=message, status=MeetingStatus.requested,
                      code=new_code(), at_booth=bool(at_booth))
    _place(meeting, slot, table, at_booth, now)
    db.session.add(meeting)
    with _booking(meeting):
        audit(actor, "sponsorship.meeting.requested", meeting, after=state(meeting) | {"message": message,
                                                                                      "by": side.value}, fair=fair)
    return meeting


def answer_meeting(meeting: Meeting, *, accept: bool, actor, note: str = "", slot: MeetingSlot | None = None,
                   table: MeetingTable | None = None, at_booth: bool | None = None, version: int | None = None,
                   now: datetime | None = None) -> Meeting:
    """The other side accepts (choosing the slot and place if the request left them open, or leaving them
    to the organizer) or declines with a note."""
    now = now or utcnow()
    _check_version(meeting, version)
    if meeting.status is not MeetingStatus.requested:
        raise Refused(_("这个洽谈请求已经处理过（%(status)s）。", status=meeting.status.label), "not_waiting")
    answering = Side.exhibitor if meeting.requested_by_side is Side.sponsor else Side.sponsor
    _require_side(actor, answering, meeting.sponsor, meeting.application)
    note = _text(note, NOTE_LENGTH, "note")
    before = state(meeting)
    if accept:
        if meeting.slot_id is not None:
            if slot is not None and slot.id != meeting.slot_id:
                raise Refused(_("时间已由对方选定；不合适请婉拒并说明。"), "slot_fixed", "when")
            _refuse_past(meeting.slot, now)
        elif slot is not None:
            _place(meeting, slot, table, meeting.at_booth if at_booth is None else at_booth, now)
        elif at_booth is not None:
            _place(meeting, None, None, at_booth, now)
        meeting.status = MeetingStatus.accepted
    else:
        meeting.status = MeetingStatus.declined
    meeting.answered_by_id, meeting.answered_at, meeting.answer_note = actor.id, now, note
    action = "sponsorship.meeting.accepted" if accept else "sponsorship.meeting.declined"
    with _booking(meeting):
        audit(actor, action, meeting, before=before, after=state(meeting) | {"note": note})
    return meeting


def cancel_meeting(meeting: Meeting, *, actor, note: str = "", version: int | None = None) -> Meeting:
    """Either side, or an organizer, calls a meeting off before it is held; its slot is free again."""
    _check_version(meeting, version)
    by = _party_of(actor, meeting)
    if by is None:
        raise Refused(_("只有洽谈双方的代表或组织方可以取消洽谈。"), "not_representative")
    if meeting.status not in OPEN:
        raise Refused(_("这场洽谈已是“%(status)s”，不能取消。", status=meeting.status.label), "not_open")
    note = _text(note, NOTE_LENGTH, "note")
    before = state(meeting)
    meeting.status = MeetingStatus.cancelled
    if note:
        meeting.answer_note = note
    with _writing(_("这场洽谈刚被他人改动，请刷新页面后重试。")):
        audit(actor, "sponsorship.meeting.cancelled", meeting, before=before,
              after=state(meeting) | {"by": by, "note": note})
    return meeting


def move_meeting(meeting: Meeting, *, slot: MeetingSlot, actor, table: MeetingTable | None = None,
                 at_booth: bool = False, version: int | None = None, now: datetime | None = None) -> Meeting:
    """The organizer puts a meeting into another slot or place (or places a waiting one by hand)."""
    now = now or utcnow()
    _check_version(meeting, version)
    if not is_organizer(actor, meeting.fair):
        raise Refused(_("只有组织方可以调整洽谈时间和地点。"), "not_organizer")
    if meeting.status not in OPEN:
        raise Refused(_("这场洽谈已是“%(status)s”，不能调整。", status=meeting.status.label), "not_open")
    if slot is None:
        raise Refused(_("请选择时段。"), "required", "when")
    before = state(meeting)
    _place(meeting, slot, table, at_booth, now, moving=True)
    with _booking(meeting):
        audit(actor, "sponsorship.meeting.moved", meeting, before=before, after=state(meeting))
    return meeting


def _require_side(actor, side: Side, sponsor: SponsorProfile, application: Application) -> None:
    if side is Side.sponsor:
        require_sponsor_representative(actor, sponsor)
    else:
        require_project_representative(actor, application)


def _party_of(actor, meeting: Meeting) -> str | None:
    """Who `actor` acts as on this meeting: "sponsor", "exhibitor", "organizer" or None."""
    if represents_sponsor(actor, meeting.sponsor):
        return Side.sponsor.value
    if represents_project(actor, meeting.application):
        return Side.exhibitor.value
    return "organizer" if is_organizer(actor, meeting.fair) else None


def _text(value: str | None, most: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > most:
        raise Refused(_("不能超过 %(n)d 个字。", n=most), "too_long", field)
    return value


def _check_version(meeting: Meeting, version: int | None) -> None:
    if version is not None and version != meeting.version:
        raise Refused(_("这场洽谈刚被他人改动，请查看当前状态后重试。"), "conflict")


def _refuse_past(slot: MeetingSlot, now: datetime) -> None:
    if slot.starts_at <= now:
        raise Refused(_("时段 %(slot)s 已开始或已过去。", slot=slot_label(slot, slot.fair.timezone)), "slot_past", "when")


def _place(meeting: Meeting, slot: MeetingSlot | None, table: MeetingTable | None, at_booth: bool, now: datetime,
           moving: bool = False) -> None:
    """Set the meeting's slot and place after checking them: the slot is the fair's, on one of its days and
    not begun; the table is the fair's and free, or the first free one; at the booth the project needs a
    booth; nobody is busy then."""
    fair = meeting.fair
    if at_booth and table is not None:
        raise Refused(_("请在洽谈桌和展位之间选择一处。"), "two_places", "place")
    if slot is None:
        if table is not None:
            raise Refused(_("选定洽谈桌时请同时选择时段。"), "table_without_slot", "when")
        if at_booth:
            _require_booth(meeting.application)
        meeting.slot, meeting.table, meeting.at_booth = None, None, bool(at_booth)
        return
    if slot.fair_id != fair.id or (table is not None and table.fair_id != fair.id):
        raise Refused(_("时段或洽谈桌不属于本届展会。"), "not_in_fair", "when")
    if not fair.starts_on <= local_day(slot, fair.timezone) <= fair.ends_on:
        raise Refused(_("时段 %(slot)s 不在展会日期内。", slot=slot_label(slot, fair.timezone)), "outside_fair", "when")
    _refuse_past(slot, now)
    if at_booth:
        _require_booth(meeting.application)
    taken = occupied(slot, meeting.sponsor.id, meeting.application.id, table.id if table else None,
                     exclude=meeting.id if moving else None)
    if taken:
        raise Refused(_("该时段已被占用：%(what)s。请换一个时段。", what=_("、").join(taken)), "slot_taken", "when")
    if not at_booth and table is None:
        table = first_free_table(fair, slot)
        if table is None:
            raise Refused(_("时段 %(slot)s 的洽谈桌已全部约满，请换一个时段或改在展位洽谈。",
                            slot=slot_label(slot, fair.timezone)), "tables_full", "when")
    meeting.slot, meeting.table, meeting.at_booth = slot, (None if at_booth else table), bool(at_booth)


def _require_booth(application: Application) -> None:
    if db.session.scalar(sa.select(Booth.id).where(Booth.application_id == application.id)) is None:
        raise Refused(_("项目“%(title)s”还没有展位，请选择洽谈桌。", title=application.title), "no_booth", "place")


def occupied(slot: MeetingSlot, sponsor_id: int, application_id: int, table_id: int | None,
             exclude: int | None = None) -> list[str]:
    """What is already taken in `slot` among this sponsor, this project and this table, as phrases."""
    rows = db.session.execute(
        sa.select(Meeting.sponsor_id, Meeting.application_id, Meeting.table_id)
        .where(Meeting.slot_id == slot.id, Meeting.status.in_(LIVE), Meeting.id != (exclude or 0),
               sa.or_(Meeting.sponsor_id == sponsor_id, Meeting.application_id == application_id,
                      Meeting.table_id == table_id if table_id else sa.false()))).all()
    taken = []
    if any(row.sponsor_id == sponsor_id for row in rows):
        sponsor = db.session.get(SponsorProfile, sponsor_id)
        taken.append(_("支持方“%(name)s”在这个时段已有洽谈", name=str(sponsor)))
    if any(row.application_id == application_id for row in rows):
        taken.append(_("项目“%(title)s”在这个时段已有洽谈", title=db.session.get(Application, application_id).title))
    if table_id and any(row.table_id == table_id for row in rows):
        taken.append(_("洽谈桌“%(name)s”在这个时段已被预订", name=db.session.get(MeetingTable, table_id).name))
    return taken


def first_free_table(fair: Fair, slot: MeetingSlot) -> MeetingTable | None:
    busy = sa.select(Meeting.table_id).where(Meeting.slot_id == slot.id, Meeting.status.in_(LIVE),
                                             Meeting.table_id.is_not(None))
    return db.session.scalar(sa.select(MeetingTable).where(MeetingTable.fair_id == fair.id,
                                                           MeetingTable.id.not_in(busy))
                             .order_by(MeetingTable.position, MeetingTable.name, MeetingTable.id).limit(1))


@contextmanager
def _booking(meeting: Meeting) -> Iterator[None]:
    """Commit a meeting that takes a slot; if another took the sponsor, project or table in between (the
    partial unique indexes), say what, from the state the winner left."""
    slot, table_id = meeting.slot, meeting.table.id if meeting.table else None
    sponsor_id, application_id = meeting.sponsor.id, meeting.application.id
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        taken = occupied(slot, sponsor_id, application_id, table_id) if slot is not None else []
        if taken:
            raise Refused(_("该时段已被占用：%(what)s。请换一个时段。", what=_("、").join(taken)), "slot_taken", "when") from None
        raise Refused(_("该时段刚被他人预订，请换一个时段。"), "slot_taken", "when") from None
    except StaleDataError:
        db.session.rollback()
        raise Refused(_("这场洽谈刚被他人改动，请刷新页面后重试。"), "conflict") from None
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def _writing(conflict: str) -> Iterator[None]:
    """Commit the block's writes with their audit events, or none of them."""
    try:
        yield
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise Refused(conflict, "conflict") from None
    except BaseException:
        db.session.rollback()
        raise


@dataclass(frozen=True)
class OpenSlot:
    slot: MeetingSlot
    tables_full: bool          # every table taken: only a meeting at the booth fits


def bookable_slots(fair: Fair, now: datetime | None = None) -> list[MeetingSlot]:
    """The fair's slots a meeting can still be put in: not begun, on one of the fair's days."""
    now = now or utcnow()
    return [slot for slot in slots_of(fair) if slot.starts_at > now
            and fair.starts_on <= local_day(slot, fair.timezone) <= fair.ends_on]


def open_slots(fair: Fair, pairs: Sequence[tuple[int, int]], now: datetime | None = None) -> dict:
    """For each (sponsor id, application id): the bookable slots where neither is busy, each saying whether
    the tables are all taken. Four queries whatever the number of pairs."""
    slots = bookable_slots(fair, now)
    if not pairs or not slots:
        return {pair: [] for pair in pairs}
    slot_ids = [slot.id for slot in slots]
    sponsors, projects = {pair[0] for pair in pairs}, {pair[1] for pair in pairs}
    rows = db.session.execute(sa.select(Meeting.slot_id, Meeting.sponsor_id, Meeting.application_id).where(
        Meeting.slot_id.in_(slot_ids), Meeting.status.in_(LIVE),
        sa.or_(Meeting.sponsor_id.in_(sponsors), Meeting.application_id.in_(projects)))).all()
    busy_sponsor = {(row.slot_id, row.sponsor_id) for row in rows}
    busy_project = {(row.slot_id, row.application_id) for row in rows}
    used = dict(db.session.execute(sa.select(Meeting.slot_id, sa.func.count(Meeting.id)).where(
        Meeting.slot_id.in_(slot_ids), Meeting.status.in_(LIVE), Meeting.table_id.is_not(None))
        .group_by(Meeting.slot_id)).all())
    tables = db.session.scalar(sa.select(sa.func.count(MeetingTable.id)).where(MeetingTable.fair_id == fair.id))
    return {(sponsor_id, application_id): [
        OpenSlot(slot, used.get(slot.id, 0) >= tables) for slot in slots
        if (slot.id, sponsor_id) not in busy_sponsor and (slot.id, application_id) not in busy_project]
        for sponsor_id, application_id in pairs}


# --- check-in and no-shows ------------------------------------------------------------------------------

def _tag(code: str, side: Side) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"meeting-check-in:{code}:{side.value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def check_in_code(meeting: Meeting, side: Side) -> str:
    """What the QR on `side`'s agenda carries: the meeting's code and the tag of the side showing it."""
    return f"{meeting.code}.{_tag(meeting.code, side)}"


def read_check_in_code(fair: Fair, text: str) -> tuple[Meeting | None, Side | None]:
    """The meeting of a scanned code, and the side whose agenda showed it (None for a bare code)."""
    code, _dot, tag = text.partition(".")
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.fair_id == fair.id, Meeting.code == code))
    if meeting is None:
        return None, None
    shown_by = next((side for side in Side if tag and hmac.compare_digest(tag, _tag(code, side))), None)
    return meeting, shown_by


def may_confirm(actor, meeting: Meeting, shown_by: Side | None) -> bool:
    """The party across the table from whoever showed the code, an organizer or gate staff."""
    if actor is None or not getattr(actor, "is_authenticated", True):
        return False
    if actor.has_role(meeting.fair, Role.organizer, Role.gate_staff):
        return True
    if shown_by is Side.sponsor:
        return represents_project(actor, meeting.application)
    if shown_by is Side.exhibitor:
        return represents_sponsor(actor, meeting.sponsor)
    return False


def check_in_refusal(meeting: Meeting, actor, shown_by: Side | None, now: datetime) -> Refused | None:
    """Why `actor` may not confirm this meeting now (None: they may); the check-in page asks before it
    offers the button."""
    tz = meeting.fair.timezone
    if meeting.status is MeetingStatus.held:
        return Refused(_("这场洽谈已于 %(time)s 签到。", time=_hm(meeting.checked_in_at, tz)), "already_checked_in")
    if not may_confirm(actor, meeting, shown_by):
        if shown_by is not None and _party_of(actor, meeting) == shown_by.value:
            return Refused(_("这是您一方的二维码：请由对方代表扫描确认。"), "same_side")
        return Refused(_("只有洽谈对方的代表、组织方或检票人员可以确认签到。"), "not_allowed")
    if meeting.status is not MeetingStatus.accepted or meeting.slot is None:
        return Refused(_("只有已确认并已安排时段的洽谈可以签到（当前：%(status)s）。", status=meeting.status.label),
                       "not_accepted")
    if now < meeting.slot.starts_at - CHECK_IN_EARLY:
        return Refused(_("洽谈 %(slot)s 开始，开始前 %(n)d 分钟起可以签到。", slot=slot_label(meeting.slot, tz),
                         n=CHECK_IN_EARLY.seconds // 60), "too_early")
    return None


def check_in(meeting: Meeting, *, actor, shown_by: Side | None, now: datetime | None = None) -> Meeting:
    """Confirm that both parties met: the meeting is held. From CHECK_IN_EARLY before its slot; two
    confirmations at once record one (the version counter)."""
    now = now or utcnow()
    refusal = check_in_refusal(meeting, actor, shown_by, now)
    if refusal is not None:
        raise refusal
    before = state(meeting)
    meeting.status, meeting.checked_in_at, meeting.checked_in_by_id = MeetingStatus.held, now, actor.id
    try:
        audit(actor, "sponsorship.meeting.checked_in", meeting, before=before, after=state(meeting))
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Refused(_("这场洽谈刚刚已签到。"), "already_checked_in") from None
    return meeting


def mark_no_shows(fair: Fair, *, actor, now: datetime | None = None, grace: timedelta = NO_SHOW_GRACE) -> list[Meeting]:
    """Accepted meetings whose slot ended more than `grace` ago without a check-in become no-shows; one
    audit event each, so every meeting's history says when and by whom."""
    now = now or utcnow()
    meetings = db.session.scalars(
        sa.select(Meeting).join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .where(Meeting.fair_id == fair.id, Meeting.status == MeetingStatus.accepted,
               Meeting.checked_in_at.is_(None), MeetingSlot.ends_at < now - grace)
        .options(joinedload(Meeting.sponsor).joinedload(SponsorProfile.organisation),
                 joinedload(Meeting.application), joinedload(Meeting.slot), joinedload(Meeting.table))
        .order_by(MeetingSlot.starts_at, Meeting.id)).all()
    with _writing(_("有洽谈刚刚签到或被改动，未作标记，请重试。")):
        for meeting in meetings:
            before = state(meeting)
            meeting.status = MeetingStatus.no_show
            audit(actor, "sponsorship.meeting.no_show", meeting, before=before, after=state(meeting), fair=fair)
    return meetings


# --- the organizer's scheduling -------------------------------------------------------------------------

@dataclass
class ScheduleReport:
    waiting: int
    placed: int
    unplaced: list            # (meeting id, reason code)
    upper_bound: int
    optimal: bool
    seconds: float
    event_id: int | None = None


def _waiting(fair: Fair):
    return sa.and_(Meeting.fair_id == fair.id, Meeting.status == MeetingStatus.accepted, Meeting.slot_id.is_(None))


def waiting_meetings(fair: Fair, limit: int | None = None) -> list[Meeting]:
    """Accepted by both sides, no slot yet: what "schedule all" places, oldest first."""
    return db.session.scalars(
        sa.select(Meeting).where(_waiting(fair))
        .options(joinedload(Meeting.sponsor).joinedload(SponsorProfile.organisation), joinedload(Meeting.application))
        .order_by(Meeting.created_at, Meeting.id).limit(limit)).all()


def count_waiting(fair: Fair) -> int:
    return db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(_waiting(fair)))


def schedule_waiting(fair: Fair, *, actor, now: datetime | None = None,
                     time_limit: float = SCHEDULE_TIME_LIMIT) -> ScheduleReport:
    """Place as many waiting meetings as the slots not begun yet allow (sponsorship.schedule), at free
    tables or at the booth as each asked, in one transaction: one audit event per meeting placed (each
    meeting's own history), and one for the run with the counts and each meeting left out with why."""
    now = now or utcnow()
    waiting = waiting_meetings(fair)
    if not waiting:
        raise Refused(_("没有待安排的洽谈。"), "nothing_waiting")
    slots = bookable_slots(fair, now)
    tables = tables_of(fair)
    index_of = {table.id: number for number, table in enumerate(tables)}
    slot_ids = [slot.id for slot in slots]
    taken = _occupancy(slot_ids, index_of)
    with_booth = set(db.session.scalars(sa.select(Booth.application_id).where(
        Booth.application_id.in_({m.application_id for m in waiting if m.at_booth}))))
    requests = [schedule.Request(m.id, m.sponsor_id, m.application_id, None, m.at_booth) for m in waiting
                if not m.at_booth or m.application_id in with_booth]
    started = perf_counter()
    result = schedule.schedule(requests, slot_ids, len(tables), taken, time_limit=time_limit)
    seconds = round(perf_counter() - started, 3)
    unplaced = [(m.id, "no_booth") for m in waiting if m.at_booth and m.application_id not in with_booth]
    unplaced += sorted(result.unplaced.items())
    slot_by_id = {slot.id: slot for slot in slots}
    report = ScheduleReport(len(waiting), len(result.placed), unplaced, result.upper_bound, result.optimal,
                            seconds)
    with _writing(_("安排期间有洽谈刚被改动，未作任何安排，请重试。")):
        for meeting in waiting:
            placement = result.placed.get(meeting.id)
            if placement is None:
                continue
            before = state(meeting)
            meeting.slot = slot_by_id[placement.slot]
            meeting.table = None if placement.table is None else tables[placement.table]
            audit(actor, "sponsorship.meeting.scheduled", meeting, before=before, after=state(meeting), fair=fair)
        event = audit(actor, "sponsorship.meetings.schedule_run", fair, after={
            "waiting": report.waiting, "placed": report.placed, "upper_bound": report.upper_bound,
            "optimal": report.optimal, "seconds": seconds, "greedy": result.greedy,
            "unplaced": [{"meeting": meeting_id, "reason": reason} for meeting_id, reason in unplaced]})
        db.session.flush()
        report.event_id = event.id
    return report


def _occupancy(slot_ids: Sequence[int], index_of: dict) -> schedule.Taken:
    rows = db.session.execute(sa.select(Meeting.slot_id, Meeting.sponsor_id, Meeting.application_id, Meeting.table_id)
                              .where(Meeting.slot_id.in_(slot_ids), Meeting.status.in_(LIVE))).all()
    return schedule.Taken(frozenset((r.slot_id, r.sponsor_id) for r in rows),
                          frozenset((r.slot_id, r.application_id) for r in rows),
                          frozenset((r.slot_id, index_of[r.table_id]) for r in rows if r.table_id in index_of))


def schedule_run(fair: Fair, event_id: int) -> AuditEvent | None:
    """A recorded run of "schedule all" of this fair, for the grid page to show its result."""
    return db.session.scalar(sa.select(AuditEvent).where(AuditEvent.id == event_id, AuditEvent.fair_id == fair.id,
                                                         AuditEvent.action == "sponsorship.meetings.schedule_run"))

