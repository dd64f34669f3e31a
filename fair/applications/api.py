"""The JSON API of a fair's applications, for its organizers: the same filtered list as the page, and one application."""
import sqlalchemy as sa
from flask import abort
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import joinedload

from fair.applications.listing import DECISION_CHOICES, SORT_COLUMNS, ListFilters, list_applications
from fair.applications.models import Application, ApplicationStatus, BoothSize, Decision
from fair.auth.models import OrganisationKind, Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db

blp = Blueprint("applications_api", __name__, url_prefix="/api/v1/fairs/<slug>/applications",
                description="A fair's project applications (项目申报), for its organizers. Money is in integer "
                            "fen (1 yuan = 100 fen); times are ISO-8601 in UTC.")


class ListQuerySchema(Schema):
    """The filters of the organizer's list page, by the same names and values."""

    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "words, all of which must appear in the title, summary or "
                                               "organisation name (substring; Latin letters in either case)"})
    category = fields.Integer(validate=validate.Range(min=1), metadata={"description": "a category id"})
    city = fields.String(validate=validate.Length(max=30))
    status = fields.String(validate=validate.OneOf([status.value for status in ApplicationStatus]))
    kind = fields.String(validate=validate.OneOf([kind.value for kind in OrganisationKind]),
                         metadata={"description": "the organisation's kind"})
    decision = fields.String(validate=validate.OneOf(DECISION_CHOICES),
                             metadata={"description": "a published decision, or `undecided`"})
    sort = fields.String(validate=validate.OneOf(list(SORT_COLUMNS)), load_default="submitted")
    order = fields.String(validate=validate.OneOf(["asc", "desc"]),
                          metadata={"description": "default: desc for submitted and funding, asc otherwise"})
    page = fields.Integer(validate=validate.Range(min=1), load_default=1)
    per_page = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


class CategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)


class OrganisationSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(OrganisationKind, required=True)
    credit_code = fields.String(allow_none=True, required=True)


class ApplicationSummarySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    category = fields.Nested(CategorySchema, required=True)
    organisation = fields.Nested(OrganisationSchema, required=True)
    province = fields.String(required=True)
    city = fields.String(required=True)
    district = fields.String(required=True)
    funding_need_fen = fields.Integer(required=True, metadata={"description": "funding asked for, in fen"})
    status = fields.Enum(ApplicationStatus, required=True)
    decision = fields.Enum(Decision, allow_none=True, required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    updated_at = fields.DateTime(required=True)


class ApplicationSchema(ApplicationSummarySchema):
    summary = fields.String(required=True)
    service_targets = fields.String(required=True)
    beneficiaries = fields.Integer(required=True)
    volunteers = fields.Integer(required=True)
    years_running = fields.Integer(required=True)
    past_outcomes = fields.String(required=True)
    support_wanted = fields.List(fields.String(), required=True,
                                 metadata={"description": "funds, goods, volunteers, venue, professional"})
    booth_size = fields.Enum(BoothSize, required=True)
    needs_power = fields.Boolean(required=True)
    needs_step_free = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)


class ApplicationPageSchema(Schema):
    items = fields.List(fields.Nested(ApplicationSummarySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "applications matching every filter"})
    pages = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "per status, with every filter but the status"})


def _errors(view):
    """Document the refusals every endpoint here can answer (flask-smorest's response components)."""
    for code, name in ((401, "UNAUTHORIZED"), (403, "FORBIDDEN"), (404, "NOT_FOUND")):
        view = blp.alt_response(code, response=name)(view)
    return view


@blp.route("")
@fair_role_required(Role.organizer)
@blp.arguments(ListQuerySchema, location="query")
@blp.response(200, ApplicationPageSchema)
@_errors
@blp.doc(operationId="listApplications", summary="The filtered, sorted list, a page at a time")
def list_applications_api(args, fair):
    filters = ListFilters.from_args({name: str(value) for name, value in args.items()})
    listing = list_applications(fair, filters, page=args["page"], per_page=args["per_page"])
    page = listing.page
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages, "counts": {status.value: count for status, count in listing.counts.items()}}


@blp.route("/<int:application_id>")
@fair_role_required(Role.organizer)
@blp.response(200, ApplicationSchema)
@_errors
@blp.doc(operationId="getApplication", summary="One application in full")
def get_application(fair, application_id: int):
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id, Application.fair_id == fair.id)
        .options(joinedload(Application.organisation), joinedload(Application.category)))
    if application is None:
        abort(404)
    return application
