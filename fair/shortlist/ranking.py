"""Shortlisting maths, pure: plain data in and out, no Flask or database import.

Two steps. `correct_severity` takes each reviewer's severity out of the screening scores, so a reviewer
who scores everything low does not sink the applications they happened to read. `select` then picks
exactly `size` applications with the highest total corrected score that meet every quota (a minimum
and/or a maximum per category, per city, ...), ranks a waitlist of the next best, and when the quotas
cannot all be met says why in numbers rather than returning part of an answer.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

# The ridge on reviewer effects, in reviews: a reviewer's severity is estimated as if they had also
# given a tenth of a score at the common level. It fixes the common level and steadies a reviewer
# with one or two reviews, and moves a reviewer who shares ten applications with others by about 1%.
RIDGE = 0.1


@dataclass(frozen=True)
class Review:
    """One reviewer's score (0–10, the rubric's weighted mean) for one application."""

    reviewer_id: int
    application_id: int
    score: float


@dataclass(frozen=True)
class Estimate:
    application_id: int
    score: float          # severity-corrected: what the common reviewer would have given
    raw_mean: float       # the plain mean of its reviews
    reviews: int


@dataclass(frozen=True)
class Correction:
    estimates: dict[int, Estimate]
    reviewer_effects: dict[int, float]      # + lenient, - harsh, in points
    components: int       # parts of the reviewer–application graph that share no reviewer


def correct_severity(reviews: Iterable[Review], *, ridge: float = RIDGE) -> Correction:
    """Fit score = application effect + reviewer effect by ridge-penalised least squares.

    This is the additive reviewer-bias model of Ge, Welling & Ghahramani, "A Bayesian model for
    calibrating conference review scores" (2013), estimated at its posterior mode with a flat prior
    on the applications and a Gaussian one on the reviewers: minimise
    sum (y_ra - a_a - b_r)^2 + ridge * sum b_r^2. The application effect a_a is the corrected score.

    Severity can only be compared between reviewers who are linked by applications they both read
    (directly or through others): within each connected part of the graph the reviewer effects
    average to zero, and between parts nothing is corrected (`components` says how many parts).
    The applications are eliminated first, which leaves one small system in the reviewers alone
    (its Schur complement: a graph Laplacian plus the ridge), so 3,500 applications cost little.
    """
    reviews = list(reviews)
    if not reviews:
        return Correction({}, {}, 0)
    application_ids = sorted({review.application_id for review in reviews})
    reviewer_ids = sorted({review.reviewer_id for review in reviews})
    a_index = {identifier: index for index, identifier in enumerate(application_ids)}
    r_index = {identifier: index for index, identifier in enumerate(reviewer_ids)}
    rows = np.fromiter((a_index[review.application_id] for review in reviews), int, len(reviews))
    cols = np.fromiter((r_index[review.reviewer_id] for review in reviews), int, len(reviews))
    scores = np.fromiter((review.score for review in reviews), float, len(reviews))

    n_apps, n_reviewers = len(application_ids), len(reviewer_ids)
    per_app = np.bincount(rows, minlength=n_apps).astype(float)
    per_reviewer = np.bincount(cols, minlength=n_reviewers).astype(float)
    app_sums = np.bincount(rows, weights=scores, minlength=n_apps)
    reviewer_sums = np.bincount(cols, weights=scores, minlength=n_reviewers)
    incidence = sparse.csr_matrix((np.ones(len(reviews)), (rows, cols)), shape=(n_apps, n_reviewers))

    # Normal equations: [D_a N; N' D_r + ridge] [a; b] = [s_a; s_r]; eliminate a = (s_a - N b) / n_a.
    scaled = sparse.diags(1.0 / per_app) @ incidence
    schur = np.diag(per_reviewer + ridge) - (incidence.T @ scaled).toarray()
    effects = np.linalg.solve(schur, reviewer_sums - scaled.T @ app_sums)
    corrected = (app_sums - incidence @ effects) / per_app

    graph = sparse.bmat([[None, incidence], [incidence.T, None]])
    components, _labels = connected_components(graph, directed=False)
    estimates = {identifier: Estimate(identifier, float(corrected[i]), float(app_sums[i] / per_app[i]),
                                      int(per_app[i]))
                 for identifier, i in a_index.items()}
    return Correction(estimates, {identifier: float(effects[i]) for identifier, i in r_index.items()},
                      int(components))


@dataclass(frozen=True)
class Candidate:
    """An application that may be shortlisted: its corrected score and the groups it counts in."""

    application_id: int
    score: float
    groups: frozenset[tuple[str, str]]      # (dimension, key), e.g. ("category", "3"), ("city", "南京市")


@dataclass(frozen=True)
class Quota:
    dimension: str
    key: str
    minimum: int = 0
    maximum: int | None = None

    @property
    def group(self) -> tuple[str, str]:
        return self.dimension, self.key


@dataclass(frozen=True)
class Conflict:
    """Why the quotas cannot all be met, in numbers; `kind` says which sentence to read them into.

    too_few_candidates: available < size; maximum_below_minimum: a quota's maximum < its minimum;
    minimum_above_available: a group has fewer candidates than its minimum; minimums_exceed_size:
    one dimension's minimums add up to more than the size; maximums_below_size: one dimension's
    maximums (and group sizes) let fewer than `size` through; forced_above_size / forced_above_maximum:
    the organizer's overrides alone break the size or a maximum; combination: quotas that are each
    possible but not together, with the range [lowest, highest] that `quota`'s group can reach under
    the `others`.
    """

    kind: str
    numbers: Mapping[str, int] = field(default_factory=dict)
    quota: Quota | None = None
    dimension: str | None = None
    others: tuple[Quota, ...] = ()


@dataclass(frozen=True)
class Selection:
    shortlist: list[int]       # application ids, best first
    waitlist: list[int]        # the next best, in the order they would be called up
    conflicts: list[Conflict]  # non-empty: the quotas cannot be met, and both lists are empty

    @property
    def feasible(self) -> bool:
        return not self.conflicts


def _best_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda candidate: (-candidate.score, candidate.application_id))


def select(candidates: Sequence[Candidate], size: int, quotas: Sequence[Quota], *, waitlist_size: int = 0,
           forced_in: Iterable[int] = (), kept_out: Iterable[int] = ()) -> Selection:
    """Exactly `size` candidates with the highest total score within every quota: a 0–1 integer
    program, solved by HiGHS through scipy.optimize.milp. With one partition per dimension (each
    application in one category and one city) its matrix is totally unimodular, so the solver's
    first relaxation is already integral and the answer is a true optimum, not an approximation.

    `forced_in` and `kept_out` are the organizer's overrides (pinned to 1 and 0); the waitlist is the
    best `waitlist_size` of the rest, leaving out those kept out."""
    forced, kept = set(forced_in), set(kept_out)
    conflicts = _simple_conflicts(candidates, size, quotas, forced, kept)
    if conflicts:
        return Selection([], [], conflicts)
    if not candidates:      # size 0: nothing to choose
        return Selection([], [], [])
    program = _Program(candidates, size, quotas, forced, kept)
    chosen = program.solve(range(len(quotas)), objective=np.array([c.score for c in candidates]))
    if chosen is None:
        return Selection([], [], [program.explain()])
    picked = {candidates[i].application_id for i in np.flatnonzero(chosen > 0.5)}
    rest = [c for c in _best_first(candidates) if c.application_id not in picked and c.application_id not in kept]
    return Selection([c.application_id for c in _best_first(c for c in candidates if c.application_id in picked)],
                     [c.application_id for c in rest[:waitlist_size]], [])


def _simple_conflicts(candidates: Sequence[Candidate], size: int, quotas: Sequence[Quota],
                      forced: set[int], kept: set[int]) -> list[Conflict]:
    """Every conflict that counting alone can show, all at once, so one reading fixes them all."""
    available = [c for c in candidates if c.application_id not in kept]
    in_group = Counter(group for c in available for group in c.groups)
    forced_in_group = Counter(group for c in available if c.application_id in forced for group in c.groups)
    conflicts = []
    if len(available) < size:
        conflicts.append(Conflict("too_few_candidates", {"available": len(available), "size": size}))
    forced_count = sum(1 for c in available if c.application_id in forced)
    if forced_count > size:
        conflicts.append(Conflict("forced_above_size", {"forced": forced_count, "size": size}))
    for quota in quotas:
        if quota.maximum is not None and quota.maximum < quota.minimum:
            conflicts.append(Conflict("maximum_below_minimum",
                                      {"minimum": quota.minimum, "maximum": quota.maximum}, quota))
        if in_group[quota.group] < quota.minimum:
            conflicts.append(Conflict("minimum_above_available",
                                      {"minimum": quota.minimum, "available": in_group[quota.group]}, quota))
        if quota.maximum is not None and forced_in_group[quota.group] > quota.maximum:
            conflicts.append(Conflict("forced_above_maximum",
                                      {"forced": forced_in_group[quota.group], "maximum": quota.maximum}, quota))
    by_dimension: dict[str, list[Quota]] = defaultdict(list)
    for quota in quotas:
        by_dimension[quota.dimension].append(quota)
    for dimension, group_quotas in by_dimension.items():
        minimums = sum(quota.minimum for quota in group_quotas)
        if minimums > size:
            conflicts.append(Conflict("minimums_exceed_size", {"total": minimums, "size": size},
                                      dimension=dimension))
        capped = {quota.group: quota.maximum for quota in group_quotas if quota.maximum is not None}
        uncapped = sum(1 for c in available if not any(group in capped for group in c.groups))
        capacity = uncapped + sum(min(maximum, in_group[group]) for group, maximum in capped.items())
        if capped and capacity < size <= len(available):
            conflicts.append(Conflict("maximums_below_size", {"capacity": capacity, "size": size},
                                      dimension=dimension))
    return conflicts


class _Program:
    """The integer program for one set of candidates, solvable with any subset of the quotas."""

    def __init__(self, candidates: Sequence[Candidate], size: int, quotas: Sequence[Quota],
                 forced: set[int], kept: set[int]):
        self.candidates, self.size, self.quotas = candidates, size, quotas
        column = defaultdict(list)
        for index, candidate in enumerate(candidates):
            for group in candidate.groups:
                column[group].append(index)
        self.members = [column.get(quota.group, []) for quota in quotas]
        ids = [c.application_id for c in candidates]
        self.lower = np.array([1.0 if i in forced else 0.0 for i in ids])
        self.upper = np.array([0.0 if i in kept else 1.0 for i in ids])

    def _rows(self, members: list[list[int]]) -> sparse.csr_matrix:
        indptr = np.cumsum([0] + [len(m) for m in members])
        indices = np.fromiter((i for m in members for i in m), int, int(indptr[-1]))
        return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(members), len(self.candidates)))

    def solve(self, active: Iterable[int], *, objective: np.ndarray) -> np.ndarray | None:
        """Maximise `objective` under the size and the `active` quotas; None when that is infeasible."""
        active = list(active)
        members = [list(range(len(self.candidates)))] + [self.members[q] for q in active]
        lower = [self.size] + [self.quotas[q].minimum for q in active]
        upper = [self.size] + [np.inf if self.quotas[q].maximum is None else self.quotas[q].maximum for q in active]
        result = milp(-objective, integrality=np.ones(len(self.candidates)),
                      bounds=(self.lower, self.upper),
                      constraints=LinearConstraint(self._rows(members), lower, upper),
                      options={"mip_rel_gap": 0.0})
        if result.status == 2:
            return None
        if result.status != 0:
            raise RuntimeError(f"shortlist solver stopped: {result.message}")
        return result.x

    def explain(self) -> Conflict:
        """A minimal set of quotas that cannot hold together (deletion filter, Chinneck 2008,
        "Feasibility and Infeasibility in Optimization", ch. 6), and how far the first of them can go."""
        active = list(range(len(self.quotas)))
        zero = np.zeros(len(self.candidates))
        for q in list(active):
            trial = [other for other in active if other != q]
            if self.solve(trial, objective=zero) is None:
                active = trial
        first, others = active[0], active[1:]
        members = np.zeros(len(self.candidates))
        members[self.members[first]] = 1.0
        highest = self.solve(others, objective=members)
        lowest = self.solve(others, objective=-members)
        numbers = {"size": self.size,
                   "highest": int(round(members @ highest)) if highest is not None else 0,
                   "lowest": int(round(members @ lowest)) if lowest is not None else 0}
        return Conflict("combination", numbers, self.quotas[first],
                        others=tuple(self.quotas[q] for q in others))


def quota_shortfalls(counts: Mapping[tuple[str, str], int], quotas: Iterable[Quota]) -> list[Quota]:
    """The quotas that these per-group counts of shortlisted applications break."""
    return [quota for quota in quotas
            if counts.get(quota.group, 0) < quota.minimum
            or (quota.maximum is not None and counts.get(quota.group, 0) > quota.maximum)]


@dataclass(frozen=True)
class Replacement:
    application_id: int
    unmet: tuple[Quota, ...]     # quotas the shortlist breaks with it in; empty when all hold


def choose_replacement(shortlist: Iterable[Candidate], waitlist: Sequence[Candidate],
                       quotas: Sequence[Quota]) -> Replacement | None:
    """The waitlisted candidate to call up for a withdrawn one: the first in waitlist order whose
    arrival leaves the fewest quotas broken (none, where the waitlist allows)."""
    counts = Counter(group for candidate in shortlist for group in candidate.groups)
    best: Replacement | None = None
    for candidate in waitlist:
        unmet = tuple(quota_shortfalls(counts + Counter(candidate.groups), quotas))
        if best is None or len(unmet) < len(best.unmet):
            best = Replacement(candidate.application_id, unmet)
        if not unmet:
            break
    return best
