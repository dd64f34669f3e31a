"""Judging: how well the ranking finds the true best projects, in a simulation with a known truth.

    python bench/judging_ranking.py [--seeds N] [--runs N]

A fair of the provincial size: 435 projects in 10 themed zones whose mean quality differs, 60 judges
each limited to 1-3 neighbouring zones (a few cross zones, so the judge-project graph is connected),
severity spread equal to the spread of quality, uneven use of the scale (slopes from about 0.5 to 2),
one judge in ten sloppy (four times the noise), 3 looks per project (1,305 marks). For each seed it
compares raw means, per-judge z-scores and judging/ranking.py's model, under fixed assignment (each
look to the least-loaded judge of the zone) and under dispatch (two fixed looks, then the third 435
looks sent by `next_project` to the projects whose award is most in doubt, refitting after every
round of free judges; same total looks, no judge above 22). It prints, averaged over the seeds (± the
standard error), the share of the true top 80 and top 10 found and Kendall's tau over all projects, then
the median time of one `rank` of 1,305 marks against its 100 ms target. No database is used."""
import argparse
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.stats import kendalltau  # noqa: E402

from judging.ranking import Mark, next_project, rank  # noqa: E402

PROJECTS, ZONES, JUDGES, LOOKS = 435, 10, 60, 3
ZONE_SD, WITHIN_SD = 0.6, 0.8          # quality = zone mean + own; total spread 1
SEVERITY_SD, SLOPE_LOG_SD = 1.0, 0.35  # severity as spread out as quality; slopes exp(N(0, 0.35))
NOISE, SLOPPY_NOISE, SLOPPY_SHARE = 0.4, 1.6, 0.1
CROSS_ZONE = (8, 4)                    # judges covering 2 and 3 neighbouring zones; the rest stay in one
TIERS = (10, 30, 80)                   # award cut-offs counted from the top, for dispatch
TOP = (80, 10)
TARGET_MS = 100
CAP = math.ceil(PROJECTS * LOOKS / JUDGES)


class Fair:
    """One simulated fair: true qualities, where each project stands, which zones each judge covers,
    and each judge's severity, slope and noise; `score` turns a look into rubric points (0-100)."""

    def __init__(self, seed: int):
        self.rng = rng = random.Random(seed)
        zone_mean = [rng.gauss(0, ZONE_SD) for _ in range(ZONES)]
        self.zone = [p % ZONES for p in range(PROJECTS)]
        self.quality = [zone_mean[self.zone[p]] + rng.gauss(0, WITHIN_SD) for p in range(PROJECTS)]
        slot = [p // ZONES for p in range(PROJECTS)]          # zones are 11 × 4 blocks on a 3 m grid, 5 × 2 blocks
        self.place = [((self.zone[p] % 5) * 40 + 3 * (slot[p] % 11), (self.zone[p] // 5) * 20 + 3 * (slot[p] // 11))
                      for p in range(PROJECTS)]
        widths = [3] * CROSS_ZONE[1] + [2] * CROSS_ZONE[0] + [1] * (JUDGES - sum(CROSS_ZONE))
        starts = list(range(ZONES)) * (JUDGES // ZONES + 1)     # every zone is some judges' first zone
        self.covers = [frozenset((starts[j] + k) % ZONES for k in range(widths[j])) for j in range(JUDGES)]
        self.severity = [rng.gauss(0, SEVERITY_SD) for _ in range(JUDGES)]
        self.slope = [math.exp(rng.gauss(0, SLOPE_LOG_SD)) for _ in range(JUDGES)]
        sloppy = set(rng.sample(range(JUDGES), round(SLOPPY_SHARE * JUDGES)))
        self.noise = [SLOPPY_NOISE if j in sloppy else NOISE for j in range(JUDGES)]
        self.in_zone = defaultdict(list)
        for p in range(PROJECTS):
            self.in_zone[self.zone[p]].append(p)

    def score(self, judge: int, project: int) -> Mark:
        latent = self.severity[judge] + self.slope[judge] * self.quality[project] + self.rng.gauss(0, self.noise[judge])
        return Mark(judge, project, float(min(100, max(0, round(65 + 10 * latent)))))

    def fixed_looks(self, looks: int) -> list[Mark]:
        """Each look of each project to the least-loaded judge covering its zone who has not seen it."""
        load, seen, marks = [0] * JUDGES, defaultdict(set), []
        for _look in range(looks):
            order = list(range(PROJECTS))
            self.rng.shuffle(order)
            for p in order:
                able = [j for j in range(JUDGES) if self.zone[p] in self.covers[j] and p not in seen[j]]
                judge = min(able, key=lambda j: (load[j], self.rng.random()))
                load[judge] += 1
                seen[judge].add(p)
                marks.append(self.score(judge, p))
        return marks

    def dispatched_looks(self) -> list[Mark]:
        """Two fixed looks, then rounds: each free judge (least loaded first) takes `next_project` among
        their zones' projects they have not seen and nobody took this round; refit after each round."""
        marks = self.fixed_looks(LOOKS - 1)
        load, seen, where = [0] * JUDGES, defaultdict(set), {}
        for judge, project, _points in marks:
            load[judge] += 1
            seen[judge].add(project)
            where[judge] = self.place[project]
        budget = PROJECTS
        while budget:
            ranking = rank(marks, range(PROJECTS))
            taken = set()
            for judge in sorted(range(JUDGES), key=lambda j: (load[j], j)):
                if not budget or load[judge] >= CAP:
                    continue
                candidates = [p for zone in sorted(self.covers[judge]) for p in self.in_zone[zone]
                              if p not in seen[judge] and p not in taken]
                project = next_project(judge, candidates, ranking, TIERS,
                                       lambda j, p: math.dist(where[j], self.place[p]))
                if project is None:
                    continue
                marks.append(self.score(judge, project))
                load[judge] += 1
                seen[judge].add(project)
                taken.add(project)
                where[judge] = self.place[project]
                budget -= 1
            if not taken:
                break
        return marks


def raw_means(marks: list[Mark]) -> dict[int, float]:
    sums = defaultdict(list)
    for _judge, project, points in marks:
        sums[project].append(points)
    return {project: statistics.fmean(values) for project, values in sums.items()}


def z_scores(marks: list[Mark]) -> dict[int, float]:
    """Each judge's marks standardised by that judge's own mean and spread, then averaged per project."""
    by_judge = defaultdict(list)
    for mark in marks:
        by_judge[mark.judge_id].append(mark.points)
    centre = {judge: (statistics.fmean(values), statistics.pstdev(values) or 1.0) for judge, values in by_judge.items()}
    return raw_means([Mark(j, p, (points - centre[j][0]) / centre[j][1]) for j, p, points in marks])


def model(marks: list[Mark]) -> dict[int, float]:
    return {entry.project_id: entry.estimate for entry in rank(marks).projects}


def measures(fair: Fair, scores: dict[int, float]) -> tuple[float, ...]:
    order = sorted(scores, key=lambda p: (-scores[p], p))
    truth = sorted(range(PROJECTS), key=lambda p: -fair.quality[p])
    found = tuple(len(set(order[:k]) & set(truth[:k])) / k for k in TOP)
    tau = kendalltau([fair.quality[p] for p in range(PROJECTS)], [scores[p] for p in range(PROJECTS)]).statistic
    return (*found, tau)


def accuracy(seeds: int) -> dict[tuple[str, str], list[tuple[float, ...]]]:
    results = defaultdict(list)
    methods = (("raw means", raw_means), ("per-judge z-scores", z_scores), ("judge-effects model", model))
    for seed in range(seeds):
        for assignment, looks in (("fixed", lambda fair: fair.fixed_looks(LOOKS)),
                                  ("dispatch", Fair.dispatched_looks)):
            fair = Fair(seed)
            marks = looks(fair)
            assert len(marks) == PROJECTS * LOOKS
            for name, method in methods:
                results[name, assignment].append(measures(fair, method(marks)))
    return results


def timing(runs: int) -> float:
    marks = Fair(2026).fixed_looks(LOOKS)
    rank(marks)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rank(marks)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def ranking_rows(_workdir: Path, _database_url: str | None, runs: int) -> list[tuple]:
    """bench/run.py's row: the time of one rank() (the accuracy simulation runs only alone)."""
    runs = max(runs, 15)
    return [(f"judging ranking, rank() of {PROJECTS * LOOKS:,} marks", runs, timing(runs), None, TARGET_MS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="simulated fairs to average over (default %(default)s)")
    parser.add_argument("--runs", type=int, default=15, help="timed rankings for the median (default %(default)s)")
    args = parser.parse_args()
    started = time.perf_counter()
    results = accuracy(args.seeds)
    print(f"\n{PROJECTS} projects, {ZONES} zones, {JUDGES} judges, {LOOKS} looks per project, {args.seeds} seeds "
          f"(mean ± standard error)\n")
    print(f"{'method':<22} {'assignment':<10} {'top 80 found':>14} {'top 10 found':>14} {'Kendall tau':>14}")
    for (name, assignment), rows in results.items():
        cells = []
        for column in zip(*rows):
            error = statistics.stdev(column) / math.sqrt(len(column)) if len(column) > 1 else 0.0
            cells.append(f"{statistics.fmean(column):.3f} ± {error:.3f}")
        print(f"{name:<22} {assignment:<10} " + " ".join(f"{cell:>14}" for cell in cells))
    median = timing(args.runs)
    print(f"\nrank() of {PROJECTS * LOOKS:,} marks: median {median:.1f} ms over {args.runs} runs "
          f"(target < {TARGET_MS} ms{'' if median < TARGET_MS else ', OVER'}); "
          f"whole benchmark {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
