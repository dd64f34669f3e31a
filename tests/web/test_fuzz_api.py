"""Schemathesis against /api/openapi.json through the WSGI app: every operation, with valid and invalid
input, as the caller it is for (a device bearer token for the check-in API, the session of the judge
who holds the assignment, of the organizer, or nobody for the public catalog and numbers). No answer is
a server error, and each answer matches the document (status, content type, body schema).

Path parameters are this world's ids in one pass (so input reaches the operation) and generated in the
other (huge ids, odd slugs). The world is tests/web/test_access_matrix.py's `build_fair`."""
import pytest
import schemathesis
from hypothesis import given
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from fair.extensions import limiter
from tests.fuzz_support import ASSIGNED_JUDGE, ORGANIZER, fuzz_settings, make_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CALLER = {"checkin_api": "device", "judging_api": ASSIGNED_JUDGE, "applications_api": ORGANIZER}


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def caller_of(operation) -> str | None:
    tags = operation.definition.raw.get("tags") or [""]
    return CALLER.get(tags[0])


def real_path_parameters(operation, world) -> dict:
    ids = world.world.ids
    values = {"slug": world.fair.slug, "application_id": ids["application_id"],
              "assignment_id": ids["judge_assignment_id"]}
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: value for name, value in values.items() if name in names}


def call(world, case, caller):
    """Send `case` as `caller`: the device's bearer token, or a logged-in client's session cookie."""
    limiter.reset()
    if caller == "device":
        return case.call(headers={"Authorization": f"Bearer {world.world.device_token}"})
    if caller is None:
        return case.call()
    session = world.client(caller).get_cookie("session")
    return case.call(headers={"Cookie": f"session={session.value}"})


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("real_ids", [True, False], ids=["real-ids", "generated-ids"])
def test_api_conforms_under_fuzzing(app, organizer, api_schema, mode, real_ids):
    world = make_world(app, organizer)
    failures = []
    for operation in operations(api_schema):
        caller = caller_of(operation)
        path_parameters = real_path_parameters(operation, world) if real_ids else None
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @fuzz_settings(8)
        @given(strategy)
        def fuzz(case):
            response = call(world, case, caller)
            case.validate_response(response, checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:                 # invalid mode with every parameter fixed: nothing left to break
            continue
        except Exception as failure:          # every operation is tried; all failures reported together
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)


# --- what the fuzzing found (fixed since), kept as regression tests -----------------------------------

REDEEM = "/api/v1/checkin/redeem"


def test_refused_redeem_matches_the_document(app, organizer, api_schema):
    world = make_world(app, organizer)
    case = api_schema[REDEEM]["POST"].Case(body={"code": "ends_at", "point": "ends_at"}, media_type="application/json")
    response = call(world, case, "device")
    assert response.status_code == 404
    case.validate_response(response, checks=[response_schema_conformance])


def test_malformed_redeem_matches_the_document(app, organizer, api_schema):
    world = make_world(app, organizer)
    case = api_schema[REDEEM]["POST"].Case(body={}, media_type="application/json")
    response = call(world, case, "device")
    assert response.status_code == 422
    case.validate_response(response, checks=[response_schema_conformance])


def test_sync_with_a_broken_body_matches_the_document(app, organizer, api_schema):
    world = make_world(app, organizer)
    response = app.test_client().post("/api/v1/checkin/sync", data=b"\x00", content_type="application/json",
                                      headers={"Authorization": f"Bearer {world.world.device_token}"})
    assert response.status_code == 400
    case = api_schema["/api/v1/checkin/sync"]["POST"].Case(media_type="application/json")
    case.validate_response(response, checks=[response_schema_conformance])


def test_ticket_search_without_a_query_matches_the_document(app, organizer, api_schema):
    world = make_world(app, organizer)
    case = api_schema["/api/v1/checkin/tickets"]["GET"].Case(query={})
    response = call(world, case, "device")
    assert response.status_code == 422
    case.validate_response(response, checks=[response_schema_conformance])
