"""Booth allocation at the provincial fair's size: 435 projects into 480 booths in 10 zones.

    python bench/allocate.py [--runs N]

One measure, the median of N runs (at least 5): the maths alone (fair/booths/allocate.py: the Hall
checks, stage one's integer programme with every preference on, stage two's side-by-side seating) on
made-up data of the fair's shape: 10 zones, three of them taking two categories, a fifth of the booths
double, half with power, most step-free; about 380 organisations, 13 cities, one in ten projects of
award calibre, 5 locked booths. No database is used (--database-url is accepted and ignored)."""
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import median_ms, run_alone  # noqa: E402
from fair.booths.allocate import DOUBLE, STANDARD, Booth, Project, Zone, allocate  # noqa: E402
from fair.demo_seed import CITIES  # noqa: E402

PROJECTS, BOOTHS, ZONES, ORGANISATIONS, LOCKED = 435, 480, 10, 380, 5
CATEGORIES = ("助老", "助残", "青少年", "环保", "社区治理", "应急救援", "文化", "医疗健康", "乡村振兴", "其他")
MATHS_TARGET_MS = 5_000


def fair_shape(seed: int = 2026) -> tuple[list[Project], list[Booth], list[Zone]]:
    """Zones in a row, booths on a 3 m grid; every project is made to fit a booth of its own, so an
    allocation exists."""
    rng = random.Random(seed)
    zones = [Zone(f"zone-{z}", frozenset({CATEGORIES[z]} | ({CATEGORIES[(z + 1) % ZONES]} if z % 3 == 0 else set())))
             for z in range(ZONES)]
    booths = []
    for number in range(BOOTHS):
        z, slot = number % ZONES, number // ZONES
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
    """The allocation measure, as rows for this script's table and for bench/run.py's."""
    projects, booths, zones = fair_shape()
    outcome = {}

    def solve():
        outcome["result"] = allocate(projects, booths, zones)

    median = median_ms(solve, max(runs, 5))
    result = outcome["result"]
    assert result.optimal and len(result.placement) == PROJECTS
    return [(f"allocate {PROJECTS} projects → {BOOTHS} booths, {ZONES} zones", max(runs, 5), median, None,
             MATHS_TARGET_MS)]


def main() -> None:
    run_alone(allocate_rows, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
