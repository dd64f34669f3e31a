"""Nobody double-booked under concurrency, on SQLite and on PostgreSQL (FAIR_TEST_DATABASE_URL): threads
request at the same instant, each in its own app context and database session, as gunicorn's workers
would; the partial unique indexes let one through and the others get a refusal naming what is taken."""
from collections import Counter
from datetime import datetime, timezone

import sqlalchemy as sa

from fair.auth.models import Role
from fair.extensions import db
from fair.refusal import Refused
from sponsorship import meetings
from sponsorship.models import Meeting, MeetingSlot, MeetingStatus, MeetingTable, Side, SponsorProfile
from fair.applications.models import Application
from tests.factories import make_member
from tests.sponsor_factories import make_meeting_area, make_project, make_sponsor
from tests.web.test_checkin_concurrency import at_once

THREADS = 6
BEFORE = datetime(2027, 5, 1, tzinfo=timezone.utc)


def requester(sponsor_id: int, application_id: int, user_id: int, slot_id: int, table_id: int | None):
    """A job for at_once: one request, its outcome as ("ok", id) or (refusal code, message)."""
    def job():
        from fair.auth.models import User
        sponsor, application = db.session.get(SponsorProfile, sponsor_id), db.session.get(Application, application_id)
        slot = db.session.get(MeetingSlot, slot_id)
        table = db.session.get(MeetingTable, table_id) if table_id else None
        try:
            meeting = meetings.request_meeting(sponsor.fair, sponsor, application, side=Side.sponsor,
                                               actor=db.session.get(User, user_id), slot=slot, table=table, now=BEFORE)
        except Refused as refusal:
            return refusal.code, refusal.message
        return "ok", meeting.id
    return job


def representative(sponsor):
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation)


def live_in(slot) -> list[Meeting]:
    db.session.rollback()
    return db.session.scalars(sa.select(Meeting).where(Meeting.slot_id == slot.id,
                                                       Meeting.status == MeetingStatus.requested)).all()


def test_many_requests_for_one_table_and_slot_at_once_book_it_once(app, fair):
    tables, slots = make_meeting_area(fair, tables=2, slots=2)
    jobs = []
    for _ in range(THREADS):
        sponsor = make_sponsor(fair)
        jobs.append(requester(sponsor.id, make_project(fair).id, representative(sponsor).id, slots[0].id, tables[0].id))
    outcomes = at_once(app, jobs)
    assert Counter(code for code, _detail in outcomes) == {"ok": 1, "slot_taken": THREADS - 1}
    assert all("洽谈桌 01" in detail for code, detail in outcomes if code == "slot_taken")
    assert [meeting.table_id for meeting in live_in(slots[0])] == [tables[0].id]


def test_one_sponsor_asking_for_one_slot_twice_at_once_gets_one(app, fair):
    tables, slots = make_meeting_area(fair, tables=THREADS, slots=1)
    sponsor = make_sponsor(fair)
    user = representative(sponsor)
    jobs = [requester(sponsor.id, make_project(fair).id, user.id, slots[0].id, tables[n].id) for n in range(THREADS)]
    outcomes = at_once(app, jobs)
    assert Counter(code for code, _detail in outcomes) == {"ok": 1, "slot_taken": THREADS - 1}
    assert all(str(sponsor) in detail for code, detail in outcomes if code == "slot_taken")
    assert len(live_in(slots[0])) == 1


def test_one_project_asked_by_many_sponsors_for_one_slot_meets_one(app, fair):
    tables, slots = make_meeting_area(fair, tables=THREADS, slots=1)
    project = make_project(fair, title="银龄助餐")
    jobs = []
    for n in range(THREADS):
        sponsor = make_sponsor(fair)
        jobs.append(requester(sponsor.id, project.id, representative(sponsor).id, slots[0].id, None))
    outcomes = at_once(app, jobs)
    assert Counter(code for code, _detail in outcomes) == {"ok": 1, "slot_taken": THREADS - 1}
    assert all("银龄助餐" in detail for code, detail in outcomes if code == "slot_taken")
    assert len(live_in(slots[0])) == 1


def test_two_confirmations_of_one_check_in_at_once_record_one(app, fair, organizer):
    tables, slots = make_meeting_area(fair, tables=1, slots=1)
    sponsor, project = make_sponsor(fair), make_project(fair)
    meeting = meetings.request_meeting(fair, sponsor, project, side=Side.sponsor, actor=representative(sponsor),
                                       slot=slots[0], now=BEFORE)
    answering = make_member(fair, Role.exhibitor, organisation=project.organisation)
    meetings.answer_meeting(meeting, accept=True, actor=answering, now=BEFORE)
    gates = [make_member(fair, Role.gate_staff).id for _ in range(THREADS)]

    def confirm(user_id):
        def job():
            from fair.auth.models import User
            found = db.session.get(Meeting, meeting.id)
            try:
                meetings.check_in(found, actor=db.session.get(User, user_id), shown_by=None, now=slots[0].starts_at)
            except Refused as refusal:
                return refusal.code
            return "ok"
        return job

    assert Counter(at_once(app, [confirm(user_id) for user_id in gates])) == {"ok": 1,
                                                                            "already_checked_in": THREADS - 1}
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.held
