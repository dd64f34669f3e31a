"""Booth allocation at the provincial fair's size: 435 projects into 450–500 booths in 8–10 zones.

    python bench/allocate.py [--runs N]

One measure per shape (450 booths in 8 zones, 480 in 10, 500 in 10), each the median of N runs (at
least 5) of allocate() (fair/booths/allocate.py: the Hall checks, stage one's integer programme with
every preference on, stage two's side-by-side seating), target 1,000 ms. On made-up data of the fair's
shape: zones in a row, a third of them taking two categories, a fifth of the booths double, half with
power, most step-free; about 380 organisations, 13 cities, one in ten projects of award calibre, 5
locked booths. No database is used (--database-url is accepted and ignored).

Each run also checks the answer is the exact optimum: stage one solved once more as the per-booth
programme (one variable per project and booth, seconds), its proved optimum printed next to the fast
answer's objective with their ratio, and the two must be equal."""
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import median_ms, run_alone  # noqa: E402
from fair.booths.allocate import DOUBLE, STANDARD, Booth, Project, Zone, allocate, stage_one  # noqa: E402
from fair.demo_seed import CITIES  # noqa: E402

PROJECTS, ORGANISATIONS, LOCKED = 435, 380, 5
SHAPES = ((480, 10), (450, 8), (500, 10))          # (booths, zones); the first is the fair's plan
CATEGORIES = ("助老", "助残", "青少年", "环保", "社区治理", "应急救援", "文化", "医疗健康", "乡村振兴", "其他")
TARGET_MS = 1_000


def fair_shape(seed: int = 2026, booth_count: int = 480, zone_count: int = 10
               ) -> tuple[list[Project], list[Booth], list[Zone]]:
    """Zones in a row, booths on a 3 m grid; every project is made to fit a booth of its own, so an
    allocation exists."""
    rng = random.Random(seed)
    zones = [Zone(f"zone-{z}", frozenset({CATEGORIES[z]} | ({CATEGORIES[(z + 1) % zone_count]} if z % 3 == 0
                                                           else set())))
             for z in range(zone_count)]
    booths = []
    for number in range(booth_count):
        z, slot = number % zone_count, number // zone_count
        booths.append(Booth(f"booth-{number}", zones[z].id, DOUBLE if rng.random() < 0.2 else STANDARD,
                            rng.random() < 0.5, rng.random() < 0.7, 100.0 * z + 3.0 * (slot % 8), 3.0 * (slot // 8)))
    witness = rng.sample(booths, PROJECTS)
    zone_of = {zone.id: zone for zone in zones}
    projects = [Project(number, rng.choice(sorted(zone_of[booth.zone].categories)),
                        rng.randrange(ORGANISATIONS), rng.choice(list(CITIES)),
                        booth.size == DOUBLE and rng.random() < 0.5, booth.power and rng.random() < 0.5,
                        booth.step_free and rng.random() < 0.3, rng.random() < 0.1)
                for number, booth in enumerate(witness)]
    locks = {booth.id: number for number, booth in enumerate(witness[:LOCKED])}
    booths = [Booth(b.id, b.zone, b.size, b.power, b.step_free, b.x, b.y, locks.get(b.id)) for b in booths]
    return projects, booths, zones


def allocate_rows(workdir: Path, database_url: str | None, runs: int) -> list[tuple]:
    """The allocation measures, as rows for this script's table and for bench/run.py's; prints each
    shape's optimality check and fails if the fast answer is not the per-booth programme's optimum."""
    rows = []
    for booth_count, zone_count in SHAPES:
        projects, booths, zones = fair_shape(booth_count=booth_count, zone_count=zone_count)
        outcome = {}

        def solve():
            outcome["result"] = allocate(projects, booths, zones)

        median = median_ms(solve, max(runs, 5))
        result = outcome["result"]
        assert result.optimal and len(result.placement) == PROJECTS
        started = time.perf_counter()
        exact = stage_one(projects, booths, zones, per_booth=True, time_limit=600)
        exact_s = time.perf_counter() - started
        print(f"{booth_count} booths, {zone_count} zones: objective {result.objective:g}, per-booth optimum "
              f"{exact.objective:g} (proved {exact.optimal}, {exact_s:.1f} s), ratio "
              f"{result.objective / exact.objective:.4f}; {result.side_by_side} same-organisation pairs side by side")
        assert exact.optimal and result.objective == exact.objective, "the fast allocation is not the exact optimum"
        rows.append((f"allocate {PROJECTS} → {booth_count} booths, {zone_count} zones", max(runs, 5), median, None,
                     TARGET_MS))
    return rows


def main() -> None:
    run_alone(allocate_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
