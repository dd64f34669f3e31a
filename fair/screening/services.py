"""Every change screening makes: the rubric and settings, assigning reviewers, saving reviews,
reminders and duplicates. Each validates, writes, audits and commits in one transaction."""
from dataclasses import dataclass
from typing import Mapping

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from fair.applications.models import (Application, ApplicationStatus, DuplicateCandidate, ReviewAssignment,
                                      ReviewScore, ScreeningCriterion)
from fair.audit.log import audit, snapshot
from fair.auth.models import Membership, Role, User
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.messages.services import send_message
from fair.refusal import Refused
from fair.screening import assign as engine
from fair.screening import duplicates
from fair.screening.totals import MAX_POINTS
from fair.times import utcnow

# The rubric offered to a fair that has none yet: (name, English name, weight).
DEFAULT_RUBRIC = [
    ("社会需求与对象精准度", "Social need and targeting", 30),
    ("项目创新性", "Innovation", 20),
    ("执行与管理能力", "Delivery and management", 25),
    ("成效与可持续性", "Impact and sustainability", 25),
]
MAX_CRITERIA = 8
MAX_WEIGHT = 100
MAX_REVIEWERS = 10
COMMENT_LENGTH = 2000
REASON_LENGTH = 500
SHORTAGES_NAMED = 3            # a refusal names this many applications and counts the rest


@dataclass(frozen=True)
class CriterionDetails:
    name: str
    name_en: str
    weight: int


def rubric(fair: Fair) -> list[ScreeningCriterion]:
    return list(db.session.scalars(sa.select(ScreeningCriterion).where(ScreeningCriterion.fair_id == fair.id)
                                   .order_by(ScreeningCriterion.position, ScreeningCriterion.id)))


def rubric_frozen(fair: Fair) -> bool:
    """Once a reviewer has scored anything, changing the rubric would change the meaning of that score."""
    return db.session.scalar(sa.select(sa.exists().where(
        ReviewScore.criterion_id == ScreeningCriterion.id, ScreeningCriterion.fair_id == fair.id)))


def _rubric_state(criteria) -> list[dict]:
    return [snapshot(criterion, ["name", "name_en", "weight"]) for criterion in criteria]


def _check_rubric(criteria: list[CriterionDetails]) -> None:
    if not criteria:
        raise Refused(_("评分标准至少需要一项。"), "no_criteria")
    if len(criteria) > MAX_CRITERIA:
        raise Refused(_("评分标准最多 %(n)d 项。", n=MAX_CRITERIA), "too_many_criteria")
    for line, criterion in enumerate(criteria, start=1):
        if not criterion.name.strip():
            raise Refused(_("第 %(line)d 项缺少名称。", line=line), "required")
        if len(criterion.name.strip()) > 60 or len(criterion.name_en.strip()) > 80:
            raise Refused(_("第 %(line)d 项的名称太长。", line=line), "too_long")
        if not isinstance(criterion.weight, int) or not 1 <= criterion.weight <= MAX_WEIGHT:
            raise Refused(_("第 %(line)d 项的权重须为 1 到 %(most)d 之间的整数。", line=line, most=MAX_WEIGHT),
                          "bad_weight")
    names = [criterion.name.strip() for criterion in criteria]
    if len(set(names)) != len(names):
        raise Refused(_("评分项名称不能重复。"), "duplicate_criterion")


def set_rubric(fair: Fair, criteria: list[CriterionDetails], *, actor: User) -> list[ScreeningCriterion]:
    """Replace the rubric, line by line; refused once the first score exists."""
    if rubric_frozen(fair):
        raise Refused(_("已有专家开始评分，评分标准已锁定，不能再修改。"), "rubric_frozen")
    _check_rubric(criteria)
    existing = rubric(fair)
    before = _rubric_state(existing)
    saved = []
    for position, details in enumerate(criteria):
        criterion = existing[position] if position < len(existing) else ScreeningCriterion(fair=fair)
        criterion.name, criterion.name_en = details.name.strip(), details.name_en.strip()
        criterion.weight, criterion.position = details.weight, position
        db.session.add(criterion)
        saved.append(criterion)
    for criterion in existing[len(criteria):]:
        db.session.delete(criterion)
    audit(actor, "screening.rubric.updated", fair, before={"criteria": before},
          after={"criteria": _rubric_state(saved)})
    db.session.commit()
    return saved


SETTINGS_FIELDS = ["reviewers_per_application", "blind_screening"]


def update_settings(fair: Fair, *, reviewers_per_application: int, blind_screening: bool, actor: User) -> Fair:
    if not isinstance(reviewers_per_application, int) or not 1 <= reviewers_per_application <= MAX_REVIEWERS:
        raise Refused(_("须为 %(low)d 到 %(high)d 之间的整数。", low=1, high=MAX_REVIEWERS), "out_of_range",
                      "reviewers_per_application")
    before = snapshot(fair, SETTINGS_FIELDS)
    fair.reviewers_per_application, fair.blind_screening = reviewers_per_application, bool(blind_screening)
    audit(actor, "screening.settings.updated", fair, before=before, after=snapshot(fair, SETTINGS_FIELDS))
    db.session.commit()
    return fair


def _check_not_over(fair: Fair) -> None:
    if fair.phase.position > Phase.screening.position:
        raise Refused(_("初审已结束（当前阶段：%(phase)s）。", phase=fair.phase.label), "screening_over")


def _check_scoring_open(fair: Fair) -> None:
    if fair.phase.position < Phase.screening.position:
        raise Refused(_("初审尚未开始，展会进入“初审遴选”阶段后才能评分。"), "screening_not_started")
    if fair.phase != Phase.screening:
        raise Refused(_("初审已结束，评分不能再修改。"), "screening_over")


def reviewers(fair: Fair) -> list[User]:
    """The fair's reviewers with their organisations, in one query."""
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.fair_id == fair.id, Membership.role == Role.reviewer)
        .options(joinedload(User.organisation)).order_by(User.name, User.id)))


def _conflicts(applications: list[Application], people: list[User]) -> set[tuple[int, int]]:
    """A reviewer may not screen an application of their own organisation: the same organisation, or
    the same unified social credit code."""
    by_organisation: dict[int, list[int]] = {}
    by_code: dict[str, list[int]] = {}
    for application in applications:
        by_organisation.setdefault(application.organisation_id, []).append(application.id)
        if application.organisation.credit_code:
            by_code.setdefault(application.organisation.credit_code, []).append(application.id)
    pairs = set()
    for person in people:
        if person.organisation is None:
            continue
        own = by_organisation.get(person.organisation_id, [])
        same_code = by_code.get(person.organisation.credit_code, []) if person.organisation.credit_code else []
        pairs.update((application_id, person.id) for application_id in own + same_code)
    return pairs


@dataclass(frozen=True)
class AssignmentSummary:
    added: int
    removed: int
    kept: int
    smallest_load: int
    largest_load: int


def assign_reviewers(fair: Fair, *, actor: User) -> AssignmentSummary:
    """Give every submitted application the fair's number of reviewers, loads balanced, no conflicts.

    Reviews that have begun (a score or a submission) are kept; open ones are kept where the balance
    allows (a preference), so running it again after new applications or reviewers moves little."""
    _check_not_over(fair)
    people = reviewers(fair)
    if not people:
        raise Refused(_("本届展会还没有初审专家，请先在“人员与邀请”中邀请。"), "no_reviewers")
    applications = list(db.session.scalars(
        sa.select(Application).where(Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted)
        .options(joinedload(Application.organisation)).order_by(Application.id)))
    if not applications:
        raise Refused(_("还没有已提交的申报，无需分配。"), "no_applications")
    existing = db.session.execute(
        sa.select(ReviewAssignment.id, ReviewAssignment.application_id, ReviewAssignment.reviewer_id,
                  ReviewAssignment.submitted_at).join(Application).where(Application.fair_id == fair.id)).all()
    begun = set(db.session.scalars(
        sa.select(ReviewScore.assignment_id).join(ReviewAssignment).join(Application)
        .where(Application.fair_id == fair.id).distinct()))
    kept = {(a.application_id, a.reviewer_id) for a in existing if a.submitted_at or a.id in begun}
    open_ones = {(a.application_id, a.reviewer_id): a for a in existing
                 if (a.application_id, a.reviewer_id) not in kept}
    try:
        result = engine.assign([engine.Item(a.id, fair.reviewers_per_application) for a in applications],
                               [person.id for person in people], conflicts=_conflicts(applications, people),
                               kept=kept, preferences=dict.fromkeys(open_ones, 1.0))
    except engine.Infeasible as infeasible:
        raise Refused(_shortage_message(fair, applications, len(people), infeasible.shortages),
                      "infeasible") from None
    chosen = set(result.pairs)
    removed = [a.id for pair, a in open_ones.items() if pair not in chosen]
    if removed:
        db.session.execute(sa.delete(ReviewAssignment).where(ReviewAssignment.id.in_(removed)))
    now = utcnow()
    added = [{"application_id": application_id, "reviewer_id": reviewer_id, "assigned_at": now, "comment": ""}
             for application_id, reviewer_id in result.pairs if (application_id, reviewer_id) not in open_ones]
    if added:           # thousands of rows at once: one multi-row INSERT rather than an object each
        db.session.execute(sa.insert(ReviewAssignment), added)
    summary = AssignmentSummary(len(chosen - open_ones.keys()), len(removed), len(kept),
                                min(result.loads.values()), max(result.loads.values()))
    audit(actor, "screening.assignments.made", fair,
          after={"applications": len(applications), "reviewers": len(people), **summary.__dict__})
    db.session.commit()
    return summary


def _shortage_message(fair: Fair, applications: list[Application], reviewer_count: int,
                      shortages: list[engine.Shortage]) -> str:
    titles = {application.id: application.title for application in applications}
    examples = "；".join(
        _("“%(title)s”还需 %(needed)d 位，可选 %(eligible)d 位（%(conflicted)d 位有利益冲突）",
          title=titles[shortage.item], needed=shortage.needed, eligible=shortage.eligible,
          conflicted=shortage.conflicted)
        for shortage in shortages[:SHORTAGES_NAMED])
    message = _("无法完成分配：%(count)d 个项目找不到足够的初审专家（共 %(reviewers)d 位专家，每个项目需要 %(k)d 位）。",
                count=len(shortages), reviewers=reviewer_count, k=fair.reviewers_per_application)
    more = len(shortages) - SHORTAGES_NAMED
    return message + examples + (_("；另有 %(n)d 个项目同样不足。", n=more) if more > 0 else "。")


def _review_state(assignment: ReviewAssignment) -> dict:
    return {"points": {str(score.criterion_id): score.points for score in assignment.scores},
            "comment": assignment.comment,
            "submitted_at": assignment.submitted_at.isoformat() if assignment.submitted_at else None}


def save_review(assignment: ReviewAssignment, *, points: Mapping[int, int], comment: str | None = None,
                submit: bool = False, actor: User) -> ReviewAssignment:
    """Save what the reviewer has scored so far (the page saves as they go); `submit` needs every
    criterion scored. A submitted review stays editable while the fair is in screening."""
    if assignment.reviewer_id != actor.id:
        raise Refused(_("这不是您的评审任务。"), "not_yours")
    fair = assignment.application.fair
    _check_scoring_open(fair)
    if assignment.application.status == ApplicationStatus.withdrawn:
        raise Refused(_("该申报已撤回，无需评审。"), "withdrawn")
    criteria = {criterion.id: criterion for criterion in rubric(fair)}
    if not criteria:
        raise Refused(_("组织方尚未设置评分标准。"), "no_rubric")
    for criterion_id, value in points.items():
        if criterion_id not in criteria:
            raise Refused(_("未知的评分项。"), "bad_criterion")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_POINTS:
            raise Refused(_("分数须为 0 到 %(most)d 之间的整数。", most=MAX_POINTS), "out_of_range",
                          f"c{criterion_id}")
    if comment is not None and len(comment.strip()) > COMMENT_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=COMMENT_LENGTH), "too_long", "comment")

    scores = {score.criterion_id: score for score in assignment.scores}
    missing = len(criteria.keys() - scores.keys() - points.keys())
    if submit and missing:
        raise Refused(_("还有 %(n)d 项未评分，全部评分后才能提交。", n=missing), "incomplete")

    before = _review_state(assignment)
    for criterion_id, value in points.items():
        if criterion_id in scores:
            scores[criterion_id].points = value
        else:
            assignment.scores.append(ReviewScore(criterion_id=criterion_id, points=value))
    if comment is not None:
        assignment.comment = comment.strip()
    newly_submitted = submit and assignment.submitted_at is None
    if newly_submitted:
        assignment.submitted_at = utcnow()
    after = _review_state(assignment)
    if after == before:
        return assignment
    action = "screening.review.submitted" if newly_submitted else "screening.review.saved"
    try:
        audit(actor, action, assignment, before=before, after=after, fair=fair)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()           # the same score saved twice at once: the unique key caught it
        raise Refused(_("保存冲突，请重试。"), "conflict") from None
    return assignment


def send_reminders(fair: Fair, *, actor: User) -> int:
    """A message to every reviewer with open reviews, saying how many; returns how many were reminded."""
    open_counts = dict(db.session.execute(
        sa.select(ReviewAssignment.reviewer_id, sa.func.count(ReviewAssignment.id))
        .join(Application).where(Application.fair_id == fair.id, Application.status != ApplicationStatus.withdrawn,
                                 ReviewAssignment.submitted_at.is_(None))
        .group_by(ReviewAssignment.reviewer_id)).all())
    people = [person for person in reviewers(fair) if open_counts.get(person.id)]
    if not people:
        raise Refused(_("没有待完成评审的专家，无需提醒。"), "nothing_open")
    for person in people:
        count = open_counts[person.id]
        send_message(fair, user=person, kind="screening.reminder",
                     subject=_("初审提醒：您还有 %(n)d 个项目待评审", n=count),
                     body=_("%(name)s，您好：\n“%(fair)s”的初审正在进行，您还有 %(n)d 个项目尚未提交评审。"
                            "请登录后在“初审任务”中继续，评分会随时自动保存。谢谢！",
                            name=person.name, fair=fair.name, n=count))
    audit(actor, "screening.reminders.sent", fair,
          after={"reviewers": len(people), "open_reviews": sum(open_counts[p.id] for p in people)})
    db.session.commit()
    return len(people)


@dataclass(frozen=True)
class ScanSummary:
    found: int        # pairs that look alike now, resolved ones included
    new: int          # pairs not seen before


def scan_duplicates(fair: Fair, *, actor: User) -> ScanSummary:
    """Compare every submitted application's title and summary; new look-alike pairs wait for the
    organizer, open ones that no longer look alike go, settled ones stay settled."""
    _check_not_over(fair)
    texts = [duplicates.Text(*row) for row in db.session.execute(
        sa.select(Application.id, Application.title, Application.summary, Application.organisation_id)
        .where(Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted))]
    found = {tuple(sorted((match.first, match.second))): match.similarity
             for match in duplicates.find_duplicates(texts)}
    known = {(c.application_id, c.other_id): c for c in db.session.scalars(
        sa.select(DuplicateCandidate).where(DuplicateCandidate.fair_id == fair.id))}
    for pair, candidate in known.items():
        if candidate.resolution is None:
            if pair in found:
                candidate.similarity = found[pair]
            else:
                db.session.delete(candidate)
    new = [pair for pair in found if pair not in known]
    db.session.add_all(DuplicateCandidate(fair_id=fair.id, application_id=first, other_id=second,
                                          similarity=found[(first, second)]) for first, second in new)
    summary = ScanSummary(len(found), len(new))
    audit(actor, "screening.duplicates.scanned", fair, after={"applications": len(texts), **summary.__dict__})
    db.session.commit()
    return summary


def resolve_duplicate(candidate: DuplicateCandidate, *, withdraw: Application | None = None, reason: str = "",
                      actor: User) -> DuplicateCandidate:
    """Settle a pair: not a duplicate, or one of the two withdrawn with the reason (its applicant is told)."""
    fair = candidate.application.fair
    _check_not_over(fair)
    if candidate.resolution is not None:
        raise Refused(_("这对申报已经处理过了。"), "already_resolved")
    after: dict = {"resolution": "not_duplicate"}
    if withdraw is not None:
        if withdraw.id not in (candidate.application_id, candidate.other_id):
            raise Refused(_("只能撤回这对申报中的一个。"), "not_in_pair")
        _withdraw_duplicate(withdraw, reason, actor=actor)
        after = {"resolution": "rejected", "withdrawn": withdraw.id, "reason": reason.strip(),
                 "also_settled": _settle_pairs_of(withdraw, candidate, actor)}
    _settle(candidate, after["resolution"], actor)
    audit(actor, "screening.duplicate.resolved", candidate, before={"resolution": None}, after=after, fair=fair)
    db.session.commit()
    return candidate


def _settle(candidate: DuplicateCandidate, resolution: str, actor: User) -> None:
    candidate.resolution, candidate.resolved_by_id, candidate.resolved_at = resolution, actor.id, utcnow()


def _settle_pairs_of(application: Application, settling: DuplicateCandidate, actor: User) -> list[int]:
    """Other open pairs with the withdrawn application have nothing left to decide; their ids."""
    others = db.session.scalars(sa.select(DuplicateCandidate).where(
        DuplicateCandidate.resolution.is_(None), DuplicateCandidate.id != settling.id,
        sa.or_(DuplicateCandidate.application_id == application.id, DuplicateCandidate.other_id == application.id)))
    settled = []
    for candidate in others:
        _settle(candidate, "rejected", actor)
        settled.append(candidate.id)
    return settled


def _withdraw_duplicate(application: Application, reason: str, *, actor: User) -> None:
    """Withdraw a repeated application with the reason, drop its open reviews and tell the applicant;
    the caller commits."""
    reason = reason.strip()
    if not reason:
        raise Refused(_("请填写撤回原因，申报单位会收到这条说明。"), "required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    if application.status == ApplicationStatus.withdrawn:
        raise Refused(_("该申报已经撤回。"), "already_withdrawn")
    before = {"status": application.status.value}
    application.status = ApplicationStatus.withdrawn
    db.session.execute(sa.delete(ReviewAssignment).where(ReviewAssignment.application_id == application.id,
                                                         ReviewAssignment.submitted_at.is_(None)))
    send_message(application.fair, organisation=application.organisation, kind="screening.duplicate_withdrawn",
                 subject=_("您的申报“%(title)s”已作为重复申报撤回", title=application.title),
                 body=_("经初审核对，申报“%(title)s”与本届展会的另一份申报内容重复，已由组织方撤回。原因：%(reason)s",
                        title=application.title, reason=reason))
    audit(actor, "screening.application.withdrawn", application, before=before,
          after={"status": ApplicationStatus.withdrawn.value, "reason": reason})

