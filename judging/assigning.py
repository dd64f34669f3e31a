"""Who judges what, from the database: the solver's run (judging/assign.py) over the exhibited projects and
the active judges, the organizer's changes by hand (lock, reassign, one more judge, a skipped project
offered again) and dispatch of free judges to the projects whose award is most in doubt. Each function a
person triggers validates, writes, audits and commits in one transaction.

Which pairs are a project's k looks (JudgingSetup.judges_per_project): those of source solver or manual
that were not skipped. A re-run keeps the locked ones and those with a scorecard, may move the others, and
never touches the pairs on top of the k (source extra or dispatch) unless their judge was deactivated and
has not scored. A skipped pair stays as the record of the skip, with its reason, and counts as a conflict:
the project is never given back to the judge who skipped it. A pair set by hand (reassign) is locked, so
a re-run keeps the organizer's decision; unlocking it hands it back to the solver.

Positions: a project stands at its booth's centre, in metres; halls are laid side by side in their
order, so a walk between halls is the distance across. A project without a booth (not placed yet) has
zone None: a judge not limited to zones may take it (those limited to some zones do not), it sits at
the origin for the walk, and the next run puts it in its zone once it has a booth.

Dispatch: the first looks are done when every pair that is one of the k looks has a submitted
scorecard. Then a free judge (no unsubmitted pair) is sent by judging.ranking.next_project, on the marks
Σ weight × points / max_points (0–100) of the submitted scorecards and the award tiers' cumulative counts
as cut-offs."""
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from fair.applications.models import Application
from fair.audit.log import audit
from fair.auth.models import User
from fair.booths.models import Booth, Hall, Zone
from fair.booths.placing import PLACEABLE, is_placeable
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from judging import assign, ranking
from judging.models import (AssignmentSource, AwardScope, AwardTier, Judge, JudgeAssignment, JudgingCriterion,
                            Scorecard, ScoreLine)
from judging.queries import booths_by_application, judged_applications, setup_of
from judging.services import conflicted_pairs

LOOKS = (AssignmentSource.solver, AssignmentSource.manual)      # the sources that are a project's k looks
Pair = tuple[int, int]                                           # (application id, judge id), as assign.plan


class AssignmentInfeasible(Refused):
    """No plan gives every project its k judges; `reasons` are the solver's numbers as sentences."""

    def __init__(self, reasons: list[str]):
        super().__init__(_("没有能满足全部硬性条件的评委分配方案，分配未作任何改动。"), "infeasible")
        self.reasons = reasons


@contextmanager
def _all_or_nothing() -> Iterator[None]:
    """Commit what the block wrote, or, when it refuses halfway (a second skipped project finds no judge)
    or another organizer's change got in first (the unique judge–project key), roll all of it back."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_("评委分配刚被他人修改，请刷新页面后重试。"), "changed_meanwhile") from None
    except Exception:
        db.session.rollback()
        raise


def conflicts_of(fair: Fair) -> set[Pair]:
    """(application id, judge id) pairs never to be assigned: organisation ties and declarations."""
    return conflicted_pairs(fair)


# --- reading the rows ----------------------------------------------------------------------------------

def pairs_of(fair: Fair) -> list[JudgeAssignment]:
    """Every pair of the fair with its scorecard, in one query."""
    return db.session.scalars(
        sa.select(JudgeAssignment).outerjoin(JudgeAssignment.scorecard)
        .where(JudgeAssignment.fair_id == fair.id)
        .options(contains_eager(JudgeAssignment.scorecard))
        .order_by(JudgeAssignment.judge_id, JudgeAssignment.walk_order, JudgeAssignment.id)).unique().all()


def judges_of(fair: Fair) -> list[Judge]:
    """Every judge of the fair, active or not, with name and expertise, by id."""
    return db.session.scalars(sa.select(Judge).where(Judge.fair_id == fair.id).order_by(Judge.id)
                              .options(joinedload(Judge.user), selectinload(Judge.expertise))).all()


def is_look(pair: JudgeAssignment) -> bool:
    return pair.source in LOOKS and pair.skipped_at is None


def is_scored(pair: JudgeAssignment) -> bool:
    return pair.scorecard is not None


def is_done(pair: JudgeAssignment) -> bool:
    return pair.scorecard is not None and pair.scorecard.submitted_at is not None


def positions(fair: Fair, booths: dict[int, Booth]) -> dict[int, tuple[float, float]]:
    """Each placed project's booth centre in metres, the halls side by side in their order."""
    halls = db.session.scalars(sa.select(Hall).where(Hall.fair_id == fair.id).order_by(Hall.position, Hall.id)).all()
    offsets, across = {}, 0
    for hall in halls:
        offsets[hall.id] = across
        across += hall.width
    return {application_id: (offsets.get(booth.hall_id, 0) + booth.x + booth.width / 2, booth.y + booth.depth / 2)
            for application_id, booth in booths.items()}


def solver_project(application: Application, booth: Booth | None, at: tuple[float, float] | None) -> assign.Project:
    x, y = at or (0.0, 0.0)
    return assign.Project(application.id, booth.zone_id if booth else None, application.category_id, x, y)


def solver_judge(judge: Judge) -> assign.Judge:
    """A judge limited to no zone at all (an empty list) is treated as unlimited, like None."""
    return assign.Judge(judge.id, frozenset(category.id for category in judge.expertise),
                        frozenset(judge.zone_ids) if judge.zone_ids else None)


def _open_setup(fair: Fair):
    setup = setup_of(fair)
    if setup.locked_at is not None or setup.frozen_at is not None:
        raise Refused(_("评审已锁定，不能再调整评委分配。"), "judging_locked")
    return setup


# --- the solver's run ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunResult:
    projects: int
    judges: int
    added: int
    dropped: int
    kept: int
    loads: tuple[int, int]


def run_assignment(fair: Fair, *, actor) -> RunResult:
    """Give every exhibited project k judges by the solver, keeping locked and scored pairs (a removed
    judge's scored ones too) and as many current pairs as the balance allows; hand a removed judge's
    unscored pairs to others. When no plan keeps every hard rule, write nothing and raise
    AssignmentInfeasible with the numbers."""
    setup = _open_setup(fair)
    k = setup.judges_per_project
    applications = judged_applications(fair)
    if not applications:
        raise Refused(_("还没有入围项目，无需分配评委。"), "nothing_to_assign")
    active = [judge for judge in judges_of(fair) if judge.active]
    if not active:
        raise Refused(_("还没有在任的评委，请先添加评委。"), "no_judges")
    booths = booths_by_application(fair)
    at = positions(fair, booths)
    judged, active_ids = {a.id for a in applications}, {judge.id for judge in active}
    pairs = pairs_of(fair)
    conflicts = {pair for pair in conflicts_of(fair) if pair[0] in judged and pair[1] in active_ids}
    looks = [p for p in pairs if is_look(p) and p.application_id in judged]
    kept = {_key(p) for p in looks
            if is_scored(p) or (p.locked and p.judge_id in active_ids and _key(p) not in conflicts)}
    previous = {_key(p) for p in looks if p.judge_id in active_ids}
    elsewhere = {_key(p) for p in pairs if not is_look(p)}          # skipped, or on top of the k
    try:
        result = assign.plan([solver_project(a, booths.get(a.id), at.get(a.id)) for a in applications],
                             [solver_judge(judge) for judge in active], k=k,
                             conflicts=(conflicts | elsewhere) - kept, kept=kept, previous=previous)
    except assign.Infeasible as infeasible:
        raise AssignmentInfeasible(describe_shortages(infeasible.shortages, applications)) from None

    wanted = set(result.pairs)
    dropped = [p for p in pairs if not is_scored(p) and p.skipped_at is None and _key(p) not in wanted
               and (is_look(p) or p.judge_id not in active_ids or p.application_id not in judged)]
    existing = {_key(p) for p in pairs}
    added = [JudgeAssignment(fair_id=fair.id, judge_id=judge_id, application_id=application_id,
                             source=AssignmentSource.solver)
             for application_id, judge_id in sorted(wanted - existing)]
    low, high = min(result.loads.values()), max(result.loads.values())
    with _all_or_nothing():
        for pair in dropped:
            db.session.delete(pair)
        db.session.flush()
        db.session.add_all(added)
        gone = set(map(id, dropped))
        _set_walks(result.walk, {_key(p): p for p in [*pairs, *added] if id(p) not in gone})
        audit(actor, "judging.assignment.run", fair, after={
            "k": k, "projects": len(applications), "judges": len(active), "added": len(added),
            "dropped": len(dropped), "kept": len(kept), "min_load": low, "max_load": high,
            "connected": result.connected, "conflicts_excluded": len(conflicts),
            "longest_walk_metres": round(max(walk.metres for walk in result.walk.values()), 1)})
    return RunResult(len(applications), len(active), len(added), len(dropped), len(kept), (low, high))


def _key(pair: JudgeAssignment) -> Pair:
    return pair.application_id, pair.judge_id


def _set_walks(walks: dict, by_key: dict[Pair, JudgeAssignment]) -> None:
    """Number each judge's pairs in the plan's walking order; pairs outside the walk (on top of the k,
    skipped, or of a removed judge) follow in their old order."""
    placed = set()
    for judge_id, walk in walks.items():
        for place, application_id in enumerate(walk.order, start=1):
            pair = by_key.get((application_id, judge_id))
            if pair is not None:
                pair.walk_order = place
                placed.add(id(pair))
    rest = defaultdict(list)
    for pair in by_key.values():
        if id(pair) not in placed:
            rest[pair.judge_id].append(pair)
    for judge_id, pairs in rest.items():
        start = len(walks[judge_id].order) if judge_id in walks else 0
        for place, pair in enumerate(sorted(pairs, key=lambda p: (p.walk_order, p.id or 0)), start=start + 1):
            pair.walk_order = place


def describe_shortages(shortages: list[assign.Shortage], applications: list[Application]) -> list[str]:
    """The solver's numbers as the organizer's sentences, naming each project (the first 20, then a count)."""
    titles = {application.id: application.title for application in applications}
    lines = [_("“%(title)s”还需 %(needed)d 位评委，但只有 %(eligible)d 位可选（%(conflicted)d 位有利益冲突，"
               "%(outside)d 位限定在其他展区）。", title=titles.get(s.project, s.project), needed=s.needed,
               eligible=s.eligible, conflicted=s.conflicted, outside=s.outside_zones)
             for s in shortages[:SHOWN_REASONS]]
    if len(shortages) > SHOWN_REASONS:
        lines.append(_("另有 %(n)d 个项目同样缺少评委。", n=len(shortages) - SHOWN_REASONS))
    return lines


SHOWN_REASONS = 20


# --- the organizer's changes by hand -------------------------------------------------------------------

def lock_pair(assignment: JudgeAssignment, *, actor) -> JudgeAssignment:
    """Keep this pair through every re-run."""
    return _set_lock(assignment, True, actor)


def unlock_pair(assignment: JudgeAssignment, *, actor) -> JudgeAssignment:
    """Let the next run move this pair again (unless it has a scorecard)."""
    return _set_lock(assignment, False, actor)


def _set_lock(assignment: JudgeAssignment, locked: bool, actor) -> JudgeAssignment:
    _open_setup(assignment.judge.fair)
    if assignment.skipped_at is not None:
        raise Refused(_("评委已跳过此项目，不能锁定。"), "skipped")
    before = {"locked": assignment.locked}
    assignment.locked = locked
    audit(actor, "judging.assignment.locked" if locked else "judging.assignment.unlocked", assignment,
          before=before, after={"locked": locked}, fair=assignment.judge.fair)
    db.session.commit()
    return assignment


def reassign(assignment: JudgeAssignment, to_judge: Judge, *, actor) -> JudgeAssignment:
    """Give the project of `assignment` to `to_judge` instead, locked so a re-run keeps it. A pair the
    judge skipped stays as the record of the skip and the project gets a new pair."""
    fair = assignment.judge.fair
    _open_setup(fair)
    if is_scored(assignment) and assignment.skipped_at is None:
        raise Refused(_("评委已开始评分，不能改派；如需更多评审请加派评委。"), "scored")
    _check_eligible(fair, assignment.application, to_judge, field="judge_id")
    before = {"judge_id": assignment.judge_id, "source": assignment.source.value, "locked": assignment.locked}
    if assignment.skipped_at is not None:
        moved = JudgeAssignment(fair_id=fair.id, application_id=assignment.application_id, judge_id=to_judge.id)
        db.session.add(moved)
    else:
        moved = assignment
        moved.judge_id = to_judge.id
    moved.source, moved.locked, moved.walk_order = AssignmentSource.manual, True, _next_place(to_judge)
    with _all_or_nothing():
        audit(actor, "judging.assignment.reassigned", moved, before=before,
              after={"judge_id": to_judge.id, "source": "manual", "locked": True}, fair=fair)
    return moved


def _check_eligible(fair: Fair, application: Application, judge: Judge, *, field: str | None = None) -> None:
    """Refuse a judge who may not take the project: another fair's, removed, conflicted, or already on it."""
    if judge.fair_id != fair.id or not judge.active:
        raise Refused(_("请选择本届在任的评委。"), "not_a_judge", field)
    if (application.id, judge.id) in conflicts_of(fair):
        raise Refused(_("%(judge)s 与项目“%(title)s”存在利益冲突，不能评审。", judge=judge, title=application.title),
                      "conflict", field)
    booth = db.session.scalar(sa.select(Booth).where(Booth.application_id == application.id))
    if judge.zone_ids and (booth is None or booth.zone_id not in judge.zone_ids):
        raise Refused(_("%(judge)s 只评审指定展区，项目“%(title)s”不在其中。", judge=judge, title=application.title),
                      "outside_zones", field)
    if db.session.scalar(sa.select(JudgeAssignment.id).where(JudgeAssignment.judge_id == judge.id,
                                                             JudgeAssignment.application_id == application.id)):
        raise Refused(_("%(judge)s 已分配到项目“%(title)s”。", judge=judge, title=application.title),
                      "duplicate", field)


def _next_place(judge: Judge) -> int:
    """The end of the judge's walk."""
    last = db.session.scalar(sa.select(sa.func.max(JudgeAssignment.walk_order))
                             .where(JudgeAssignment.judge_id == judge.id))
    return (last or 0) + 1


def request_extra_judge(application: Application, *, actor) -> JudgeAssignment:
    """One more judge for a project (source extra), on top of its k looks."""
    fair = application.fair
    _open_setup(fair)
    if not is_placeable(application):
        raise Refused(_("“%(title)s”不是参评项目（未入围或已撤回）。", title=application.title), "not_judged")
    judge = _least_loaded(fair, application)
    pair = JudgeAssignment(fair_id=fair.id, application_id=application.id, judge_id=judge.id,
                           source=AssignmentSource.extra, walk_order=_next_place(judge))
    with _all_or_nothing():
        db.session.add(pair)
        audit(actor, "judging.assignment.extra_requested", pair, after={"judge_id": judge.id,
                                                                        "application_id": application.id}, fair=fair)
    return pair


def _least_loaded(fair: Fair, application: Application) -> Judge:
    """The eligible judge with the fewest open pairs, a judge already walking the project's zone
    counting one pair lighter (a walk in the same zone is shorter); ties to the lower id. Refused, with
    the numbers, when nobody may take it."""
    judges = [judge for judge in judges_of(fair) if judge.active]
    pairs = pairs_of(fair)
    zone_of = {application_id: booth.zone_id for application_id, booth in booths_by_application(fair).items()}
    zone = zone_of.get(application.id)
    conflicted = {judge_id for application_id, judge_id in conflicts_of(fair) if application_id == application.id}
    already = {p.judge_id for p in pairs if p.application_id == application.id}
    outside = {judge.id for judge in judges if judge.zone_ids and zone not in judge.zone_ids}
    eligible = [judge for judge in judges if judge.id not in conflicted | already | outside]
    if not eligible:
        ids = {judge.id for judge in judges}
        raise Refused(_("没有可加派的评委：%(judges)d 位在任评委中，%(conflicted)d 位有利益冲突，"
                        "%(already)d 位已分配此项目，%(outside)d 位限定在其他展区。", judges=len(judges),
                        conflicted=len(conflicted & ids), already=len(already & ids - conflicted),
                        outside=len(outside - conflicted - already)), "no_judge_left")
    open_load = Counter(p.judge_id for p in pairs if p.skipped_at is None and not is_done(p))
    walking = {p.judge_id for p in pairs if zone is not None and zone_of.get(p.application_id) == zone}
    return min(eligible, key=lambda judge: (open_load[judge.id] - (judge.id in walking), judge.id))


def reoffer_skipped(fair: Fair, *, actor, assignment: JudgeAssignment | None = None) -> list[JudgeAssignment]:
    """Offer each skipped project (or only `assignment`'s) that has fewer than k looks left to another
    judge, chosen as for one more judge; returns the new pairs (source manual: the organizer's)."""
    setup = _open_setup(fair)
    pairs = pairs_of(fair)
    skipped = [p for p in pairs if p.skipped_at is not None
               and (assignment is None or p.id == assignment.id)]
    if assignment is not None and not skipped:
        raise Refused(_("此项目未被跳过。"), "not_skipped")
    looks = Counter(p.application_id for p in pairs if p.skipped_at is None)
    made = []
    with _all_or_nothing():
        for application in _unique(p.application for p in skipped):
            if looks[application.id] >= setup.judges_per_project:
                continue
            judge = _least_loaded(fair, application)
            pair = JudgeAssignment(fair_id=fair.id, application_id=application.id, judge_id=judge.id,
                                   source=AssignmentSource.manual, walk_order=_next_place(judge))
            db.session.add(pair)
            db.session.flush()
            audit(actor, "judging.assignment.reoffered", pair, after={"judge_id": judge.id,
                                                                       "application_id": application.id}, fair=fair)
            made.append(pair)
        if assignment is not None and not made:
            raise Refused(_("该项目已有足够的评委。"), "enough_judges")
    return made


def _unique(items):
    return list({item.id: item for item in items}.values())


# --- dispatch to doubtful projects ---------------------------------------------------------------------

def weighted_total(points: dict[int, int], criteria: list[JudgingCriterion]) -> float:
    """A scorecard's total on 0–100: Σ weight × points / max_points over the rubric, over Σ weight
    (the weights are shares of 100, so this is the plain weighted sum when they add up to 100)."""
    weights = sum(criterion.weight for criterion in criteria) or 1
    return 100.0 * sum(criterion.weight * points.get(criterion.id, 0) / criterion.max_points
                       for criterion in criteria) / weights


def marks_of(fair: Fair) -> list[ranking.Mark]:
    """Every submitted scorecard as a mark for judging.ranking, in two queries."""
    criteria = db.session.scalars(sa.select(JudgingCriterion).where(JudgingCriterion.fair_id == fair.id)).all()
    rows = db.session.execute(
        sa.select(JudgeAssignment.judge_id, JudgeAssignment.application_id, ScoreLine.criterion_id, ScoreLine.points)
        .join(Scorecard, Scorecard.assignment_id == JudgeAssignment.id)
        .join(ScoreLine, ScoreLine.scorecard_id == Scorecard.id)
        .where(JudgeAssignment.fair_id == fair.id, Scorecard.submitted_at.is_not(None),
               JudgeAssignment.skipped_at.is_(None)))
    cards = defaultdict(dict)
    for judge_id, application_id, criterion_id, points in rows:
        cards[judge_id, application_id][criterion_id] = points
    return [ranking.Mark(judge_id, application_id, weighted_total(points, criteria))
            for (judge_id, application_id), points in sorted(cards.items())]


def cutoffs_of(fair: Fair, setup) -> list[int]:
    """The award tiers' sizes counted from the top (5, 15, 25, 35 → 5, 20, 45, 80). With tiers per
    category or zone, each is the fair-wide equivalent: times the number of categories or zones."""
    counts = db.session.scalars(sa.select(AwardTier.count).where(AwardTier.fair_id == fair.id)
                                .order_by(AwardTier.position, AwardTier.id)).all()
    groups = 1
    if setup.award_scope == AwardScope.category:
        groups = len(fair.categories) or 1
    elif setup.award_scope == AwardScope.zone:
        groups = len({booth.zone_id for booth in booths_by_application(fair).values()}) or 1
    cutoffs, total = [], 0
    for count in counts:
        if count > 0:
            total += count * groups
            cutoffs.append(total)
    return cutoffs


@dataclass
class _Dispatcher:
    """What dispatch reads once per call: the ranking of the submitted marks, the tiers' cut-offs, where
    each project stands, who may not take what, and which projects are already being looked at again."""

    fair: Fair
    ranked: ranking.Ranking
    cutoffs: list[int]
    at: dict[int, tuple[float, float]]
    zone_of: dict[int, int]
    projects: list[int]
    taken: set[Pair]
    pending: set[int]
    open_pairs: Counter
    last_place: dict[int, int]
    here: dict[int, int]                   # judge id → the project they scored last
    added: list[JudgeAssignment] = field(default_factory=list)

    @classmethod
    def load(cls, fair: Fair) -> "_Dispatcher":
        setup = _open_setup(fair)
        pairs = pairs_of(fair)
        projects = [application.id for application in judged_applications(fair)]
        looks = [p for p in pairs if is_look(p) and p.application_id in set(projects)]
        done = sum(map(is_done, looks))
        if not looks or done < len(looks):
            raise Refused(_("首轮评审尚未完成（已完成 %(done)d / %(total)d），完成后才能调度。", done=done,
                            total=len(looks)), "first_looks_open")
        cutoffs = cutoffs_of(fair, setup)
        if not cutoffs:
            raise Refused(_("还没有设置奖项名额，无法判断哪些项目处于奖项边界。"), "no_tiers")
        booths = booths_by_application(fair)
        scored = sorted((p for p in pairs if is_done(p)), key=lambda p: p.scorecard.submitted_at)
        return cls(fair, ranking.rank(marks_of(fair), projects), cutoffs, positions(fair, booths),
                   {application_id: booth.zone_id for application_id, booth in booths.items()}, projects,
                   {_key(p) for p in pairs} | conflicts_of(fair),
                   {p.application_id for p in pairs if p.skipped_at is None and not is_done(p)},
                   Counter(p.judge_id for p in pairs if p.skipped_at is None and not is_done(p)),
                   _last_places(pairs),
                   {p.judge_id: p.application_id for p in scored})

    def pick(self, judge: Judge, *, actor) -> JudgeAssignment | None:
        """The project this free judge should look at next (None when none is left for them), as a new pair."""
        allowed = set(judge.zone_ids) if judge.zone_ids else None
        candidates = [project for project in self.projects if (project, judge.id) not in self.taken
                      and project not in self.pending and (allowed is None or self.zone_of.get(project) in allowed)]
        start = self.at.get(self.here.get(judge.id))
        distance = {project: math.dist(start, self.at[project]) if start and project in self.at else 0.0
                    for project in candidates}
        chosen = ranking.next_project(judge.id, candidates, self.ranked, self.cutoffs, distance)
        if chosen is None:
            return None
        self.last_place[judge.id] = self.last_place.get(judge.id, 0) + 1
        pair = JudgeAssignment(fair_id=self.fair.id, judge_id=judge.id, application_id=chosen,
                               source=AssignmentSource.dispatch, walk_order=self.last_place[judge.id])
        db.session.add(pair)
        db.session.flush()
        self.taken.add((chosen, judge.id))
        self.pending.add(chosen)
        self.here[judge.id] = chosen
        audit(actor, "judging.assignment.dispatched", pair, after={"judge_id": judge.id, "application_id": chosen},
              fair=self.fair)
        self.added.append(pair)
        return pair


def _last_places(pairs: list[JudgeAssignment]) -> dict[int, int]:
    last: dict[int, int] = {}
    for pair in pairs:
        last[pair.judge_id] = max(last.get(pair.judge_id, 0), pair.walk_order)
    return last


def next_for(judge: Judge, *, actor) -> JudgeAssignment | None:
    """Once every first look is submitted, send this free judge to the project whose award is most in
    doubt, weighed against the walk from the booth they scored last (judging.ranking.next_project);
    None when no project is left for them."""
    if not judge.active:
        raise Refused(_("该评委已停用。"), "not_a_judge")
    dispatcher = _Dispatcher.load(judge.fair)
    if dispatcher.open_pairs[judge.id]:
        raise Refused(_("请先评完已分配的 %(n)d 个项目。", n=dispatcher.open_pairs[judge.id]), "judge_busy")
    with _all_or_nothing():
        pair = dispatcher.pick(judge, actor=actor)
    return pair


MAX_PER_JUDGE = 10


def dispatch_round(fair: Fair, *, actor, per_judge: int = 1) -> list[JudgeAssignment]:
    """A second round: every free active judge gets up to `per_judge` doubtful projects, no project sent
    to two judges at once (the ranking does not move until their scores come in)."""
    if not isinstance(per_judge, int) or not 1 <= per_judge <= MAX_PER_JUDGE:
        raise Refused(_("每位评委的项目数须在 1–%(most)d 之间。", most=MAX_PER_JUDGE), "bad_per_judge", "per_judge")
    dispatcher = _Dispatcher.load(fair)
    free = [judge for judge in judges_of(fair) if judge.active and not dispatcher.open_pairs[judge.id]]
    with _all_or_nothing():
        for _round in range(per_judge):
            for judge in free:
                dispatcher.pick(judge, actor=actor)
    return dispatcher.added


# --- what the organizer's pages show -------------------------------------------------------------------
# The pages only read, so the board holds plain rows of the columns they show, not ORM objects: at the
# seed fair's size (1,305 pairs with their scorecards, 480 booths) building and tracking objects took most
# of the page's time.

class ShownPair(NamedTuple):
    """One pair as the organizer's pages show it."""

    id: int
    judge_id: int
    application_id: int
    source: AssignmentSource
    locked: bool
    walk_order: int
    skipped_at: datetime | None
    skip_reason: str
    scored: bool                # it has a scorecard
    done: bool                  # its scorecard is submitted


class ShownJudge(NamedTuple):
    id: int
    name: str
    title: str
    active: bool


class ShownProject(NamedTuple):
    id: int
    title: str


class Spot(NamedTuple):
    """A placed project's booth: its code and zone, and where it stands (for `positions`)."""

    application_id: int
    code: str
    zone_id: int
    hall_id: int
    x: int
    y: int
    width: int
    depth: int


def _shown_pairs(fair: Fair) -> list[ShownPair]:
    rows = db.session.execute(
        sa.select(JudgeAssignment.id, JudgeAssignment.judge_id, JudgeAssignment.application_id, JudgeAssignment.source,
                  JudgeAssignment.locked, JudgeAssignment.walk_order, JudgeAssignment.skipped_at,
                  JudgeAssignment.skip_reason, Scorecard.id.is_not(None), Scorecard.submitted_at.is_not(None))
        .outerjoin(Scorecard, Scorecard.assignment_id == JudgeAssignment.id)
        .where(JudgeAssignment.fair_id == fair.id)
        .order_by(JudgeAssignment.judge_id, JudgeAssignment.walk_order, JudgeAssignment.id))
    return [ShownPair._make(row) for row in rows]


def _shown_judges(fair: Fair) -> list[ShownJudge]:
    rows = db.session.execute(sa.select(Judge.id, User.name, Judge.title, Judge.active)
                              .join(User, User.id == Judge.user_id).where(Judge.fair_id == fair.id).order_by(Judge.id))
    return [ShownJudge._make(row) for row in rows]


def _shown_projects(fair: Fair) -> dict[int, ShownProject]:
    """The judged projects (as judged_applications), by id."""
    rows = db.session.execute(sa.select(Application.id, Application.title)
                              .where(Application.fair_id == fair.id, PLACEABLE).order_by(Application.id))
    return {row.id: ShownProject._make(row) for row in rows}


def _spots(fair: Fair) -> dict[int, Spot]:
    """Each placed project's booth (as booths_by_application)."""
    rows = db.session.execute(sa.select(Booth.application_id, Booth.code, Booth.zone_id, Booth.hall_id, Booth.x,
                                        Booth.y, Booth.width, Booth.depth)
                              .where(Booth.fair_id == fair.id, Booth.application_id.is_not(None)))
    return {row.application_id: Spot._make(row) for row in rows}


@dataclass
class JudgeRow:
    """One judge on the assignment and progress pages; `pairs` in walking order, counted once here."""

    judge: ShownJudge
    pairs: list[ShownPair]
    zones: list[int]
    metres: float
    load: int = field(init=False)           # pairs not skipped
    done: int = field(init=False)           # of those, submitted
    skipped: int = field(init=False)

    def __post_init__(self):
        self.load = sum(p.skipped_at is None for p in self.pairs)
        self.done = sum(p.skipped_at is None and p.done for p in self.pairs)
        self.skipped = len(self.pairs) - self.load


@dataclass
class Board:
    """The fair's assignment as it stands (manual changes included), read in a fixed number of queries."""

    k: int
    projects: dict[int, ShownProject]
    booths: dict[int, Spot]
    zone_names: dict[int | None, str]
    rows: list[JudgeRow]
    pairs: list[ShownPair]
    conflicts: int
    connected: bool

    def spread(self, values: list) -> tuple | None:
        return (min(values), max(values)) if values else None

    @cached_property
    def active_rows(self) -> list[JudgeRow]:
        return [row for row in self.rows if row.judge.active]

    @cached_property
    def loads(self) -> tuple | None:
        return self.spread([row.load for row in self.active_rows])

    @cached_property
    def zones_per_judge(self) -> tuple | None:
        return self.spread([len(row.zones) for row in self.active_rows])

    @cached_property
    def walks(self) -> tuple | None:
        return self.spread([row.metres for row in self.active_rows])

    @cached_property
    def looks(self) -> Counter:
        """Pairs not skipped, per project."""
        return Counter(p.application_id for p in self.pairs if p.skipped_at is None)

    @cached_property
    def submitted(self) -> Counter:
        """Submitted scorecards of pairs not skipped, per project."""
        return Counter(p.application_id for p in self.pairs if p.skipped_at is None and p.done)

    @cached_property
    def short_of_judges(self) -> int:
        """Projects with fewer than k judges assigned (a run is due)."""
        return sum(self.looks[project] < self.k for project in self.projects)

    def zone_progress(self) -> list[tuple[str, int, int]]:
        """(zone name, submitted, assigned) per zone in plan order; projects without a booth last."""
        done, total = Counter(), Counter()
        for project, looks in self.looks.items():
            if project in self.projects:
                zone = self.booths[project].zone_id if project in self.booths else None
                total[zone] += looks
                done[zone] += self.submitted[project]
        return [(name, done[zone], total[zone]) for zone, name in self.zone_names.items() if total[zone]]

    @cached_property
    def skipped(self) -> list[tuple[ShownPair, bool]]:
        """Skipped pairs, newest first, each with whether the project has its k judges again."""
        pairs = sorted((p for p in self.pairs if p.skipped_at is not None), key=lambda p: p.skipped_at, reverse=True)
        return [(pair, self.looks[pair.application_id] >= self.k) for pair in pairs]

    def short_of_scores(self) -> list[tuple[ShownProject, int, int]]:
        """(project, submitted scores, judges assigned) for projects with fewer than k submitted, fewest first."""
        rows = [(project, self.submitted[project.id], self.looks[project.id])
                for project in self.projects.values() if self.submitted[project.id] < self.k]
        return sorted(rows, key=lambda row: (row[1], row[0].id))

    @cached_property
    def _judges(self) -> dict[int, ShownJudge]:
        return {row.judge.id: row.judge for row in self.rows}

    def judge(self, judge_id: int) -> ShownJudge | None:
        return self._judges.get(judge_id)


def board(fair: Fair, *, english: bool = False) -> Board:
    """Everything both pages show, from the rows: judges, their pairs and walks, zones, conflicts."""
    projects = _shown_projects(fair)
    booths = _spots(fair)
    at = positions(fair, booths)
    zones = db.session.execute(sa.select(Zone.id, Zone.name, Zone.name_en).where(Zone.fair_id == fair.id)
                               .order_by(Zone.position, Zone.id))
    zone_names = {zone.id: (zone.name_en or zone.name) if english else zone.name for zone in zones}
    zone_names[None] = _("未安排展位")
    pairs = _shown_pairs(fair)
    mine = defaultdict(list)
    for pair in pairs:
        mine[pair.judge_id].append(pair)
    rows = []
    for judge in sorted(_shown_judges(fair), key=lambda judge: (not judge.active, judge.id)):
        walk = [p for p in mine[judge.id] if p.skipped_at is None]
        points = [at[p.application_id] for p in walk if p.application_id in at]
        metres = sum(math.dist(a, b) for a, b in zip(points, points[1:]))
        zone_ids = {booths[p.application_id].zone_id for p in walk if p.application_id in booths}
        rows.append(JudgeRow(judge, mine[judge.id], [z for z in zone_names if z in zone_ids], metres))
    active = {row.judge.id for row in rows if row.judge.active}
    conflicts = sum(1 for application_id, judge_id in conflicts_of(fair)
                    if application_id in projects and judge_id in active)
    return Board(setup_of(fair).judges_per_project, projects, booths, zone_names, rows, pairs, conflicts,
                 _connected(projects, pairs))


def _connected(projects: dict, pairs: list[ShownPair]) -> bool:
    """Whether every project is linked to every other through shared judges (one scale for the ranking)."""
    parent = {project: project for project in projects}

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    first = {}
    for pair in pairs:
        if pair.skipped_at is None and pair.application_id in parent:
            if pair.judge_id in first:
                parent[root(pair.application_id)] = root(first[pair.judge_id])
            else:
                first[pair.judge_id] = pair.application_id
    return len({root(project) for project in parent}) <= 1
