"""The JSON API of the judge's tablet: the judge's projects in walking order, one scorecard, and saving it.

Saves are idempotent on `client_op` and version-checked on `base_version` (judging/scoring.py), so the
tablet can queue them while offline and replay them when the connection returns."""
from flask import abort, g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from fair.auth.models import Role
from fair.auth.permissions import deny, fair_role_required, login_required
from fair.extensions import db
from fair.refusal import Refused
from judging import scoring
from judging.models import JudgeAssignment
from judging.queries import setup_of

blp = Blueprint("judging_api", __name__, url_prefix="/api/v1",
                description="The judge's tablet (评委评分): the judge's projects in walking order, a scorecard, and "
                            "saving scores. Saves are idempotent on `client_op` and checked against `base_version`.")

class CriterionSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    max_points = fields.Integer(required=True, metadata={"description": "points go from 0 to this"})
    weight = fields.Integer(required=True, metadata={"description": "share of 100"})


class StopSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the assignment's id"})
    application_id = fields.Integer(required=True)
    title = fields.String(required=True)
    organisation = fields.String(required=True)
    booth = fields.String(allow_none=True, required=True, metadata={"description": "booth code, e.g. A-03"})
    zone = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(["to_score", "started", "scored", "skipped"]))
    version = fields.Integer(required=True, metadata={"description": "the scorecard's version; 0: none yet"})


class WalkSchema(Schema):
    done = fields.Integer(required=True, metadata={"description": "projects scored and submitted"})
    total = fields.Integer(required=True, metadata={"description": "projects to score, skipped ones left out"})
    items = fields.List(fields.Nested(StopSchema), required=True, metadata={"description": "in walking order"})


def points_field(description: str = "points by criterion id", **kwargs) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.Regexp(r"^\d{1,9}$")), values=fields.Integer(strict=True),
                       metadata={"description": description}, **kwargs)


class CardStateSchema(Schema):
    version = fields.Integer(required=True)
    points = points_field(required=True)
    comment = fields.String(required=True)
    submitted = fields.Boolean(required=True)


class ScorecardSchema(CardStateSchema):
    id = fields.Integer(required=True, metadata={"description": "the assignment's id"})
    title = fields.String(required=True)
    status = fields.String(required=True)
    editable = fields.Boolean(required=True, metadata={"description": "judging is open and the project not skipped"})
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)


class SaveSchema(Schema):
    points = points_field("the criteria changed, by id (the others keep their points)", load_default=dict)
    comment = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000),
                            metadata={"description": "null or absent: unchanged"})
    client_op = fields.String(required=True, validate=validate.Length(min=8, max=64),
                              metadata={"description": "the tablet's id for this save (a UUID); a replay of a "
                                                       "save already applied is answered as before and writes nothing"})
    base_version = fields.Integer(required=True, validate=validate.Range(min=0),
                                  metadata={"description": "the version the tablet last saw (0: no scorecard)"})
    submit = fields.Boolean(load_default=False, metadata={"description": "hand the scorecard in: every criterion "
                                                                         "must be scored"})


class SavedSchema(CardStateSchema):
    replayed = fields.Boolean(required=True, metadata={"description": "this client_op had already been applied"})
    done = fields.Integer(required=True)
    total = fields.Integer(required=True)


class RefusalSchema(Schema):
    code = fields.String(required=True, metadata={"description": "e.g. out_of_range, unknown_criterion, "
                                                                 "incomplete, not_yours, locked, skipped"})
    message = fields.String(required=True, metadata={"description": "in the user's language"})
    field = fields.String(allow_none=True, metadata={"description": "the form field, e.g. c12 for criterion 12"})


class ConflictSchema(RefusalSchema):
    current = fields.Nested(CardStateSchema, allow_none=True,
                            metadata={"description": "with code `conflict`: what is stored now"})


def _errors(view):
    for code, name in ((401, "UNAUTHORIZED"), (403, "FORBIDDEN"), (404, "NOT_FOUND")):
        view = blp.alt_response(code, response=name)(view)
    return view


@blp.route("/fairs/<slug>/judging/assignments")
@fair_role_required(Role.judge)
@blp.response(200, WalkSchema)
@_errors
@blp.doc(operationId="listJudgeAssignments", summary="The signed-in judge's projects in walking order")
def list_assignments(fair):
    judge = scoring.judge_of(fair, current_user)
    stops = scoring.walk(judge) if judge is not None else []
    done, total = scoring.progress(stops)
    return {"done": done, "total": total, "items": [_stop(stop) for stop in stops]}


def _stop(stop: scoring.Stop) -> dict:
    application = stop.assignment.application
    return {"id": stop.assignment.id, "application_id": application.id, "title": application.title,
            "organisation": application.organisation.name, "booth": stop.booth.code if stop.booth else None,
            "zone": stop.booth.zone.name if stop.booth else None, "status": stop.status,
            "version": scoring.state_of(stop.assignment).version}


def own_assignment(assignment_id: int) -> JudgeAssignment:
    """The signed-in judge's assignment (404 if there is none such, 403 if it is another judge's)."""
    assignment = db.session.get(JudgeAssignment, assignment_id)
    if assignment is None:
        abort(404)
    g.fair = assignment.judge.fair
    if assignment.judge.user_id != current_user.id or not current_user.has_role(g.fair, Role.judge):
        deny(_("这个项目不在您的评审名单中。"))
    return assignment


@blp.route("/judging/assignments/<int:assignment_id>")
@login_required
@blp.response(200, ScorecardSchema)
@_errors
@blp.doc(operationId="getScorecard", summary="One project's scorecard, with the rubric and the version to save on")
def get_scorecard(assignment_id: int):
    assignment = own_assignment(assignment_id)
    state = scoring.state_of(assignment)
    setup = setup_of(g.fair)
    return {**_state(state), "id": assignment.id, "title": assignment.application.title,
            "status": scoring.walk_status(assignment), "criteria": scoring.rubric(g.fair),
            "editable": setup.opened_at is not None and setup.locked_at is None and assignment.skipped_at is None}


def _state(state: scoring.CardState) -> dict:
    return {"version": state.version, "points": {str(key): value for key, value in state.points.items()},
            "comment": state.comment, "submitted": state.submitted}


@blp.route("/judging/assignments/<int:assignment_id>/scores", methods=["PUT"])
@login_required
@blp.arguments(SaveSchema)
@blp.response(200, SavedSchema)
@blp.alt_response(400, schema=RefusalSchema, description="a value the rubric does not allow (out_of_range, "
                  "unknown_criterion, too_long), submit with criteria unscored (incomplete), a bad client_op")
@blp.alt_response(409, schema=ConflictSchema, description="`conflict`: saved on an older version with other "
                  "values (`current` holds the stored ones); `skipped`, `not_open`, `judge_inactive`")
@blp.alt_response(423, schema=RefusalSchema, description="`locked`: judging is locked; only organizers change scores")
@_errors
@blp.doc(operationId="saveScores", summary="Save points and the comment, optionally submitting")
def save_scores(body: dict, assignment_id: int):
    assignment = own_assignment(assignment_id)
    try:
        saved = scoring.save_scores(
            assignment, {int(key): value for key, value in body["points"].items()}, body["comment"],
            actor=current_user, client_op=body["client_op"], base_version=body["base_version"], submit=body["submit"])
    except scoring.Conflict as conflict:
        return jsonify(code=conflict.code, message=conflict.message, field=None, current=_state(conflict.current)), 409
    except Refused as refusal:
        return jsonify(code=refusal.code, message=refusal.message, field=refusal.field), \
            scoring.REFUSAL_STATUS.get(refusal.code, 400)
    judge = assignment.judge
    done, total = scoring.progress(scoring.walk(judge))
    return {**_state(saved.state), "replayed": saved.replayed, "done": done, "total": total}
