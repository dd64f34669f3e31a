"""The JSON API of the project catalog: the exhibited projects with the catalog page's filters, and one
project's public page data. Public once the fair's floor plan is public, before that for its sponsors,
organizers, exhibitors and judges (sponsorship/catalog.py decides). Never any contact data."""
from flask import abort, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from fair.applications.models import Application, Support
from fair.auth.models import OrganisationKind
from fair.booths import queries as booth_queries
from judging.queries import PublishedAward, published_awards, published_tiers
from sponsorship import catalog

blp = Blueprint("sponsorship_api", __name__, url_prefix="/api/v1/fairs/<slug>/catalog",
                description="The catalog of a fair's exhibited projects (项目库), for sponsors and, once the floor "
                            "plan is public, for anyone. Money is in integer fen (1 yuan = 100 fen); awards appear "
                            "only once the judging results are published; no contact data.")
SUPPORT_VALUES = [kind.value for kind in Support]


class CatalogQuerySchema(Schema):
    """The catalog page's filters by the same names, the funding range in fen."""

    q = fields.String(validate=validate.Length(max=catalog.MAX_QUERY),
                      metadata={"description": "words, all of which must appear in the title, summary, service "
                                               "targets or organisation name (substring)"})
    category = fields.Integer(validate=validate.Range(min=1), metadata={"description": "a category id of the fair"})
    city = fields.String(validate=validate.Length(max=30), metadata={"description": "the city the project serves"})
    funding_need_min_fen = fields.Integer(validate=validate.Range(min=0, max=catalog.MAX_NEED_FEN))
    funding_need_max_fen = fields.Integer(validate=validate.Range(min=0, max=catalog.MAX_NEED_FEN))
    tier = fields.Integer(validate=validate.Range(min=1),
                          metadata={"description": "a published award tier's id"})
    funded = fields.Boolean(metadata={"description": "true: projects with a signed agreement; false: without"})
    support = fields.String(validate=validate.OneOf(SUPPORT_VALUES),
                            metadata={"description": "a kind of support the project wants"})
    sort = fields.String(validate=validate.OneOf(catalog.SORTS), load_default="recommended",
                         metadata={"description": "recommended: award tier (best first), then title"})
    page = fields.Integer(validate=validate.Range(min=1, max=catalog.MAX_PAGE), load_default=1)
    per_page = fields.Integer(validate=validate.Range(min=1, max=100), load_default=catalog.PER_PAGE)


class CatalogCategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)


class CatalogOrganisationSchema(Schema):
    name = fields.String(required=True)
    kind = fields.Enum(OrganisationKind, required=True)


class CatalogAwardSchema(Schema):
    tier_id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    position = fields.Integer(required=True, metadata={"description": "0 is the best tier"})


class CatalogProjectSummarySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    organisation = fields.Nested(CatalogOrganisationSchema, required=True)
    category = fields.Nested(CatalogCategorySchema, required=True)
    province = fields.String(required=True)
    city = fields.String(required=True)
    district = fields.String(required=True)
    funding_need_fen = fields.Integer(required=True, metadata={"description": "funding asked for, in fen"})
    support_wanted = fields.List(fields.String(validate=validate.OneOf(SUPPORT_VALUES)), required=True)
    award = fields.Nested(CatalogAwardSchema, allow_none=True, required=True,
                          metadata={"description": "null until the results are published, or without an award"})
    funded = fields.Boolean(required=True, metadata={"description": "has a signed agreement"})
    booth = fields.String(allow_none=True, required=True, metadata={"description": "booth code, e.g. A-03"})


class CatalogPageSchema(Schema):
    items = fields.List(fields.Nested(CatalogProjectSummarySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "projects matching every filter"})
    pages = fields.Integer(required=True)


class CatalogPhotoSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "the image, for whoever may read the catalog"})


class CatalogProjectSchema(CatalogProjectSummarySchema):
    summary = fields.String(required=True)
    service_targets = fields.String(required=True)
    beneficiaries = fields.Integer(required=True)
    volunteers = fields.Integer(required=True)
    years_running = fields.Integer(required=True)
    past_outcomes = fields.String(required=True)
    hall = fields.String(allow_none=True, required=True, metadata={"description": "the booth's hall"})
    zone = fields.String(allow_none=True, required=True, metadata={"description": "the booth's zone"})
    signed_agreements = fields.Integer(required=True)
    photos = fields.List(fields.Nested(CatalogPhotoSchema), required=True)
    page_url = fields.String(required=True, metadata={"description": "the project's page in the catalog"})


def _errors(view):
    """Document the refusals both endpoints can answer (flask-smorest's response components)."""
    for code, name in ((401, "UNAUTHORIZED"), (403, "FORBIDDEN"), (404, "NOT_FOUND")):
        view = blp.alt_response(code, response=name)(view)
    return view


def _award(award: PublishedAward | None) -> dict | None:
    if award is None:
        return None
    return {"tier_id": award.tier_id, "name": award.tier_name, "name_en": award.tier_name_en,
            "position": award.tier_position}


def _summary(application: Application, award: PublishedAward | None, funded: bool, booth: str | None) -> dict:
    return {"id": application.id, "title": application.title, "organisation": application.organisation,
            "category": application.category, "province": application.province, "city": application.city,
            "district": application.district, "funding_need_fen": application.funding_need_fen,
            "support_wanted": application.support_wanted, "award": _award(award), "funded": funded, "booth": booth}


@blp.route("")
@catalog.browsing_fair
@blp.arguments(CatalogQuerySchema, location="query")
@blp.response(200, CatalogPageSchema)
@_errors
@blp.doc(operationId="listCatalogProjects", summary="The exhibited projects, filtered and sorted, a page at a time")
def list_catalog_projects(args, fair):
    filters, problems = catalog.checked_filters(catalog.CatalogFilters(
        q=catalog.search_words(args.get("q", "")), category=args.get("category"),
        city=args.get("city", "").strip(), need_min_fen=args.get("funding_need_min_fen"),
        need_max_fen=args.get("funding_need_max_fen"), tier=args.get("tier"), funded=args.get("funded"),
        support=args.get("support", ""), sort=args["sort"]), fair, published_tiers(fair))
    if problems:
        abort(422, description=" ".join(problems.values()))
    listing = catalog.catalog_page(fair, filters, page=args["page"], per_page=args["per_page"])
    page = listing.page
    items = [_summary(application, listing.awards.get(application.id), application.id in listing.funded,
                      listing.booths.get(application.id)) for application in page.items]
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}


@blp.route("/<int:application_id>")
@catalog.browsing_fair
@blp.response(200, CatalogProjectSchema)
@_errors
@blp.doc(operationId="getCatalogProject", summary="One exhibited project's public page data")
def get_catalog_project(fair, application_id: int):
    application = catalog.exhibited_project(fair, application_id)
    if application is None:
        abort(404)
    booth = booth_queries.booth_of(application.id)
    signed = catalog.signed_agreements(application)
    award = published_awards(fair, [application.id]).get(application.id)
    photos = [{"id": photo.id, "url": url_for("sponsorship.photo", slug=fair.slug, application_id=application.id,
                                              attachment_id=photo.id)} for photo in catalog.photos(application)]
    return {**_summary(application, award, signed > 0, booth.code if booth else None),
            "summary": application.summary, "service_targets": application.service_targets,
            "beneficiaries": application.beneficiaries, "volunteers": application.volunteers,
            "years_running": application.years_running, "past_outcomes": application.past_outcomes,
            "hall": booth.hall.name if booth else None, "zone": booth.zone.name if booth else None,
            "signed_agreements": signed, "photos": photos,
            "page_url": url_for("sponsorship.project", slug=fair.slug, application_id=application.id)}
