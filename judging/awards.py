"""Results and awards: the bias-corrected ranking read from the submitted scorecards, award tiers given
by a written tie-break cascade, and the organizer's overrides, tie decisions, freeze and publication.

Every function that a person triggers validates, writes, audits and commits in one transaction.

The tie-break cascade (TIE_BREAK) orders the projects of a group, best first, by
  1. the adjusted score (the ranking's estimate, in the average judge's points),
  2. the median of the project's marks,
  3. the mean of each priority criterion (JudgingCriterion.tie_break, in rubric order), as % of its maximum,
  4. an organizer's decision, logged with its reason (decide_tie).
Projects still equal after 3 whose group crosses a tier cut-off are an unresolved tie: the freeze is
refused until an organizer decides their order. Equal projects that do not cross a cut-off get the same
tier whatever their order and are listed by project id.

Before the freeze the organizer's decisions are rows of their own (AwardOverride: a tier or no award for
one project; TieDecision: the order of one tied set), each change audited. The freeze turns the results,
with these decisions, into Award rows; after it nothing changes."""
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Hashable, NamedTuple

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application
from fair.audit.log import audit
from fair.auth.models import Organisation, User
from fair.booths.models import Booth, Zone
from fair.booths.placing import PLACEABLE
from fair.documents.codes import public_code
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.messages.services import send_message
from fair.refusal import Refused
from fair.times import utcnow
from judging import ranking
from judging.models import (Award, AwardOverride, AwardScope, AwardTier, Judge, JudgeAssignment, JudgingCriterion,
                            JudgingSetup, Scorecard, ScoreLine, TieDecision)

TIE_BREAK = ("estimate", "median", "priority criteria", "organizer decision")
REASON_LENGTH = 500
DISAGREEMENT_POINTS = 25.0     # marks of one project further apart than this (of 100): the judges disagree
UNCERTAIN_WIDTH = 1.5          # an interval this many times wider than the fair's median interval is too uncertain
OUTLIER_OFFSET = 15.0          # a judge this many points more lenient or harsher than the average judge
OUTLIER_SCALE = (0.5, 2.0)     # a judge using less than half, or more than twice, the average judge's spread
OUTLIER_NOISE = 2.0            # a judge whose scatter is twice the median judge's
OVERRIDDEN, CLEARED, TIE_DECIDED = "judging.award.overridden", "judging.award.cleared", "judging.tie.decided"
NO_GROUP = None


@dataclass(frozen=True)
class Pin:
    """An organizer's override of one project: a tier, or no award (`tier_id` None)."""

    tier_id: int | None
    reason: str
    actor_id: int | None


@dataclass(frozen=True)
class Tie:
    """Projects the cascade cannot order whose group crosses a tier cut-off: an organizer decides."""

    group: Hashable
    application_ids: tuple[int, ...]
    tier_ids: tuple[int | None, ...]        # the tiers they share out, best first; None: no award
    decided: str = ""                       # the reason of the organizer's decision; empty: unresolved


class Entrant(NamedTuple):
    """A judged project as the results show it: the few columns read, not the ORM object (435 of those with
    their organisations took a tenth of the page's time)."""

    id: int
    title: str
    organisation_name: str
    category_id: int
    category: Category | None


@dataclass
class ProjectResult:
    """One project's line in the results; the numbers are None for a project nobody has scored yet."""

    application: Entrant
    zone: Zone | None
    group: Hashable
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    raw_mean: float | None = None
    marks: int = 0
    spread: float | None = None
    median: float | None = None
    priority: tuple[float, ...] = ()
    rank: int | None = None
    tier: AwardTier | None = None
    pin: Pin | None = None
    decided: str = ""                       # the reason of the organizer's tie decision that placed it
    tie: Tie | None = None
    straddles: bool = False
    uncertain: bool = False
    _key: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread > DISAGREEMENT_POINTS

    @property
    def flagged(self) -> bool:
        return self.straddles or self.uncertain or self.disagreement or (self.tie is not None and not self.tie.decided)

    def cascade_key(self) -> tuple:
        """Steps 1-3 of TIE_BREAK, smaller first; rounded so that float noise never breaks a tie. Worked out
        once: the numbers are set before anything orders the projects, and the ordering asks thousands of times."""
        if self._key is None:
            self._key = (-round(self.estimate, 6), -round(self.median, 6), *(-round(p, 6) for p in self.priority))
        return self._key


@dataclass(frozen=True)
class JudgeResult:
    judge: Judge
    effect: ranking.JudgeEffect
    lenient: bool
    harsh: bool
    scale_odd: bool
    noisy: bool

    @property
    def outlier(self) -> bool:
        return self.lenient or self.harsh or self.scale_odd or self.noisy


@dataclass
class Results:
    setup: JudgingSetup
    tiers: list[AwardTier]
    criteria: list[JudgingCriterion]
    projects: list[ProjectResult]               # best first by the cascade; unscored projects last
    judges: list[JudgeResult]
    ties: list[Tie]                             # every tie at a cut-off, decided or not
    connected: bool
    groups: dict[Hashable, str] = field(default_factory=dict)   # group key → its name, for scope category/zone

    @property
    def unresolved(self) -> list[Tie]:
        return [tie for tie in self.ties if not tie.decided]

    @property
    def scored(self) -> int:
        return sum(1 for project in self.projects if project.marks)

    def tier_of(self, tier_id: int | None) -> AwardTier | None:
        return next((tier for tier in self.tiers if tier.id == tier_id), None)


def marking(criteria: list[JudgingCriterion]) -> Callable[[dict[int, int]], float]:
    """A scorecard's total on 0–100 under this rubric, from its {criterion id: points}: Σ weight × points /
    max_points, scaled by the weights' sum (100 by design); a criterion without a line counts 0. The weights
    are read off the criteria once, not again for each of the 1,305 scorecards."""
    rubric = [(criterion.id, criterion.weight, criterion.max_points) for criterion in criteria]
    total_weight = sum(weight for _id, weight, _most in rubric) or 1

    def mark(lines: dict[int, int]) -> float:
        return 100.0 * sum(weight * lines.get(criterion_id, 0) / most for criterion_id, weight, most in rubric) \
            / total_weight
    return mark


@lru_cache(maxsize=8)
def _fit(marks: tuple[ranking.Mark, ...], projects: frozenset) -> ranking.Ranking:
    """ranking.rank, kept for the last few sets of marks: it is pure, its result is only read, and the results
    page is read again and again while the marks stay the same (every filter, every decision redirects to
    it; after the lock nothing changes them). The fit is 35 ms of the page at the seed fair's size."""
    return ranking.rank(marks, projects)


def results(fair: Fair, *, locale: str = "zh_Hans") -> Results:
    """The whole results table in a fixed number of queries, whatever the fair's size."""
    setup = db.session.get(JudgingSetup, fair.id) or JudgingSetup(fair_id=fair.id, award_scope=AwardScope.fair)
    criteria = db.session.scalars(sa.select(JudgingCriterion).where(JudgingCriterion.fair_id == fair.id)
                                  .order_by(JudgingCriterion.position, JudgingCriterion.id)).all()
    tiers = db.session.scalars(sa.select(AwardTier).where(AwardTier.fair_id == fair.id)
                               .order_by(AwardTier.position, AwardTier.id)).all()
    zones = {zone.id: zone for zone in db.session.scalars(sa.select(Zone).where(Zone.fair_id == fair.id))}
    categories = {category.id: category for category in fair.categories}
    scope = setup.award_scope or AwardScope.fair
    entries = {}
    for row in db.session.execute(
            sa.select(Application.id, Application.title, Organisation.name, Application.category_id, Booth.zone_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .outerjoin(Booth, Booth.application_id == Application.id)
            .where(Application.fair_id == fair.id, PLACEABLE).order_by(Application.id)):
        entrant = Entrant(row.id, row.title, row.name, row.category_id, categories.get(row.category_id))
        zone = zones.get(row.zone_id)
        entries[entrant.id] = ProjectResult(entrant, zone, _group_of(scope, entrant, zone))
    cards = _scorecards(fair, set(entries))
    mark = marking(criteria)
    points = {key: mark(lines) for key, lines in cards.items()}
    marks = [ranking.Mark(judge_id, application_id, points[judge_id, application_id])
             for judge_id, application_id in sorted(cards)]
    fitted = _fit(tuple(marks), frozenset(entries))
    by_project = defaultdict(list)
    for key in cards:
        by_project[key[1]].append(key)
    priority = [(criterion.id, criterion.max_points) for criterion in criteria if criterion.tie_break]
    for ranked in fitted.projects:
        if not ranked.marks:
            continue
        entry, keys = entries[ranked.project_id], by_project[ranked.project_id]
        its = [points[key] for key in keys]
        entry.estimate, entry.low, entry.high, entry.raw_mean, entry.marks = (
            ranked.estimate, ranked.low, ranked.high, ranked.raw_mean, ranked.marks)
        entry.spread, entry.median = max(its) - min(its), statistics.median(its)
        entry.priority = tuple(statistics.fmean(100.0 * cards[key].get(criterion_id, 0) / most for key in keys)
                               for criterion_id, most in priority)
    pins, decisions = _decisions(fair)
    for application_id, pin in pins.items():
        if application_id in entries:
            entries[application_id].pin = pin
    tiers_by_id = {tier.id: tier for tier in tiers}
    ties: list[Tie] = []
    by_group = defaultdict(list)
    for entry in entries.values():
        by_group[entry.group].append(entry)
    for group in sorted(by_group, key=lambda key: (key is None, key)):
        ties += _allocate(group, by_group[group], tiers, tiers_by_id, decisions)
    _flag_uncertain(list(entries.values()), setup.judges_per_project or 3)
    ordered = _overall_order(entries.values(), decisions)
    for position, entry in enumerate(ordered, start=1):
        entry.rank = position if entry.marks else None
    return Results(setup, list(tiers), list(criteria), ordered, _judge_results(fair, fitted), ties,
                   fitted.connected, _group_names(scope, entries.values(), locale))


def _group_of(scope: AwardScope, application: Entrant, zone: Zone | None) -> Hashable:
    if scope == AwardScope.category:
        return application.category_id
    if scope == AwardScope.zone:
        return zone.id if zone is not None else NO_GROUP
    return NO_GROUP


def _group_names(scope: AwardScope, entries, locale: str) -> dict[Hashable, str]:
    if scope == AwardScope.fair:
        return {}
    names = {}
    for entry in entries:
        if scope == AwardScope.category:
            names[entry.group] = entry.application.category.display_name(locale)
        else:
            names[entry.group] = (entry.zone.name_en if locale.startswith("en") and entry.zone.name_en
                                  else entry.zone.name) if entry.zone else _("未分配展位")
    return names


def _scorecards(fair: Fair, application_ids: set[int]) -> dict[tuple[int, int], dict[int, int]]:
    """(judge id, application id) → {criterion id: points} for every submitted, not skipped scorecard."""
    rows = db.session.execute(
        sa.select(JudgeAssignment.judge_id, JudgeAssignment.application_id, ScoreLine.criterion_id, ScoreLine.points)
        .join(Scorecard, Scorecard.assignment_id == JudgeAssignment.id)
        .join(ScoreLine, ScoreLine.scorecard_id == Scorecard.id)
        .where(JudgeAssignment.fair_id == fair.id, JudgeAssignment.skipped_at.is_(None),
               Scorecard.submitted_at.is_not(None)))
    cards: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for judge_id, application_id, criterion_id, points in rows:
        if application_id in application_ids:
            cards[(judge_id, application_id)][criterion_id] = points
    return cards


def _decisions(fair: Fair) -> tuple[dict[int, Pin], dict[frozenset, tuple[list[int], str]]]:
    """The overrides (per project) and the tie decisions (per set of projects), in two queries."""
    pins = {override.application_id: Pin(override.tier_id, override.reason, override.actor_id)
            for override in db.session.scalars(sa.select(AwardOverride).where(AwardOverride.fair_id == fair.id))}
    decisions = {frozenset(decision.order): (list(decision.order), decision.reason)
                 for decision in db.session.scalars(sa.select(TieDecision).where(TieDecision.fair_id == fair.id))}
    return pins, decisions


def _runs(ordered: list[ProjectResult]) -> list[list[ProjectResult]]:
    """Consecutive projects equal on steps 1-3 of the cascade."""
    runs: list[list[ProjectResult]] = []
    for entry in ordered:
        if runs and runs[-1][0].cascade_key() == entry.cascade_key():
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs


def _apply_decisions(runs: list[list[ProjectResult]], decisions) -> list[list[ProjectResult]]:
    """Step 4: a run the organizer ordered (a decision for exactly these projects) follows that order."""
    for run in runs:
        decision = decisions.get(frozenset(entry.application.id for entry in run)) if len(run) > 1 else None
        if decision:
            order, reason = decision
            run.sort(key=lambda entry: order.index(entry.application.id))
            for entry in run:
                entry.decided = reason
    return runs


def _allocate(group: Hashable, entries: list[ProjectResult], tiers: list[AwardTier], tiers_by_id: dict,
              decisions) -> list[Tie]:
    """Tiers for one group, best first; pinned projects keep their pin and take its place in the count.
    Sets each entry's tier and straddle flag; returns the group's unresolved ties."""
    pinned = Counter(entry.pin.tier_id for entry in entries if entry.pin)
    for entry in entries:
        if entry.pin:
            entry.tier = tiers_by_id.get(entry.pin.tier_id)
    pool = sorted((entry for entry in entries if entry.marks and not entry.pin),
                  key=lambda entry: (entry.cascade_key(), entry.application.id))
    runs = _apply_decisions(_runs(pool), decisions)
    slots = [tier for tier in tiers for _ in range(max(0, tier.count - pinned[tier.id]))]
    ordered = [entry for run in runs for entry in run]
    for position, entry in enumerate(ordered):
        entry.tier = slots[position] if position < len(slots) else None
    lines = [(ordered[i - 1].estimate + ordered[i].estimate) / 2 for i in range(1, len(ordered))
             if ordered[i - 1].tier is not ordered[i].tier]
    for entry in entries:
        entry.straddles = bool(entry.marks) and any(entry.low < line < entry.high for line in lines)
    ties = []
    for run in runs:
        if len({id(entry.tier) for entry in run}) > 1:
            tie = Tie(group, tuple(entry.application.id for entry in run),
                      tuple(dict.fromkeys(entry.tier.id if entry.tier else None for entry in run)), run[0].decided)
            for entry in run:
                entry.tie = tie
            ties.append(tie)
    return ties


def _flag_uncertain(entries: list[ProjectResult], looks: int) -> None:
    """Too uncertain: fewer marks than judges per project, or an interval UNCERTAIN_WIDTH times the median."""
    widths = [entry.high - entry.low for entry in entries if entry.marks]
    typical = statistics.median(widths) if widths else 0.0
    for entry in entries:
        entry.uncertain = not entry.marks or entry.marks < looks or (entry.high - entry.low) > UNCERTAIN_WIDTH * typical


def _overall_order(entries, decisions) -> list[ProjectResult]:
    """The whole fair by the cascade (decided runs in the decided order), then the unscored by id."""
    scored = sorted((entry for entry in entries if entry.marks),
                    key=lambda entry: (entry.cascade_key(), entry.application.id))
    ordered = [entry for run in _apply_decisions(_runs(scored), decisions) for entry in run]
    return ordered + sorted((entry for entry in entries if not entry.marks), key=lambda entry: entry.application.id)


def _judge_results(fair: Fair, fitted: ranking.Ranking) -> list[JudgeResult]:
    if not fitted.judges:
        return []
    judges = db.session.scalars(sa.select(Judge).where(Judge.id.in_(list(fitted.judges)))
                                .options(joinedload(Judge.user))).all()
    noise = statistics.median(effect.noise for effect in fitted.judges.values()) or 1e-9
    out = []
    for judge in sorted(judges, key=lambda judge: judge.id):
        effect = fitted.judges[judge.id]
        out.append(JudgeResult(judge, effect, effect.offset > OUTLIER_OFFSET, effect.offset < -OUTLIER_OFFSET,
                               not OUTLIER_SCALE[0] <= effect.scale <= OUTLIER_SCALE[1],
                               effect.noise > OUTLIER_NOISE * noise))
    return out


# ---- the organizer's decisions ------------------------------------------------------------------------

def _setup(fair: Fair) -> JudgingSetup:
    setup = db.session.get(JudgingSetup, fair.id)
    if setup is None or setup.opened_at is None:
        raise Refused(_("评审尚未开始。"), "not_open")
    return setup


def _refuse_if_frozen(setup: JudgingSetup) -> None:
    if setup.frozen_at is not None:
        raise Refused(_("评审结果已经定稿，不能再修改。"), "frozen")


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请填写理由。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    return reason


def _judged(fair: Fair, application: Application) -> None:
    if application.fair_id != fair.id or not db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(Application.id == application.id, PLACEABLE)):
        raise Refused(_("该项目不在本届评审范围内。"), "not_judged", "application")


def override(application: Application, tier: AwardTier | None, *, reason: str, actor: User) -> None:
    """Pin a project's award by hand, with the reason: `tier`, or no award when None (audited)."""
    fair = application.fair
    setup = _setup(fair)
    _refuse_if_frozen(setup)
    _judged(fair, application)
    if tier is not None and tier.fair_id != fair.id:
        raise Refused(_("没有这个奖项等级。"), "bad_tier", "tier")
    reason = _reason(reason)
    pin = db.session.scalar(sa.select(AwardOverride).where(AwardOverride.application_id == application.id))
    before = {"tier_id": pin.tier_id, "reason": pin.reason} if pin else None
    if pin is None:
        pin = AwardOverride(fair_id=fair.id, application_id=application.id)
    pin.tier_id, pin.reason, pin.actor_id = (tier.id if tier else None), reason, actor.id
    db.session.add(pin)
    audit(actor, OVERRIDDEN, application, fair=fair, before=before,
          after={"application_id": application.id, "tier_id": pin.tier_id, "tier": tier.name if tier else "",
                 "reason": reason})
    _commit_once(_("该项目的奖项刚被他人调整，请刷新页面。"))


def clear_override(application: Application, *, actor: User) -> None:
    """Give the project back to the ranking (audited)."""
    fair = application.fair
    _refuse_if_frozen(_setup(fair))
    pin = db.session.scalar(sa.select(AwardOverride).where(AwardOverride.application_id == application.id))
    if pin is None:
        raise Refused(_("该项目没有人工调整。"), "not_overridden")
    audit(actor, CLEARED, application, fair=fair, before={"tier_id": pin.tier_id, "reason": pin.reason},
          after={"application_id": application.id})
    db.session.delete(pin)
    db.session.commit()


def decide_tie(fair: Fair, order: list[int], *, reason: str, actor: User) -> None:
    """Step 4 of the cascade: the organizer orders projects the cascade could not, best first (audited).
    `order` must name exactly the projects of one tie at a cut-off."""
    _refuse_if_frozen(_setup(fair))
    reason = _reason(reason)
    current = results(fair)
    if frozenset(order) not in {frozenset(tie.application_ids) for tie in current.ties}:
        raise Refused(_("这些项目不是一组跨越奖项分界的并列，评分可能刚有变化，请刷新页面。"), "not_a_tie", "order")
    if len(set(order)) != len(order):
        raise Refused(_("请为并列的每个项目排出不同的名次。"), "bad_order", "order")
    titles = {entry.application.id: entry.application.title for entry in current.projects}
    members = ",".join(str(i) for i in sorted(order))
    decision = db.session.scalar(sa.select(TieDecision).where(TieDecision.fair_id == fair.id,
                                                              TieDecision.members == members))
    if decision is None:
        decision = TieDecision(fair_id=fair.id, members=members)
    decision.order, decision.reason, decision.actor_id = list(order), reason, actor.id
    db.session.add(decision)
    audit(actor, TIE_DECIDED, fair, after={"order": list(order), "titles": [titles[i] for i in order],
                                           "reason": reason})
    _commit_once(_("这组并列刚被他人裁定，请刷新页面。"))


def freeze(fair: Fair, *, actor: User) -> int:
    """Sign the results off: Award rows from the results and the decisions, each with an unguessable
    certificate code. Refused before judging is locked or while a tie at a cut-off awaits a decision."""
    setup = _setup(fair)
    if setup.locked_at is None:
        raise Refused(_("请先锁定评分，再定稿评审结果。"), "not_locked")
    _refuse_if_frozen(setup)
    current = results(fair)
    if current.unresolved:
        raise Refused(_("还有 %(n)d 处并列跨越了奖项分界，请先由组织方决定名次。", n=len(current.unresolved)),
                      "unresolved_ties")
    awarded = [entry for entry in current.projects if entry.tier is not None]
    if not awarded:
        raise Refused(_("没有可颁发的奖项：还没有提交的评分，或没有设置奖项等级。"), "nothing_to_award")
    now = utcnow()
    db.session.add_all(Award(fair_id=fair.id, application_id=entry.application.id, tier_id=entry.tier.id,
                             rank=entry.rank, estimate=entry.estimate,
                             reason=entry.pin.reason if entry.pin else entry.decided,
                             decided_by_id=entry.pin.actor_id if entry.pin else None,
                             certificate_code=public_code())
                       for entry in awarded)
    setup.frozen_at, setup.frozen_by_id = now, actor.id
    tally = Counter(entry.tier.name for entry in awarded)
    audit(actor, "judging.results.frozen", fair, after={"awards": len(awarded), "by_tier": dict(tally)})
    _commit_once(_("另一位组织方刚刚定稿了评审结果，请刷新页面。"))
    return len(awarded)


def _commit_once(message: str) -> None:
    """The version check on JudgingSetup and the unique keys on Award are the guards against a double click."""
    try:
        db.session.commit()
    except (sa.exc.IntegrityError, StaleDataError):
        db.session.rollback()
        raise Refused(message, "concurrent") from None


def _award_subject(title: str, tier: str) -> str:
    return _("获奖通知：%(title)s（%(tier)s）", title=title, tier=tier)


def _award_body(title: str, tier: str, fair_name: str) -> str:
    return _("祝贺！您单位的项目“%(title)s”在%(fair)s中荣获%(tier)s。获奖证书可在“我的奖项”页面下载。",
             title=title, tier=tier, fair=fair_name)


def publish(fair: Fair, *, actor: User) -> int:
    """After the freeze: exhibitors see their awards, and each awarded organisation gets a message."""
    setup = _setup(fair)
    if setup.frozen_at is None:
        raise Refused(_("请先定稿评审结果，再发布。"), "not_frozen")
    if setup.published_at is not None:
        raise Refused(_("评审结果已经发布。"), "already_published")
    awards = awards_of(fair)
    setup.published_at = utcnow()
    for award in awards:
        title, tier = award.application.title, award.tier.name
        with force_locale("zh_Hans"):
            subject, body = _award_subject(title, tier), _award_body(title, tier, fair.name)
        with force_locale("en"):
            english = _award_body(title, award.tier.name_en or tier, fair.name)
        send_message(fair, organisation=award.application.organisation, kind="judging.award", subject=subject,
                     body=body if english == body else f"{body}\n\n{english}")
    audit(actor, "judging.results.published", fair, after={"awards": len(awards)})
    _commit_once(_("评审结果已经发布。"))
    return len(awards)


def awards_of(fair: Fair, *conditions) -> list[Award]:
    """The fair's awards, best tier first then by rank, with project, organisation and tier loaded."""
    return db.session.scalars(
        sa.select(Award).join(AwardTier, AwardTier.id == Award.tier_id).where(Award.fair_id == fair.id, *conditions)
        .order_by(AwardTier.position, Award.rank.is_(None), Award.rank, Award.id)
        .options(joinedload(Award.tier), joinedload(Award.application).joinedload(Application.organisation),
                 joinedload(Award.application).joinedload(Application.category))).all()


