"""Judge assignment at the provincial fair's size: 435 projects × 3 judges over 60 judges, 10 zones.

    python bench/judging_assign.py [--runs N]

The median of N runs (at least 5) of judging/assign.py's `plan`, target 1,000 ms, on made-up data of
the fair's shape: zones in a row 100 m apart, 48 booths each on a 3 m grid (as in bench/allocate.py),
mostly themed projects of about 380 organisations (one of them with 12 projects in one zone), judges
knowing two themes, each conflicted with two organisations' projects and four of them with the large
one, five judges limited to the first five zones. It prints the loads' spread, the conflicts broken,
zones per judge, whether the judge–project graph is connected, the walks (each judge's projects in
walking order against the same projects in list order), and two re-runs: a judge removed after scoring
8 projects, and a judge added, each with the pairs of the other judges that changed. No database is used
(--database-url is accepted and ignored)."""
import math
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import median_ms, run_alone  # noqa: E402
from judging.assign import Judge, Project, plan  # noqa: E402

PROJECTS, ZONES, JUDGES, K, ORGANISATIONS = 435, 10, 60, 3, 380
THEMES = ("助老", "助残", "青少年", "环保", "社区治理", "应急救援", "文化", "医疗健康", "乡村振兴", "其他")
TARGET_MS = 1_000


def fair_shape(seed: int = 2026) -> tuple[list[Project], list[Judge], set]:
    rng = random.Random(seed)
    booths = [(z, 100.0 * z + 3.0 * (slot % 8), 3.0 * (slot // 8)) for z in range(ZONES) for slot in range(48)]
    big = [booth for booth in booths if booth[0] == 4][:12]                  # the large organisation's stand
    placed = big + rng.sample([booth for booth in booths if booth not in big], PROJECTS - len(big))
    projects = [Project(n, f"zone-{z}", THEMES[z] if rng.random() < 0.8 else rng.choice(THEMES), x, y)
                for n, (z, x, y) in enumerate(placed)]
    organisation = [0] * len(big) + [rng.randrange(1, ORGANISATIONS) for _ in range(PROJECTS - len(big))]
    near = frozenset(f"zone-{z}" for z in range(5))
    judges = [Judge(f"judge-{n}", frozenset(rng.sample(THEMES, 2)), near if n >= JUDGES - 5 else None)
              for n in range(JUDGES)]
    ties = {judge.id: set(rng.sample(range(1, ORGANISATIONS), 2)) | ({0} if n < 4 else set())
            for n, judge in enumerate(judges)}
    conflicts = {(project.id, judge.id) for judge in judges for project in projects
                 if organisation[project.id] in ties[judge.id]}
    return projects, judges, conflicts


def changed_others(before, after, gone=None) -> int:
    """Pairs of the last plan, other than the removed judge's, that the re-run dropped."""
    return len({pair for pair in before if pair[1] != gone} - set(after))


def report(projects, judges, conflicts, result) -> None:
    at = {project.id: project for project in projects}
    zones = Counter(result.zones_per_judge.values())
    walked = sorted(walk.metres for walk in result.walk.values())
    listed = sorted(sum(math.dist((at[a].x, at[a].y), (at[b].x, at[b].y)) for a, b in zip(mine, mine[1:]))
                    for mine in (sorted(walk.order) for walk in result.walk.values()))
    print(f"{len(projects)} projects × {K} judges over {len(judges)} judges, {len(conflicts)} conflict pairs")
    print(f"  loads {dict(sorted(Counter(result.loads.values()).items()))} (spread {result.spread}); "
          f"conflicts broken {len(set(result.pairs) & conflicts)}; "
          f"projects with {K} distinct judges {sum(n == K for n in Counter(p for p, _j in result.pairs).values())}")
    print(f"  zones per judge {dict(sorted(zones.items()))}; connected {'yes' if result.connected else 'no'} "
          f"({result.swaps} swaps to join)")
    print(f"  walk per judge, metres: median {statistics.median(walked):.0f}, 90th percentile "
          f"{walked[int(0.9 * len(walked))]:.0f}, longest {walked[-1]:.0f} (in list order: median "
          f"{statistics.median(listed):.0f}, longest {listed[-1]:.0f})")


def rerun_report(projects, judges, conflicts, result) -> None:
    gone = judges[7].id
    scored = [pair for pair in result.pairs if pair[1] == gone][:8]
    removed = plan(projects, [judge for judge in judges if judge.id != gone], conflicts=conflicts, kept=scored,
                   previous=[pair for pair in result.pairs if pair[1] != gone])
    print(f"  re-run without {gone} (8 scored kept): other judges' pairs changed "
          f"{changed_others(result.pairs, removed.pairs, gone)} of {len(result.pairs) - result.loads[gone]}, "
          f"spread {removed.spread}, connected {'yes' if removed.connected else 'no'}, zones per judge "
          f"{dict(sorted(Counter(removed.zones_per_judge.values()).items()))}")
    added = plan(projects, judges + [Judge("late", frozenset({THEMES[0]}))], conflicts=conflicts,
                 previous=result.pairs)
    print(f"  re-run with a judge added: pairs changed {changed_others(result.pairs, added.pairs)} "
          f"(its load {added.loads['late']} in {added.zones_per_judge['late']} zones), spread {added.spread}, "
          f"connected {'yes' if added.connected else 'no'}")


def judging_assign_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The assignment measure, as a row for this script's table and for bench/run.py's; prints the
    plan's figures and fails if a load, a conflict or a project's k is wrong."""
    projects, judges, conflicts = fair_shape()
    outcome = {}

    def solve():
        outcome["result"] = plan(projects, judges, k=K, conflicts=conflicts)

    median = median_ms(solve, max(runs, 5))
    result = outcome["result"]
    assert result.spread <= 1 and not set(result.pairs) & conflicts
    assert set(Counter(p for p, _j in result.pairs).values()) == {K}
    report(projects, judges, conflicts, result)
    rerun_report(projects, judges, conflicts, result)
    return [(f"judge assignment {PROJECTS} × {K} over {JUDGES} judges", max(runs, 5), median, None, TARGET_MS)]


def main() -> None:
    run_alone(judging_assign_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
