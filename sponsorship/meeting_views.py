"""Meetings on the web: a representative's agenda (and its .ics file), the request form (also the panel on
the catalog's project page), a meeting's page with its answers, the check-in page its QR opens, and the
organizer's grid, scheduling, no-shows and the negotiation area's tables and slots. Thin: a form in, a
sponsorship.meetings service, a page out; a refusal comes back next to its field with what was typed."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from fair import exports
from fair.applications.models import Application
from fair.auth.models import Organisation, Role
from fair.auth.permissions import deny, fair_role_required
from fair.booths.models import Booth
from fair.booths.placing import PLACEABLE
from fair.documents.qrcodes import QUIET_ZONE, qr_code
from fair.extensions import db
from fair.fairs.models import Fair
from fair.forms import at_most, safe_next, show_refusal, whole_number
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.times import to_local, utcnow
from sponsorship import meetings
from sponsorship.access import is_organizer, represents_project, represents_sponsor, sponsor_of
from sponsorship.models import Meeting, MeetingSlot, MeetingStatus, MeetingTable, Side, SponsorProfile
from sponsorship.views import bp

add_fair_nav(64, _l("洽谈会面"), "sponsorship.meetings", Role.sponsor, Role.exhibitor,
             also=("sponsorship.meeting", "sponsorship.new_meeting", "sponsorship.check_in"))
add_fair_nav(65, _l("洽谈安排"), "sponsorship.meeting_grid", Role.organizer,
             also=("sponsorship.meeting_area", "sponsorship.meeting", "sponsorship.check_in"))

STATUS_STYLES = {
    MeetingStatus.requested: "text-bg-warning", MeetingStatus.accepted: "text-bg-primary",
    MeetingStatus.held: "text-bg-success", MeetingStatus.declined: "text-bg-secondary",
    MeetingStatus.cancelled: "text-bg-light border", MeetingStatus.no_show: "text-bg-danger",
}
WHOLE_NUMBER = _l("请填写整数。")
ORGANIZER_SCHEDULES = _l("请组织方安排时间")
AREA, BOOTH = "area", "booth"
WAITING_SHOWN = 100            # the grid lists the oldest waiting meetings; "schedule all" takes them all


# --- forms ---------------------------------------------------------------------------------------------

class VersionedForm(FlaskForm):
    """`version`: the meeting as the page showed it, so a change made meanwhile is refused, not lost."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class RequestForm(FlaskForm):
    sponsor = SelectField(_l("支持方"))
    project = SelectField(_l("我方项目"))
    message = TextAreaField(_l("留言"), validators=[at_most(meetings.MESSAGE_LENGTH)],
                            description=_l("想了解什么、希望谈什么，让对方有所准备。"))
    when = SelectField(_l("时间"))
    place = SelectField(_l("地点"))


class AnswerForm(VersionedForm):
    note = TextAreaField(_l("回复"), validators=[at_most(meetings.NOTE_LENGTH)])
    when = SelectField(_l("时间"), validate_choice=False)
    place = SelectField(_l("地点"), validate_choice=False)


class CancelForm(VersionedForm):
    note = TextAreaField(_l("取消原因"), validators=[at_most(meetings.NOTE_LENGTH)])


class MoveForm(VersionedForm):
    when = SelectField(_l("时段"))
    place = SelectField(_l("地点"))


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class TablesForm(FlaskForm):
    prefix = StringField(_l("名称前缀"), default=_l("洽谈桌"), validators=[at_most(meetings.TABLE_PREFIX_LENGTH)])
    first = IntegerField(_l("起始编号"), default=1, validators=[InputRequired(message=WHOLE_NUMBER),
                                                            NumberRange(min=0, max=9999)])
    last = IntegerField(_l("结束编号"), validators=[InputRequired(message=WHOLE_NUMBER), NumberRange(min=0, max=9999)])


class RenameForm(FlaskForm):
    name = StringField(_l("名称"), validators=[InputRequired(message=_l("此项为必填项。")),
                                               at_most(meetings.TABLE_NAME_LENGTH)])


class SlotsForm(FlaskForm):
    day = SelectField(_l("日期"))
    start = TimeField(_l("开始时间"), validators=[InputRequired(message=_l("请填写时间，如 09:00。"))])
    end = TimeField(_l("结束时间"), validators=[InputRequired(message=_l("请填写时间，如 09:00。"))])
    minutes = IntegerField(_l("每场时长（分钟）"), default=30, validators=[InputRequired(message=WHOLE_NUMBER)])
    break_minutes = IntegerField(_l("场间间隔（分钟）"), default=0, validators=[InputRequired(message=WHOLE_NUMBER)])


# --- choices and reading the form -----------------------------------------------------------------------

def _slot_text(fair: Fair, slot: MeetingSlot) -> str:
    return meetings.slot_label(slot, fair.timezone)


def when_choices(fair: Fair, open_slots: list, *, organizer_option: bool = True) -> list[SelectChoice]:
    choices = [SelectChoice("", str(ORGANIZER_SCHEDULES))] if organizer_option else []
    for option in open_slots:
        label = _slot_text(fair, option.slot) + (" · " + _("洽谈桌已满，仅可在展位") if option.tables_full else "")
        choices.append(SelectChoice(str(option.slot.id), label))
    return choices


def place_choices(tables: list[MeetingTable], has_booth: bool, *, tables_listed: bool = True) -> list[SelectChoice]:
    choices = [SelectChoice(AREA, _("洽谈区（空闲的洽谈桌）"))]
    if has_booth:
        choices.append(SelectChoice(BOOTH, _("项目展位")))
    if tables_listed:
        choices += [SelectChoice(f"t{table.id}", table.name) for table in tables]
    return choices


def _read_when(fair: Fair, value: str | None) -> MeetingSlot | None:
    if not value:
        return None
    number = whole_number(value)
    slot = db.session.get(MeetingSlot, number) if number is not None else None
    if slot is None or slot.fair_id != fair.id:
        raise Refused(_("请选择列表中的时段。"), "bad_slot", "when")
    return slot


def _read_place(fair: Fair, value: str | None) -> tuple[MeetingTable | None, bool]:
    """(table, at_booth) from the place select."""
    if value in (None, "", AREA):
        return None, False
    if value == BOOTH:
        return None, True
    number = whole_number(value[1:]) if value[0] == "t" else None
    table = db.session.get(MeetingTable, number) if number is not None else None
    if table is None or table.fair_id != fair.id:
        raise Refused(_("请选择列表中的地点。"), "bad_place", "place")
    return table, False


def _has_booth(application_id: int) -> bool:
    return db.session.scalar(sa.select(Booth.id).where(Booth.application_id == application_id)) is not None


def _meeting(fair: Fair, meeting_id: int) -> Meeting:
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.id == meeting_id, Meeting.fair_id == fair.id)
                                .options(*_meeting_loads()))
    if meeting is None:
        abort(404)
    return meeting


def _meeting_loads() -> tuple:
    return (joinedload(Meeting.sponsor).joinedload(SponsorProfile.organisation),
            joinedload(Meeting.application).joinedload(Application.organisation),
            joinedload(Meeting.slot), joinedload(Meeting.table))


def _version(form) -> int | None:
    return form.version.data


def _back(fair: Fair, default: str | None = None) -> str:
    return safe_next(request.form.get("next") or request.args.get("next"),
                     default or url_for("sponsorship.meetings", slug=fair.slug))


# --- what a person sees of a meeting --------------------------------------------------------------------

@dataclass
class Item:
    """A meeting as one viewer sees it."""

    meeting: Meeting
    side: Side | None                  # the viewer's party; None for an organizer
    other: str                         # the other party, as the viewer reads it
    place: str
    answerable: bool = False           # waiting for this viewer's answer
    cancellable: bool = False
    when_choices: list = field(default_factory=list)   # to choose a slot while accepting
    place_choices: list = field(default_factory=list)
    qr: Markup | None = None
    check_in_url: str = ""

    @property
    def style(self) -> str:
        return STATUS_STYLES[self.meeting.status]


def place_text(meeting: Meeting, booth_codes: dict) -> str:
    if meeting.at_booth:
        code = booth_codes.get(meeting.application_id)
        return _("展位 %(code)s", code=code) if code else _("项目展位")
    if meeting.table is not None:
        return meeting.table.name
    return _("洽谈区，桌号待定")


def _booth_codes(application_ids) -> dict:
    if not application_ids:
        return {}
    return dict(db.session.execute(sa.select(Booth.application_id, Booth.code)
                                   .where(Booth.application_id.in_(application_ids))).all())


def _qr_svg(text: str) -> Markup:
    """Inline SVG: no image request, sharp on any screen; segno escapes nothing of ours."""
    return Markup(qr_code(text).svg_inline(scale=1, border=QUIET_ZONE, omitsize=True, svgclass="meeting-qr w-100",
                                           lineclass=None, title=_("洽谈签到二维码")))


def check_in_url(fair: Fair, meeting: Meeting, side: Side) -> str:
    return url_for("sponsorship.check_in", slug=fair.slug, code=meetings.check_in_code(meeting, side), _external=True)


def items_for(fair: Fair, user, rows: list[Meeting], *, sponsor_ids: set, project_ids: set,
              with_qr: bool = True) -> list[Item]:
    """Each meeting as `user` sees it: their side, the other party, the place, what they may do; the slots
    to choose from when accepting a request that left the time open. A fixed number of queries."""
    booth_codes = _booth_codes({m.application_id for m in rows})
    organizer = is_organizer(user, fair)
    answering = [m for m in rows if m.status is MeetingStatus.requested and m.slot_id is None]
    open_by_pair = meetings.open_slots(fair, [(m.sponsor_id, m.application_id) for m in answering]) if answering else {}
    items = []
    for meeting in rows:
        side = (Side.sponsor if meeting.sponsor_id in sponsor_ids
                else Side.exhibitor if meeting.application_id in project_ids else None)
        if side is Side.sponsor:
            other = f"{meeting.application.title} · {meeting.application.organisation.name}"
        elif side is Side.exhibitor:        # which of their projects, when they speak for several
            other = str(meeting.sponsor) + (f" · {meeting.application.title}" if len(project_ids) > 1 else "")
        else:
            other = f"{meeting.sponsor} × {meeting.application.title}"
        item = Item(meeting, side, other, place_text(meeting, booth_codes))
        item.answerable = (side is not None and meeting.status is MeetingStatus.requested
                           and meeting.requested_by_side is not side)
        item.cancellable = meeting.status in meetings.OPEN and (side is not None or organizer)
        if item.answerable and meeting.slot_id is None:
            options = open_by_pair.get((meeting.sponsor_id, meeting.application_id), [])
            item.when_choices = when_choices(fair, options)
            item.place_choices = place_choices([], meeting.application_id in booth_codes, tables_listed=False)
        if with_qr and side is not None and meeting.status is MeetingStatus.accepted and meeting.slot_id:
            item.check_in_url = check_in_url(fair, meeting, side)
            item.qr = _qr_svg(item.check_in_url)
        items.append(item)
    return items


# --- the agenda -----------------------------------------------------------------------------------------

@dataclass
class Agenda:
    sponsor: SponsorProfile | None
    projects: list                       # (id, title) of the user's exhibited projects
    to_answer: list[Item]
    unscheduled: list[Item]              # no slot yet: waiting for the other side or the organizer
    days: dict                           # local date → [Item] in time order
    closed: list[Item]                   # declined or cancelled before a slot was set

    @property
    def empty(self) -> bool:
        return not (self.to_answer or self.unscheduled or self.days or self.closed)


def _own_projects(user, fair: Fair) -> list:
    if user.organisation_id is None or not user.has_role(fair, Role.exhibitor):
        return []
    return db.session.execute(sa.select(Application.id, Application.title).where(
        Application.fair_id == fair.id, Application.organisation_id == user.organisation_id, PLACEABLE)
        .order_by(Application.title)).all()


def agenda_of(user, fair: Fair) -> Agenda:
    """The user's meetings as sponsor representative and as exhibitor representative, by day and time."""
    sponsor = sponsor_of(user, fair)
    projects = _own_projects(user, fair)
    project_ids = {project.id for project in projects}
    conditions = []
    if sponsor is not None:
        conditions.append(Meeting.sponsor_id == sponsor.id)
    if project_ids:
        conditions.append(Meeting.application_id.in_(project_ids))
    rows = []
    if conditions:
        rows = db.session.scalars(
            sa.select(Meeting).outerjoin(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .where(Meeting.fair_id == fair.id, sa.or_(*conditions)).options(*_meeting_loads())
            .order_by(MeetingSlot.starts_at, Meeting.created_at, Meeting.id)).all()
    items = items_for(fair, user, rows, sponsor_ids={sponsor.id} if sponsor else set(), project_ids=project_ids)
    agenda = Agenda(sponsor, projects, [], [], defaultdict(list), [])
    for item in items:
        meeting = item.meeting
        if item.answerable:
            agenda.to_answer.append(item)
        elif meeting.slot is not None:
            agenda.days[meetings.local_day(meeting.slot, fair.timezone)].append(item)
        elif meeting.status in meetings.OPEN:
            agenda.unscheduled.append(item)
        else:
            agenda.closed.append(item)
    agenda.days = dict(sorted(agenda.days.items()))
    return agenda


@bp.get("/meetings", endpoint="meetings")
@fair_role_required(Role.sponsor, Role.exhibitor)
def agenda(fair: Fair):
    return render_template("sponsorship/meetings.html", fair=fair, agenda=agenda_of(current_user, fair),
                           answer_form=AnswerForm(formdata=None), cancel_form=CancelForm(formdata=None),
                           catalog_url=url_for("sponsorship.catalog", slug=fair.slug))



# --- the .ics file --------------------------------------------------------------------------------------

def ics_escape(text: str) -> str:
    """RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks escaped in TEXT values."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def ics_fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued after CRLF and a space, never inside a character."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def calendar_text(fair: Fair, items: list[Item], host: str, now: datetime) -> str:
    """A VCALENDAR of the accepted meetings (and those held), UTC times, one VEVENT each."""
    stamp = _utc(now)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Fair//Meetings//ZH", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{ics_escape(fair.name + ' · ' + _('洽谈'))}"]
    for item in items:
        meeting = item.meeting
        summary = _("洽谈：%(other)s", other=item.other)
        description = [_("对方：%(other)s", other=item.other), _("地点：%(place)s", place=item.place)]
        if meeting.message:
            description.append(_("留言：%(message)s", message=meeting.message))
        if item.check_in_url:
            description.append(_("签到：%(url)s", url=item.check_in_url))
        lines += ["BEGIN:VEVENT", f"UID:meeting-{meeting.id}-{fair.slug}@{host}", f"DTSTAMP:{stamp}",
                  f"DTSTART:{_utc(meeting.slot.starts_at)}", f"DTEND:{_utc(meeting.slot.ends_at)}",
                  f"SUMMARY:{ics_escape(summary)}",
                  f"LOCATION:{ics_escape(fair.venue + ' · ' + item.place)}",
                  f"DESCRIPTION:{ics_escape(chr(10).join(description))}",
                  "STATUS:CONFIRMED", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@bp.get("/meetings.ics")
@fair_role_required(Role.sponsor, Role.exhibitor)
def meetings_ics(fair: Fair):
    agenda = agenda_of(current_user, fair)
    items = [item for day in agenda.days.values() for item in day
             if item.meeting.status in (MeetingStatus.accepted, MeetingStatus.held)]
    text = calendar_text(fair, items, request.host.split(":")[0] or "fair", utcnow())
    response = current_app.response_class(text.encode(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="meetings-{fair.slug}.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- requesting -----------------------------------------------------------------------------------------

@dataclass
class RequestContext:
    """Who asks whom: the side, the sponsor (fixed or to choose), the project (fixed or one of the user's)."""

    side: Side
    sponsor: SponsorProfile | None
    application: Application | None
    projects: list                 # the exhibitor's own projects to choose from
    sponsors: list                 # the fair's sponsors to choose from (exhibitor, none given)


def _request_context(fair: Fair) -> RequestContext:
    """From the query string: ?application=ID for a sponsor's representative, ?sponsor=ID (optional) for an
    exhibitor's; 404 for another fair's, 403 for someone who represents neither side."""
    application_id = request.args.get("application", type=int)
    sponsor_id = request.args.get("sponsor", type=int)
    own = _own_projects(current_user, fair)
    mine = sponsor_of(current_user, fair)
    if application_id is not None and mine is not None and application_id not in {p.id for p in own}:
        application = db.session.get(Application, application_id)
        if application is None or application.fair_id != fair.id:
            abort(404)
        return RequestContext(Side.sponsor, mine, application, [], [])
    if not own:
        if mine is not None:
            deny(_("请从项目库中选择要约见的项目。"))
        deny(_("只有支持方或参展项目所属单位的代表可以预约洽谈。"))
    sponsor = None
    if sponsor_id is not None:
        sponsor = db.session.get(SponsorProfile, sponsor_id)
        if sponsor is None or sponsor.fair_id != fair.id:
            abort(404)
    application = None
    if application_id is not None and application_id in {p.id for p in own}:
        application = db.session.get(Application, application_id)
    sponsors = [] if sponsor else db.session.scalars(
        sa.select(SponsorProfile).join(SponsorProfile.organisation).where(SponsorProfile.fair_id == fair.id)
        .options(joinedload(SponsorProfile.organisation)).order_by(Organisation.name)).all()
    return RequestContext(Side.exhibitor, sponsor, application, own, sponsors)


def _request_form(fair: Fair, context: RequestContext, *, posted: bool) -> RequestForm:
    form = RequestForm() if posted else RequestForm(formdata=None)
    if context.side is Side.sponsor or context.sponsor is not None:
        del form.sponsor
    else:
        form.sponsor.choices = [SelectChoice("", _("请选择"))] + [SelectChoice(str(s.id), str(s)) for s in context.sponsors]
    if context.side is Side.sponsor or len(context.projects) <= 1:
        del form.project
    else:
        form.project.choices = [SelectChoice(str(p.id), p.title) for p in context.projects]
        if context.application is not None and not posted:
            form.project.data = str(context.application.id)
    tables = meetings.tables_of(fair)
    # Every bookable slot is listed (with the tables' state): whether a party is busy then is the
    # service's check, with a message naming who, once both parties are known.
    slots = [meetings.OpenSlot(slot, False) for slot in meetings.bookable_slots(fair)]
    application = context.application or (db.session.get(Application, context.projects[0].id)
                                           if len(context.projects) == 1 else None)
    if application is not None and context.sponsor is not None:
        slots = meetings.open_slots(fair, [(context.sponsor.id, application.id)])[(context.sponsor.id, application.id)]
    form.when.choices = when_choices(fair, slots)
    form.place.choices = place_choices(tables, application is None or _has_booth(application.id))
    return form


@bp.route("/meetings/new", methods=["GET", "POST"])
@fair_role_required(Role.sponsor, Role.exhibitor)
def new_meeting(fair: Fair):
    context = _request_context(fair)
    form = _request_form(fair, context, posted=request.method == "POST")
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                meeting = _submit_request(fair, context, form)
            except Refused as refusal:
                show_refusal(form, refusal)
                status = 409 if refusal.code in ("slot_taken", "tables_full") else 400
            else:
                flash(_("洽谈请求已发出，等待对方回复。"), "success")
                return redirect(_back(fair, url_for("sponsorship.meeting", slug=fair.slug, meeting_id=meeting.id)))
    return render_template("sponsorship/meeting_new.html", fair=fair, form=form, context=context,
                           next=request.args.get("next", "")), status


def _submit_request(fair: Fair, context: RequestContext, form: RequestForm) -> Meeting:
    sponsor, application = context.sponsor, context.application
    if context.side is Side.exhibitor:
        if sponsor is None:
            number = whole_number(form.sponsor.data)
            sponsor = db.session.get(SponsorProfile, number) if number is not None else None
            if sponsor is None or sponsor.fair_id != fair.id:
                raise Refused(_("请选择支持方。"), "required", "sponsor")
        if form.project is not None and form.project.data:
            application = db.session.get(Application, int(form.project.data))
        elif len(context.projects) == 1:
            application = db.session.get(Application, context.projects[0].id)
    table, at_booth = _read_place(fair, form.place.data)
    return meetings.request_meeting(fair, sponsor, application, side=context.side, actor=current_user,
                                    message=form.message.data or "", slot=_read_when(fair, form.when.data),
                                    table=table, at_booth=at_booth)


@dataclass
class Panel:
    """The catalog project page's meeting panel for a sponsor's representative."""

    meetings: list
    pending: bool
    when_choices: list
    place_choices: list
    styles: dict


@bp.app_context_processor
def meeting_helpers():
    """`meeting_panel(fair, application, sponsor)` for _meeting_action.html: called only where it is shown."""
    return {"meeting_panel": meeting_panel}


def meeting_panel(fair: Fair, application: Application, sponsor: SponsorProfile | None) -> Panel | None:
    if sponsor is None or not current_user.is_authenticated or not represents_sponsor(current_user, sponsor):
        return None
    rows = db.session.scalars(sa.select(Meeting).where(
        Meeting.sponsor_id == sponsor.id, Meeting.application_id == application.id)
        .options(joinedload(Meeting.slot), joinedload(Meeting.table)).order_by(Meeting.created_at.desc())).all()
    pending = any(m.status is MeetingStatus.requested or (m.status is MeetingStatus.accepted and m.slot_id is None)
                  for m in rows)
    options = meetings.open_slots(fair, [(sponsor.id, application.id)])[(sponsor.id, application.id)]
    return Panel(rows, pending, when_choices(fair, options), place_choices([], _has_booth(application.id),
                                                                            tables_listed=False), STATUS_STYLES)


# --- one meeting: its page, answering, cancelling, moving ----------------------------------------------

def _viewer(fair: Fair, meeting: Meeting) -> tuple[set, set]:
    """The sponsor ids and project ids the user speaks for on this meeting; 403 for an outsider."""
    sponsor_ids = {meeting.sponsor_id} if represents_sponsor(current_user, meeting.sponsor) else set()
    project_ids = {meeting.application_id} if represents_project(current_user, meeting.application) else set()
    if not sponsor_ids and not project_ids and not is_organizer(current_user, fair):
        deny(_("只有洽谈双方的代表和组织方可以查看这场洽谈。"))
    return sponsor_ids, project_ids


def _meeting_page(fair: Fair, meeting: Meeting, *, status: int = 200, **forms):
    sponsor_ids, project_ids = _viewer(fair, meeting)
    [item] = items_for(fair, current_user, [meeting], sponsor_ids=sponsor_ids, project_ids=project_ids)
    version = {"version": meeting.version}
    forms.setdefault("answer_form", AnswerForm(formdata=None, data=version))
    forms.setdefault("cancel_form", CancelForm(formdata=None, data=version))
    posted_move = forms.pop("move_form", None)
    move_form = None
    if is_organizer(current_user, fair) and meeting.status in meetings.OPEN:
        move_form = posted_move or MoveForm(formdata=None, data=version)
        _fill_move_choices(fair, meeting, move_form)
    answer_form = forms["answer_form"]
    answer_form.when.choices, answer_form.place.choices = item.when_choices, item.place_choices
    return render_template("sponsorship/meeting.html", fair=fair, item=item, meeting=meeting, move_form=move_form,
                           next=request.values.get("next", ""), **forms), status


def _fill_move_choices(fair: Fair, meeting: Meeting, form: MoveForm) -> None:
    form.when.choices = [SelectChoice(str(slot.id), _slot_text(fair, slot)) for slot in meetings.bookable_slots(fair)]
    form.place.choices = place_choices(meetings.tables_of(fair), _has_booth(meeting.application_id))
    if form.when.data is None and meeting.slot_id:
        form.when.data = str(meeting.slot_id)
    if form.place.data is None:
        form.place.data = BOOTH if meeting.at_booth else f"t{meeting.table_id}" if meeting.table_id else AREA


@bp.get("/meetings/<int:meeting_id>")
@fair_role_required(Role.sponsor, Role.exhibitor, Role.organizer)
def meeting(fair: Fair, meeting_id: int):
    return _meeting_page(fair, _meeting(fair, meeting_id))


@bp.post("/meetings/<int:meeting_id>/answer")
@fair_role_required(Role.sponsor, Role.exhibitor)
def answer_meeting(fair: Fair, meeting_id: int):
    meeting = _meeting(fair, meeting_id)
    _viewer(fair, meeting)
    form = AnswerForm()
    accept = request.form.get("decision") == "accept"
    if form.validate_on_submit():
        try:
            table, at_booth = _read_place(fair, form.place.data) if form.place.data else (None, None)
            meetings.answer_meeting(meeting, accept=accept, actor=current_user, note=form.note.data or "",
                                    slot=_read_when(fair, form.when.data), table=table, at_booth=at_booth,
                                    version=_version(form))
        except Refused as refusal:
            show_refusal(form, refusal)
            db.session.expire_all()
            return _meeting_page(fair, _meeting(fair, meeting_id), status=409, answer_form=form)
        flash(_("已接受洽谈。") if accept else _("已婉拒洽谈。"), "success")
        return redirect(_back(fair))
    return _meeting_page(fair, meeting, status=400, answer_form=form)


@bp.post("/meetings/<int:meeting_id>/cancel")
@fair_role_required(Role.sponsor, Role.exhibitor, Role.organizer)
def cancel_meeting(fair: Fair, meeting_id: int):
    meeting = _meeting(fair, meeting_id)
    _viewer(fair, meeting)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            meetings.cancel_meeting(meeting, actor=current_user, note=form.note.data or "", version=_version(form))
        except Refused as refusal:
            show_refusal(form, refusal)
            db.session.expire_all()
            return _meeting_page(fair, _meeting(fair, meeting_id), status=409, cancel_form=form)
        flash(_("洽谈已取消。"), "success")
        return redirect(_back(fair))
    return _meeting_page(fair, meeting, status=400, cancel_form=form)


@bp.post("/meetings/<int:meeting_id>/move")
@fair_role_required(Role.organizer)
def move_meeting(fair: Fair, meeting_id: int):
    meeting = _meeting(fair, meeting_id)
    form = MoveForm()
    _fill_move_choices(fair, meeting, form)
    if form.validate_on_submit():
        try:
            table, at_booth = _read_place(fair, form.place.data)
            meetings.move_meeting(meeting, slot=_read_when(fair, form.when.data), table=table, at_booth=at_booth,
                                  actor=current_user, version=_version(form))
        except Refused as refusal:
            show_refusal(form, refusal)
            db.session.expire_all()
            return _meeting_page(fair, _meeting(fair, meeting_id), status=409, move_form=form)
        flash(_("洽谈时间和地点已调整。"), "success")
        return redirect(_back(fair, url_for("sponsorship.meeting", slug=fair.slug, meeting_id=meeting_id)))
    return _meeting_page(fair, meeting, status=400, move_form=form)


# --- check-in -------------------------------------------------------------------------------------------

NOT_YOURS = ("not_allowed", "same_side")         # refusals of who confirms (403), not of the meeting's state (409)


@bp.route("/meetings/check-in/<code>", methods=["GET", "POST"])
@fair_role_required()
def check_in(fair: Fair, code: str):
    meeting, shown_by = meetings.read_check_in_code(fair, code[:80])
    if meeting is None:
        abort(404)
    refusal, status = None, 200
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            meetings.check_in(meeting, actor=current_user, shown_by=shown_by)
        except Refused as error:
            refusal, status = error, 403 if error.code in NOT_YOURS else 409
        else:
            flash(_("签到成功：洽谈已记为“已洽谈”。"), "success")
            return redirect(url_for("sponsorship.check_in", slug=fair.slug, code=code))
    meeting = _meeting(fair, meeting.id)
    if refusal is None:
        refusal = meetings.check_in_refusal(meeting, current_user, shown_by, utcnow())
    return render_template("sponsorship/meeting_check_in.html", fair=fair, meeting=meeting, refusal=refusal,
                           place=place_text(meeting, _booth_codes({meeting.application_id})),
                           style=STATUS_STYLES[meeting.status], form=ConfirmForm(formdata=None)), status


# --- the organizer's grid and scheduling ----------------------------------------------------------------

@dataclass
class Grid:
    days: list[date]
    day: date | None
    slots: list[MeetingSlot]
    tables: list[MeetingTable]
    cells: dict                          # (table id, slot id) → Meeting
    at_booths: list                      # (slot, [Item]) for the day
    waiting: list[Item]                  # accepted, no slot yet (the oldest WAITING_SHOWN)
    waiting_count: int
    awaiting_answer: int                 # requested without a slot: the other side has not answered
    run: dict | None                     # the last "schedule all" result asked for
    unplaced: list                       # (Meeting, reason text) of that run
    counts: dict                         # status → meetings of the day


def grid_of(fair: Fair, wanted: date | None, run_id: int | None) -> Grid:
    """Tables × slots of one day with their meetings, the day's booth meetings, the waiting meetings and a
    scheduling run's result: a fixed number of queries whatever the numbers of tables, slots and meetings."""
    tz = fair.timezone
    all_slots = meetings.slots_of(fair)
    days = sorted({meetings.local_day(slot, tz) for slot in all_slots})
    today = to_local(utcnow(), tz).date()
    day = wanted if wanted in days else (today if today in days else (days[0] if days else None))
    slots = [slot for slot in all_slots if meetings.local_day(slot, tz) == day]
    tables = meetings.tables_of(fair)
    shown = (*meetings.LIVE, MeetingStatus.no_show)
    rows = db.session.scalars(sa.select(Meeting).where(Meeting.slot_id.in_([slot.id for slot in slots]),
                                                       Meeting.status.in_(shown))
                              .options(*_meeting_loads()).order_by(Meeting.id)).all() if slots else []
    cells, booth_rows, counts = {}, [], defaultdict(int)
    for meeting in rows:
        if meeting.table_id is not None:
            kept = cells.get((meeting.table_id, meeting.slot_id))
            if kept is None or kept.status is MeetingStatus.no_show:      # a live meeting shows over a no-show
                cells[meeting.table_id, meeting.slot_id] = meeting
        elif meeting.at_booth:
            booth_rows.append(meeting)
        counts[meeting.status] += 1
    waiting_rows = meetings.waiting_meetings(fair, limit=WAITING_SHOWN)
    items = items_for(fair, current_user, booth_rows + waiting_rows, sponsor_ids=set(), project_ids=set(),
                      with_qr=False)
    by_slot = defaultdict(list)
    for item in items[:len(booth_rows)]:
        by_slot[item.meeting.slot_id].append(item)
    awaiting = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(
        Meeting.fair_id == fair.id, Meeting.status == MeetingStatus.requested, Meeting.slot_id.is_(None)))
    run, unplaced = None, []
    event = meetings.schedule_run(fair, run_id) if run_id else None
    if event is not None:
        run = event.after or {}
        reasons = {entry["meeting"]: entry["reason"] for entry in run.get("unplaced", [])}
        left = db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(reasons)).options(*_meeting_loads())
                                  .order_by(Meeting.id)).all() if reasons else []
        unplaced = [(m, str(meetings.REASON_LABELS.get(reasons[m.id], reasons[m.id]))) for m in left]
    return Grid(days, day, slots, tables, cells, [(slot, by_slot[slot.id]) for slot in slots if by_slot[slot.id]],
                items[len(booth_rows):], meetings.count_waiting(fair), awaiting, run, unplaced, dict(counts))


@bp.get("/meetings/grid")
@fair_role_required(Role.organizer)
def meeting_grid(fair: Fair):
    grid = grid_of(fair, _wanted_day(), request.args.get("run", type=int))
    return render_template("sponsorship/meeting_grid.html", fair=fair, grid=grid, styles=STATUS_STYLES,
                           form=ConfirmForm(formdata=None), grace=meetings.NO_SHOW_GRACE.seconds // 60)


def _wanted_day() -> date | None:
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return None


@bp.get("/meetings/grid/export")
@fair_role_required(Role.organizer)
def meetings_export(fair: Fair):
    """The meetings the grid shows for its day, slot by slot, at the tables in their order, then at booths."""
    fmt = exports.requested_format()
    grid = grid_of(fair, _wanted_day(), None)
    booth_meetings = {slot.id: [item.meeting for item in items] for slot, items in grid.at_booths}
    shown = [meeting for slot in grid.slots
             for meeting in [grid.cells.get((table.id, slot.id)) for table in grid.tables]
             + booth_meetings.get(slot.id, []) if meeting is not None]
    booth_codes = _booth_codes([meeting.application_id for meeting in shown if meeting.at_booth])
    with force_locale("zh_Hans"):
        statuses = {status: status.label for status in MeetingStatus}
        places = [place_text(meeting, booth_codes) for meeting in shown]
    table = exports.Table("洽谈安排", [
        exports.Column("开始", exports.DATETIME), exports.Column("结束", exports.DATETIME), exports.Column("地点"),
        exports.Column("支持方"), exports.Column("项目"), exports.Column("项目单位"), exports.Column("状态"),
        exports.Column("签到时间", exports.DATETIME)], timezone=fair.timezone)
    for meeting, place in zip(shown, places):
        table.rows.append([meeting.slot.starts_at, meeting.slot.ends_at, place, meeting.sponsor.organisation.name,
                           meeting.application.title, meeting.application.organisation.name,
                           statuses[meeting.status], meeting.checked_in_at])
    day = f"-{grid.day:%Y%m%d}" if grid.day else ""
    return exports.send_table(table, f"{fair.slug}-meetings{day}", fmt)


@bp.post("/meetings/grid/schedule")
@fair_role_required(Role.organizer)
def schedule_meetings(fair: Fair):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        report = meetings.schedule_waiting(fair, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "warning")
        return redirect(url_for("sponsorship.meeting_grid", slug=fair.slug, day=request.form.get("day") or None))
    return redirect(url_for("sponsorship.meeting_grid", slug=fair.slug, run=report.event_id,
                            day=request.form.get("day") or None))


@bp.post("/meetings/grid/no-shows")
@fair_role_required(Role.organizer)
def mark_no_shows(fair: Fair):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        marked = meetings.mark_no_shows(fair, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "warning")
    else:
        flash(_("已将 %(n)d 场洽谈标记为未到场。", n=len(marked)) if marked else _("没有需要标记为未到场的洽谈。"),
              "success" if marked else "info")
    return redirect(url_for("sponsorship.meeting_grid", slug=fair.slug, day=request.form.get("day") or None))


# --- the negotiation area -------------------------------------------------------------------------------

def _day_choices(fair: Fair) -> list[SelectChoice]:
    days, day = [], fair.starts_on
    while day <= fair.ends_on:
        days.append(SelectChoice(day.isoformat(), day.isoformat()))
        day += timedelta(days=1)
    return days


def _area_page(fair: Fair, *, status: int = 200, **forms):
    forms.setdefault("tables_form", TablesForm(formdata=None))
    forms.setdefault("slots_form", SlotsForm(formdata=None))
    forms["slots_form"].day.choices = _day_choices(fair)
    tables = meetings.tables_of(fair)
    used_tables = dict(db.session.execute(sa.select(Meeting.table_id, sa.func.count(Meeting.id)).where(
        Meeting.fair_id == fair.id, Meeting.table_id.is_not(None)).group_by(Meeting.table_id)).all())
    used_slots = dict(db.session.execute(sa.select(Meeting.slot_id, sa.func.count(Meeting.id)).where(
        Meeting.fair_id == fair.id, Meeting.slot_id.is_not(None)).group_by(Meeting.slot_id)).all())
    by_day = defaultdict(list)
    for slot in meetings.slots_of(fair):
        by_day[meetings.local_day(slot, fair.timezone)].append(slot)
    rename = forms.pop("rename_form", None)
    return render_template("sponsorship/meeting_area.html", fair=fair, tables=tables, used_tables=used_tables,
                           used_slots=used_slots, slot_days=dict(sorted(by_day.items())), rename=rename,
                           confirm_form=ConfirmForm(formdata=None), **forms), status


@bp.get("/meetings/area")
@fair_role_required(Role.organizer)
def meeting_area(fair: Fair):
    return _area_page(fair)


@bp.post("/meetings/area/tables")
@fair_role_required(Role.organizer)
def add_tables(fair: Fair):
    form = TablesForm()
    if form.validate_on_submit():
        try:
            made = meetings.add_tables(fair, form.prefix.data or "", form.first.data, form.last.data,
                                       actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("已添加 %(n)d 张洽谈桌。", n=len(made)), "success")
            return redirect(url_for("sponsorship.meeting_area", slug=fair.slug))
    return _area_page(fair, status=400, tables_form=form)


def _table(fair: Fair, table_id: int) -> MeetingTable:
    table = db.session.get(MeetingTable, table_id)
    if table is None or table.fair_id != fair.id:
        abort(404)
    return table


@bp.post("/meetings/area/tables/<int:table_id>")
@fair_role_required(Role.organizer)
def rename_table(fair: Fair, table_id: int):
    table = _table(fair, table_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            meetings.rename_table(table, form.name.data, actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("洽谈桌已改名。"), "success")
            return redirect(url_for("sponsorship.meeting_area", slug=fair.slug))
    db.session.rollback()
    return _area_page(fair, status=400, rename_form=(table.id, form))


@bp.post("/meetings/area/tables/<int:table_id>/remove")
@fair_role_required(Role.organizer)
def remove_table(fair: Fair, table_id: int):
    table = _table(fair, table_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        meetings.remove_table(table, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("洽谈桌已删除。"), "success")
    return redirect(url_for("sponsorship.meeting_area", slug=fair.slug))


@bp.post("/meetings/area/slots")
@fair_role_required(Role.organizer)
def add_slots(fair: Fair):
    form = SlotsForm()
    form.day.choices = _day_choices(fair)
    if form.validate_on_submit():
        try:
            plan = meetings.SlotPlan(date.fromisoformat(form.day.data), form.start.data, form.end.data,
                                     form.minutes.data, form.break_minutes.data)
            made = meetings.add_slots(fair, plan, actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("已添加 %(n)d 个时段。", n=len(made)), "success")
            return redirect(url_for("sponsorship.meeting_area", slug=fair.slug))
    return _area_page(fair, status=400, slots_form=form)


@bp.post("/meetings/area/slots/<int:slot_id>/remove")
@fair_role_required(Role.organizer)
def remove_slot(fair: Fair, slot_id: int):
    slot = db.session.get(MeetingSlot, slot_id)
    if slot is None or slot.fair_id != fair.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        meetings.remove_slot(slot, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("时段已删除。"), "success")
    return redirect(url_for("sponsorship.meeting_area", slug=fair.slug))
