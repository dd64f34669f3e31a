"""The check-in fast path (fair/visitors/fast_redeem.py) answers exactly as the app does. A day at a gate is
played twice on fresh tables, through an app with the fast path and one without: every answer (status,
body, headers) and every row written must be the same, and the fast path must have answered the scans it is
for (first admissions of single tickets at plain points) and no other. Then exactly once through it, with
threads, on SQLite and on PostgreSQL."""
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fair import create_app
from fair.extensions import db
from fair.times import utcnow
from fair.visitors import api, checkins, services
from fair.visitors.models import Checkin, PointKind, Policy, Presence
from tests.conftest import RequestInItsOwnContext, empty_tables, test_config
from tests.factories import make_fair, make_user
from tests.visitor_factories import make_area, make_device, make_point, make_scannable_ticket

REDEEM = "/api/v1/checkin/redeem"
ZONE = ZoneInfo("Asia/Shanghai")
UNSTABLE_HEADERS = {"Date", "Content-Length", "Server"}


@pytest.fixture(scope="module")
def apps(database_url, instance_path):
    """The app as served (fast path in front) and the same app without it."""
    made = {}
    for name, fast in (("fast", True), ("slow", False)):
        app = create_app(test_config(database_url, instance_path, FAIR_FAST_REDEEM=fast, FAIR_DEVICE_LIMIT=40))
        app.test_client_class = RequestInItsOwnContext
        made[name] = app
    assert "fast_redeem" in made["fast"].extensions and "fast_redeem" not in made["slow"].extensions
    return made


def fair_of_today():
    """A fair running today in its timezone, so that scans without a time (now) are within it."""
    today = datetime.now(ZONE).date()
    return make_fair(make_user(is_admin=True), starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1),
                     applications_open_at=utcnow() - timedelta(days=60),
                     applications_close_at=utcnow() - timedelta(days=30))


def gate_day() -> tuple[str, list[tuple[str, dict, dict, bool]], dict]:
    """A fair, its points and tickets; the scans of a day at its gates as (label, body, headers, fast?), the
    token, and each code's label (codes are random: rows are compared by label)."""
    fair = fair_of_today()
    other = fair_of_today()
    venue, hall = make_area(fair, "场馆"), make_area(fair, "展厅")
    outdoor = make_area(fair, "户外", capacity=1)
    later = (datetime.now(ZONE) + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    points = [make_point(fair, "gate", policy=Policy.daily, area_id=venue.id),
              make_point(fair, "salon-door", kind=PointKind.activity, policy=Policy.once),
              make_point(fair, "hall", kind=PointKind.booth, policy=Policy.unlimited, area_id=hall.id),
              make_point(fair, "outdoor", kind=PointKind.activity, policy=Policy.daily, area_id=outdoor.id),
              make_point(fair, "night", policy=Policy.daily, opens_at=later,
                         closes_at=(datetime.combine(date.today(), later) + timedelta(minutes=30)).time()),
              make_point(fair, "exit", kind=PointKind.exit, area_id=venue.id)]
    _device, token = make_device(fair, points)
    codes = {}

    def ticket(label, on=fair, **overrides):
        found, code = make_scannable_ticket(on, name=f"观众{label}", **overrides)
        codes[code] = label
        return found, code

    singles = {label: ticket(label)[1] for label in ("t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9")}
    group = ticket("group", group_size=5)[1]
    revoked_ticket, revoked = ticket("revoked")
    services.revoke_ticket(revoked_ticket, "丢失", actor=None)
    foreign = ticket("foreign", on=other)[1]
    tampered = singles["t5"][:-3] + ("A" if singles["t5"][-3] != "A" else "B") + singles["t5"][-2:]
    codes[tampered] = "tampered"
    english = {"Accept-Language": "en"}

    def scan(code, point="gate", **extra):
        return {"code": code, "point": point, **extra}

    day = [("warm-up: the device and its language are new here", scan(singles["t0"]), {}, False),
           ("first admission", scan(singles["t1"]), {}, True),
           ("the same ticket again", scan(singles["t1"], nonce="again"), {}, False),
           ("first admission with a nonce", scan(singles["t2"], nonce="n-2"), {}, True),
           ("its retry", scan(singles["t2"], nonce="n-2"), {}, False),
           ("a point once per fair, without area", scan(singles["t3"], "salon-door"), {}, True),
           ("an unlimited point into an area", scan(singles["t4"], "hall"), {}, True),
           ("there again, while inside", scan(singles["t4"], "hall"), {}, False),
           ("a group leader", scan(group), {}, False),
           ("a revoked ticket", scan(revoked), {}, False),
           ("another fair's ticket", scan(foreign), {}, False),
           ("a tampered code", scan(tampered), {}, False),
           ("a point closed now", scan(singles["t5"], "night"), {}, False),
           ("an area with a limit", scan(singles["t6"], "outdoor"), {}, False),
           ("the area full", scan(singles["t7"], "outdoor"), {}, False),
           ("leaving", scan(singles["t6"], "exit"), {}, False),
           ("in English, the first time", scan(singles["t7"]), english, False),
           ("in English again", scan(singles["t8"]), english, True),
           ("with a number of people", scan(singles["t9"], people=1), {}, False),
           ("with a cookie", scan(singles["t5"]), {"cookie": True}, False),
           ("an unknown point", scan(singles["t5"], "nowhere"), {}, False),
           ("not JSON", "{", {}, False),
           ("a wrong token", scan(singles["t5"]), {"Authorization": "Bearer nope"}, False)]
    return token, day, codes


def play(app) -> tuple[list, list, int]:
    """The day through `app`: the answers, the rows written and how many scans the fast path answered."""
    for cache in (checkins._public_keys, api._translated):   # a fresh fair reuses the ids of the last
        cache.clear()
    token, day, codes = gate_day()
    fast = app.extensions.get("fast_redeem")
    before = fast.answered if fast else 0
    client, answers = app.test_client(), []
    for label, body, headers, expect_fast in day:
        counted = fast.answered if fast else 0
        sent = {"Authorization": f"Bearer {token}", **headers}
        if sent.pop("cookie", None):                 # the test client sends its cookie jar, not a Cookie header
            client.set_cookie("fair_lang", "en")
        response = (client.post(REDEEM, data=body, headers=sent, content_type="application/json")
                    if isinstance(body, str) else client.post(REDEEM, json=body, headers=sent))
        answers.append((label, response.status_code, _stable(response.get_json()),
                        sorted((name, value) for name, value in response.headers.items()
                               if name not in UNSTABLE_HEADERS)))
        if fast:
            assert (fast.answered - counted == 1) is expect_fast, label
    db.session.rollback()
    # PostgreSQL's sequences keep the numbers a failed INSERT took: ids compare by their order
    order = {id_: place for place, id_ in enumerate(db.session.scalars(sa.select(Checkin.id).order_by(Checkin.id)))}
    for _label, _status, body, _headers in answers:
        if isinstance(body, dict) and body.get("checkin_id") is not None:
            body["checkin_id"] = order[body["checkin_id"]]
    rows = [(codes.get(row.raw_code, row.raw_code), row.point_id, row.ticket_id, row.reason, row.people, row.day,
             row.once_key, row.device_id is not None, row.nonce, row.offline, row.conflict,
             row.scanned_at == row.recorded_at)
            for row in db.session.scalars(sa.select(Checkin).order_by(Checkin.id))]
    rows += [(row.area_id, row.ticket_id, row.people) for row in
             db.session.scalars(sa.select(Presence).order_by(Presence.area_id, Presence.ticket_id))]
    answered = (fast.answered - before) if fast else 0
    empty_tables()
    return answers, rows, answered


def _stable(body):
    """An answer without its times (the runs are moments apart)."""
    if not isinstance(body, dict):
        return body
    return {name: ("<time>" if name in ("scanned_at", "first_at") and value else value)
            for name, value in body.items()}


def test_the_fast_path_answers_and_writes_exactly_as_the_app(apps):
    fast_answers, fast_rows, answered = play(apps["fast"])
    slow_answers, slow_rows, _ = play(apps["slow"])
    for ours, theirs in zip(fast_answers, slow_answers):
        assert ours == theirs
    assert fast_rows == slow_rows
    assert answered == 5
    assert [(status, body["reason"]) for _label, status, body, _headers in fast_answers] == [
        (201, "ok"), (201, "ok"), (409, "already_redeemed"), (201, "ok"), (201, "ok"), (201, "ok"), (201, "ok"),
        (409, "already_redeemed"), (201, "ok"), (400, "revoked"), (400, "wrong_fair"), (400, "invalid"),
        (400, "invalid_time"), (201, "ok"), (409, "capacity_full"), (201, "ok"), (201, "ok"), (201, "ok"),
        (201, "ok"), (201, "ok"), (404, "unknown_point"), (422, "unprocessable"), (401, "unauthorized")]
    assert fast_answers[4][2]["replayed"] and fast_answers[17][2]["message"] == "OK to enter"


def test_a_device_over_its_rate_is_refused_the_same_way(database_url, instance_path):
    def burst(fast: bool) -> list[int]:
        app = create_app(test_config(database_url, instance_path, FAIR_FAST_REDEEM=fast, FAIR_DEVICE_LIMIT=3))
        app.test_client_class = RequestInItsOwnContext
        fair = fair_of_today()
        gate = make_point(fair, "gate", area_id=make_area(fair, "场馆").id)
        _device, token = make_device(fair, [gate])
        codes = [make_scannable_ticket(fair)[1] for _ in range(5)]
        client = app.test_client()
        statuses = [client.post(REDEEM, json={"code": code, "point": "gate"},
                                headers={"Authorization": f"Bearer {token}"}).status_code for code in codes]
        empty_tables()
        return statuses

    assert burst(True) == burst(False) == [201, 201, 201, 429, 429]


def test_one_ticket_at_many_gates_at_once_through_the_fast_path(apps):
    """Eight devices scan one ticket at the same instant: one 201, seven 409, one admission, one inside."""
    app = apps["fast"]
    fair = fair_of_today()
    venue = make_area(fair, "场馆")
    gates = [make_point(fair, f"gate-{number}", area_id=venue.id) for number in range(8)]
    tokens = [make_device(fair, [gate])[1] for gate in gates]
    warm = [make_scannable_ticket(fair)[1] for _ in gates]
    _ticket, code = make_scannable_ticket(fair)
    client = app.test_client()
    for number, token in enumerate(tokens):            # each device known to this process: the fast path is open
        assert client.post(REDEEM, json={"code": warm[number], "point": f"gate-{number}"},
                           headers={"Authorization": f"Bearer {token}"}).status_code == 201
    before = app.extensions["fast_redeem"].answered
    barrier, statuses = threading.Barrier(len(tokens)), []

    def scan(number):
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=30)
            statuses.append(client.post(REDEEM, json={"code": code, "point": f"gate-{number}"},
                                        headers={"Authorization": f"Bearer {tokens[number]}"}).status_code)
            db.session.remove()

    threads = [threading.Thread(target=scan, args=(number,)) for number in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [409] * 7
    db.session.rollback()
    admitted = db.session.scalars(sa.select(Checkin).where(Checkin.raw_code == code, Checkin.reason == "ok")).all()
    assert len(admitted) == 1
    assert db.session.scalar(sa.select(sa.func.sum(Presence.people)).where(
        Presence.ticket_id == admitted[0].ticket_id)) == 1
    assert app.extensions["fast_redeem"].answered - before <= 1


def test_a_replaced_fair_key_is_followed_and_its_old_codes_never_pass(apps):
    """The fast path checks a code by signing it again with the key the app verifies with. When the fair's key
    changes under a running process (a database restored from another backup), the first new code goes to
    the app, which reads the new key; the fast path follows it from then on, and a code of the old key is
    refused both ways."""
    from fair.visitors.models import FairKey

    app = apps["fast"]
    fair = fair_of_today()
    gate = make_point(fair, "gate", area_id=make_area(fair, "场馆").id)
    _device, token = make_device(fair, [gate])
    old_codes = [make_scannable_ticket(fair)[1] for _ in range(3)]
    client = app.test_client()
    fast = app.extensions["fast_redeem"]

    def scan(code):
        before = fast.answered
        answer = client.post(REDEEM, json={"code": code, "point": "gate"}, headers={"Authorization": f"Bearer {token}"})
        return answer.status_code, answer.get_json()["reason"], fast.answered - before

    assert scan(old_codes[0]) == (201, "ok", 0)             # the device is new to this process
    assert scan(old_codes[1]) == (201, "ok", 1)
    db.session.execute(sa.delete(FairKey).where(FairKey.fair_id == fair.id))
    services.fair_key(fair)
    db.session.commit()
    new_codes = [make_scannable_ticket(fair)[1] for _ in range(2)]
    assert scan(new_codes[0]) == (201, "ok", 0)             # the app reads the new key
    assert scan(new_codes[1]) == (201, "ok", 1)             # and the fast path follows it
    status, reason, answered_here = scan(old_codes[2])
    assert (reason, answered_here) == ("invalid", 0) and status >= 400


def test_a_key_sealed_under_another_secret_leaves_every_scan_to_the_app(database_url, instance_path):
    """A process whose SECRET_KEY cannot unseal the fair's private key still admits (the app verifies with
    the public key, as devices do); the fast path stands aside instead of failing."""
    app = create_app(test_config(database_url, instance_path, SECRET_KEY="another-secret", FAIR_DEVICE_LIMIT=40))
    app.test_client_class = RequestInItsOwnContext
    fair = fair_of_today()
    gate = make_point(fair, "gate", area_id=make_area(fair, "场馆").id)
    _device, token = make_device(fair, [gate])
    codes = [make_scannable_ticket(fair)[1] for _ in range(3)]
    client, fast = app.test_client(), app.extensions["fast_redeem"]
    for code in codes:
        answer = client.post(REDEEM, json={"code": code, "point": "gate"}, headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.get_json()["reason"]) == (201, "ok")
    assert fast.answered == 0 and fast.signers[fair.id][1] is None
