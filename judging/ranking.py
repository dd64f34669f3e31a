"""Ranking projects from judges' marks, pure: plain data in and out, no Flask or database import.

Raw means reward a project for drawing lenient judges, and per-judge z-scores assume every judge saw a
random sample of projects, which is false when judges stay in themed zones (a judge of a strong zone is
pulled down). `rank` instead fits a judge-effects model, score = judge offset + judge slope × quality +
noise, with the judges' parameters pooled, and reports each project's quality in the points the average
judge would give, with an interval. `doubt` and `next_project` send a free judge where one more look is
most likely to change an award. The method and its measured accuracy are in docs/ranking.md.
"""
import math
from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.special import ndtr

Z95 = 1.959964        # half-width of the reported interval, in standard deviations (95%)
NOISE_PRIOR_MARKS = 3.0   # a judge's noise is estimated as if they had also given 3 marks at the pooled noise
SLOPE_FLOOR = 0.05    # no judge's slope falls below 5% of the average: marks never count upside down
VARIANCE_FLOOR = 1e-4     # in units of the marks' variance: keeps equal marks from dividing by zero
NOISE_FLOOR = 0.01    # the pooled noise is at least a tenth of the marks' spread: a few marks fit exactly
TOLERANCE = 1e-6      # stop when no quality moves by more than this (in standard deviations of the marks)
MAX_ITERATIONS = 500
# The prior on quality is this many times wider than the qualities' own spread. Projects come in zones,
# each seen mostly by its own judges; a prior as narrow as the spread would tie the mean of a zone's
# ~40 projects to the overall mean (40 draws average out) and push a strong zone's merit into its
# judges' leniency. Widened, it still steadies a project scored by one sloppy judge. The simulation in
# bench/judging_ranking.py finds 3-6 best (top 80 found: 0.73 at 1.5, 0.78 at 4, 0.77 at 6).
PRIOR_WIDENING = 4.0
WALK_METRES = 60.0    # next_project: a project this far away is worth half as much as one next door


class Mark(NamedTuple):
    """One judge's score for one project (the rubric's weighted total, any scale)."""

    judge_id: Hashable
    project_id: Hashable
    points: float


@dataclass(frozen=True)
class Ranked:
    """A project's place. `estimate` is in points: what the average judge would give it; `low`–`high`
    is its 95% interval and `sd` the standard deviation behind it. All five numbers are None for a project
    with no marks (named in `projects` but never scored): such projects come last, in id order."""

    project_id: Hashable
    estimate: float | None
    low: float | None
    high: float | None
    sd: float | None
    raw_mean: float | None
    marks: int
    component: int        # index into Ranking.components; -1 for a project with no marks


@dataclass(frozen=True)
class JudgeEffect:
    """How one judge marks, for the organizer's outlier-judge view: `offset` in points (+ lenient, - harsh,
    for a project of average quality), `scale` the slope relative to the average judge (1 = uses the scale
    like the others, 0.5 = half the spread), `noise` the typical scatter of their marks in points."""

    judge_id: Hashable
    offset: float
    scale: float
    noise: float
    marks: int


@dataclass(frozen=True)
class Ranking:
    projects: tuple[Ranked, ...]              # best first; ties in project id order
    judges: dict[Hashable, JudgeEffect]
    components: tuple[tuple[Hashable, ...], ...]  # project ids of each part of the judge–project graph, largest first
    iterations: int
    converged: bool

    @property
    def connected(self) -> bool:
        """False when some projects share no judge, even indirectly, with the rest: their estimates are
        then compared only through the assumption that each group's judges are equally severe on average."""
        return len(self.components) <= 1


def rank(marks: Iterable[Mark | tuple], projects: Iterable[Hashable] = ()) -> Ranking:
    """Projects best first with severity, scale and noise of every judge taken out.

    The model, on the marks standardised to mean 0 and variance 1 (so the priors below are scale-free):
        y_jp = a_j + b_j q_p + e,   e ~ N(0, s_j²)
        a_j ~ N(mu_a, tau_a²),   b_j ~ N(1, tau_b²),   s_j² ~ scaled-inv-chi²(3, s0²),   q_p ~ N(0, k²)
    with mu_a, tau_a², tau_b² and s0² estimated from all judges (empirical Bayes): a judge with few marks
    keeps parameters near the typical judge's, and a sloppy judge's large s_j makes each of their marks
    count for less. k² is PRIOR_WIDENING times the estimated spread of q. The slopes are rescaled to
    average exactly 1 and q's prior has mean 0, which fixes the scale: q is in the average judge's units.
    It is fitted by EM with (q, a) as the latent part: given slopes and noises, (q, a) is jointly Gaussian
    and solved exactly (eliminating q leaves a judges × judges system); then slopes, noises and the
    pooled parameters are updated, until no quality moves by TOLERANCE. The uncertainty is q's marginal
    posterior variance, which includes the uncertainty of the judges' offsets (so a zone linked to the
    rest by few judges gets wider intervals).

    Ties are broken by project id, and the marks are sorted before fitting, so equal inputs in any order
    give the same output. Raises ValueError for points that are not finite numbers and for a judge who
    marked the same project twice.
    """
    rows = _checked(marks)
    unmarked = sorted(set(projects) - {project for _judge, project, _points in rows})
    if not rows:
        return Ranking(tuple(_unmarked(project) for project in unmarked), {}, (), 0, True)
    judge_ids = sorted({judge for judge, _project, _points in rows})
    project_ids = sorted({project for _judge, project, _points in rows})
    j_index = {identifier: index for index, identifier in enumerate(judge_ids)}
    p_index = {identifier: index for index, identifier in enumerate(project_ids)}
    judge = np.array([j_index[row[0]] for row in rows])
    project = np.array([p_index[row[1]] for row in rows])
    points = np.array([row[2] for row in rows])
    centre, spread = float(points.mean()), float(points.std())
    spread = spread if spread > 0 else 1.0
    fit = _Fit(judge, project, (points - centre) / spread, len(judge_ids), len(project_ids))
    iterations, converged = fit.run()

    counts = np.bincount(project, minlength=len(project_ids))
    raw = np.bincount(project, weights=points, minlength=len(project_ids)) / counts
    part_of, parts = _components(judge, project, len(judge_ids), project_ids)
    level = centre + spread * fit.mu_a              # the average judge, in points: level + spread * q
    estimate, sd = level + spread * fit.q, spread * np.sqrt(fit.q_var)
    order = sorted(range(len(project_ids)), key=lambda p: (-round(float(fit.q[p]), 9), project_ids[p]))
    ranked = [Ranked(project_ids[p], float(estimate[p]), float(estimate[p] - Z95 * sd[p]),
                     float(estimate[p] + Z95 * sd[p]), float(sd[p]), float(raw[p]), int(counts[p]), part_of[p])
              for p in order]
    per_judge = np.bincount(judge, minlength=len(judge_ids))
    judges = {identifier: JudgeEffect(identifier, float(spread * (fit.a[j] - fit.mu_a)), float(fit.b[j]),
                                      float(spread * math.sqrt(fit.noise[j])), int(per_judge[j]))
              for j, identifier in enumerate(judge_ids)}
    return Ranking(tuple(ranked) + tuple(_unmarked(project) for project in unmarked), judges, parts,
                   iterations, converged)


def _checked(marks: Iterable[Mark | tuple]) -> list[tuple]:
    rows, seen = [], set()
    for judge, project, points in marks:
        try:
            value = float(points)
        except (TypeError, ValueError):
            raise ValueError(f"judge {judge!r}, project {project!r}: points {points!r} are not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"judge {judge!r}, project {project!r}: points {points!r} are not finite")
        if (judge, project) in seen:
            raise ValueError(f"judge {judge!r} marked project {project!r} twice")
        seen.add((judge, project))
        rows.append((judge, project, value))
    return sorted(rows)


def _unmarked(project: Hashable) -> Ranked:
    return Ranked(project, None, None, None, None, None, 0, -1)


def _components(judge: np.ndarray, project: np.ndarray, n_judges: int,
                project_ids: list) -> tuple[list[int], tuple[tuple[Hashable, ...], ...]]:
    """Each project's part of the bipartite judge–project graph, parts numbered largest first."""
    n_projects = len(project_ids)
    incidence = sparse.csr_matrix((np.ones(len(judge)), (project, judge)), shape=(n_projects, n_judges))
    _count, labels = connected_components(sparse.bmat([[None, incidence], [incidence.T, None]]), directed=False)
    members: dict[int, list] = {}
    for p in range(n_projects):
        members.setdefault(int(labels[p]), []).append(project_ids[p])
    ordered = sorted(members.items(), key=lambda item: (-len(item[1]), item[1][0]))
    number = {label: index for index, (label, _ids) in enumerate(ordered)}
    return [number[int(labels[p])] for p in range(n_projects)], tuple(tuple(ids) for _label, ids in ordered)


class _Fit:
    """The EM iterations of `rank`, on standardised marks; arrays indexed by judge (J) and project (P).

    Everything but one judges × judges inverse is done per mark, or per pair of marks on the same
    project (9 pairs per project at 3 looks), so the cost grows with the marks, not with P × J."""

    def __init__(self, judge: np.ndarray, project: np.ndarray, y: np.ndarray, n_judges: int, n_projects: int):
        self.judge, self.project, self.y = judge, project, y
        self.J, self.P = n_judges, n_projects
        self.n = np.bincount(judge, minlength=n_judges).astype(float)
        by_project = np.argsort(project, kind="stable")
        starts = np.searchsorted(project[by_project], np.arange(n_projects))
        ends = np.searchsorted(project[by_project], np.arange(n_projects), side="right")
        pairs = [(by_project[i], by_project[k]) for s, e in zip(starts, ends) for i in range(s, e) for k in range(s, e)]
        self.first, self.second = (np.array(side) for side in zip(*pairs))
        self.pair_project = project[self.first]
        self.pair_cell = judge[self.first] * n_judges + judge[self.second]
        self.mu_a, self.tau_a2, self.tau_b2, self.kappa2 = 0.0, 0.5, 0.05, 1.0
        self.b = np.ones(n_judges)
        self.noise = np.full(n_judges, 0.5)
        self.q = np.zeros(n_projects)

    def run(self) -> tuple[int, bool]:
        for iteration in range(1, MAX_ITERATIONS + 1):
            before = self.q
            self._posterior()
            self._update()
            if np.max(np.abs(self.q - before)) < TOLERANCE:
                self._posterior()
                return iteration, True
        self._posterior()
        return MAX_ITERATIONS, False

    def _posterior(self) -> None:
        """The joint Gaussian posterior of qualities q and offsets a given slopes and noises: means, the
        variance of each q and of each a, and the covariance of q_p with a_j wherever j marked p."""
        J, P, judge, project = self.J, self.P, self.judge, self.project
        weight = 1.0 / self.noise[judge]
        cross = self.b[judge] * weight                  # the q_p–a_j entry of the precision, per mark
        q_precision = 1.0 / self.kappa2 + np.bincount(project, weights=cross * self.b[judge], minlength=P)
        a_precision = 1.0 / self.tau_a2 + np.bincount(judge, weights=weight, minlength=J)
        q_rhs = np.bincount(project, weights=cross * self.y, minlength=P)
        a_rhs = np.bincount(judge, weights=weight * self.y, minlength=J) + self.mu_a / self.tau_a2
        scaled = cross / q_precision[project]           # eliminating q: its share of each mark
        first, second = self.first, self.second
        schur = np.diag(a_precision) - np.bincount(self.pair_cell, weights=cross[first] * scaled[second],
                                                   minlength=J * J).reshape(J, J)
        a_cov = np.linalg.inv(schur)
        self.a = a_cov @ (a_rhs - np.bincount(judge, weights=scaled * q_rhs[project], minlength=J))
        self.q = q_rhs / q_precision - np.bincount(project, weights=scaled * self.a[judge], minlength=P)
        linked = a_cov.reshape(-1)[self.pair_cell]
        self.q_var = 1.0 / q_precision + np.bincount(self.pair_project, weights=scaled[first] * scaled[second] * linked,
                                                     minlength=P)
        self.a_var = np.diag(a_cov).copy()
        self.qa_cov = -np.bincount(first, weights=scaled[second] * linked, minlength=len(judge))

    def _update(self) -> None:
        """Slopes and noises at their posterior mode given the expectations above, then the pooled parameters."""
        J, judge, y = self.J, self.judge, self.y
        q, q_var, a = self.q[self.project], self.q_var[self.project], self.a[judge]
        q_sq = q * q + q_var
        aq = a * q + self.qa_cov
        weight = 1.0 / self.noise
        numerator = weight * np.bincount(judge, weights=y * q - aq, minlength=J) + 1.0 / self.tau_b2
        denominator = weight * np.bincount(judge, weights=q_sq, minlength=J) + 1.0 / self.tau_b2
        self.b = np.maximum(numerator / denominator, SLOPE_FLOOR)
        slope = self.b[judge]
        residual = (y - a - slope * q) ** 2 + self.a_var[judge] + slope * slope * q_var + 2 * slope * self.qa_cov
        rss = np.bincount(judge, weights=residual, minlength=J)
        pooled = max(float(rss.sum() / self.n.sum()), NOISE_FLOOR)
        self.noise = np.maximum((rss + NOISE_PRIOR_MARKS * pooled) / (self.n + NOISE_PRIOR_MARKS), VARIANCE_FLOOR)
        self.mu_a = float(self.a.mean())
        self.tau_a2 = max(float(np.mean((self.a - self.mu_a) ** 2 + self.a_var)), VARIANCE_FLOOR)
        self.kappa2 = max(PRIOR_WIDENING * float(np.mean(self.q ** 2 + self.q_var)), VARIANCE_FLOOR)
        self.b /= self.b.mean()         # the average judge's slope is 1: this fixes the unit of quality
        self.tau_b2 = max(float(np.mean((self.b - 1.0) ** 2)), 0.01)


def doubt(ranking: Ranking, cutoffs: Sequence[int]) -> dict[Hashable, float]:
    """Each project's probability of belonging in another award tier than the one its estimate gives it.

    `cutoffs` are tier sizes counted from the top, e.g. (10, 30, 80): the best 10, the next 20, the next
    50, the rest. Each cut-off k lies halfway between the k-th and (k+1)-th estimates; a project between
    cut-offs t_low and t_high has doubt P(quality > t_high) + P(quality < t_low) under its normal
    posterior (the cut-offs themselves are treated as known). A project with no marks has doubt 1."""
    scored = [entry for entry in ranking.projects if entry.marks]
    sizes = sorted({int(k) for k in cutoffs})
    if any(k <= 0 for k in sizes):
        raise ValueError(f"cut-offs must be positive tier sizes, got {list(cutoffs)!r}")
    estimates = np.array([entry.estimate for entry in scored])
    sd = np.maximum(np.array([entry.sd for entry in scored]), 1e-12)
    lines = np.array([(estimates[k - 1] + estimates[k]) / 2 for k in sizes if k < len(scored)])
    chances = np.zeros(len(scored))
    for line in lines:
        beyond = ndtr((estimates - line) / sd)          # P(quality above the line)
        chances += np.where(estimates > line, 1.0 - beyond, beyond)
    result = {entry.project_id: float(min(chance, 1.0)) for entry, chance in zip(scored, chances)}
    result.update({entry.project_id: 1.0 for entry in ranking.projects if not entry.marks})
    return result


def next_project(judge: Hashable, candidates: Iterable[Hashable], ranking: Ranking, cutoffs: Sequence[int],
                 distance: Callable[[Hashable, Hashable], float] | Mapping[Hashable, float], *,
                 walk_metres: float = WALK_METRES) -> Hashable | None:
    """The candidate a free judge should look at next: the highest doubt (see `doubt`), each divided by
    1 + metres / walk_metres so that a project next door beats an equally doubtful one across the hall.
    `candidates` are the projects this judge may score (no conflict, not yet scored by them); a project not
    in `ranking` has doubt 1. `distance` is metres from the judge, a function (judge, project) or a mapping
    by project. Ties go to the nearer, then the lower id; None when there is no candidate."""
    chances = doubt(ranking, cutoffs)
    metres = distance.get if isinstance(distance, Mapping) else (lambda project: distance(judge, project))
    best, best_key = None, None
    for project in candidates:
        far = float(metres(project))
        key = (-chances.get(project, 1.0) / (1.0 + far / walk_metres), far, project)
        if best_key is None or key < best_key:
            best, best_key = project, key
    return best
