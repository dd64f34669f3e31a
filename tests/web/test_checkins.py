"""The check-in service: every reason code, the policies, hours in the fair's timezone, capacity, groups,
occupancy, nonce replay and offline reconciliation."""
from datetime import datetime, time

import pytest
import sqlalchemy as sa

from fair.extensions import db
from fair.visitors import checkins
from fair.visitors.checkins import OfflineScan, redeem
from fair.visitors.models import Checkin, PointKind, Policy, Presence, Registration, Ticket
from fair.times import from_local
from tests.factories import make_fair
from tests.visitor_factories import (checkin_count, inside, make_area, make_device, make_point,
                                     make_scannable_ticket)


def at(day: int = 20, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of the fair (20–22 May 2027) on the Shanghai clock, as UTC."""
    return from_local(datetime(2027, 5, day, hour, minute), "Asia/Shanghai")


@pytest.fixture
def gate(fair):
    return make_point(fair, "gate-1", kind=PointKind.entry, policy=Policy.daily)


def test_first_scan_is_ok_and_the_second_already_redeemed_with_the_first_time(fair, gate):
    ticket, code = make_scannable_ticket(fair)
    first = redeem(fair, gate, code, scanned_at=at(hour=9))
    assert (first.reason, first.people, first.ticket.id) == ("ok", 1, ticket.id)
    again = redeem(fair, gate, code, scanned_at=at(hour=11))
    assert again.reason == "already_redeemed"
    assert again.first_at == at(hour=9)
    rows = db.session.scalars(sa.select(Checkin).order_by(Checkin.id)).all()
    assert [row.reason for row in rows] == ["ok", "already_redeemed"]
    assert rows[0].once_key and rows[1].once_key is None


@pytest.mark.parametrize("code", ["", "hello", "FT1:AAAA", "https://example.cn/ticket/1"])
def test_unreadable_codes_are_invalid_and_stored_with_the_raw_code(fair, gate, code):
    result = redeem(fair, gate, code, scanned_at=at())
    assert result.reason == "invalid" and result.ticket is None
    row = db.session.scalar(sa.select(Checkin))
    assert (row.reason, row.raw_code, row.ticket_id) == ("invalid", code, None)


def test_a_tampered_code_is_invalid(fair, gate):
    _ticket, code = make_scannable_ticket(fair)
    flipped = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    assert redeem(fair, gate, flipped, scanned_at=at()).reason == "invalid"


def test_a_code_of_another_fair_is_wrong_fair(fair, gate, organizer):
    other = make_fair(organizer)
    _ticket, code = make_scannable_ticket(other)
    assert redeem(fair, gate, code, scanned_at=at()).reason == "wrong_fair"


def test_a_revoked_ticket_is_refused(fair, gate):
    from fair.visitors import services

    ticket, code = make_scannable_ticket(fair)
    services.revoke_ticket(ticket, "丢失", actor=None)
    result = redeem(fair, gate, code, scanned_at=at())
    assert result.reason == "revoked" and result.ticket.id == ticket.id
    assert db.session.scalar(sa.select(Checkin.ticket_id)) == ticket.id


def test_outside_the_tickets_days_is_invalid_time(fair, gate):
    _ticket, code = make_scannable_ticket(fair)
    assert redeem(fair, gate, code, scanned_at=at(day=19, hour=12)).reason == "invalid_time"
    assert redeem(fair, gate, code, scanned_at=at(day=23, hour=9)).reason == "invalid_time"
    # 23:30 UTC on the 19th is already 07:30 on the 20th in Shanghai: the fair's day, not UTC's
    assert redeem(fair, gate, code, scanned_at=datetime.fromisoformat("2027-05-19T23:30:00+00:00")).ok


def test_opening_hours_are_the_fairs_local_time(fair):
    point = make_point(fair, "hall", kind=PointKind.entry, opens_at=time(9, 0), closes_at=time(17, 0))
    _ticket, code = make_scannable_ticket(fair)
    assert redeem(fair, point, code, scanned_at=at(hour=8, minute=59)).reason == "invalid_time"
    assert redeem(fair, point, code, scanned_at=at(hour=17, minute=0)).reason == "invalid_time"
    assert redeem(fair, point, code, scanned_at=at(hour=9, minute=0)).ok   # 01:00 UTC


def test_an_inactive_point_blocks(fair):
    point = make_point(fair, "closed-gate", kind=PointKind.entry, active=False)
    _ticket, code = make_scannable_ticket(fair)
    assert redeem(fair, point, code, scanned_at=at()).reason == "blocked"


def test_policy_once_admits_once_per_fair(fair):
    point = make_point(fair, "kite", kind=PointKind.activity, policy=Policy.once)
    _ticket, code = make_scannable_ticket(fair)
    assert redeem(fair, point, code, scanned_at=at(day=20)).ok
    refused = redeem(fair, point, code, scanned_at=at(day=21))
    assert refused.reason == "already_redeemed" and refused.first_at == at(day=20)


def test_policy_daily_admits_again_the_next_day(fair, gate):
    _ticket, code = make_scannable_ticket(fair)
    assert redeem(fair, gate, code, scanned_at=at(day=20)).ok
    assert redeem(fair, gate, code, scanned_at=at(day=20, hour=15)).reason == "already_redeemed"
    assert redeem(fair, gate, code, scanned_at=at(day=21)).ok


def test_unlimited_with_exits_keeps_inside_now_exact(fair):
    venue = make_area(fair, "场馆")
    entry = make_point(fair, "in", kind=PointKind.entry, policy=Policy.unlimited, area_id=venue.id)
    leave = make_point(fair, "out", kind=PointKind.exit, policy=Policy.unlimited, area_id=venue.id)
    _ticket, code = make_scannable_ticket(fair)
    assert redeem(fair, entry, code, scanned_at=at(hour=9)).ok
    assert inside(venue) == 1
    # in again without going out: somebody else is using the ticket (anti-passback)
    assert redeem(fair, entry, code, scanned_at=at(hour=10)).reason == "already_redeemed"
    left = redeem(fair, leave, code, scanned_at=at(hour=11))
    assert (left.reason, left.people, inside(venue)) == ("ok", 1, 0)
    assert redeem(fair, entry, code, scanned_at=at(hour=12)).ok
    assert inside(venue) == 1


def test_entering_a_zone_leaves_the_area_it_replaces(fair):
    hall = make_area(fair, "展馆")
    outdoor = make_area(fair, "户外体验区", leaves_area_id=hall.id)
    into_hall = make_point(fair, "hall", kind=PointKind.entry, area_id=hall.id)
    into_outdoor = make_point(fair, "outdoor", kind=PointKind.entry, area_id=outdoor.id)
    _ticket, code = make_scannable_ticket(fair)
    redeem(fair, into_hall, code, scanned_at=at(hour=9))
    redeem(fair, into_outdoor, code, scanned_at=at(hour=10))
    assert (inside(hall), inside(outdoor)) == (0, 1)


def test_a_full_area_refuses_with_capacity_full(fair):
    ground = make_area(fair, "体验场地", capacity=2)
    point = make_point(fair, "ground", kind=PointKind.activity, area_id=ground.id)
    codes = [make_scannable_ticket(fair)[1] for _ in range(3)]
    assert [redeem(fair, point, code, scanned_at=at()).reason for code in codes] == ["ok", "ok", "capacity_full"]
    assert inside(ground) == 2
    assert checkin_count(reason="capacity_full") == 1


def test_a_class_admits_up_to_its_seats_and_only_those_registered(fair):
    lesson = make_point(fair, "class-1", kind=PointKind.class_, policy=Policy.once, capacity=1,
                        needs_registration=True)
    (first, first_code), (second, second_code), (_third, third_code) = [make_scannable_ticket(fair) for _ in range(3)]
    db.session.add_all([Registration(point_id=lesson.id, ticket_id=first.id),
                        Registration(point_id=lesson.id, ticket_id=second.id)])
    db.session.commit()
    assert redeem(fair, lesson, third_code, scanned_at=at()).reason == "not_registered"
    assert redeem(fair, lesson, first_code, scanned_at=at()).ok
    assert redeem(fair, lesson, second_code, scanned_at=at()).reason == "capacity_full"


def test_a_group_enters_whole_with_one_scan(fair, gate):
    _ticket, code = make_scannable_ticket(fair, group_size=12)
    result = redeem(fair, gate, code, scanned_at=at())
    assert (result.reason, result.people, result.remaining) == ("ok", 12, 0)
    assert redeem(fair, gate, code, scanned_at=at(hour=11)).reason == "already_redeemed"


def test_a_group_enters_in_parts_never_beyond_its_size(fair):
    venue = make_area(fair, "场馆")
    point = make_point(fair, "gate", kind=PointKind.entry, area_id=venue.id)
    _ticket, code = make_scannable_ticket(fair, group_size=10)
    first = redeem(fair, point, code, scanned_at=at(hour=9), people=4)
    assert (first.reason, first.people, first.remaining) == ("ok", 4, 6)
    too_many = redeem(fair, point, code, scanned_at=at(hour=10), people=7)
    assert (too_many.reason, too_many.remaining) == ("already_redeemed", 6)
    rest = redeem(fair, point, code, scanned_at=at(hour=10))
    assert (rest.reason, rest.people, rest.remaining) == ("ok", 6, 0)
    assert inside(venue) == 10
    assert redeem(fair, point, code, scanned_at=at(hour=11), people=1).reason == "already_redeemed"


def test_a_retried_nonce_is_answered_as_before_without_a_second_row(fair, gate):
    device, _token = make_device(fair, [gate])
    _ticket, code = make_scannable_ticket(fair)
    first = redeem(fair, gate, code, device=device, nonce="scan-0001", scanned_at=at())
    again = redeem(fair, gate, code, device=device, nonce="scan-0001", scanned_at=at())
    assert first.ok and again.ok and again.replayed and again.checkin_id == first.checkin_id
    assert checkin_count() == 1
    refused = redeem(fair, gate, "junk", device=device, nonce="scan-0002", scanned_at=at())
    again = redeem(fair, gate, "junk", device=device, nonce="scan-0002", scanned_at=at())
    assert again.checkin_id == refused.checkin_id
    assert checkin_count() == 2


def test_offline_scans_are_refused_where_the_point_does_not_allow_them(fair):
    point = make_point(fair, "kite", kind=PointKind.activity, offline_allowed=False)
    device, _token = make_device(fair, [point])
    _ticket, code = make_scannable_ticket(fair)
    result = redeem(fair, point, code, device=device, nonce="n-1", scanned_at=at(), offline=True)
    assert result.reason == "blocked"
    assert db.session.scalar(sa.select(Checkin.offline))


def test_offline_sync_keeps_the_earliest_scan_and_lists_the_conflict(fair):
    gate = make_point(fair, "gate", kind=PointKind.entry, offline_allowed=True)
    online, _ = make_device(fair, [gate], name="一号闸机")
    offline, _ = make_device(fair, [gate], name="二号手持机")
    ticket, code = make_scannable_ticket(fair)
    _other, other_code = make_scannable_ticket(fair)
    assert redeem(fair, gate, code, device=online, nonce="on-1", scanned_at=at(hour=10)).ok
    batch = [OfflineScan(other_code, "gate", "off-2", at(hour=9, minute=30)),
             OfflineScan(code, "gate", "off-1", at(hour=9))]
    answers = [result for _scan, result in checkins.sync(offline, batch)]
    assert [answer.reason for answer in answers] == ["ok", "ok"]
    rows = {row.nonce: row for row in db.session.scalars(sa.select(Checkin).where(Checkin.ticket_id == ticket.id))}
    assert rows["off-1"].reason == "ok" and rows["off-1"].once_key        # the earliest holds the admission
    assert rows["on-1"].reason == "already_redeemed" and rows["on-1"].conflict and rows["on-1"].once_key is None
    # the same batch again writes nothing and answers as before
    again = checkins.sync(offline, batch)
    assert [result.replayed for _scan, result in again] == [True, True]
    assert checkin_count() == 3


def test_a_later_offline_duplicate_from_another_device_is_a_conflict(fair):
    gate = make_point(fair, "gate", kind=PointKind.entry, offline_allowed=True)
    first, _ = make_device(fair, [gate])
    second, _ = make_device(fair, [gate])
    _ticket, code = make_scannable_ticket(fair)
    checkins.sync(first, [OfflineScan(code, "gate", "a-1", at(hour=9))])
    [(_scan, result)] = checkins.sync(second, [OfflineScan(code, "gate", "b-1", at(hour=9, minute=5))])
    assert result.reason == "already_redeemed" and result.conflict
    assert db.session.scalar(sa.select(sa.func.count()).where(Checkin.conflict)) == 1


def test_a_device_may_not_sync_scans_of_points_it_was_not_given(fair, gate):
    other = make_point(fair, "other", kind=PointKind.entry, offline_allowed=True)
    device, _ = make_device(fair, [gate])
    _ticket, code = make_scannable_ticket(fair)
    [(_scan, result)] = checkins.sync(device, [OfflineScan(code, "other", "x-1", at())])
    assert result.reason == "blocked" and checkin_count() == 0
    assert other.id not in device.point_ids


def test_exits_need_only_a_genuine_ticket(fair):
    venue = make_area(fair, "场馆")
    leave = make_point(fair, "out", kind=PointKind.exit, area_id=venue.id, opens_at=time(9), closes_at=time(17))
    _ticket, code = make_scannable_ticket(fair)
    result = redeem(fair, leave, code, scanned_at=at(hour=20))
    assert result.ok and result.people == 0


def test_the_hot_path_runs_a_handful_of_statements(fair):
    from tests.conftest import count_queries

    venue = make_area(fair, "场馆")
    point = make_point(fair, "gate", kind=PointKind.entry, area_id=venue.id)
    _ticket, code = make_scannable_ticket(fair)
    redeem(fair, point, make_scannable_ticket(fair)[1], scanned_at=at())     # the public key is cached from now on
    assert (fair.timezone, point.area.name) == ("Asia/Shanghai", "场馆")      # loaded, as the API has them
    with count_queries() as statements:
        assert redeem(fair, point, code, scanned_at=at()).ok
    assert len(statements) <= 3, statements         # the ticket, the scan, the presence
    assert db.session.scalar(sa.select(sa.func.count(Presence.id))) == 2
    assert db.session.get(Ticket, _ticket.id).code == _ticket.code
