"""The figures API: the fairs whose figures one may read, and one fair's figures (fair/console/stats.py
says what each counts). Readable without logging in once a fair is live or closed; its organizers read
them in every phase. Before that a fair is not found for anyone else, as the public plan is, so nobody
learns of a fair from the API before it opens."""
import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from fair.console import stats
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.times import utcnow

blp = Blueprint("console_api", __name__, url_prefix="/api/v1/fairs",
                description="A fair in numbers (展会数据): the fairs open to the caller and each one's figures. "
                            "Public once a fair is live or closed; before that only its organizers (logged in) "
                            "see it, and to everyone else it is 404. Money is in integer fen (1 yuan = 100 fen).")


class FairBriefSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    phase = fields.Enum(Phase, required=True, metadata={"description": "figures are public in live and closed"})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class FairListSchema(Schema):
    items = fields.List(fields.Nested(FairBriefSchema), required=True, metadata={"description": "newest first"})


def _figure_field(name: str, description: str) -> fields.Field:
    if name == "awards_by_tier":
        return fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                           metadata={"description": description})
    return fields.Integer(required=True, metadata={"description": description})


FairStatsSchema = Schema.from_dict(
    {"slug": fields.String(required=True), "phase": fields.Enum(Phase, required=True),
     "as_of": fields.DateTime(required=True, metadata={"description": "when the figures were counted (UTC)"})}
    | {name: _figure_field(name, description) for name, description in stats.FIGURE_DOCS.items()},
    name="FairStatsSchema")


@blp.route("")
@blp.response(200, FairListSchema)
@blp.doc(operationId="listFairs", summary="The fairs whose figures the caller may read")
def list_fairs():
    return {"items": stats.visible_fairs(current_user)}


@blp.route("/<slug>/stats")
@blp.response(200, FairStatsSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.doc(operationId="getFairStats", summary="One fair's figures")
def get_fair_stats(slug: str):
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
    if fair is None or not stats.visible_to(fair, current_user):
        abort(404)
    return {"slug": fair.slug, "phase": fair.phase, "as_of": utcnow()} | stats.api_figures(stats.figures(fair))
