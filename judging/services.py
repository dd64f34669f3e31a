"""Judging changes a person makes: the rubric and award tiers, the judging state (open, lock, reopen), the
judges with their expertise and affiliations, organisation ties, and declared conflicts. Each function
validates, writes, audits and commits in one transaction; `conflicted_pairs` is the one read the
assignment code builds on."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application
from fair.audit.log import audit, snapshot
from fair.auth.models import Invitation, Organisation, OrganisationKind, Role, User
from fair.auth.services import (ORGANISATION_FIELDS, check_credit_code, find_user, grant_role, invite,
                                new_organisation, normalise_email)
from fair.booths.models import Zone
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused
from fair.times import utcnow
from judging.models import (AffiliationKind, Award, AwardScope, AwardTier, ConflictDeclaration, DeclarationKind, Judge,
                            JudgeAffiliation, JudgingCriterion, JudgingSetup, OrganisationTie, TieKind)
from judging.queries import DEFAULT_RUBRIC, DEFAULT_TIERS

DEFAULT_JUDGES_PER_PROJECT = 3
MAX_JUDGES_PER_PROJECT = 10
MAX_CRITERIA = 12
MAX_TIERS = 10
MAX_TIER_COUNT = 10_000
REASON_LENGTH = 500


def conflicted_pairs(fair: Fair) -> set[tuple[int, int]]:
    """(application_id, judge_id) pairs that must never be assigned, in two queries whatever the size: a
    judge conflicts with every project of an organisation they belong to, or of one tied to those (funds
    or partners, read both ways), and with the projects they declared or recused from."""
    mine = (sa.select(JudgeAffiliation.judge_id, JudgeAffiliation.organisation_id)
            .join(Judge, Judge.id == JudgeAffiliation.judge_id).where(Judge.fair_id == fair.id))
    links = mine.subquery()
    tied_forward = (sa.select(links.c.judge_id, OrganisationTie.related_id)
                    .join(OrganisationTie, OrganisationTie.organisation_id == links.c.organisation_id))
    tied_back = (sa.select(links.c.judge_id, OrganisationTie.organisation_id)
                 .join(OrganisationTie, OrganisationTie.related_id == links.c.organisation_id))
    reach = sa.union(mine, tied_forward, tied_back).subquery()
    by_organisation = (sa.select(Application.id, reach.c.judge_id)
                       .join(reach, reach.c.organisation_id == Application.organisation_id)
                       .where(Application.fair_id == fair.id))
    declared = (sa.select(ConflictDeclaration.application_id, ConflictDeclaration.judge_id)
                .join(Judge, Judge.id == ConflictDeclaration.judge_id).where(Judge.fair_id == fair.id))
    pairs = {(application_id, judge_id) for application_id, judge_id in db.session.execute(by_organisation)}
    pairs.update((application_id, judge_id) for application_id, judge_id in db.session.execute(declared))
    return pairs


# --- shared helpers -----------------------------------------------------------------------------------

@contextmanager
def _writing(message=None) -> Iterator[None]:
    """Commit the block's writes with their audit events, or none of them; a row someone else changed
    meanwhile (the setup's version counter, a unique key) is told as a conflict and overwrites nothing."""
    try:
        yield
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Refused(message or _("评审设置刚被他人修改，请查看当前状态后重试。"), "conflict") from None
    except BaseException:
        db.session.rollback()
        raise


def _setup_for_change(fair: Fair, version: int | None) -> JudgingSetup:
    """The fair's judging setup, added when there is none yet, checked against the `version` the page
    showed (0 or None: the page showed no saved setup); it is marked changed so its version moves on and
    a concurrent change to the rubric or tiers conflicts with this one."""
    setup = db.session.get(JudgingSetup, fair.id)
    if setup is None:
        setup = JudgingSetup(fair_id=fair.id, judges_per_project=DEFAULT_JUDGES_PER_PROJECT,
                             award_scope=AwardScope.fair)
        db.session.add(setup)
        if version:
            raise Refused(_("评审设置刚被他人修改，请查看当前状态后重试。"), "conflict")
        return setup
    if version is not None and version != setup.version:
        raise Refused(_("评审设置刚被他人修改，请查看当前状态后重试。"), "conflict")
    flag_modified(setup, "judges_per_project")
    return setup


def _state(setup: JudgingSetup) -> dict:
    return snapshot(setup, ["judges_per_project", "award_scope", "opened_at", "locked_at", "frozen_at"])


def _text(value: str | None) -> str:
    return (value or "").strip()


def _whole(value, message, code: str, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refused(message, code, field)
    return value


# --- the rubric ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionLine:
    """One rubric line as the organizer typed it."""

    name: str
    weight: int
    max_points: int = 10
    name_en: str = ""
    description: str = ""
    tie_break: bool = False


def default_rubric() -> list[CriterionLine]:
    """The volunteer-service rubric offered until the organizer saves their own; impact breaks ties."""
    return [CriterionLine(name, weight, most, name_en, tie_break=name_en == "Impact and evidence")
            for name, name_en, weight, most in DEFAULT_RUBRIC]


def _check_rubric(lines: list[CriterionLine]) -> list[CriterionLine]:
    """The lines cleaned, or the first rule they break; a refusal's field is `criteria-<row>-<name>`."""
    if not lines:
        raise Refused(_("评分标准至少需要一项。"), "empty", "criteria")
    if len(lines) > MAX_CRITERIA:
        raise Refused(_("评分标准最多 %(n)d 项。", n=MAX_CRITERIA), "too_many", "criteria")
    cleaned, seen = [], set()
    for row, line in enumerate(lines):
        name = _text(line.name)
        if not name:
            raise Refused(_("请填写评分项名称。"), "name_required", f"criteria-{row}-name")
        if len(name) > 60 or len(_text(line.name_en)) > 80:
            raise Refused(_("评分项名称过长。"), "name_too_long", f"criteria-{row}-name")
        if name in seen:
            raise Refused(_("评分项“%(name)s”重复。", name=name), "duplicate", f"criteria-{row}-name")
        seen.add(name)
        weight = _whole(line.weight, _("权重应为 1 到 100 的整数。"), "weight_range", f"criteria-{row}-weight", 1, 100)
        most = _whole(line.max_points, _("满分应为 1 到 100 的整数。"), "max_points_range",
                      f"criteria-{row}-max_points", 1, 100)
        cleaned.append(CriterionLine(name, weight, most, _text(line.name_en), _text(line.description),
                                     bool(line.tie_break)))
    total = sum(line.weight for line in cleaned)
    if total != 100:
        raise Refused(_("各项权重之和应为 100，当前为 %(n)d。", n=total), "weights_sum", "criteria")
    if sum(line.tie_break for line in cleaned) > 1:
        raise Refused(_("只能选一项作为同分时优先比较的评分项。"), "tie_breaks", "criteria")
    return cleaned


def criteria_of(fair: Fair) -> list[JudgingCriterion]:
    return db.session.scalars(sa.select(JudgingCriterion).where(JudgingCriterion.fair_id == fair.id)
                              .order_by(JudgingCriterion.position, JudgingCriterion.id)).all()


def _rubric_state(criteria) -> list[dict]:
    return [{"name": c.name, "weight": c.weight, "max_points": c.max_points, "tie_break": c.tie_break}
            for c in criteria]


def set_rubric(fair: Fair, lines: list[CriterionLine], actor: User | None, *,
               version: int | None = None) -> list[JudgingCriterion]:
    """Replace the rubric; lines keep their row (and scores' references) when their name stays. Frozen
    once judging opens: every judge must score the same criteria."""
    lines = _check_rubric(list(lines))
    with _writing():
        setup = _setup_for_change(fair, version)
        if setup.opened_at is not None:
            raise Refused(_("评审已开始，评分标准已冻结，不能再修改。"), "frozen")
        existing = {criterion.name: criterion for criterion in criteria_of(fair)}
        before = _rubric_state(existing.values())
        for name in set(existing) - {line.name for line in lines}:
            db.session.delete(existing.pop(name))
        db.session.flush()          # a freed name may be taken by a new line below
        criteria = []
        for position, line in enumerate(lines):
            criterion = existing.get(line.name) or JudgingCriterion(fair_id=fair.id, name=line.name)
            criterion.name_en, criterion.description = line.name_en, line.description
            criterion.weight, criterion.max_points = line.weight, line.max_points
            criterion.position, criterion.tie_break = position, line.tie_break
            db.session.add(criterion)
            criteria.append(criterion)
        audit(actor, "judging.rubric.set", setup, fair=fair, before={"criteria": before},
              after={"criteria": _rubric_state(criteria)})
    return criteria


# --- award tiers --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TierLine:
    name: str
    count: int
    name_en: str = ""


def default_tiers() -> list[TierLine]:
    return [TierLine(name, count, name_en) for name, name_en, count in DEFAULT_TIERS]


def tiers_of(fair: Fair) -> list[AwardTier]:
    return db.session.scalars(sa.select(AwardTier).where(AwardTier.fair_id == fair.id)
                              .order_by(AwardTier.position, AwardTier.id)).all()


def _check_tiers(tiers: list[TierLine]) -> list[TierLine]:
    if not tiers:
        raise Refused(_("至少需要一个奖项等级。"), "empty", "tiers")
    if len(tiers) > MAX_TIERS:
        raise Refused(_("奖项等级最多 %(n)d 个。", n=MAX_TIERS), "too_many", "tiers")
    cleaned, seen = [], set()
    for row, tier in enumerate(tiers):
        name = _text(tier.name)
        if not name:
            raise Refused(_("请填写奖项名称。"), "name_required", f"tiers-{row}-name")
        if len(name) > 40 or len(_text(tier.name_en)) > 60:
            raise Refused(_("奖项名称过长。"), "name_too_long", f"tiers-{row}-name")
        if name in seen:
            raise Refused(_("奖项“%(name)s”重复。", name=name), "duplicate", f"tiers-{row}-name")
        seen.add(name)
        count = _whole(tier.count, _("名额应为 0 到 %(n)d 的整数。", n=MAX_TIER_COUNT), "count_range",
                       f"tiers-{row}-count", 0, MAX_TIER_COUNT)
        cleaned.append(TierLine(name, count, _text(tier.name_en)))
    return cleaned


def set_tiers(fair: Fair, tiers: list[TierLine], scope: AwardScope | str, actor: User | None, *,
              version: int | None = None) -> list[AwardTier]:
    """Replace the award tiers (best first) and where their counts apply; a tier keeps its row when its
    name stays. Editable until the results are frozen; a tier already given to projects stays."""
    tiers = _check_tiers(list(tiers))
    try:
        scope = AwardScope(scope.value if isinstance(scope, AwardScope) else scope)
    except ValueError:
        raise Refused(_("请选择名额的适用范围。"), "scope", "scope") from None
    with _writing():
        setup = _setup_for_change(fair, version)
        if setup.frozen_at is not None:
            raise Refused(_("评审结果已冻结，不能再修改奖项设置。"), "frozen")
        existing = {tier.name: tier for tier in tiers_of(fair)}
        before = {"scope": setup.award_scope.value if setup.award_scope else None,
                  "tiers": [(tier.name, tier.count) for tier in existing.values()]}
        dropped = [existing[name] for name in set(existing) - {tier.name for tier in tiers}]
        given = dict(db.session.execute(
            sa.select(Award.tier_id, sa.func.count(Award.id)).where(Award.tier_id.in_([t.id for t in dropped]))
            .group_by(Award.tier_id)).all()) if dropped else {}
        for tier in dropped:
            if given.get(tier.id):
                raise Refused(_("奖项“%(name)s”已授予 %(n)d 个项目，不能删除。", name=tier.name, n=given[tier.id]),
                              "tier_given", "tiers")
            db.session.delete(existing.pop(tier.name))
        db.session.flush()
        made = []
        for position, line in enumerate(tiers):
            tier = existing.get(line.name) or AwardTier(fair_id=fair.id, name=line.name)
            tier.name_en, tier.count, tier.position = line.name_en, line.count, position
            db.session.add(tier)
            made.append(tier)
        setup.award_scope = scope
        audit(actor, "judging.tiers.set", setup, fair=fair, before=before,
              after={"scope": scope.value, "tiers": [(tier.name, tier.count) for tier in made]})
    return made


# --- the judging state --------------------------------------------------------------------------------

def set_judges_per_project(fair: Fair, count: int, actor: User | None, *, version: int | None = None) -> JudgingSetup:
    """How many judges score each project: fixed once judging opens (the assignment is built on it)."""
    count = _whole(count, _("每个项目的评委人数应为 1 到 %(n)d。", n=MAX_JUDGES_PER_PROJECT), "range",
                   "judges_per_project", 1, MAX_JUDGES_PER_PROJECT)
    with _writing():
        setup = _setup_for_change(fair, version)
        if setup.opened_at is not None:
            raise Refused(_("评审已开始，不能再修改每个项目的评委人数。"), "opened", "judges_per_project")
        before = {"judges_per_project": setup.judges_per_project}
        setup.judges_per_project = count
        audit(actor, "judging.judges_per_project.set", setup, fair=fair, before=before,
              after={"judges_per_project": count})
    return setup


def open_judging(fair: Fair, actor: User | None, *, version: int | None = None) -> JudgingSetup:
    """Judges may score from now on; the rubric is frozen."""
    with _writing():
        setup = _setup_for_change(fair, version)
        if setup.opened_at is not None:
            raise Refused(_("评审已经开始。"), "already_open")
        if not criteria_of(fair):
            raise Refused(_("请先保存评分标准，再开始评审。"), "no_rubric")
        before = _state(setup)
        setup.opened_at = utcnow()
        audit(actor, "judging.opened", setup, fair=fair, before=before, after=_state(setup))
    return setup


def lock_judging(fair: Fair, actor: User | None, *, version: int | None = None) -> JudgingSetup:
    """Judges stop changing scores; only organizers may, each change with a reason."""
    with _writing():
        setup = _setup_for_change(fair, version)
        if setup.opened_at is None:
            raise Refused(_("评审尚未开始，不能锁定。"), "not_open")
        if setup.locked_at is not None:
            raise Refused(_("评审已经锁定。"), "already_locked")
        before = _state(setup)
        setup.locked_at = utcnow()
        audit(actor, "judging.locked", setup, fair=fair, before=before, after=_state(setup))
    return setup


def reopen_judging(fair: Fair, actor: User | None, *, version: int | None = None) -> JudgingSetup:
    """Unlock: judges may change their scores again, until the results are frozen."""
    with _writing():
        setup = _setup_for_change(fair, version)
        if setup.frozen_at is not None:
            raise Refused(_("评审结果已冻结，不能重新开放评分。"), "frozen")
        if setup.locked_at is None:
            raise Refused(_("评审未锁定，无需重新开放。"), "not_locked")
        before = _state(setup)
        setup.locked_at = None
        audit(actor, "judging.reopened", setup, fair=fair, before=before, after=_state(setup))
    return setup


# --- judges -------------------------------------------------------------------------------------------

JUDGE_FIELDS = ["title", "zone_ids", "active"]


@dataclass(frozen=True)
class JudgeAdded:
    """A judge row for a known user; for an unknown e-mail, the invitation and its one-time link token
    (the organizer sets the judge's details once the invitation is accepted)."""

    judge: Judge | None = None
    invitation: Invitation | None = None
    token: str | None = None


def _judge_state(judge: Judge) -> dict:
    return snapshot(judge, JUDGE_FIELDS) | {"expertise": sorted(category.id for category in judge.expertise)}


def _check_judge_details(fair: Fair, title: str, expertise, zone_ids) -> tuple[str, list[Category], list[int] | None]:
    title = _text(title)
    if len(title) > 120:
        raise Refused(_("不能超过 %(n)d 个字。", n=120), "title_too_long", "title")
    wanted = {getattr(item, "id", item) for item in expertise or ()}
    categories = [category for category in fair.categories if category.id in wanted]
    if len(categories) != len(wanted):
        raise Refused(_("请从本届展会的服务领域中选择。"), "unknown_category", "expertise")
    if zone_ids:
        zones = set(db.session.scalars(sa.select(Zone.id).where(Zone.fair_id == fair.id)))
        if not set(zone_ids) <= zones:
            raise Refused(_("请从本届展会的展区中选择。"), "unknown_zone", "zone_ids")
        zone_ids = sorted(set(zone_ids))
    return title, categories, zone_ids or None


def judge_of(fair: Fair, user: User) -> Judge | None:
    return db.session.scalar(sa.select(Judge).where(Judge.fair_id == fair.id, Judge.user_id == user.id))


def add_judge(fair: Fair, email: str, *, actor: User, name: str = "", title: str = "", expertise=(),
              zone_ids=None, invitation_days: int = 14) -> JudgeAdded:
    """A judge for the user with this e-mail (granted the judge role), or, for an e-mail with no account,
    an invitation to join as a judge."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise Refused(_("请填写有效的邮箱地址。"), "email", "email")
    title, categories, zone_ids = _check_judge_details(fair, title, expertise, zone_ids)
    user = find_user(email)
    if user is None:
        invitation, token = invite(fair, email, Role.judge, name=name, actor=actor, valid_days=invitation_days)
        return JudgeAdded(invitation=invitation, token=token)
    if judge_of(fair, user) is not None:
        raise Refused(_("%(name)s 已是本届展会的评委。", name=user.name), "already_judge", "email")
    with _writing(_("该用户刚被添加为评委。")):
        judge = Judge(fair_id=fair.id, user=user, title=title, zone_ids=zone_ids, expertise=categories, active=True)
        db.session.add(judge)
        audit(actor, "judging.judge.created", judge, fair=fair, after=_judge_state(judge) | {"user": user.email})
        grant_role(fair, user, Role.judge, actor=actor)        # commits with the judge when it adds the role
    return JudgeAdded(judge=judge)


def update_judge(judge: Judge, *, actor: User, title: str = "", expertise=(), zone_ids=None) -> Judge:
    title, categories, zone_ids = _check_judge_details(judge.fair, title, expertise, zone_ids)
    with _writing():
        before = _judge_state(judge)
        judge.title, judge.expertise, judge.zone_ids = title, categories, zone_ids
        audit(actor, "judging.judge.updated", judge, fair=judge.fair, before=before, after=_judge_state(judge))
    return judge


def deactivate_judge(judge: Judge, *, actor: User, reason: str = "") -> Judge:
    """Removed mid-way: their submitted scores stay; the assignment step hands their open projects on."""
    if not judge.active:
        raise Refused(_("该评委已停用。"), "inactive")
    with _writing():
        judge.active = False
        audit(actor, "judging.judge.deactivated", judge, fair=judge.fair, before={"active": True},
              after={"active": False, "reason": _text(reason)})
    return judge


def reactivate_judge(judge: Judge, *, actor: User) -> Judge:
    if judge.active:
        raise Refused(_("该评委已在评审中。"), "active")
    with _writing():
        judge.active = True
        audit(actor, "judging.judge.reactivated", judge, fair=judge.fair, before={"active": False},
              after={"active": True})
    return judge


# --- organisations by credit code: affiliations and ties ----------------------------------------------

def _organisation(code: str, field: str, *, new_name: str = "", new_kind=None, actor: User | None) -> Organisation:
    """The organisation with this unified social credit code; an unknown (valid) code registers a new
    organisation when its name is given, and is otherwise refused saying so."""
    try:
        code = check_credit_code(code or "")
    except Refused as refusal:
        raise Refused(refusal.message, refusal.code, field) from None
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.credit_code == code))
    if organisation is not None:
        return organisation
    new_name = _text(new_name)
    if not new_name:
        raise Refused(_("没有登记统一社会信用代码为 %(code)s 的单位。请核对代码；如确为新单位，请填写单位名称以一并登记。",
                        code=code), "unknown_organisation", field)
    if len(new_name) > 120:
        raise Refused(_("不能超过 %(n)d 个字。", n=120), "name_too_long", field)
    organisation = new_organisation(new_name, OrganisationKind(new_kind or OrganisationKind.volunteer.value),
                                    credit_code=code)
    audit(actor, "auth.organisation.created", organisation, after=snapshot(organisation, ORGANISATION_FIELDS))
    return organisation


def add_affiliation(judge: Judge, credit_code: str, kind: AffiliationKind | str, *, actor: User,
                    new_name: str = "", new_kind=None) -> JudgeAffiliation:
    """The judge works for or belongs to the organisation with this code: a conflict with its projects."""
    kind = AffiliationKind(kind.value if isinstance(kind, AffiliationKind) else kind)
    with _writing(_("该关联单位刚被他人添加。")):
        organisation = _organisation(credit_code, "credit_code", new_name=new_name, new_kind=new_kind, actor=actor)
        if organisation.id is not None and db.session.scalar(sa.select(JudgeAffiliation.id).where(
                JudgeAffiliation.judge_id == judge.id, JudgeAffiliation.organisation_id == organisation.id)):
            raise Refused(_("已登记该评委与“%(name)s”的关联。", name=organisation.name), "duplicate", "credit_code")
        affiliation = JudgeAffiliation(judge=judge, organisation=organisation, kind=kind)
        db.session.add(affiliation)
        db.session.flush()
        audit(actor, "judging.affiliation.created", judge, fair=judge.fair,
              after={"organisation": organisation.name, "credit_code": organisation.credit_code, "kind": kind.value})
    return affiliation


def remove_affiliation(affiliation: JudgeAffiliation, *, actor: User) -> None:
    judge = affiliation.judge
    with _writing():
        audit(actor, "judging.affiliation.deleted", judge, fair=judge.fair,
              before={"organisation": affiliation.organisation.name,
                      "credit_code": affiliation.organisation.credit_code, "kind": affiliation.kind.value})
        db.session.delete(affiliation)


def add_tie(first_code: str, second_code: str, kind: TieKind | str, *, actor: User, fair: Fair | None = None,
            first_name: str = "", second_name: str = "", new_kind=None) -> OrganisationTie:
    """`first` funds or partners with `second`; either's judges conflict with the other's projects."""
    kind = TieKind(kind.value if isinstance(kind, TieKind) else kind)
    with _writing(_("该关联刚被他人登记。")):
        first = _organisation(first_code, "first_code", new_name=first_name, new_kind=new_kind, actor=actor)
        second = _organisation(second_code, "second_code", new_name=second_name, new_kind=new_kind, actor=actor)
        if first is second:
            raise Refused(_("请填写两个不同单位的代码。"), "same_organisation", "second_code")
        if first.id is not None and second.id is not None and db.session.scalar(sa.select(OrganisationTie.id).where(
                OrganisationTie.kind == kind, sa.or_(
                    sa.and_(OrganisationTie.organisation_id == first.id, OrganisationTie.related_id == second.id),
                    sa.and_(OrganisationTie.organisation_id == second.id, OrganisationTie.related_id == first.id)))):
            raise Refused(_("这两个单位之间的该项关联已登记。"), "duplicate", "second_code")
        tie = OrganisationTie(organisation=first, related=second, kind=kind, fair_id=getattr(fair, "id", None))
        db.session.add(tie)
        audit(actor, "judging.tie.created", tie, fair=fair,
              after={"organisation": first.credit_code, "related": second.credit_code, "kind": kind.value})
    return tie


def remove_tie(tie: OrganisationTie, *, actor: User, fair: Fair | None = None) -> None:
    with _writing():
        audit(actor, "judging.tie.deleted", tie, fair=fair,
              before={"organisation": tie.organisation.credit_code, "related": tie.related.credit_code,
                      "kind": tie.kind.value})
        db.session.delete(tie)


# --- declared conflicts -------------------------------------------------------------------------------

def declare_conflict(judge: Judge, application: Application, kind: DeclarationKind | str, reason: str,
                     actor: User) -> ConflictDeclaration:
    """The judge (or an organizer for them) names a conflict with one project, with the reason; the
    assignment never pairs them again."""
    try:
        kind = DeclarationKind(kind.value if isinstance(kind, DeclarationKind) else kind)
    except ValueError:
        raise Refused(_("请选择申报类型。"), "kind", "kind") from None
    reason = _text(reason)
    if not reason:
        raise Refused(_("请填写回避理由。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "reason_too_long", "reason")
    if application.fair_id != judge.fair_id:
        raise Refused(_("该项目不属于本届展会。"), "other_fair", "application_id")
    with _writing(_("已申报过对该项目的回避。")):
        if db.session.scalar(sa.select(ConflictDeclaration.id).where(
                ConflictDeclaration.judge_id == judge.id, ConflictDeclaration.application_id == application.id)):
            raise Refused(_("已申报过对该项目的回避。"), "duplicate", "application_id")
        declaration = ConflictDeclaration(judge=judge, application=application, kind=kind, reason=reason,
                                          created_by_id=actor.id if actor else None)
        db.session.add(declaration)
        audit(actor, f"judging.conflict.{kind.value}", declaration, fair=judge.fair,
              after={"judge": judge.user.email, "application": application.id, "reason": reason})
    return declaration


def withdraw_conflict(declaration: ConflictDeclaration, *, actor: User) -> None:
    """A declaration made by mistake: the pair may be assigned again (audited with its reason)."""
    judge = declaration.judge
    with _writing():
        audit(actor, "judging.conflict.withdrawn", declaration, fair=judge.fair,
              before={"judge": judge.user.email, "application": declaration.application_id,
                      "kind": declaration.kind.value, "reason": declaration.reason})
        db.session.delete(declaration)
