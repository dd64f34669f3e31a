"""The gate staff's scan page and its JSON: redeem (every answer, groups, nonce replay), the CSRF header, who may
scan, the offline kit, and syncing the scans queued offline (earliest wins, a replayed batch writes nothing)."""
import base64
import itertools
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fair import create_app
from fair.auth.models import Role
from fair.extensions import db
from fair.times import utcnow
from fair.visitors import services, tickets
from fair.visitors.models import Checkin, PointKind, Policy
from tests.conftest import RequestInItsOwnContext, test_config
from tests.factories import PASSWORD, make_fair, make_member, make_organisation
from tests.visitor_factories import checkin_count, make_point, make_scannable_ticket

_nonces = itertools.count(1)


def running_fair(organizer, **overrides):
    """A fair from yesterday to tomorrow on its own clock, so a scan made now is within every ticket's days."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    values = {"starts_on": today - timedelta(days=1), "ends_on": today + timedelta(days=1),
              "applications_open_at": datetime.combine(today - timedelta(days=90), time(1), timezone.utc),
              "applications_close_at": datetime.combine(today - timedelta(days=30), time(1), timezone.utc)}
    values.update(overrides)
    return make_fair(organizer, **values)


@pytest.fixture
def fair(organizer):
    return running_fair(organizer)


@pytest.fixture
def gate(fair):
    return make_point(fair, "east-gate", name="东门", kind=PointKind.entry, policy=Policy.daily, offline_allowed=True)


@pytest.fixture
def staff(client_as, gate):
    return client_as(Role.gate_staff, name="王检票")


def post(client, fair, path: str, body, **headers):
    return client.post(f"/fairs/{fair.slug}/scan/{path}", json=body,
                       headers={"Accept": "application/json", **headers})


def scan(client, fair, code: str, point: str = "east-gate", nonce: str | None = None, **extra):
    return post(client, fair, "redeem", {"code": code, "point": point, "nonce": nonce or f"n{next(_nonces)}", **extra})


# --- the page --------------------------------------------------------------------------------------------

def test_the_page_offers_the_points_the_camera_and_walk_in_with_its_own_light_layout(staff, fair, gate):
    response = staff.get(f"/fairs/{fair.slug}/scan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "东门" in page and 'id="scan-code"' in page and 'id="camera-toggle"' in page
    assert f"/fairs/{fair.slug}/visitors/walk-in" in page
    assert "bootstrap" not in page                     # the light layout: the first load stays small
    assert "worker-src 'self' blob:" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert re.search(r'<a class="active" aria-current="page" href="/fairs/[^"]+/scan">扫码签到</a>', page)
    assert re.search(r'<a class="active" aria-current="page" href="/fairs/[^"]+/scan">观众</a>', page)


@pytest.mark.parametrize("role, status", [(Role.organizer, 200), (Role.gate_staff, 200), (Role.judge, 403),
                                          (Role.exhibitor, 403)])
def test_only_gate_staff_and_organizers_scan(client_as, fair, gate, role, status):
    extra = {"organisation": make_organisation()} if role is Role.exhibitor else {}
    client = client_as(role, **extra)
    assert client.get(f"/fairs/{fair.slug}/scan").status_code == status
    _ticket, code = make_scannable_ticket(fair)
    answer = scan(client, fair, code)
    assert answer.status_code == (201 if status == 200 else 403)
    assert client.get(f"/fairs/{fair.slug}/scan/offline-kit", headers={"Accept": "application/json"}).status_code == status


def test_anonymous_json_gets_401_and_the_page_a_log_in(client, fair, gate):
    _ticket, code = make_scannable_ticket(fair)
    assert scan(client, fair, code).status_code == 401
    assert client.get(f"/fairs/{fair.slug}/scan").status_code == 302
    assert checkin_count() == 0


# --- redeem ----------------------------------------------------------------------------------------------

def test_ok_then_already_redeemed_with_the_first_time_on_the_fairs_clock(staff, fair):
    ticket, code = make_scannable_ticket(fair, name="李华")
    first = scan(staff, fair, code)
    assert first.status_code == 201, first.json
    assert (first.json["status"], first.json["reason"], first.json["people"]) == ("ok", "ok", 1)
    assert first.json["ticket"]["kind_label"] == "普通观众" and first.json["message"] == "可以入场"
    again = scan(staff, fair, code)
    assert again.status_code == 409
    assert (again.json["reason"], again.json["message"]) == ("already_redeemed", "已签到过")
    first_at = datetime.fromisoformat(first.json["scanned_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert again.json["first_at_text"] == f"{first_at.month}月{first_at.day}日 {first_at:%H:%M}"
    rows = db.session.scalars(sa.select(Checkin).order_by(Checkin.id)).all()
    assert [(row.reason, row.staff_id is not None, row.device_id) for row in rows] == \
        [("ok", True, None), ("already_redeemed", True, None)]


def test_a_retried_nonce_is_answered_as_before_and_recorded_once(staff, fair):
    _ticket, code = make_scannable_ticket(fair)
    first = scan(staff, fair, code, nonce="same-scan")
    retry = scan(staff, fair, code, nonce="same-scan")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json["replayed"] is True and retry.json["checkin_id"] == first.json["checkin_id"]
    assert checkin_count() == 1


def test_each_refusal_has_its_reason_and_is_stored(staff, fair, organizer):
    def reason(code, point="east-gate"):
        answer = scan(staff, fair, code, point=point)
        return answer.status_code, answer.json["reason"]

    assert reason("garbage") == (400, "invalid")
    _ticket, code = make_scannable_ticket(fair)
    assert reason(code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")) == (400, "invalid")
    revoked, code = make_scannable_ticket(fair)
    services.revoke_ticket(revoked, "丢失", actor=organizer)
    assert reason(code) == (400, "revoked")
    other = running_fair(organizer)
    assert reason(make_scannable_ticket(other)[1]) == (400, "wrong_fair")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    closed = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    make_point(fair, "night", kind=PointKind.entry, opens_at=closed,
               closes_at=(now + timedelta(hours=3)).time().replace(second=0, microsecond=0))
    assert reason(make_scannable_ticket(fair)[1], "night") == (400, "invalid_time")
    make_point(fair, "kayak", kind=PointKind.activity, capacity=1)
    assert reason(make_scannable_ticket(fair)[1], "kayak") == (201, "ok")
    assert reason(make_scannable_ticket(fair)[1], "kayak") == (409, "capacity_full")
    make_point(fair, "class-1", kind=PointKind.class_, needs_registration=True)
    assert reason(make_scannable_ticket(fair)[1], "class-1") == (400, "not_registered")
    make_point(fair, "closed-door", kind=PointKind.entry, active=False)
    assert reason(make_scannable_ticket(fair)[1], "closed-door") == (400, "blocked")
    assert checkin_count(reason="ok") == 1 and checkin_count() == 9


def test_a_group_leader_checks_in_part_of_the_group_then_the_rest(staff, fair):
    _ticket, code = make_scannable_ticket(fair, group_size=5, group_name="实验小学")
    part = scan(staff, fair, code, people=2)
    assert part.status_code == 201
    assert (part.json["people"], part.json["remaining"], part.json["ticket"]["group_size"]) == (2, 3, 5)
    too_many = scan(staff, fair, code, people=4)
    assert (too_many.status_code, too_many.json["reason"], too_many.json["remaining"]) == (409, "already_redeemed", 3)
    rest = scan(staff, fair, code)
    assert (rest.json["people"], rest.json["remaining"]) == (3, 0)


@pytest.mark.parametrize("body", [{}, {"code": "x", "point": "east-gate"}, {"code": 5, "point": "east-gate", "nonce": "a"},
                                  {"code": "x", "point": "east-gate", "nonce": "a", "people": 0},
                                  {"code": "x", "point": "east-gate", "nonce": "a", "people": "3"},
                                  {"code": "x" * 501, "point": "east-gate", "nonce": "a"}])
def test_a_malformed_request_is_422_and_records_nothing(staff, fair, body):
    answer = post(staff, fair, "redeem", body)
    assert (answer.status_code, answer.json["reason"]) == (422, "unprocessable")
    assert checkin_count() == 0


def test_an_unknown_point_is_404(staff, fair):
    answer = scan(staff, fair, "FT1:X", point="nowhere")
    assert (answer.status_code, answer.json["reason"]) == (404, "unknown_point")


# --- CSRF ------------------------------------------------------------------------------------------------

@pytest.fixture
def csrf_client(database_url, instance_path):
    """A client of an app that checks CSRF as production does."""
    app = create_app(test_config(database_url, instance_path, WTF_CSRF_ENABLED=True))
    app.test_client_class = RequestInItsOwnContext
    return app.test_client()


def test_the_json_needs_the_csrf_header_from_the_page(csrf_client, fair, gate):
    user = make_member(fair, Role.gate_staff)
    login = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    csrf_client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    page = csrf_client.get(f"/fairs/{fair.slug}/scan").get_data(as_text=True)
    page_token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    _ticket, code = make_scannable_ticket(fair)
    refused = scan(csrf_client, fair, code)
    assert (refused.status_code, refused.json["code"]) == (400, "csrf")
    assert checkin_count() == 0
    admitted = post(csrf_client, fair, "redeem", {"code": code, "point": "east-gate", "nonce": "n"},
                    **{"X-CSRFToken": page_token})
    assert admitted.status_code == 201
    kit = csrf_client.get(f"/fairs/{fair.slug}/scan/offline-kit", headers={"Accept": "application/json"}).json
    again = post(csrf_client, fair, "redeem", {"code": code, "point": "east-gate", "nonce": "m"},
                 **{"X-CSRFToken": kit["csrf"]})
    assert again.status_code == 409            # the kit's fresh token works as well


# --- the offline kit -------------------------------------------------------------------------------------

def test_the_offline_kit_has_the_key_the_revoked_codes_and_which_points_may_scan_offline(staff, fair, organizer):
    make_point(fair, "kayak", name="皮划艇", kind=PointKind.activity, capacity=20)
    make_point(fair, "class-1", kind=PointKind.class_, needs_registration=True, offline_allowed=True)
    make_point(fair, "hall-b", kind=PointKind.entry, opens_at=time(9), closes_at=time(17), offline_allowed=True)
    kept, code = make_scannable_ticket(fair)
    revoked, _revoked_code = make_scannable_ticket(fair)
    services.revoke_ticket(revoked, "重复", actor=organizer)
    response = staff.get(f"/fairs/{fair.slug}/scan/offline-kit", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    kit = response.json
    assert (kit["fair_id"], kit["prefix"], kit["timezone"]) == (fair.id, "FT1:", "Asia/Shanghai")
    assert kit["revoked"] == [revoked.code]
    offline = {point["slug"]: point["offline"] for point in kit["points"]}
    assert offline == {"east-gate": True, "kayak": False, "class-1": False, "hall-b": True}
    hours = {point["slug"]: (point["opens_at"], point["closes_at"]) for point in kit["points"]}
    assert hours["hall-b"] == ("09:00", "17:00") and hours["east-gate"] == (None, None)
    assert datetime.fromisoformat(kit["valid_until"]) > datetime.fromisoformat(kit["issued_at"])
    [key] = kit["keys"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    assert tickets.verify(code, {key["key_id"]: public}).code == kept.code    # the device can check a code


# --- sync ------------------------------------------------------------------------------------------------

def offline_scan(code, minutes_ago: int, nonce: str, point: str = "east-gate", **extra):
    return {"code": code, "point": point, "nonce": nonce,
            "scanned_at": (utcnow() - timedelta(minutes=minutes_ago)).isoformat(), **extra}


def test_sync_records_the_queue_once_and_a_replayed_batch_writes_nothing(staff, fair):
    _first, one = make_scannable_ticket(fair)
    _second, two = make_scannable_ticket(fair)
    batch = {"scans": [offline_scan(one, 5, "q1"), offline_scan(two, 4, "q2"), offline_scan(one, 3, "q3")]}
    answer = post(staff, fair, "sync", batch)
    assert answer.status_code == 200
    assert [(item["nonce"], item["reason"]) for item in answer.json["results"]] == \
        [("q1", "ok"), ("q2", "ok"), ("q3", "already_redeemed")]
    assert answer.json["results"][2]["first_at_text"]
    assert checkin_count() == 3 and checkin_count(offline=True) == 3
    again = post(staff, fair, "sync", batch)
    assert [item["reason"] for item in again.json["results"]] == ["ok", "ok", "already_redeemed"]
    assert all(item["replayed"] for item in again.json["results"])
    assert checkin_count() == 3


def test_sync_keeps_the_earliest_scan_and_answers_an_online_scan_whose_answer_was_lost(staff, fair):
    _ticket, code = make_scannable_ticket(fair)
    online = scan(staff, fair, code, nonce="lost-answer")
    assert online.status_code == 201
    _other, earlier = make_scannable_ticket(fair)
    assert scan(staff, fair, earlier, nonce="later-online").status_code == 201
    answer = post(staff, fair, "sync", {"scans": [offline_scan(code, 1, "lost-answer"),
                                                  offline_scan(earlier, 60, "earlier-offline")]})
    results = answer.json["results"]
    assert results[0]["reason"] == "ok" and results[0]["replayed"] is True
    assert results[1]["reason"] == "ok"        # scanned before the online admission: it keeps the admission
    assert checkin_count(reason="ok") == 2 and checkin_count() == 3


def test_sync_refuses_points_that_may_not_scan_offline_and_answers_malformed_items(staff, fair):
    make_point(fair, "kayak", kind=PointKind.activity, capacity=20)
    _ticket, code = make_scannable_ticket(fair)
    answer = post(staff, fair, "sync", {"scans": [offline_scan(code, 2, "k1", point="kayak"),
                                                  {"code": code, "nonce": "bad", "scanned_at": "yesterday"},
                                                  offline_scan(code, 1, "g1", point="nowhere"),
                                                  offline_scan(code, 1, "g2")]})
    assert [(item["nonce"], item["reason"]) for item in answer.json["results"]] == \
        [("k1", "blocked"), ("bad", "unprocessable"), ("g1", "blocked"), ("g2", "ok")]


@pytest.mark.parametrize("body", [{}, {"scans": []}, {"scans": "x"}, [1, 2]])
def test_sync_needs_a_list_of_scans(staff, fair, body):
    assert post(staff, fair, "sync", body).status_code == 422


def test_sync_takes_at_most_one_batch(staff, fair):
    answer = post(staff, fair, "sync", {"scans": [offline_scan("x", 1, f"n{i}") for i in range(501)]})
    assert (answer.status_code, answer.json["reason"]) == (422, "too_many")
