"""The devices' JSON API: the redeem answers as specified, bearer tokens (revoked: 401), a device kept to
its points (403), offline sync, ticket search, the rate limit and the OpenAPI document."""
from datetime import datetime

import pytest
import sqlalchemy as sa
from openapi_schema_validator import OAS31Validator

from fair import create_app
from fair.extensions import db
from fair.visitors import checkins
from fair.visitors.models import Checkin, Device, PointKind, Policy
from fair.times import from_local
from tests.conftest import RequestInItsOwnContext, test_config
from tests.visitor_factories import make_area, make_device, make_point, make_scannable_ticket

REDEEM = "/api/v1/checkin/redeem"


@pytest.fixture(scope="module")
def api_app(database_url, instance_path):
    """The app with a low per-device rate limit, to see it refuse."""
    app = create_app(test_config(database_url, instance_path, FAIR_DEVICE_LIMIT=5))
    app.test_client_class = RequestInItsOwnContext
    return app


@pytest.fixture
def device_client(api_app):
    return api_app.test_client()


@pytest.fixture
def gate(fair):
    return make_point(fair, "east-gate", kind=PointKind.entry, policy=Policy.daily, offline_allowed=True)


@pytest.fixture
def token(fair, gate):
    return make_device(fair, [gate])[1]


def post(client, token, body, path=REDEEM):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def noon(day: int = 20) -> str:
    return from_local(datetime(2027, 5, day, 12), "Asia/Shanghai").isoformat()


def conforms(client, schema_name: str, body) -> None:
    document = client.get("/api/openapi.json").json
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    OAS31Validator(schema).validate(body)


def test_an_admission_is_201_and_a_repeat_409_with_the_first_time(device_client, fair, token):
    ticket, code = make_scannable_ticket(fair, name="李华")
    first = post(device_client, token, {"code": code, "point": "east-gate", "scanned_at": noon()})
    assert first.status_code == 201, first.json
    body = first.json
    assert (body["status"], body["reason"], body["people"]) == ("ok", "ok", 1)
    assert body["ticket"]["name"] == "李华" and body["ticket"]["kind"] == "public"
    conforms(device_client, "Answer", body)
    again = post(device_client, token, {"code": code, "point": "east-gate", "scanned_at": noon()})
    assert again.status_code == 409
    assert (again.json["status"], again.json["reason"]) == ("error", "already_redeemed")
    assert again.json["first_at"] == body["scanned_at"]


@pytest.mark.parametrize("code, reason", [("garbage", "invalid"), ("FT1:" + "A" * 140, "invalid")])
def test_a_refusal_is_400_with_its_reason_and_stored(device_client, fair, token, code, reason):
    response = post(device_client, token, {"code": code, "point": "east-gate"})
    assert response.status_code == 400
    assert (response.json["status"], response.json["reason"]) == ("error", reason)
    assert response.json["message"]
    row = db.session.scalar(sa.select(Checkin))
    assert (row.reason, row.raw_code, row.device_id) == (reason, code, db.session.scalar(sa.select(Device.id)))


def test_a_retried_nonce_gets_the_same_answer_and_no_second_row(device_client, fair, token):
    _ticket, code = make_scannable_ticket(fair)
    body = {"code": code, "point": "east-gate", "nonce": "8c1f0e4a-retry", "scanned_at": noon()}
    first, again = post(device_client, token, body), post(device_client, token, body)
    assert first.status_code == again.status_code == 201
    assert again.json["replayed"] and again.json["checkin_id"] == first.json["checkin_id"]
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 1


def test_no_token_or_a_revoked_token_is_401(device_client, fair, gate, token):
    assert device_client.post(REDEEM, json={"code": "x", "point": "east-gate"}).status_code == 401
    assert post(device_client, "fdt_not-a-token", {"code": "x", "point": "east-gate"}).status_code == 401
    device = db.session.scalar(sa.select(Device))
    checkins.revoke_device(device, actor=None)
    response = post(device_client, token, {"code": "x", "point": "east-gate"})
    assert response.status_code == 401
    assert (response.json["status"], response.json["reason"]) == ("error", "unauthorized")
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 0


def test_a_device_is_kept_to_its_points(device_client, fair, token):
    make_point(fair, "salon", kind=PointKind.salon)
    _ticket, code = make_scannable_ticket(fair)
    response = post(device_client, token, {"code": code, "point": "salon"})
    assert response.status_code == 403 and response.json["reason"] == "forbidden"
    assert post(device_client, token, {"code": code, "point": "nowhere"}).json["reason"] == "unknown_point"
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 0


def test_a_device_of_another_fair_cannot_scan_here(device_client, fair, gate, organizer):
    from tests.factories import make_fair

    other = make_fair(organizer)
    other_gate = make_point(other, "east-gate", kind=PointKind.entry)
    _device, other_token = make_device(other, [other_gate])
    _ticket, code = make_scannable_ticket(fair)
    response = post(device_client, other_token, {"code": code, "point": "east-gate", "scanned_at": noon()})
    assert response.status_code == 400 and response.json["reason"] == "wrong_fair"


def test_a_malformed_body_is_422_in_the_same_shape(device_client, token):
    response = post(device_client, token, {"point": "east-gate"})
    assert response.status_code == 422
    assert response.json["status"] == "error" and "code" in response.json["errors"]["json"]


def test_offline_batch_sync(device_client, fair, token):
    _first, first_code = make_scannable_ticket(fair)
    _second, second_code = make_scannable_ticket(fair)
    scans = [{"code": first_code, "point": "east-gate", "nonce": "n-1", "scanned_at": noon()},
             {"code": first_code, "point": "east-gate", "nonce": "n-2", "scanned_at": noon(21)},
             {"code": second_code, "point": "east-gate", "nonce": "n-3", "scanned_at": noon()},
             {"code": "broken", "point": "east-gate", "nonce": "n-4", "scanned_at": noon()}]
    response = post(device_client, token, {"scans": scans}, "/api/v1/checkin/sync")
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [(result["nonce"], result["reason"]) for result in results] == [
        ("n-1", "ok"), ("n-2", "ok"), ("n-3", "ok"), ("n-4", "invalid")]
    conforms(device_client, "SyncAnswer", response.json)
    replay = post(device_client, token, {"scans": scans}, "/api/v1/checkin/sync").json["results"]
    assert all(result["replayed"] for result in replay)
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 4
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id)).where(Checkin.offline)) == 4


def test_search_a_ticket_by_name_or_phone(device_client, fair, token):
    make_scannable_ticket(fair, name="王小明", phone="13812345678")
    make_scannable_ticket(fair, name="王芳", phone="13900001111")
    by_name = device_client.get("/api/v1/checkin/tickets?q=小明", headers={"Authorization": f"Bearer {token}"})
    assert by_name.status_code == 200
    [item] = by_name.json["items"]
    assert item["phone"] == "138****5678" and item["qr"].startswith("FT1:")
    by_tail = device_client.get("/api/v1/checkin/tickets?q=1111", headers={"Authorization": f"Bearer {token}"})
    assert [item["name"] for item in by_tail.json["items"]] == ["王芳"]
    redeemed = post(device_client, token, {"code": item["qr"], "point": "east-gate", "scanned_at": noon()})
    assert redeemed.status_code == 201


def test_each_device_has_its_own_rate_limit(device_client, fair, gate, token):
    _other_device, other_token = make_device(fair, [gate])
    answers = [post(device_client, token, {"code": "x", "point": "east-gate"}).status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]
    assert post(device_client, token, {"code": "x", "point": "east-gate"}).json["reason"] == "rate_limited"
    assert post(device_client, other_token, {"code": "x", "point": "east-gate"}).status_code == 400


def test_the_openapi_document_has_the_check_in_paths(device_client):
    from openapi_spec_validator import validate

    document = device_client.get("/api/openapi.json").json
    validate(document)
    redeem = document["paths"]["/api/v1/checkin/redeem"]["post"]
    assert redeem["operationId"] == "redeemCheckin"
    assert {"201", "400", "401", "403", "409", "422"} <= set(redeem["responses"])
    assert document["paths"]["/api/v1/checkin/sync"]["post"]["operationId"] == "syncCheckins"
    assert document["paths"]["/api/v1/checkin/tickets"]["get"]["operationId"] == "searchTickets"


def test_device_token_command(api_app, fair, gate):
    from fair.visitors.checkin_cli import device_token_command

    result = api_app.test_cli_runner().invoke(device_token_command, ["--fair", fair.slug, "--point", "east-gate"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert checkins.device_for_token(token).point_ids == [gate.id]
    refused = api_app.test_cli_runner().invoke(device_token_command, ["--fair", fair.slug, "--point", "nope"])
    assert refused.exit_code != 0 and "nope" in refused.output


def test_a_device_at_the_entry_and_the_exit_of_one_area(device_client, fair):
    """Both points lead into the same area: the device's cached points share it (it once broke every scan)."""
    hall = make_area(fair, "展馆")
    entry = make_point(fair, "hall-in", kind=PointKind.entry, policy=Policy.daily, area_id=hall.id)
    leave = make_point(fair, "hall-out", kind=PointKind.exit, policy=Policy.unlimited, area_id=hall.id)
    _device, token = make_device(fair, [entry, leave])
    _ticket, code = make_scannable_ticket(fair)
    assert post(device_client, token, {"code": code, "point": "hall-in", "scanned_at": noon()}).status_code == 201
    assert post(device_client, token, {"code": code, "point": "hall-out", "scanned_at": noon()}).status_code == 201
