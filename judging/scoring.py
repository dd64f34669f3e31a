"""Scores: a judge's saves from the tablet, skipping a project, and the organizer's changes after the lock.

Every save carries the tablet's operation id (`client_op`, unique on ScoreEvent), so a save replayed by a
tablet that lost its connection is recognised and counted once; and the version of the scorecard the
tablet last saw (`base_version`, 0 before any scorecard), so two devices editing one scorecard get a
conflict with the stored values instead of overwriting each other. Each change appends a ScoreEvent (who,
before, after, when, why) and an audit event in the same transaction."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application
from fair.audit.log import audit
from fair.auth.models import Role, User
from fair.booths.models import Booth
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from fair.times import utcnow
from judging.models import Judge, JudgeAssignment, JudgingCriterion, Scorecard, ScoreEvent, ScoreLine
from judging.queries import setup_of

COMMENT_LENGTH = 2000
REASON_LENGTH = 500
CLIENT_OP_LENGTH = 64
# The HTTP status the pages and the API answer a refusal with; any other code is a 400 (a value the rubric
# does not allow, a submit with criteria unscored).
REFUSAL_STATUS = {"not_yours": 403, "not_organizer": 403, "locked": 423, "conflict": 409, "not_open": 409,
                  "skipped": 409, "judge_inactive": 409, "not_locked": 409, "frozen": 423, "already_scored": 409}


@dataclass(frozen=True)
class CardState:
    """What a scorecard holds: the points by criterion id, the comment, whether submitted, its version
    (0: no scorecard yet). Also the shape of a ScoreEvent's before and after (keys as strings in JSON)."""

    points: dict[int, int] = field(default_factory=dict)
    comment: str = ""
    submitted: bool = False
    version: int = 0

    def as_json(self) -> dict:
        return {"points": {str(key): value for key, value in sorted(self.points.items())},
                "comment": self.comment, "submitted": self.submitted}


@dataclass(frozen=True)
class Saved:
    """The answer to a save: the scorecard's state now; `replayed` when the operation had already been
    applied (nothing written this time), `changed` when this call wrote an event."""

    state: CardState
    replayed: bool = False
    changed: bool = False


class Conflict(Refused):
    """A save made on an older version of the scorecard, whose values differ from the stored ones."""

    def __init__(self, current: CardState):
        super().__init__(_("这份评分已在另一台设备上修改过。请查看当前保存的分数，再决定保留哪一份。"), "conflict")
        self.current = current


def state_of(assignment: JudgeAssignment) -> CardState:
    card = assignment.scorecard
    if card is None:
        return CardState()
    return CardState({line.criterion_id: line.points for line in card.lines}, card.comment,
                     card.submitted_at is not None, card.version)


def rubric(fair: Fair) -> list[JudgingCriterion]:
    """The fair's judging criteria in the rubric's order."""
    return db.session.scalars(sa.select(JudgingCriterion).where(JudgingCriterion.fair_id == fair.id)
                              .order_by(JudgingCriterion.position, JudgingCriterion.id)).all()


def judge_of(fair: Fair, user: User) -> Judge | None:
    return db.session.scalar(sa.select(Judge).where(Judge.fair_id == fair.id, Judge.user_id == user.id))


@dataclass(frozen=True)
class Stop:
    """One project on a judge's walk: the assignment, its booth (none before booths are placed), status."""

    assignment: JudgeAssignment
    booth: Booth | None
    status: str                  # "to_score", "started", "scored" or "skipped"


def walk(judge: Judge) -> list[Stop]:
    """The judge's projects in walking order (the planned order, then the booth code), in two queries."""
    assignments = db.session.scalars(
        sa.select(JudgeAssignment).where(JudgeAssignment.judge_id == judge.id)
        .options(joinedload(JudgeAssignment.application).joinedload(Application.organisation),
                 joinedload(JudgeAssignment.scorecard))).unique().all()
    booths = {booth.application_id: booth for booth in db.session.scalars(
        sa.select(Booth).where(Booth.application_id.in_([a.application_id for a in assignments]))
        .options(joinedload(Booth.zone)))} if assignments else {}
    stops = [Stop(a, booths.get(a.application_id), walk_status(a)) for a in assignments]
    return sorted(stops, key=lambda stop: (stop.assignment.walk_order, stop.booth.code if stop.booth else "~",
                                           stop.assignment.id))


def walk_status(assignment: JudgeAssignment) -> str:
    """to_score, started (some criteria scored), scored (submitted) or skipped."""
    if assignment.skipped_at is not None:
        return "skipped"
    card = assignment.scorecard
    if card is not None and card.submitted_at is not None:
        return "scored"
    return "started" if card is not None and card.lines else "to_score"


def progress(stops: list[Stop]) -> tuple[int, int]:
    """(done, to do in all): skipped projects count in neither."""
    counted = [stop for stop in stops if stop.status != "skipped"]
    return sum(stop.status == "scored" for stop in counted), len(counted)


def events_of(assignment: JudgeAssignment) -> list[ScoreEvent]:
    """The scorecard's history, oldest first."""
    if assignment.scorecard is None:
        return []
    return db.session.scalars(sa.select(ScoreEvent).where(ScoreEvent.scorecard_id == assignment.scorecard.id)
                              .options(joinedload(ScoreEvent.actor)).order_by(ScoreEvent.id)).all()


# Changes

def save_scores(assignment: JudgeAssignment, points: dict[int, int], comment: str | None = None, *,
                actor: User, client_op: str, base_version: int, submit: bool = False) -> Saved:
    """Save what the judge has scored so far (the tablet sends every tap); `comment` None leaves it as it
    is; `submit` needs every criterion scored and hands the scorecard in (it stays editable until the
    lock). A replayed `client_op` returns the stored state and writes nothing; a stale `base_version`
    whose values equal the stored ones is accepted as a no-op, otherwise it is a Conflict."""
    if assignment.judge.user_id != actor.id:
        raise Refused(_("这个项目不在您的评审名单中。"), "not_yours")
    replayed = _replay(assignment, client_op)
    if replayed is not None:
        return replayed
    fair = assignment.judge.fair
    _check_judging_open(fair)
    if not assignment.judge.active:
        raise Refused(_("您已不在本届评委名单中，不能再评分。"), "judge_inactive")
    if assignment.skipped_at is not None:
        raise Refused(_("您已跳过这个项目，不能再评分。"), "skipped")
    criteria = _check_points(fair, points)
    comment = _check_comment(comment)

    current = state_of(assignment)
    wanted = CardState({**current.points, **points}, current.comment if comment is None else comment,
                       current.submitted or submit, current.version)
    if base_version != current.version:
        if _agrees(current, points, comment, submit):
            return Saved(current)
        raise Conflict(current)
    if submit and (missing := len(criteria.keys() - wanted.points.keys())):
        raise Refused(_("还有 %(n)d 项未评分，全部评分后才能提交。", n=missing), "incomplete")
    if wanted.as_json() == current.as_json():
        return Saved(current)
    action = "submitted" if submit and not current.submitted else "saved"
    return _write(assignment, current, wanted, actor=actor, action=action, client_op=client_op)


def organizer_change(assignment: JudgeAssignment, points: dict[int, int], reason: str, *, actor: User,
                     base_version: int, comment: str | None = None) -> Saved:
    """After the lock only an organizer changes a score, and says why (a recount, a mis-tap reported by the
    judge, a paper scoresheet); refused once the results are frozen."""
    fair = assignment.judge.fair
    if not actor.has_role(fair, Role.organizer):
        raise Refused(_("只有组织方可以在评审锁定后修改分数。"), "not_organizer")
    setup = setup_of(fair)
    if setup.locked_at is None:
        raise Refused(_("评审尚未锁定：锁定前由评委本人修改自己的评分。"), "not_locked")
    if setup.frozen_at is not None:
        raise Refused(_("评审结果已确认，分数不能再修改。"), "frozen")
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请填写修改原因。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    _check_points(fair, points)
    comment = _check_comment(comment)
    current = state_of(assignment)
    if base_version != current.version:
        raise Conflict(current)
    wanted = CardState({**current.points, **points}, current.comment if comment is None else comment,
                       current.submitted, current.version)
    if wanted.as_json() == current.as_json():
        raise Refused(_("分数没有变化。"), "unchanged")
    return _write(assignment, current, wanted, actor=actor, action="organizer_changed", reason=reason)


def skip(assignment: JudgeAssignment, reason: str, *, actor: User) -> JudgeAssignment:
    """The judge passes a project on (team absent, a conflict), with the reason; the assignment stays, marked,
    so the project can be offered to another judge."""
    if assignment.judge.user_id != actor.id:
        raise Refused(_("这个项目不在您的评审名单中。"), "not_yours")
    _check_judging_open(assignment.judge.fair)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请说明跳过的原因。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    if assignment.skipped_at is not None:
        return assignment
    if assignment.scorecard is not None and assignment.scorecard.submitted_at is not None:
        raise Refused(_("这个项目您已提交评分，不能再跳过。"), "already_scored")
    assignment.skipped_at, assignment.skip_reason = utcnow(), reason
    audit(actor, "judging.assignment.skipped", assignment, after={"skip_reason": reason},
          fair=assignment.judge.fair)
    db.session.commit()
    return assignment


# Checks and the one write

def _replay(assignment: JudgeAssignment, client_op: str) -> Saved | None:
    if not isinstance(client_op, str) or not 8 <= len(client_op) <= CLIENT_OP_LENGTH:
        raise Refused(_("请求缺少有效的操作编号，请刷新页面后重试。"), "bad_client_op")
    event = db.session.scalar(sa.select(ScoreEvent).where(ScoreEvent.client_op == client_op))
    if event is None:
        return None
    if assignment.scorecard is None or event.scorecard_id != assignment.scorecard.id:
        raise Refused(_("这个操作编号已用于另一个项目，请刷新页面后重试。"), "bad_client_op")
    return Saved(state_of(assignment), replayed=True)


def _check_judging_open(fair: Fair) -> None:
    setup = setup_of(fair)
    if setup.opened_at is None:
        raise Refused(_("评审尚未开始。"), "not_open")
    if setup.locked_at is not None:
        raise Refused(_("评审已锁定，分数只能由组织方修改。"), "locked")


def _check_points(fair: Fair, points: dict[int, int]) -> dict[int, JudgingCriterion]:
    criteria = {criterion.id: criterion for criterion in rubric(fair)}
    for criterion_id, value in points.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise Refused(_("评分标准中没有这一项。"), "unknown_criterion")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= criterion.max_points:
            raise Refused(_("“%(name)s”的分数须为 0 到 %(most)d 之间的整数。", name=criterion.name,
                            most=criterion.max_points), "out_of_range", f"c{criterion_id}")
    return criteria


def _check_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    comment = comment.strip()
    if len(comment) > COMMENT_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=COMMENT_LENGTH), "too_long", "comment")
    return comment


def _agrees(current: CardState, points: dict[int, int], comment: str | None, submit: bool) -> bool:
    """Whether a stale save asks for what is stored already (the other device made the same change)."""
    return (all(current.points.get(key) == value for key, value in points.items())
            and (comment is None or comment == current.comment) and (current.submitted or not submit))


def _write(assignment: JudgeAssignment, current: CardState, wanted: CardState, *, actor: User, action: str,
           client_op: str | None = None, reason: str = "") -> Saved:
    card = assignment.scorecard
    if card is None:
        card = assignment.scorecard = Scorecard(assignment=assignment)
        db.session.add(card)
    lines = {line.criterion_id: line for line in card.lines}
    for criterion_id, value in wanted.points.items():
        if criterion_id in lines:
            lines[criterion_id].points = value
        else:
            card.lines.append(ScoreLine(criterion_id=criterion_id, points=value))
    card.comment = wanted.comment
    if wanted.submitted and card.submitted_at is None:
        card.submitted_at = utcnow()
    card.updated_at = utcnow()          # the row itself changes, so its version moves with every change
    event = ScoreEvent(actor_id=actor.id, action=action, before=current.as_json(), after=wanted.as_json(),
                       reason=reason, client_op=client_op)
    try:
        db.session.flush()
        event.scorecard_id = card.id
        db.session.add(event)
        audit(actor, f"judging.score.{action}", card, before=current.as_json(), after=wanted.as_json(),
              fair=assignment.judge.fair)
        db.session.commit()
    except (sa.exc.IntegrityError, StaleDataError):
        # Another request got there first: the same operation (a replay racing its original), or a save
        # from another device (the version moved, or both created the scorecard).
        db.session.rollback()           # expires `assignment`: what follows reads the stored rows
        if client_op is not None and (replayed := _replay(assignment, client_op)) is not None:
            return replayed
        raise Conflict(state_of(assignment)) from None
    return Saved(state_of(assignment), changed=True)
