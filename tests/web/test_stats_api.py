"""The figures API: listFairs and getFairStats, who reads them in which phase, exact figures on known data
and their schema in the OpenAPI document."""
import pytest
from openapi_schema_validator import OAS31Validator

from fair.auth.models import Role
from fair.console import stats
from fair.fairs.models import Phase
from tests.conftest import log_in, queries_for
from tests.factories import make_fair, make_member, make_user
from tests.visitor_factories import visiting_fair
from tests.web.test_dashboard import KNOWN, known, publish_results  # noqa: F401  the fixture

LIST = "/api/v1/fairs"


def stats_url(fair) -> str:
    return f"/api/v1/fairs/{fair.slug}/stats"


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json


def conforms(document: dict, schema_name: str, body) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    OAS31Validator(schema).validate(body)


def slugs(response) -> list[str]:
    assert response.status_code == 200
    return [item["slug"] for item in response.json["items"]]


def test_the_figures_of_a_live_fair_for_anyone(client, known, document):
    visiting_fair(known.fair, Phase.live)
    response = client.get(stats_url(known.fair))
    assert response.status_code == 200
    body = response.json
    conforms(document, "FairStats", body)
    assert {name: body[name] for name in stats.FIGURES} == KNOWN
    assert (body["slug"], body["phase"]) == (known.fair.slug, "live") and body["as_of"]


def test_awards_by_tier_is_an_object_of_published_awards(client, known, document):
    visiting_fair(known.fair, Phase.closed)
    assert client.get(stats_url(known.fair)).json["awards_by_tier"] == {}
    publish_results(known)
    body = client.get(stats_url(known.fair)).json
    conforms(document, "FairStats", body)
    assert body["awards_by_tier"] == {"特别荣誉奖": 1, "金奖": 1, "银奖": 0, "铜奖": 0}


@pytest.mark.parametrize("phase", [Phase.draft, Phase.applications_open, Phase.screening, Phase.preparation])
def test_before_it_is_live_a_fair_is_not_found_but_by_its_organizers(client, client_as, known, phase):
    visiting_fair(known.fair, phase)
    assert client.get(stats_url(known.fair)).status_code == 404
    refused = client_as(Role.exhibitor).get(stats_url(known.fair))
    assert refused.status_code == 404 and refused.json["code"] == "404" and refused.json["message"]
    body = client_as(Role.organizer).get(stats_url(known.fair)).json
    assert body["phase"] == phase.value and body["applications"] == KNOWN["applications"]


def test_an_organizer_of_another_fair_does_not_see_one_before_it_is_live(app, fair):
    other = make_fair(make_user(is_admin=True))
    stranger = log_in(app.test_client(), make_member(other, Role.organizer))
    assert stranger.get(stats_url(fair)).status_code == 404
    assert stranger.get(stats_url(other)).status_code == 200
    assert slugs(stranger.get(LIST)) == [other.slug]


def test_an_unknown_fair_is_404(client):
    assert client.get("/api/v1/fairs/no-such-fair/stats").status_code == 404


def test_the_list_shows_public_fairs_to_all_and_an_organizers_own_in_every_phase(client, client_as, fair, document):
    someone = make_user(is_admin=True)
    for slug, phase in (("live-fair", Phase.live), ("closed-fair", Phase.closed), ("preparing-fair", Phase.preparation)):
        visiting_fair(make_fair(someone, slug=slug), phase)
    response = client.get(LIST)
    conforms(document, "FairList", response.json)
    assert sorted(slugs(response)) == ["closed-fair", "live-fair"]
    assert {item["phase"] for item in response.json["items"]} == {"live", "closed"}
    assert sorted(slugs(client_as(Role.exhibitor).get(LIST))) == ["closed-fair", "live-fair"]
    # `fair`'s organizer sees it in its draft phase, and not the other organizer's fair in preparation
    assert sorted(slugs(client_as(Role.organizer).get(LIST))) == sorted([fair.slug, "closed-fair", "live-fair"])


def test_the_list_has_the_fields_it_documents(client, organizer):
    visiting_fair(make_fair(organizer, slug="live-fair", name="第九届展示交流会"), Phase.live)
    [item] = client.get(LIST).json["items"]
    assert item == {"slug": "live-fair", "name": "第九届展示交流会", "phase": "live", "starts_on": "2027-05-20",
                    "ends_on": "2027-05-22"}


def test_the_openapi_document_has_both_operations_and_every_figure(client, document):
    from openapi_spec_validator import validate
    validate(document)
    operations = {operation["operationId"]: (path, method)
                  for path, methods in document["paths"].items() for method, operation in methods.items()
                  if method != "parameters"}
    assert operations["listFairs"] == ("/api/v1/fairs", "get")
    assert operations["getFairStats"] == ("/api/v1/fairs/{slug}/stats", "get")
    schema = document["components"]["schemas"]["FairStats"]
    assert set(stats.FIGURES) <= set(schema["required"])
    assert schema["properties"]["awards_by_tier"]["type"] == "object"
    assert schema["properties"]["amount_signed_fen"]["type"] == "integer"
    assert "fen" in schema["properties"]["amount_signed_fen"]["description"]


def test_the_api_costs_the_same_queries_for_an_empty_and_a_full_fair(client, known, organizer):
    empty = visiting_fair(make_fair(organizer), Phase.live)
    visiting_fair(known.fair, Phase.live)
    assert queries_for(client, stats_url(known.fair)) == queries_for(client, stats_url(empty))
