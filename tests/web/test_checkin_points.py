"""The organizer's check-in console: points and areas with their rules, devices (token shown once,
revocable), live counters and the conflict list."""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.times import from_local, utcnow
from fair.visitors import checkins
from fair.visitors.models import Area, CheckinPoint, Device, PointKind, Policy
from tests.visitor_factories import make_area, make_device, make_point, make_scannable_ticket


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def point_form(**overrides) -> dict:
    data = {"form": "point", "point-slug": "east-gate", "point-name": "东门", "point-kind": "entry",
            "point-policy": "daily", "point-area_id": "0", "point-opens_at": "09:00", "point-closes_at": "17:30",
            "point-offline_allowed": "y", "point-active": "y"}
    data.update(overrides)
    return data


def test_an_organizer_adds_a_point_and_an_area(organizer_client, fair):
    url = f"/fairs/{fair.slug}/visitors/points"
    assert organizer_client.get(url).status_code == 200
    response = organizer_client.post(url, data={"form": "area", "area-name": "场馆", "area-capacity": "5000",
                                                "area-leaves_area_id": "0"})
    assert response.status_code == 302
    area = db.session.scalar(sa.select(Area))
    assert (area.name, area.capacity) == ("场馆", 5000)
    assert organizer_client.post(url, data=point_form(**{"point-area_id": str(area.id)})).status_code == 302
    point = db.session.scalar(sa.select(CheckinPoint))
    assert (point.slug, point.kind, point.policy) == ("east-gate", PointKind.entry, Policy.daily)
    assert point.area_id == area.id
    assert (point.opens_at, point.closes_at, point.offline_allowed) == (time(9), time(17, 30), True)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"visitors.area.created", "visitors.point.created"} <= actions
    page = organizer_client.get(url).get_data(as_text=True)
    assert "东门" in page and "09:00–17:30" in page


@pytest.mark.parametrize("overrides, field_id, message", [
    ({"point-slug": "East Gate"}, "point-slug", "小写字母"),
    ({"point-closes_at": ""}, "point-closes_at", "同时填写"),
    ({"point-kind": "exit"}, "point-area_id", "出口须指定"),
    ({"point-capacity": "0"}, "point-capacity", "正整数"),
])
def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(organizer_client, fair, overrides, field_id,
                                                                 message):
    response = organizer_client.post(f"/fairs/{fair.slug}/visitors/points", data=point_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in page and message in page
    assert 'value="东门"' in page                     # nothing typed is lost
    assert db.session.scalar(sa.select(sa.func.count(CheckinPoint.id))) == 0


def test_a_slug_is_unique_in_the_fair(organizer_client, fair):
    make_point(fair, "east-gate")
    response = organizer_client.post(f"/fairs/{fair.slug}/visitors/points", data=point_form())
    assert response.status_code == 400 and "已有此标识" in response.get_data(as_text=True)


def test_editing_a_point(organizer_client, fair):
    point = make_point(fair, "kite", kind=PointKind.activity, policy=Policy.once)
    url = f"/fairs/{fair.slug}/visitors/points/{point.id}"
    assert 'value="kite"' in organizer_client.get(url).get_data(as_text=True)
    response = organizer_client.post(url, data={"slug": "kite", "name": "风筝体验", "kind": "activity",
                                                "policy": "once", "area_id": "0", "capacity": "30"})
    assert response.status_code == 302
    db.session.refresh(point)
    assert (point.name, point.capacity, point.active) == ("风筝体验", 30, False)


def test_an_area_cannot_leave_itself(organizer_client, fair):
    area = make_area(fair, "展馆")
    response = organizer_client.post(f"/fairs/{fair.slug}/visitors/areas/{area.id}",
                                     data={"name": "展馆", "leaves_area_id": str(area.id)})
    assert response.status_code == 400


def test_only_organizers_see_the_console(client_as, fair):
    gate_staff = client_as(Role.gate_staff)
    for path in ("counters", "counters.json", "points", "devices", "conflicts"):
        assert gate_staff.get(f"/fairs/{fair.slug}/visitors/{path}").status_code == 403


def test_a_device_token_is_shown_once_and_can_be_revoked(organizer_client, fair):
    gate = make_point(fair, "east-gate")
    url = f"/fairs/{fair.slug}/visitors/devices"
    response = organizer_client.post(url, data={"name": "东门1号闸机", "point_ids": [str(gate.id)]})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    token = page.split('user-select-all fs-6 my-2">')[1].split("<")[0]
    device = checkins.device_for_token(token)
    assert device is not None and device.point_ids == [gate.id]
    assert token not in organizer_client.get(url).get_data(as_text=True)
    assert organizer_client.post(f"{url}/{device.id}/revoke").status_code == 302
    assert checkins.device_for_token(token) is None
    assert db.session.scalar(sa.select(Device.revoked_at)) is not None


def test_a_device_needs_a_point(organizer_client, fair):
    response = organizer_client.post(f"/fairs/{fair.slug}/visitors/devices", data={"name": "手持机"})
    assert response.status_code == 400 and "至少选择一个" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 0


def test_live_counters(organizer_client, fair):
    venue = make_area(fair, "场馆", capacity=100)
    gate = make_point(fair, "gate", kind=PointKind.entry, area_id=venue.id)
    now = utcnow()
    today, hour = checkins.local_day(fair, now), now.astimezone(ZoneInfo(fair.timezone)).hour
    for size in (1, 3):
        ticket, code = make_scannable_ticket(fair, group_size=size)
        ticket.valid_from = ticket.valid_until = today
        db.session.commit()
        assert checkins.redeem(fair, gate, code, scanned_at=now).ok
    checkins.redeem(fair, gate, "junk", scanned_at=now)
    numbers = organizer_client.get(f"/fairs/{fair.slug}/visitors/counters.json").json
    assert (numbers["registered"], numbers["entered"], numbers["inside"]) == (4, 4, 4)
    assert numbers["areas"] == [{"id": venue.id, "name": "场馆", "inside": 4, "capacity": 100}]
    assert numbers["hours"][hour] == 4 and sum(numbers["hours"]) == 4
    assert numbers["refusals"]["invalid"] == 1
    page = organizer_client.get(f"/fairs/{fair.slug}/visitors/counters").get_data(as_text=True)
    assert 'data-counter="inside">4<' in page and "js/counters.js" in page


def test_the_counters_take_a_fixed_number_of_queries(organizer_client, fair):
    from tests.conftest import queries_for

    gate = make_point(fair, "gate")
    url = f"/fairs/{fair.slug}/visitors/counters.json"
    few = queries_for(organizer_client, url)
    at = from_local(datetime(2027, 5, 20, 10), fair.timezone)
    for _ in range(5):
        checkins.redeem(fair, gate, make_scannable_ticket(fair)[1], scanned_at=at)
    assert queries_for(organizer_client, url) == few


def test_the_conflict_list(organizer_client, fair):
    gate = make_point(fair, "gate", offline_allowed=True)
    first, _ = make_device(fair, [gate], name="一号手持机")
    second, _ = make_device(fair, [gate], name="二号手持机")
    _ticket, code = make_scannable_ticket(fair, name="张三")
    at = from_local(datetime(2027, 5, 20, 10), fair.timezone)
    checkins.sync(first, [checkins.OfflineScan(code, "gate", "a", at)])
    checkins.sync(second, [checkins.OfflineScan(code, "gate", "b", at.replace(minute=5))])
    page = organizer_client.get(f"/fairs/{fair.slug}/visitors/conflicts").get_data(as_text=True)
    assert "张三" in page and "二号手持机" in page
