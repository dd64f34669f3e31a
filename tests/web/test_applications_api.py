"""The JSON API of applications: who may call it, the same filters as the page, and its schema."""
import pytest
from openapi_schema_validator import OAS31Validator

from fair.applications.models import Decision
from fair.auth.models import Role
from fair.extensions import db
from tests.conftest import queries_for
from tests.factories import make_application, make_applications, make_fair, make_organisation


def url(fair, suffix: str = "") -> str:
    return f"/api/v1/fairs/{fair.slug}/applications{suffix}"


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json


def conforms(document: dict, schema_name: str, body) -> None:
    """Check a response body against a schema of the OpenAPI document (refs resolved within it)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    OAS31Validator(schema).validate(body)


def test_anonymous_gets_401_json(client, fair):
    response = client.get(url(fair))
    assert response.status_code == 401 and response.json["code"] == "401" and response.json["message"]


@pytest.mark.parametrize("role", [Role.reviewer, Role.exhibitor])
def test_others_get_403_json(client_as, fair, role):
    make_application(fair)
    response = client_as(role).get(url(fair))
    assert response.status_code == 403 and response.json["code"] == "403"
    assert client_as(role, email=f"{role.value}-2@example.cn").get(url(fair, "/1")).status_code == 403


def test_an_organizer_of_another_fair_gets_403(client_as, fair):
    other = make_fair(slug="other-fair")
    application = make_application(other)
    response = client_as(Role.organizer).get(url(other, f"/{application.id}"))
    assert response.status_code == 403


def test_list_with_the_same_filters_as_the_page(organizer_client, fair, document):
    make_application(fair, title="银龄食堂", funding_need_fen=12_000_050, city="南京市")
    make_application(fair, title="社区助老课堂", city="苏州市", submit=False)
    make_application(fair, title="河道守护", summary="巡河。", city="苏州市", category=fair.categories[3])
    response = organizer_client.get(url(fair), query_string={"q": "社区", "sort": "title"})
    assert response.status_code == 200
    body = response.json
    conforms(document, "ApplicationPage", body)
    # 银龄食堂's summary (the factory's) mentions 社区; 河道守护's does not
    assert [item["title"] for item in body["items"]] == ["社区助老课堂", "银龄食堂"]
    assert body["total"] == 2 and body["counts"] == {"draft": 1, "submitted": 1, "reopened": 0, "withdrawn": 0}
    first = body["items"][1]
    assert first["funding_need_fen"] == 12_000_050
    assert first["submitted_at"] == "2027-01-11T01:00:00+00:00" and first["status"] == "submitted"
    assert first["category"]["name"] == "助老" and first["organisation"]["kind"] == "volunteer"
    only = organizer_client.get(url(fair), query_string={"city": "苏州市", "status": "submitted"}).json
    assert [item["title"] for item in only["items"]] == ["河道守护"]


def test_pages(organizer_client, fair):
    make_applications(fair, 7)
    body = organizer_client.get(url(fair), query_string={"per_page": 3, "page": 3}).json
    assert (body["page"], body["per_page"], body["total"], body["pages"], len(body["items"])) == (3, 3, 7, 3, 1)


@pytest.mark.parametrize("args", [{"status": "nope"}, {"per_page": 1000}, {"page": 0}, {"sort": "id"},
                                  {"category": "x"}])
def test_bad_parameters_get_422_json(organizer_client, fair, args):
    response = organizer_client.get(url(fair), query_string=args)
    assert response.status_code == 422 and response.json["code"] == "422"
    assert response.json["message"] == "请求的参数无效，请检查后重试。"


def test_one_application_in_full(organizer_client, fair, document):
    application = make_application(fair, make_organisation(name="夕阳红志愿服务队"), title="银龄食堂",
                                   beneficiaries=1200, funding_need_fen=12_000_000)
    application.decision = Decision.waitlisted
    db.session.commit()
    body = organizer_client.get(url(fair, f"/{application.id}")).json
    conforms(document, "Application", body)
    assert body["id"] == application.id and body["organisation"]["name"] == "夕阳红志愿服务队"
    assert body["beneficiaries"] == 1200 and body["funding_need_fen"] == 12_000_000
    assert body["decision"] == "waitlisted" and body["support_wanted"] == [] and body["booth_size"] == "standard"
    assert body["created_at"].endswith("+00:00")


def test_an_application_of_another_fair_is_404(organizer_client, fair, organizer):
    other = make_fair(organizer, slug="other-fair")
    application = make_application(other)
    response = organizer_client.get(url(fair, f"/{application.id}"))
    assert response.status_code == 404 and response.json["code"] == "404"
    assert organizer_client.get(url(fair, "/999999")).status_code == 404
    assert organizer_client.get("/api/v1/fairs/no-such-fair/applications").status_code == 404


def test_both_operations_are_in_the_document(document):
    operations = {operation["operationId"]: path for path, item in document["paths"].items()
                  for method, operation in item.items() if method == "get"}
    assert operations["listApplications"] == "/api/v1/fairs/{slug}/applications"
    assert operations["getApplication"] == "/api/v1/fairs/{slug}/applications/{application_id}"
    listing = document["paths"]["/api/v1/fairs/{slug}/applications"]["get"]
    assert {parameter["name"] for parameter in listing["parameters"]} >= {
        "q", "category", "city", "status", "kind", "decision", "sort", "order", "page", "per_page"}
    assert set(listing["responses"]) >= {"200", "401", "403", "404", "422"}


def test_list_queries_do_not_grow(organizer_client, fair):
    make_applications(fair, 5)
    few = queries_for(organizer_client, url(fair))
    make_applications(fair, 200)
    assert queries_for(organizer_client, url(fair)) == few
