"""Meetings: the negotiation area's tables and slots, requests and answers, nobody double-booked (with the
refusal naming what is taken), cancelling and moving, check-in by the QR of the other party, no-shows, the
organizer's scheduling, the agenda and its .ics file, the grid, and a bounded number of queries."""
import re
from collections import Counter
from datetime import datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import current_app, render_template
from flask_login import login_user

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import placing
from fair.booths.models import Booth
from fair.extensions import db
from fair.navigation import fair_nav_for
from fair.refusal import Refused
from sponsorship import meetings
from sponsorship.meeting_views import _qr_svg, ics_fold
from sponsorship.models import Meeting, MeetingSlot, MeetingStatus, MeetingTable, Side
from tests.conftest import log_in, queries_for
from tests.factories import make_fair, make_member, make_plan
from tests.sponsor_factories import make_meeting_area, make_project, make_sponsor

BEFORE = datetime(2027, 5, 1, tzinfo=timezone.utc)          # the fair opens on 2027-05-20 (UTC+8)


def make_representative(sponsor, **overrides):
    """A sponsor's representative (tests/sponsor_factories.py's passes `organisation_id`, which
    create_user does not take)."""
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation, **overrides)


def make_project_representative(application, **overrides):
    return make_member(application.fair, Role.exhibitor, organisation=application.organisation, **overrides)


@pytest.fixture
def area(fair):
    """Three tables and four 30-minute slots from 09:00 on the fair's first day."""
    return make_meeting_area(fair, tables=3, slots=4)


@pytest.fixture
def sponsor(fair):
    return make_sponsor(fair)


@pytest.fixture
def sponsor_rep(sponsor):
    return make_representative(sponsor, name="王支持")


@pytest.fixture
def project(fair):
    return make_project(fair, title="银龄助餐")


@pytest.fixture
def project_rep(project):
    return make_project_representative(project, name="李项目")


def ask(sponsor, project, rep, *, slot=None, table=None, at_booth=False, message="", now=BEFORE) -> Meeting:
    return meetings.request_meeting(sponsor.fair, sponsor, project, side=Side.sponsor, actor=rep, message=message,
                                    slot=slot, table=table, at_booth=at_booth, now=now)


def accepted(sponsor, project, *, slot=None, table=None, at_booth=False) -> Meeting:
    """A meeting both sides agreed to (the sponsor asked, a new representative of the project accepted)."""
    meeting = ask(sponsor, project, make_representative(sponsor), slot=slot, table=table, at_booth=at_booth)
    return meetings.answer_meeting(meeting, accept=True, actor=make_project_representative(project), now=BEFORE)


def refusal(call) -> Refused:
    with pytest.raises(Refused) as refused:
        call()
    return refused.value


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def on_booth(fair, organizer, project) -> Booth:
    _hall, _zones, booths = make_plan(fair, actor=organizer)
    return placing.assign(booths[0], project, actor=organizer, version=booths[0].version)


def url(fair, path: str = "") -> str:
    return f"/fairs/{fair.slug}/sponsorship/meetings{path}"


# --- the negotiation area --------------------------------------------------------------------------------

def test_tables_are_added_numbered_in_one_audited_step(fair, organizer):
    made = meetings.add_tables(fair, "洽谈桌", 1, 40, actor=organizer)
    assert [table.name for table in made][:2] == ["洽谈桌 01", "洽谈桌 02"] and made[-1].name == "洽谈桌 40"
    [event] = events("sponsorship.tables.added")
    assert len(event.after["tables"]) == 40
    clash = refusal(lambda: meetings.add_tables(fair, "洽谈桌", 38, 42, actor=organizer))
    assert clash.code == "duplicate" and "洽谈桌 38" in clash.message
    assert count(MeetingTable) == 40
    assert refusal(lambda: meetings.add_tables(fair, "桌", 5, 2, actor=organizer)).field == "last"
    assert refusal(lambda: meetings.add_tables(fair, "桌", 1, 500, actor=organizer)).code == "too_many"


def test_a_table_is_renamed_and_an_unused_one_removed(fair, organizer, area, sponsor, sponsor_rep, project):
    tables, slots = area
    meetings.rename_table(tables[0], "贵宾桌", actor=organizer)
    assert events("sponsorship.table.renamed")[0].after == {"name": "贵宾桌"}
    assert refusal(lambda: meetings.rename_table(tables[1], "贵宾桌", actor=organizer)).code == "duplicate"
    ask(sponsor, project, sponsor_rep, slot=slots[0], table=tables[0])
    in_use = refusal(lambda: meetings.remove_table(tables[0], actor=organizer))
    assert in_use.code == "in_use" and "贵宾桌" in in_use.message
    meetings.remove_table(tables[2], actor=organizer)
    assert count(MeetingTable) == 2 and len(events("sponsorship.table.removed")) == 1


def test_slots_are_generated_in_the_fairs_time_and_stored_in_utc(fair, organizer):
    plan = meetings.SlotPlan(fair.starts_on, time(9), time(12), 30, 10)
    made = meetings.add_slots(fair, plan, actor=organizer)
    assert [(slot.starts_at.hour, slot.starts_at.minute) for slot in made] == [(1, 0), (1, 40), (2, 20), (3, 0)]
    assert made[0].ends_at - made[0].starts_at == timedelta(minutes=30)
    assert events("sponsorship.slots.added")[0].after["slots"][0] == "09:00–09:30"
    overlap = refusal(lambda: meetings.add_slots(fair, meetings.SlotPlan(fair.starts_on, time(11, 15), time(13), 30),
                                                 actor=organizer))
    assert overlap.code == "overlap" and "11:00–11:30" in overlap.message
    outside = meetings.SlotPlan(fair.starts_on - timedelta(days=1), time(9), time(10), 30)
    assert refusal(lambda: meetings.add_slots(fair, outside, actor=organizer)).field == "day"
    too_long = meetings.SlotPlan(fair.ends_on, time(9), time(10), 300)
    assert refusal(lambda: meetings.add_slots(fair, too_long, actor=organizer)).field == "minutes"
    assert count(MeetingSlot) == 4


def test_a_slot_with_a_meeting_stays(fair, organizer, area, sponsor, sponsor_rep, project):
    tables, slots = area
    ask(sponsor, project, sponsor_rep, slot=slots[1])
    assert refusal(lambda: meetings.remove_slot(slots[1], actor=organizer)).code == "in_use"
    meetings.remove_slot(slots[0], actor=organizer)
    assert count(MeetingSlot) == 3


# --- requests and the double-booking rules ---------------------------------------------------------------

def test_a_sponsor_requests_a_meeting_at_a_table(fair, area, sponsor, sponsor_rep, project):
    tables, slots = area
    meeting = ask(sponsor, project, sponsor_rep, slot=slots[0], table=tables[1], message="想了解助餐点的运营")
    assert (meeting.status, meeting.slot_id, meeting.table_id) == (MeetingStatus.requested, slots[0].id, tables[1].id)
    assert len(meeting.code) >= 24 and meeting.requested_by_side is Side.sponsor
    [event] = events("sponsorship.meeting.requested")
    assert event.after["table"] == "洽谈桌 02" and event.after["message"] == "想了解助餐点的运营"


def test_without_a_table_the_first_free_one_is_taken(fair, area, sponsor, sponsor_rep, project):
    tables, slots = area
    other = make_sponsor(fair)
    ask(other, make_project(fair), make_representative(other), slot=slots[0], table=tables[0])
    assert ask(sponsor, project, sponsor_rep, slot=slots[0]).table_id == tables[1].id


def test_only_a_representative_of_the_side_may_ask(fair, area, sponsor, project, project_rep):
    stranger = make_member(fair, Role.sponsor)
    assert refusal(lambda: ask(sponsor, project, stranger)).code == "not_representative"
    assert refusal(lambda: meetings.request_meeting(fair, sponsor, project, side=Side.exhibitor,
                                                    actor=make_representative(sponsor))).code == "not_representative"
    assert count(Meeting) == 0


def test_an_exhibitor_asks_a_sponsor(fair, area, sponsor, project, project_rep):
    meeting = meetings.request_meeting(fair, sponsor, project, side=Side.exhibitor, actor=project_rep, now=BEFORE)
    assert meeting.requested_by_side is Side.exhibitor and meeting.slot_id is None


def test_only_exhibited_projects(fair, area, sponsor, sponsor_rep):
    from fair.applications.models import Decision
    project = make_project(fair)
    project.decision = Decision.waitlisted
    db.session.commit()
    assert refusal(lambda: ask(sponsor, project, sponsor_rep)).code == "not_exhibited"


def test_a_second_open_request_for_the_same_pair_is_refused(fair, area, sponsor, sponsor_rep, project):
    ask(sponsor, project, sponsor_rep)
    assert refusal(lambda: ask(sponsor, project, sponsor_rep)).code == "already_requested"


@pytest.mark.parametrize("taken_by", ["table", "sponsor", "project"])
def test_a_taken_slot_is_refused_naming_what_is_taken(fair, area, sponsor, sponsor_rep, project, taken_by):
    tables, slots = area
    other_sponsor, other_project = make_sponsor(fair), make_project(fair, title="青春护航")
    first = {"table": (other_sponsor, other_project), "sponsor": (sponsor, other_project),
             "project": (other_sponsor, project)}[taken_by]
    ask(*first, make_representative(first[0]), slot=slots[2], table=tables[0])
    refused = refusal(lambda: ask(sponsor, project, sponsor_rep, slot=slots[2], table=tables[0]))
    assert refused.code == "slot_taken" and refused.message.startswith("该时段已被占用")
    expected = {"table": "洽谈桌 01", "sponsor": str(sponsor), "project": "银龄助餐"}[taken_by]
    assert expected in refused.message
    assert count(Meeting) == 1


def test_when_every_table_is_taken_the_booth_is_suggested(fair, organizer, sponsor, sponsor_rep, project):
    tables, slots = make_meeting_area(fair, tables=1, slots=1)
    other = make_sponsor(fair)
    ask(other, make_project(fair), make_representative(other), slot=slots[0])
    full = refusal(lambda: ask(sponsor, project, sponsor_rep, slot=slots[0]))
    assert full.code == "tables_full" and "展位" in full.message
    on_booth(fair, organizer, project)
    meeting = ask(sponsor, project, sponsor_rep, slot=slots[0], at_booth=True)
    assert meeting.at_booth and meeting.table_id is None


def test_a_meeting_at_the_booth_needs_a_booth(fair, area, sponsor, sponsor_rep, project):
    refused = refusal(lambda: ask(sponsor, project, sponsor_rep, slot=area[1][0], at_booth=True))
    assert refused.code == "no_booth" and refused.field == "place"


def test_a_past_slot_or_one_outside_the_fair_is_refused(fair, area, sponsor, sponsor_rep, project):
    tables, slots = area
    late = slots[0].starts_at + timedelta(minutes=1)
    assert refusal(lambda: ask(sponsor, project, sponsor_rep, slot=slots[0], now=late)).code == "slot_past"
    early = MeetingSlot(fair_id=fair.id, starts_at=datetime(2027, 5, 10, 1, tzinfo=timezone.utc),
                        ends_at=datetime(2027, 5, 10, 2, tzinfo=timezone.utc))
    db.session.add(early)
    db.session.commit()
    assert refusal(lambda: ask(sponsor, project, sponsor_rep, slot=early)).code == "outside_fair"
    assert count(Meeting) == 0


def test_the_database_index_catches_what_the_check_missed(fair, area, sponsor, sponsor_rep, project, monkeypatch):
    """Two requests racing both pass the check; the partial unique index refuses the second, named clearly."""
    tables, slots = area
    other = make_sponsor(fair)
    ask(other, make_project(fair), make_representative(other), slot=slots[0], table=tables[0])
    real = meetings.occupied
    calls = []

    def blind_once(*args, **kwargs):
        calls.append(args)
        return [] if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(meetings, "occupied", blind_once)
    refused = refusal(lambda: ask(sponsor, project, sponsor_rep, slot=slots[0], table=tables[0]))
    assert refused.code == "slot_taken" and "洽谈桌 01" in refused.message
    assert count(Meeting) == 1 and not events("sponsorship.meeting.requested")[1:]


def test_a_cancelled_meeting_frees_its_slot(fair, area, sponsor, sponsor_rep, project):
    tables, slots = area
    first = ask(sponsor, project, sponsor_rep, slot=slots[0], table=tables[0])
    meetings.cancel_meeting(first, actor=sponsor_rep, note="行程有变")
    again = ask(sponsor, project, sponsor_rep, slot=slots[0], table=tables[0])
    assert again.status is MeetingStatus.requested
    assert events("sponsorship.meeting.cancelled")[0].after["note"] == "行程有变"


# --- answers, cancelling, moving -------------------------------------------------------------------------

def test_the_other_side_accepts_choosing_the_slot(fair, area, sponsor, sponsor_rep, project, project_rep):
    tables, slots = area
    meeting = ask(sponsor, project, sponsor_rep)
    assert refusal(lambda: meetings.answer_meeting(meeting, accept=True, actor=sponsor_rep)).code == \
        "not_representative"
    meetings.answer_meeting(meeting, accept=True, actor=project_rep, slot=slots[3], note="欢迎", now=BEFORE,
                            version=meeting.version)
    assert (meeting.status, meeting.slot_id, meeting.table_id) == (MeetingStatus.accepted, slots[3].id, tables[0].id)
    assert meeting.answered_by_id == project_rep.id and meeting.answer_note == "欢迎"
    again = refusal(lambda: meetings.answer_meeting(meeting, accept=False, actor=project_rep))
    assert again.code == "not_waiting"


def test_decline_with_a_note_and_a_stale_page_is_refused(fair, area, sponsor, sponsor_rep, project, project_rep):
    meeting = ask(sponsor, project, sponsor_rep, slot=area[1][0])
    stale = meeting.version - 1
    assert refusal(lambda: meetings.answer_meeting(meeting, accept=False, actor=project_rep, version=stale)).code == \
        "conflict"
    meetings.answer_meeting(meeting, accept=False, actor=project_rep, note="展期内人手不足")
    assert meeting.status is MeetingStatus.declined
    assert events("sponsorship.meeting.declined")[0].after["note"] == "展期内人手不足"


def test_accepting_a_request_whose_slot_has_begun_is_refused(fair, area, sponsor, sponsor_rep, project, project_rep):
    meeting = ask(sponsor, project, sponsor_rep, slot=area[1][0])
    late = area[1][0].starts_at + timedelta(minutes=5)
    assert refusal(lambda: meetings.answer_meeting(meeting, accept=True, actor=project_rep, now=late)).code == \
        "slot_past"


def test_only_the_parties_or_an_organizer_cancel(fair, organizer, area, sponsor, sponsor_rep, project):
    meeting = ask(sponsor, project, sponsor_rep)
    assert refusal(lambda: meetings.cancel_meeting(meeting, actor=make_member(fair, Role.sponsor))).code == \
        "not_representative"
    meetings.cancel_meeting(meeting, actor=organizer)
    assert events("sponsorship.meeting.cancelled")[0].after["by"] == "organizer"
    assert refusal(lambda: meetings.cancel_meeting(meeting, actor=organizer)).code == "not_open"


def test_the_organizer_moves_a_meeting(fair, organizer, area, sponsor, sponsor_rep, project):
    tables, slots = area
    meeting = accepted(sponsor, project, slot=slots[0], table=tables[0])
    other = accepted(make_sponsor(fair), make_project(fair), slot=slots[1], table=tables[2])
    assert refusal(lambda: meetings.move_meeting(meeting, slot=slots[1], table=tables[0], actor=sponsor_rep)).code == \
        "not_organizer"
    busy = refusal(lambda: meetings.move_meeting(meeting, slot=slots[1], table=tables[2], actor=organizer, now=BEFORE))
    assert busy.code == "slot_taken" and "洽谈桌 03" in busy.message
    meetings.move_meeting(meeting, slot=slots[0], table=tables[1], actor=organizer, now=BEFORE)   # same slot, new table
    meetings.move_meeting(meeting, slot=slots[1], table=tables[0], actor=organizer, now=BEFORE)
    [_, moved] = events("sponsorship.meeting.moved")
    assert moved.before["table"] == "洽谈桌 02" and moved.after["table"] == "洽谈桌 01"
    assert other.table_id == tables[2].id


# --- check-in and no-shows -------------------------------------------------------------------------------

def test_the_other_party_checks_in_by_the_qr(fair, area, sponsor, sponsor_rep, project, project_rep):
    meeting = accepted(sponsor, project, slot=area[1][0])
    code = meetings.check_in_code(meeting, Side.sponsor)           # shown on the sponsor's agenda
    found, shown_by = meetings.read_check_in_code(fair, code)
    assert found.id == meeting.id and shown_by is Side.sponsor
    at = meeting.slot.starts_at + timedelta(minutes=3)
    assert refusal(lambda: meetings.check_in(meeting, actor=sponsor_rep, shown_by=shown_by, now=at)).code == "same_side"
    meetings.check_in(meeting, actor=project_rep, shown_by=shown_by, now=at)
    assert meeting.status is MeetingStatus.held and meeting.checked_in_at == at
    assert refusal(lambda: meetings.check_in(meeting, actor=project_rep, shown_by=shown_by, now=at)).code == \
        "already_checked_in"
    assert len(events("sponsorship.meeting.checked_in")) == 1


def test_a_forged_tag_counts_as_a_bare_code(fair, area, sponsor, project, project_rep):
    meeting = accepted(sponsor, project, slot=area[1][0])
    _found, shown_by = meetings.read_check_in_code(fair, meeting.code + ".forged")
    assert shown_by is None
    at = meeting.slot.starts_at
    assert refusal(lambda: meetings.check_in(meeting, actor=project_rep, shown_by=None, now=at)).code == "not_allowed"
    gate = make_member(fair, Role.gate_staff)
    meetings.check_in(meeting, actor=gate, shown_by=None, now=at)
    assert meeting.status is MeetingStatus.held


def test_check_in_opens_half_an_hour_before(fair, area, sponsor, project, project_rep):
    meeting = accepted(sponsor, project, slot=area[1][2])
    early = meeting.slot.starts_at - timedelta(minutes=31)
    assert refusal(lambda: meetings.check_in(meeting, actor=project_rep, shown_by=Side.sponsor, now=early)).code == \
        "too_early"
    meetings.check_in(meeting, actor=project_rep, shown_by=Side.sponsor, now=early + timedelta(minutes=2))
    assert meeting.status is MeetingStatus.held


def test_no_shows_are_marked_after_the_grace(fair, organizer, area, sponsor, project, project_rep):
    tables, slots = area
    missed = accepted(sponsor, project, slot=slots[0])
    held = accepted(make_sponsor(fair), make_project(fair), slot=slots[0])
    meetings.check_in(held, actor=organizer, shown_by=None, now=slots[0].starts_at)
    recent = accepted(make_sponsor(fair), make_project(fair), slot=slots[1])
    now = slots[1].ends_at + timedelta(minutes=10)          # slot 0 ended 40 minutes ago, slot 1 only 10
    marked = meetings.mark_no_shows(fair, actor=organizer, now=now)
    assert [meeting.id for meeting in marked] == [missed.id]
    db.session.expire_all()
    assert (missed.status, held.status, recent.status) == (MeetingStatus.no_show, MeetingStatus.held,
                                                          MeetingStatus.accepted)
    assert [event.object_id for event in events("sponsorship.meeting.no_show")] == [str(missed.id)]


# --- the organizer's scheduling --------------------------------------------------------------------------

def test_schedule_all_places_the_most_and_says_why_not_the_rest(fair, organizer):
    tables, slots = make_meeting_area(fair, tables=1, slots=2)
    sponsor = make_sponsor(fair)
    projects = [make_project(fair) for _ in range(3)]
    waiting = [accepted(sponsor, project) for project in projects]          # one sponsor, three projects, 2 slots
    booth_less = accepted(make_sponsor(fair), make_project(fair), at_booth=False)
    meetings.cancel_meeting(booth_less, actor=organizer)
    report = meetings.schedule_waiting(fair, actor=organizer, now=BEFORE)
    assert (report.waiting, report.placed, report.optimal, report.upper_bound) == (3, 2, True, 2)
    assert [reason for _id, reason in report.unplaced] == ["sponsor_busy"]
    db.session.expire_all()
    placed = [meeting for meeting in waiting if meeting.slot_id]
    assert sorted(meeting.slot_id for meeting in placed) == sorted(slot.id for slot in slots)
    assert {meeting.table_id for meeting in placed} == {tables[0].id}
    assert len(events("sponsorship.meeting.scheduled")) == 2
    [run] = events("sponsorship.meetings.schedule_run")
    assert run.id == report.event_id and run.after["unplaced"][0]["reason"] == "sponsor_busy"


def test_nothing_waiting_is_said(fair, organizer, area):
    assert refusal(lambda: meetings.schedule_waiting(fair, actor=organizer, now=BEFORE)).code == "nothing_waiting"


def test_schedule_all_keeps_what_is_taken_and_the_booth_wish(fair, organizer):
    tables, slots = make_meeting_area(fair, tables=1, slots=1)
    early = accepted(make_sponsor(fair), make_project(fair), slot=slots[0], table=tables[0])
    booth_project, plain_project = make_project(fair), make_project(fair)
    on_booth(fair, organizer, booth_project)
    at_booth = accepted(make_sponsor(fair), booth_project, at_booth=True)
    at_table = accepted(make_sponsor(fair), plain_project)
    no_booth = accepted(make_sponsor(fair), make_project(fair))
    no_booth.at_booth = True                           # test data: asked at a booth the project no longer has
    db.session.commit()
    report = meetings.schedule_waiting(fair, actor=organizer, now=BEFORE)
    db.session.expire_all()
    assert at_booth.slot_id == slots[0].id and at_booth.table_id is None
    assert at_table.slot_id is None and early.table_id == tables[0].id
    assert dict(report.unplaced) == {at_table.id: "tables_full", no_booth.id: "no_booth"}


def test_schedule_all_uses_only_slots_not_begun(fair, organizer):
    tables, slots = make_meeting_area(fair, tables=2, slots=2)
    meeting = accepted(make_sponsor(fair), make_project(fair))
    meetings.schedule_waiting(fair, actor=organizer, now=slots[0].starts_at + timedelta(minutes=1))
    db.session.expire_all()
    assert meeting.slot_id == slots[1].id


# --- pages ----------------------------------------------------------------------------------------------

def test_request_through_the_form_and_see_it_on_both_agendas(app, fair, area, sponsor, sponsor_rep, project,
                                                             project_rep):
    tables, slots = area
    client = log_in(app.test_client(), sponsor_rep)
    page = client.get(url(fair, f"/new?application={project.id}"))
    assert page.status_code == 200 and "银龄助餐" in page.get_data(as_text=True)
    response = client.post(url(fair, f"/new?application={project.id}"), data={
        "message": "想参观助餐点", "when": str(slots[1].id), "place": f"t{tables[2].id}"})
    assert response.status_code == 302
    meeting = db.session.scalars(sa.select(Meeting)).one()
    assert (meeting.slot_id, meeting.table_id, meeting.message) == (slots[1].id, tables[2].id, "想参观助餐点")
    theirs = log_in(app.test_client(), project_rep).get(url(fair)).get_data(as_text=True)
    assert "待我回复" in theirs and "想参观助餐点" in theirs and str(sponsor) in theirs
    assert "洽谈桌 03" in theirs


def test_a_taken_slot_comes_back_with_the_message_and_what_was_typed(app, fair, area, sponsor, sponsor_rep, project):
    tables, slots = area
    other = make_sponsor(fair)
    ask(other, make_project(fair), make_representative(other), slot=slots[0], table=tables[0])
    client = log_in(app.test_client(), sponsor_rep)
    response = client.post(url(fair, f"/new?application={project.id}"), data={
        "message": "我们想谈谈明年的合作", "when": str(slots[0].id), "place": f"t{tables[0].id}"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "该时段已被占用" in text and "洽谈桌 01" in text and "我们想谈谈明年的合作" in text
    assert count(Meeting) == 1


@pytest.mark.parametrize("data, message", [
    ({"message": "长" * 501, "when": "", "place": "area"}, "不能超过 500 个字"),
    ({"message": "", "when": "999999", "place": "area"}, "不是有效的选择"),
    ({"message": "", "when": "", "place": "t999999"}, "不是有效的选择"),
])
def test_bad_input_is_shown_and_nothing_saved(app, fair, area, sponsor_rep, project, data, message):
    client = log_in(app.test_client(), sponsor_rep)
    response = client.post(url(fair, f"/new?application={project.id}"), data=data)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    assert count(Meeting) == 0


def test_an_exhibitor_requests_from_the_form_choosing_the_sponsor(app, fair, area, sponsor, project, project_rep):
    client = log_in(app.test_client(), project_rep)
    page = client.get(url(fair, "/new")).get_data(as_text=True)
    assert str(sponsor) in page
    response = client.post(url(fair, "/new"), data={"sponsor": str(sponsor.id), "message": "", "when": "",
                                                   "place": "area"})
    assert response.status_code == 302
    meeting = db.session.scalars(sa.select(Meeting)).one()
    assert (meeting.sponsor_id, meeting.application_id, meeting.requested_by_side) == (sponsor.id, project.id,
                                                                                      Side.exhibitor)


def test_who_may_request_and_see(app, fair, organizer, area, sponsor, sponsor_rep, project, project_rep, client_as):
    other_fair = make_fair(organizer, slug="other-fair")
    other_project = make_project(other_fair)
    client = log_in(app.test_client(), sponsor_rep)
    assert client.get(url(fair, f"/new?application={other_project.id}")).status_code == 404
    meeting = ask(sponsor, project, sponsor_rep)
    assert client_as(Role.exhibitor).get(url(fair, f"/{meeting.id}")).status_code == 403
    assert client_as(Role.judge).get(url(fair)).status_code == 403
    assert log_in(app.test_client(), project_rep).get(url(fair, f"/{meeting.id}")).status_code == 200
    assert client_as(Role.organizer).get(url(fair, f"/{meeting.id}")).status_code == 200
    other_meeting_url = f"/fairs/{other_fair.slug}/sponsorship/meetings/{meeting.id}"
    assert client_as(Role.organizer).get(other_meeting_url).status_code == 404


def test_accept_and_decline_through_the_agenda(app, fair, area, sponsor, sponsor_rep, project, project_rep):
    tables, slots = area
    first = ask(sponsor, project, sponsor_rep)
    second = meetings.request_meeting(fair, sponsor, make_project(fair), side=Side.sponsor, actor=sponsor_rep,
                                      slot=slots[0], now=BEFORE)
    client = log_in(app.test_client(), project_rep)
    response = client.post(url(fair, f"/{first.id}/answer"), data={
        "version": first.version, "decision": "accept", "when": str(slots[2].id), "place": "area", "note": "",
        "next": url(fair)})
    assert response.status_code == 302 and response.headers["Location"].endswith(url(fair))
    db.session.expire_all()
    assert first.status is MeetingStatus.accepted and first.slot_id == slots[2].id
    not_theirs = client.post(url(fair, f"/{second.id}/answer"), data={"version": second.version, "decision": "decline"})
    assert not_theirs.status_code == 403
    own_request = log_in(app.test_client(), sponsor_rep).post(url(fair, f"/{second.id}/answer"), data={
        "version": second.version, "decision": "accept"})
    assert own_request.status_code == 409 and "只有项目" in own_request.get_data(as_text=True)
    db.session.expire_all()
    assert second.status is MeetingStatus.requested


def test_the_agenda_shows_the_qr_of_the_viewers_side_and_the_ics_parses(app, fair, area, sponsor, sponsor_rep,
                                                                         project):
    tables, slots = area
    meeting = accepted(sponsor, project, slot=slots[1], table=tables[0])
    client = log_in(app.test_client(), sponsor_rep)
    text = client.get(url(fair)).get_data(as_text=True)
    with current_app.test_request_context(base_url="http://localhost"):
        expected = str(_qr_svg(f"http://localhost{url(fair, '/check-in/' + meetings.check_in_code(meeting, Side.sponsor))}"))
    assert expected in text
    assert "09:30–10:00" in text and "洽谈桌 01" in text
    ics = client.get(url(fair, ".ics"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    raw = ics.get_data(as_text=True)
    assert "\r\n" in raw and all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    [event] = parse_ics(raw)
    assert event["DTSTART"] == "20270520T013000Z" and event["DTEND"] == "20270520T020000Z"
    assert "银龄助餐" in event["SUMMARY"] and "洽谈桌 01" in event["LOCATION"]
    assert meetings.check_in_code(meeting, Side.sponsor) in event["DESCRIPTION"]


def parse_ics(text: str) -> list[dict]:
    """The VEVENTs of an iCalendar text: lines unfolded (RFC 5545 §3.1), TEXT values unescaped."""
    assert text.endswith("\r\n")
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    found, current = [], None
    for line in unfolded.split("\r\n")[:-1]:
        name, _sep, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            current[name] = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
    return found


def test_ics_text_is_escaped_and_folded_on_character_boundaries():
    line = "SUMMARY:" + "洽谈，;\\" * 30
    folded = ics_fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    from sponsorship.meeting_views import ics_escape
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_check_in_through_the_page(app, fair, area, sponsor, sponsor_rep, project, project_rep):
    slots = area[1]
    meeting = accepted(sponsor, project, slot=slots[0])
    code = meetings.check_in_code(meeting, Side.sponsor)
    own = log_in(app.test_client(), sponsor_rep).get(url(fair, f"/check-in/{code}")).get_data(as_text=True)
    assert "请由对方代表扫描确认" in own and "确认双方已见面" not in own
    client = log_in(app.test_client(), project_rep)
    meeting.slot.starts_at = datetime.now(timezone.utc) + timedelta(minutes=10)      # about to begin
    meeting.slot.ends_at = meeting.slot.starts_at + timedelta(minutes=30)
    db.session.commit()
    assert "确认双方已见面" in client.get(url(fair, f"/check-in/{code}")).get_data(as_text=True)
    assert client.post(url(fair, f"/check-in/{code}")).status_code == 302
    db.session.expire_all()
    assert meeting.status is MeetingStatus.held and meeting.checked_in_by_id == project_rep.id
    assert client.post(url(fair, f"/check-in/{code}")).status_code == 409
    assert client.get(url(fair, "/check-in/not-a-code")).status_code == 404


def test_the_grid_shows_tables_by_slots_and_schedules(app, fair, organizer, client_as):
    tables, slots = make_meeting_area(fair, tables=2, slots=3)
    placed = accepted(make_sponsor(fair), make_project(fair, title="社区书屋"), slot=slots[1], table=tables[1])
    waiting = accepted(make_sponsor(fair), make_project(fair, title="河湖守护"))
    client = client_as(Role.organizer)
    page = client.get(url(fair, "/grid")).get_data(as_text=True)
    assert "社区书屋" in page and "河湖守护" in page and "一键排定全部" in page
    response = client.post(url(fair, "/grid/schedule"), data={})
    assert response.status_code == 302 and "run=" in response.headers["Location"]
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已证明这是能排下的最多场数" in result and "已排定 1 场" in result
    db.session.expire_all()
    assert waiting.slot_id is not None and placed.slot_id == slots[1].id
    assert client.post(url(fair, "/grid/no-shows"), data={}).status_code == 302


def test_the_area_page_adds_tables_and_slots_and_shows_mistakes(app, fair, client_as):
    client = client_as(Role.organizer)
    assert client.get(url(fair, "/area")).status_code == 200
    assert client.post(url(fair, "/area/tables"), data={"prefix": "洽谈桌", "first": "1", "last": "40"}).status_code == 302
    wrong = client.post(url(fair, "/area/tables"), data={"prefix": "洽谈桌", "first": "3", "last": "1"})
    assert wrong.status_code == 400 and "结束编号不小于起始编号" in wrong.get_data(as_text=True)
    slots = client.post(url(fair, "/area/slots"), data={"day": fair.starts_on.isoformat(), "start": "09:00",
                                                        "end": "17:00", "minutes": "30", "break_minutes": "0"})
    assert slots.status_code == 302 and count(MeetingSlot) == 16 and count(MeetingTable) == 40
    overlap = client.post(url(fair, "/area/slots"), data={"day": fair.starts_on.isoformat(), "start": "16:45",
                                                          "end": "18:00", "minutes": "30", "break_minutes": "0"})
    assert overlap.status_code == 400 and "重叠" in overlap.get_data(as_text=True) and count(MeetingSlot) == 16
    table = db.session.scalars(sa.select(MeetingTable).order_by(MeetingTable.position)).first()
    assert client.post(url(fair, f"/area/tables/{table.id}"), data={"name": "贵宾桌"}).status_code == 302
    assert client.post(url(fair, f"/area/tables/{table.id}/remove"), data={}).status_code == 302
    assert count(MeetingTable) == 39


def test_the_project_pages_panel_requests_a_meeting(app, fair, area, sponsor, sponsor_rep, project):
    def panel(user, shown_to=None):
        with current_app.test_request_context(f"/fairs/{fair.slug}/sponsorship/projects/{project.id}"):
            if user is not None:
                login_user(user)
            return render_template("sponsorship/_meeting_action.html", fair=fair, application=project,
                                   sponsor=shown_to or (sponsor if user is sponsor_rep else None))

    before = panel(sponsor_rep)
    assert "预约洽谈" in before and "请组织方安排时间" in before and "09:00–09:30" in before
    assert panel(make_member(fair, Role.exhibitor)).strip() == ""
    assert panel(None, shown_to=sponsor).strip() == "" and panel(make_member(fair, Role.sponsor), sponsor).strip() == ""
    ask(sponsor, project, sponsor_rep)
    assert "已有一个待回复或待安排的洽谈请求" in panel(sponsor_rep)


def test_nav_entries_by_role(fair, organizer, client_as):
    endpoints = {role: {item.endpoint for item in fair_nav_for(make_member(fair, role), fair)}
                 for role in (Role.sponsor, Role.exhibitor, Role.judge)}
    endpoints[Role.organizer] = {item.endpoint for item in fair_nav_for(organizer, fair)}
    assert {role for role, found in endpoints.items() if "sponsorship.meetings" in found} == {Role.sponsor,
                                                                                            Role.exhibitor}
    assert {role for role, found in endpoints.items() if "sponsorship.meeting_grid" in found} == {Role.organizer}
    page = client_as(Role.sponsor).get(url(fair)).get_data(as_text=True)
    assert 'aria-current="page"' in page and "洽谈会面" in page


# --- bounded queries ---------------------------------------------------------------------------------------

def populate(fair, sponsor, sponsor_rep, slots, tables, n: int) -> None:
    """n meetings of each kind for `sponsor`: at a table (accepted), requested by a project with the time
    open (for the sponsor to answer), waiting for the organizer, and held."""
    for index in range(n):
        accepted(sponsor, make_project(fair), slot=slots[index], table=tables[index % len(tables)])
        project = make_project(fair)
        meetings.request_meeting(fair, sponsor, project, side=Side.exhibitor,
                                 actor=make_project_representative(project), now=BEFORE)
        accepted(sponsor, make_project(fair))


def test_the_agenda_and_the_grid_run_a_fixed_number_of_queries(app, fair, organizer, sponsor, sponsor_rep):
    tables, slots = make_meeting_area(fair, tables=4, slots=12)
    sponsor_client = log_in(app.test_client(), sponsor_rep)
    organizer_client = log_in(app.test_client(), organizer)
    populate(fair, sponsor, sponsor_rep, slots, tables, 1)
    small = [queries_for(sponsor_client, url(fair)), queries_for(organizer_client, url(fair, "/grid")),
             queries_for(sponsor_client, url(fair, ".ics"))]
    populate(fair, sponsor, sponsor_rep, slots[1:], tables, 8)
    large = [queries_for(sponsor_client, url(fair)), queries_for(organizer_client, url(fair, "/grid")),
             queries_for(sponsor_client, url(fair, ".ics"))]
    assert small == large, (small, large)
    assert Counter(m.status for m in db.session.scalars(sa.select(Meeting)))[MeetingStatus.accepted] == 18
