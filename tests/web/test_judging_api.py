"""The tablet's JSON API: the judge's list, one scorecard, saving (replays once, conflicts with the stored
values, refusals with their code and status), and its place in the OpenAPI document."""
import uuid

import pytest
import sqlalchemy as sa
from openapi_schema_validator import OAS31Validator

from fair.auth.models import Role
from fair.extensions import db
from fair.times import utcnow
from judging.models import ScoreEvent
from judging.queries import setup_of
from tests.conftest import log_in
from tests.factories import make_judge, make_judge_assignment, make_judging, make_shortlisted


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json


def conforms(document: dict, schema_name: str, body) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    OAS31Validator(schema).validate(body)


@pytest.fixture
def criteria(fair):
    return make_judging(fair)[1]


@pytest.fixture
def judge(fair):
    return make_judge(fair)


@pytest.fixture
def assignments(fair, criteria, judge):
    return [make_judge_assignment(judge, project, walk_order=order)
            for project, order in zip(make_shortlisted(fair, 2), (2, 1))]


@pytest.fixture
def api(app, judge):
    return log_in(app.test_client(), judge.user)


def put(client, assignment, points: dict, **body):
    payload = {"points": {str(criterion.id): value for criterion, value in points.items()},
               "client_op": str(uuid.uuid4()), "base_version": 0} | body
    return client.put(f"/api/v1/judging/assignments/{assignment.id}/scores", json=payload)


def event_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(ScoreEvent.id)))


def test_the_judges_list_in_walking_order(fair, api, assignments, document):
    body = api.get(f"/api/v1/fairs/{fair.slug}/judging/assignments").json
    conforms(document, "Walk", body)
    assert [item["id"] for item in body["items"]] == [assignments[1].id, assignments[0].id]
    assert (body["done"], body["total"]) == (0, 2) and body["items"][0]["status"] == "to_score"


def test_read_save_and_read_again(api, assignments, criteria, document):
    url = f"/api/v1/judging/assignments/{assignments[0].id}"
    before = api.get(url).json
    conforms(document, "Scorecard", before)
    assert before["version"] == 0 and before["editable"] and len(before["criteria"]) == 5
    response = put(api, assignments[0], {criteria[0]: 7}, comment="讲解清楚")
    assert response.status_code == 200, response.json
    conforms(document, "Saved", response.json)
    assert response.json["version"] == 1 and response.json["points"] == {str(criteria[0].id): 7}
    assert api.get(url).json["comment"] == "讲解清楚"


def test_a_replay_answers_as_before_and_writes_once(api, assignments, criteria):
    same = str(uuid.uuid4())
    first = put(api, assignments[0], {criteria[0]: 7}, client_op=same)
    again = put(api, assignments[0], {criteria[0]: 7}, client_op=same)
    assert first.status_code == again.status_code == 200
    assert again.json["replayed"] and again.json["version"] == first.json["version"] == 1
    assert event_count() == 1


def test_a_stale_save_gets_409_with_the_stored_values(api, assignments, criteria, document):
    put(api, assignments[0], {criteria[0]: 7})
    put(api, assignments[0], {criteria[0]: 8}, base_version=1)
    response = put(api, assignments[0], {criteria[0]: 3}, base_version=1)
    assert response.status_code == 409 and response.json["code"] == "conflict"
    conforms(document, "Conflict", response.json)
    assert response.json["current"]["points"] == {str(criteria[0].id): 8} and response.json["current"]["version"] == 2


@pytest.mark.parametrize("points, code", [(11, "out_of_range"), (-2, "out_of_range")])
def test_values_the_rubric_does_not_allow_get_400(api, assignments, criteria, points, code):
    response = put(api, assignments[0], {criteria[1]: points})
    assert response.status_code == 400 and response.json["code"] == code
    assert response.json["field"] == f"c{criteria[1].id}" and response.json["message"]
    unknown = api.put(f"/api/v1/judging/assignments/{assignments[0].id}/scores",
                      json={"points": {"999999": 5}, "client_op": str(uuid.uuid4()), "base_version": 0})
    assert unknown.status_code == 400 and unknown.json["code"] == "unknown_criterion"
    incomplete = put(api, assignments[0], {criteria[1]: 5}, submit=True)
    assert incomplete.status_code == 400 and incomplete.json["code"] == "incomplete"
    assert event_count() == 0


@pytest.mark.parametrize("body", [{"points": {"x": 5}}, {"points": {"1": 7.5}}, {"points": {"1": "7"}},
                                  {"client_op": "short"}, {"base_version": -1}, {"client_op": None}])
def test_malformed_bodies_get_422(api, assignments, body):
    payload = {"points": {}, "client_op": str(uuid.uuid4()), "base_version": 0} | body
    response = api.put(f"/api/v1/judging/assignments/{assignments[0].id}/scores", json=payload)
    assert response.status_code == 422 and response.json["code"] == "422"


def test_another_judges_assignment_is_403_and_a_missing_one_404(fair, app, assignments, criteria):
    other = log_in(app.test_client(), make_judge(fair).user)
    response = put(other, assignments[0], {criteria[0]: 5})
    assert response.status_code == 403 and response.json["code"] == "403"
    assert other.get(f"/api/v1/judging/assignments/{assignments[0].id}").status_code == 403
    assert other.get("/api/v1/judging/assignments/999999").status_code == 404
    assert event_count() == 0


def test_after_the_lock_a_save_is_423(fair, api, assignments, criteria):
    setup_of(fair).locked_at = utcnow()
    db.session.commit()
    response = put(api, assignments[0], {criteria[0]: 5})
    assert response.status_code == 423 and response.json["code"] == "locked"
    assert api.get(f"/api/v1/judging/assignments/{assignments[0].id}").json["editable"] is False


def test_anonymous_and_other_roles(client, client_as, fair, assignments):
    assert client.get(f"/api/v1/fairs/{fair.slug}/judging/assignments").status_code == 401
    assert client.put(f"/api/v1/judging/assignments/{assignments[0].id}/scores", json={}).status_code == 401
    assert client_as(Role.exhibitor).get(f"/api/v1/fairs/{fair.slug}/judging/assignments").status_code == 403


def test_the_operations_are_in_the_document(document):
    operations = {operation["operationId"]: (method, path) for path, item in document["paths"].items()
                  for method, operation in item.items() if method in ("get", "put")}
    assert operations["listJudgeAssignments"] == ("get", "/api/v1/fairs/{slug}/judging/assignments")
    assert operations["getScorecard"] == ("get", "/api/v1/judging/assignments/{assignment_id}")
    assert operations["saveScores"] == ("put", "/api/v1/judging/assignments/{assignment_id}/scores")
    saving = document["paths"]["/api/v1/judging/assignments/{assignment_id}/scores"]["put"]
    assert set(saving["responses"]) >= {"200", "400", "401", "403", "404", "409", "422", "423"}
