"""The catalog's JSON API: who may call it (public once the plan is, else members), the page's filters
with money in fen, no contact data, awards only once published, its schema in the OpenAPI document."""
import json

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from fair.applications.models import AttachmentKind, Decision, Support
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Phase
from sponsorship.models import AgreementStatus
from tests.conftest import log_in, queries_for
from tests.factories import make_fair, make_judging, make_organisation, make_plan
from tests.sponsor_factories import make_agreement, make_project, make_representative, make_sponsor
from tests.web.test_catalog import add_photo, exhibition, give_award, in_phase, publish


def url(fair, suffix: str = "") -> str:
    return f"/api/v1/fairs/{fair.slug}/catalog{suffix}"


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json


def conforms(document: dict, schema_name: str, body) -> None:
    """Check a response body against a schema of the OpenAPI document (refs resolved within it)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    OAS31Validator(schema).validate(body)


@pytest.fixture
def sponsor(fair):
    return make_sponsor(fair)


@pytest.fixture
def api(app, sponsor):
    return log_in(app.test_client(), make_representative(sponsor))


def titles(body) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_before_the_plan_is_public_only_members_may_call_it(client, client_as, fair):
    project = make_project(fair)
    reviewer, stranger = client_as(Role.reviewer), client_as(None)
    members = [client_as(role) for role in (Role.sponsor, Role.organizer, Role.exhibitor, Role.judge)]
    for path in (url(fair), url(fair, f"/{project.id}")):
        anonymous = client.get(path)
        assert anonymous.status_code == 401 and anonymous.json["code"] == "401" and anonymous.json["message"]
        refused = reviewer.get(path)
        assert refused.status_code == 403 and refused.json["code"] == "403"
        assert stranger.get(path).status_code == 403
        assert [member.get(path).status_code for member in members] == [200] * 4
    assert client.get("/api/v1/fairs/no-such-fair/catalog").status_code == 404


def test_public_once_the_plan_is_and_never_with_contact_data(client, fair, document):
    organisation = make_organisation(name="夕阳红志愿服务队", contact_name="王晓燕", contact_phone="13912345678")
    project = make_project(fair, organisation=organisation, title="银龄食堂")
    in_phase(fair, Phase.preparation)
    listing = client.get(url(fair))
    detail = client.get(url(fair, f"/{project.id}"))
    assert listing.status_code == 200 and detail.status_code == 200
    conforms(document, "CatalogPage", listing.json)
    conforms(document, "CatalogProject", detail.json)
    for body in (listing.json, detail.json):
        text = json.dumps(body, ensure_ascii=False)
        assert "夕阳红志愿服务队" in text
        assert "13912345678" not in text and "王晓燕" not in text and "contact" not in text


def test_the_page_filters_with_money_in_fen(api, fair, sponsor, document):
    elderly, green = fair.categories[0], fair.categories[3]
    meals = make_project(fair, title="银龄食堂", category=elderly, city="南京市", funding_need_fen=12_000_050,
                         support_wanted=[Support.funds, Support.volunteers], service_targets="独居老人")
    river = make_project(fair, title="河道守护", category=green, city="无锡市", funding_need_fen=800_000,
                         summary="巡河。", support_wanted=[Support.goods])
    make_project(fair, title="四点半课堂", category=fair.categories[2], city="南京市", funding_need_fen=30_000_000,
                 summary="课后辅导。", support_wanted=[Support.volunteers])
    make_agreement(sponsor, river)
    make_agreement(sponsor, meals, status=AgreementStatus.sponsor_signed)
    cases = [({"city": "南京市"}, ["四点半课堂", "银龄食堂"]),
             ({"category": green.id}, ["河道守护"]),
             ({"funding_need_min_fen": 12_000_050}, ["四点半课堂", "银龄食堂"]),
             ({"funding_need_min_fen": 12_000_051, "funding_need_max_fen": 30_000_000}, ["四点半课堂"]),
             ({"funding_need_max_fen": 12_000_049}, ["河道守护"]),
             ({"funded": "true"}, ["河道守护"]),
             ({"funded": "false"}, ["四点半课堂", "银龄食堂"]),
             ({"support": "volunteers"}, ["四点半课堂", "银龄食堂"]),
             ({"q": "独居 老人"}, ["银龄食堂"]),
             ({"sort": "need_desc"}, ["四点半课堂", "银龄食堂", "河道守护"]),
             ({"sort": "need_asc", "city": "南京市"}, ["银龄食堂", "四点半课堂"])]
    for args, expected in cases:
        response = api.get(url(fair), query_string=args)
        assert response.status_code == 200, (args, response.json)
        assert titles(response.json) == expected, args
    body = api.get(url(fair), query_string={"city": "无锡市"}).json
    conforms(document, "CatalogPage", body)
    [item] = body["items"]
    assert item["funding_need_fen"] == 800_000 and item["funded"] is True and item["support_wanted"] == ["goods"]
    assert item["category"] == {"id": green.id, "name": "环保", "name_en": "Environment"}
    assert item["organisation"]["kind"] == "volunteer" and item["award"] is None and item["booth"] is None


def test_pages(api, fair):
    for number in range(7):
        make_project(fair, title=f"项目{number}")
    body = api.get(url(fair), query_string={"per_page": 3, "page": 3}).json
    assert (body["page"], body["per_page"], body["total"], body["pages"], titles(body)) == (3, 3, 7, 3, ["项目6"])
    assert api.get(url(fair)).json["per_page"] == 24


@pytest.mark.parametrize("args", [{"category": "x"}, {"funded": "maybe"}, {"sort": "id"}, {"per_page": 1000},
                                  {"page": 0}, {"support": "cash"}, {"funding_need_min_fen": -1},
                                  {"funding_need_max_fen": "1e3"}, {"funding_need_min_fen": 10 ** 20}])
def test_malformed_parameters_get_422_json(api, fair, args):
    response = api.get(url(fair), query_string=args)
    assert response.status_code == 422 and response.json["code"] == "422"


@pytest.mark.parametrize("args, message", [
    ({"category": 999999}, "本届展会没有这个服务领域"),
    ({"tier": 5}, "没有这个已公布的奖项等级"),
    ({"funding_need_min_fen": 500, "funding_need_max_fen": 100}, "最低金额高于最高金额")])
def test_filters_that_cannot_apply_get_422_with_the_reason(api, fair, args, message):
    response = api.get(url(fair), query_string=args)
    assert response.status_code == 422 and message in response.json["message"]


def test_awards_only_once_published(api, fair):
    project = make_project(fair, title="银龄食堂")
    make_project(fair, title="河道守护")
    setup, _criteria, tiers = make_judging(fair)
    give_award(fair, project, tiers[1])
    assert all(item["award"] is None for item in api.get(url(fair)).json["items"])
    assert api.get(url(fair, f"/{project.id}")).json["award"] is None
    assert api.get(url(fair), query_string={"tier": tiers[1].id}).status_code == 422
    publish(setup)
    award = {"tier_id": tiers[1].id, "name": "金奖", "name_en": "Gold", "position": 1}
    assert api.get(url(fair)).json["items"][0]["award"] == award          # recommended: awarded first
    assert api.get(url(fair, f"/{project.id}")).json["award"] == award
    assert titles(api.get(url(fair), query_string={"tier": tiers[1].id}).json) == ["银龄食堂"]


def test_one_project_in_full(api, fair, sponsor, organizer, document):
    project = make_project(fair, title="银龄食堂", summary="为独居老人提供助餐。", service_targets="高龄独居老人",
                           beneficiaries=1200, volunteers=85, years_running=6, past_outcomes="累计送餐3万份。",
                           funding_need_fen=12_000_000, support_wanted=[Support.funds])
    hall, zones, booths = make_plan(fair, actor=organizer)
    booths[2].application_id = project.id
    db.session.commit()
    photo = add_photo(project)
    add_photo(project, kind=AttachmentKind.document)
    make_agreement(sponsor, project)
    make_agreement(sponsor, project, status=AgreementStatus.cancelled)
    body = api.get(url(fair, f"/{project.id}")).json
    conforms(document, "CatalogProject", body)
    assert (body["summary"], body["service_targets"], body["past_outcomes"]) == (
        "为独居老人提供助餐。", "高龄独居老人", "累计送餐3万份。")
    assert (body["beneficiaries"], body["volunteers"], body["years_running"]) == (1200, 85, 6)
    assert body["funding_need_fen"] == 12_000_000 and body["support_wanted"] == ["funds"]
    assert (body["booth"], body["hall"], body["zone"]) == (booths[2].code, "一号馆", zones[0].name)
    assert body["signed_agreements"] == 1 and body["funded"] is True
    photo_url = f"/fairs/{fair.slug}/sponsorship/projects/{project.id}/photos/{photo.id}"
    assert body["photos"] == [{"id": photo.id, "url": photo_url}]
    assert body["page_url"] == f"/fairs/{fair.slug}/sponsorship/projects/{project.id}"
    assert api.get(photo_url).status_code == 200


def test_another_fairs_or_an_unexhibited_project_is_404(api, fair):
    other = make_project(make_fair(slug="other-fair"))
    waitlisted = make_project(fair)
    waitlisted.decision = Decision.waitlisted
    db.session.commit()
    for application_id in (other.id, waitlisted.id, 999999):
        response = api.get(url(fair, f"/{application_id}"))
        assert response.status_code == 404 and response.json["code"] == "404"


def test_both_operations_are_in_the_valid_document(document):
    validate(document)
    operations = {operation["operationId"]: path for path, item in document["paths"].items()
                  for method, operation in item.items() if method == "get"}
    assert operations["listCatalogProjects"] == "/api/v1/fairs/{slug}/catalog"
    assert operations["getCatalogProject"] == "/api/v1/fairs/{slug}/catalog/{application_id}"
    listing = document["paths"]["/api/v1/fairs/{slug}/catalog"]["get"]
    assert {parameter["name"] for parameter in listing["parameters"]} >= {
        "q", "category", "city", "funding_need_min_fen", "funding_need_max_fen", "tier", "funded", "support",
        "sort", "page", "per_page"}
    assert set(listing["responses"]) >= {"200", "401", "403", "404", "422"}
    fields = document["components"]["schemas"]["CatalogProject"]["properties"]
    assert "funding_need_fen" in fields and not any("contact" in name for name in fields)


def test_list_queries_do_not_grow(app, organizer):
    counts = []
    for size in (5, 60):
        fair = make_fair(organizer)
        sponsor = make_sponsor(fair)
        projects = exhibition(fair, sponsor, organizer, size)
        client = log_in(app.test_client(), make_representative(sponsor))
        counts.append((queries_for(client, url(fair)), queries_for(client, url(fair, f"/{projects[3].id}"))))
    assert counts[0] == counts[1]
