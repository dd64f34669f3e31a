"""Which project gets which booth: every hard rule kept, the organizer's preferences as far as they go.

Pure: plain data in and out, no Flask or database import.

Hard rules: a booth's zone accepts the project's category; a double project needs a double booth (a
standard project may take a double one); power and step-free access where the project needs them;
locked pairs stay; each booth holds at most one project and each project gets exactly one booth.

Preferences (the `Weights`), in two stages.

Stage one is a 0–1 integer programme solved by HiGHS (scipy.optimize.milp), with a variable x[p, b] per
allowed pair, minimising one linear objective:
  - `organisation`: one for every (organisation, zone) in use, for organisations with two or more
    projects, so an organisation's projects share a zone;
  - `region`: one for every (region, zone) in use, so a region's projects gather in few zones;
  - `award`: one for every award-calibre project beyond the even share ceil(A / zones) in a zone.
Each (group, zone) term is a 0–1 variable u with Σ_{b in zone} x[p, b] ≤ u for each project p of the
group (the disaggregated form).
When HiGHS proves optimality (`optimal` True; mip_rel_gap 0) the placement minimises this objective
exactly (`score`); tests compare it with brute force. If `time_limit` stops HiGHS first, the answer
still keeps every hard rule and `gap` says how far from the bound it may be.

Stage two seats an organisation's projects side by side (neighbouring booths: same zone, centres at
most `neighbour_distance` apart). Done exactly, that is a quadratic assignment problem; its standard
linearisation (y_pq ≤ 1 − x[p, b] + Σ_{c next to b} x[q, c]) has a relaxation so weak that, tried
here, HiGHS still had a 25–40% gap on a 60-project instance after 15–60 s. So stage two is a local search: within each zone, move a
project to a free booth or swap two projects while that puts more same-organisation pairs side by
side. It never changes stage one's objective (nothing leaves its zone) and never breaks a hard rule,
but its count of side-by-side pairs (`side_by_side`) is a local optimum, not a proved maximum.

When no allocation exists, `Infeasible.reasons` says why in counts, never with part of an answer: by
Hall's theorem a matching exists only if every set of projects has at least as many booths open to
it, and the sets checked are the natural ones (every set of categories, alone and with one need:
double, power, step-free), each with the zones that accept them. Needs that only fail together (no
booth with both power and step-free access for a project that needs both) are reported as
"combination"; so is any case the counts miss and the solver proves infeasible.

At the fair's size (435 projects, 480 booths, 10 zones; bench/allocate.py) HiGHS proves stage one
optimal in a few seconds."""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Hashable, Mapping, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

STANDARD, DOUBLE = "standard", "double"
NEEDS = ("double", "power", "step_free")
# Hall's condition is checked over every set of categories up to this many categories at once (2^n sets).
ALL_SUBSETS_UP_TO = 12


@dataclass(frozen=True)
class Booth:
    id: Hashable
    zone: Hashable
    size: str                 # STANDARD or DOUBLE
    power: bool
    step_free: bool
    x: float
    y: float
    locked_project: Hashable | None = None


@dataclass(frozen=True)
class Zone:
    id: Hashable
    categories: frozenset


@dataclass(frozen=True)
class Project:
    id: Hashable
    category: Hashable
    organisation: Hashable
    region: Hashable
    needs_double: bool = False
    needs_power: bool = False
    needs_step_free: bool = False
    award_calibre: bool = False


@dataclass(frozen=True)
class Weights:
    organisation: float = 3.0
    region: float = 1.0
    award: float = 2.0
    neighbour_distance: float = 3.5     # booth centres this close (same zone) count as side by side


@dataclass(frozen=True)
class Reason:
    """One count that rules every allocation out: `projects` need what only `booths` booths offer.

    kind: "no_zone" (no zone accepts the categories), "too_few" (Hall's condition fails), "locked"
    (a locked pair breaks a rule or names an unknown or twice-locked project), "combination" (every
    count checked fits, yet the solver proves no allocation exists: needs combine, e.g. power and
    step-free on the same booth)."""

    kind: str
    categories: tuple = ()
    zones: tuple = ()
    need: str | None = None          # one of NEEDS, or None for any booth
    projects: int = 0
    booths: int = 0
    booth: Hashable | None = None    # for "locked"
    project: Hashable | None = None  # for "locked"

    def describe(self, names: Mapping[Hashable, str] | None = None) -> str:
        """A sentence for the organizer; `names` maps category and zone ids to their names."""
        names = names or {}
        label = lambda ids: "、".join(str(names.get(i, i)) for i in ids)  # noqa: E731
        need = {"double": "a double booth", "power": "power", "step_free": "step-free access", None: "a booth"}
        if self.kind == "no_zone":
            return f"category {label(self.categories)}: {self.projects} projects, no zone accepts it"
        if self.kind == "combination":
            return (f"{self.projects} projects, {self.booths} booths: every count fits, but no allocation meets "
                    "all needs together")
        if self.kind == "locked":
            return f"booth {self.booth} locked to project {self.project}: {self.need}"
        return (f"zone {label(self.zones)} (category {label(self.categories)}): {self.projects} projects need "
                f"{need[self.need]}, {self.booths} such booths free")


class Infeasible(Exception):
    """No allocation keeps every hard rule; `reasons` says why in numbers."""

    def __init__(self, reasons: list[Reason]):
        super().__init__("; ".join(reason.describe() for reason in reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Allocation:
    placement: dict          # project id → booth id, locked pairs included
    objective: float         # the value of the objective above (lower is better)
    optimal: bool            # proved optimal by HiGHS
    gap: float               # HiGHS's relative gap (0 when optimal)
    side_by_side: int = 0    # same-organisation pairs on neighbouring booths after stage two


def _needs(project: Project) -> tuple[str, ...]:
    return tuple(need for need, flag in zip(NEEDS, (project.needs_double, project.needs_power,
                                                     project.needs_step_free)) if flag)


def _offers(booth: Booth, need: str) -> bool:
    return {"double": booth.size == DOUBLE, "power": booth.power, "step_free": booth.step_free}[need]


def fits(project: Project, booth: Booth, zones: Mapping[Hashable, Zone]) -> bool:
    """Whether the booth keeps every per-pair hard rule for the project (zone, size, power, access)."""
    zone = zones.get(booth.zone)
    return (zone is not None and project.category in zone.categories
            and all(_offers(booth, need) for need in _needs(project)))


def neighbours(booths: Sequence[Booth], distance: float) -> dict[Hashable, set]:
    """Booths side by side: same zone, centres at most `distance` apart."""
    result = {booth.id: set() for booth in booths}
    for a, b in combinations(booths, 2):
        if a.zone == b.zone and math.hypot(a.x - b.x, a.y - b.y) <= distance + 1e-9:
            result[a.id].add(b.id)
            result[b.id].add(a.id)
    return result


def score(projects: Sequence[Project], booths: Sequence[Booth], zones: Sequence[Zone], placement: Mapping,
          weights: Weights = Weights()) -> float:
    """Stage one's objective for a placement (project id → booth id): see the module's docstring."""
    zone_of = {booth.id: booth.zone for booth in booths}
    by_id = {project.id: project for project in projects}
    organisations = Counter(project.organisation for project in projects if project.organisation is not None)
    together = {(by_id[p].organisation, zone_of[b]) for p, b in placement.items()
                if organisations[by_id[p].organisation] > 1}
    regions = {(by_id[p].region, zone_of[b]) for p, b in placement.items() if by_id[p].region is not None}
    awards = Counter(zone_of[b] for p, b in placement.items() if by_id[p].award_calibre)
    share = _award_share(projects, zones)
    excess = sum(max(0, count - share) for count in awards.values())
    return weights.organisation * len(together) + weights.region * len(regions) + weights.award * excess


def _organisation_pairs(projects: Sequence[Project]) -> list[tuple]:
    members = defaultdict(list)
    for project in projects:
        if project.organisation is not None:
            members[project.organisation].append(project.id)
    return [pair for ids in members.values() for pair in combinations(ids, 2)]


def _award_share(projects: Sequence[Project], zones: Sequence[Zone]) -> int:
    return math.ceil(sum(project.award_calibre for project in projects) / max(len(zones), 1))


def explain(projects: Sequence[Project], booths: Sequence[Booth], zones: Sequence[Zone]) -> list[Reason]:
    """Every count that rules an allocation out (empty when none is found): locked pairs, categories
    no zone accepts, and Hall's condition on sets of categories, alone and with each need."""
    by_zone = {zone.id: zone for zone in zones}
    by_id = {project.id: project for project in projects}
    reasons, locked_projects = [], Counter(b.locked_project for b in booths if b.locked_project is not None)
    for booth in booths:
        if booth.locked_project is None:
            continue
        project = by_id.get(booth.locked_project)
        problem = ("unknown project" if project is None
                   else "project locked to more than one booth" if locked_projects[project.id] > 1
                   else None if fits(project, booth, by_zone)
                   else "booth's zone, size, power or access does not fit")
        if problem:
            reasons.append(Reason("locked", need=problem, booth=booth.id, project=booth.locked_project))
    if reasons:
        return reasons

    locked = {b.locked_project for b in booths if b.locked_project is not None}
    free_projects = [project for project in projects if project.id not in locked]
    free_booths = [booth for booth in booths if booth.locked_project is None]
    accepting = defaultdict(set)
    for zone in zones:
        for category in zone.categories:
            accepting[category].add(zone.id)
    categories = sorted({project.category for project in free_projects}, key=str)
    for category in categories:
        if not accepting[category]:
            count = sum(project.category == category for project in free_projects)
            reasons.append(Reason("no_zone", categories=(category,), projects=count))
    if reasons:
        return reasons

    if len(categories) <= ALL_SUBSETS_UP_TO:
        families = [subset for size in range(1, len(categories) + 1) for subset in combinations(categories, size)]
    else:
        families = [(category,) for category in categories] + [tuple(categories)]
    wanting, offered = Counter(), Counter()          # (category, need) → projects; (zone, need) → booths
    for project in free_projects:
        wanting.update((project.category, need) for need in (None,) + _needs(project))
    for booth in free_booths:
        offered.update((booth.zone, need) for need in (None,) + NEEDS if need is None or _offers(booth, need))
    failing = []
    for family in families:
        zone_ids = set().union(*(accepting[category] for category in family))
        for need in (None,) + NEEDS:
            if any(set(earlier) <= set(family) and earlier_need == need for earlier, earlier_need in failing):
                continue       # a smaller set already shows it
            count = sum(wanting[category, need] for category in family)
            open_booths = sum(offered[zone, need] for zone in zone_ids)
            if count > open_booths:
                failing.append((family, need))
                reasons.append(Reason("too_few", categories=family, zones=tuple(sorted(zone_ids, key=str)),
                                      need=need, projects=count, booths=open_booths))
    return reasons


def allocate(projects: Sequence[Project], booths: Sequence[Booth], zones: Sequence[Zone], *,
             weights: Weights = Weights(), time_limit: float = 60.0) -> Allocation:
    """Place every project on a booth of its zone keeping every hard rule, best for `weights`; raise
    Infeasible with the counts when that cannot be done."""
    reasons = explain(projects, booths, zones)
    if reasons:
        raise Infeasible(reasons)
    by_zone = {zone.id: zone for zone in zones}
    locked = {booth.locked_project: booth.id for booth in booths if booth.locked_project is not None}
    free_booths = [booth for booth in booths if booth.locked_project is None]
    pairs = []                                       # (project index, booth index)
    booth_index = {booth.id: index for index, booth in enumerate(booths)}
    for p, project in enumerate(projects):
        if project.id in locked:
            pairs.append((p, booth_index[locked[project.id]]))
        else:
            pairs.extend((p, booth_index[booth.id]) for booth in free_booths if fits(project, booth, by_zone))
    placed = {p for p, _b in pairs}
    homeless = [project for p, project in enumerate(projects) if p not in placed]
    if homeless:
        raise Infeasible([Reason("combination", projects=len(homeless), booths=0, project=homeless[0].id)])
    if not projects:
        return Allocation({}, 0.0, True, 0.0)
    column = {pair: index for index, pair in enumerate(pairs)}
    allowed = defaultdict(list)
    for p, b in pairs:
        allowed[p].append(b)
    n = len(pairs)
    rows, cols, values, lower, upper = [], [], [], [], []

    def add_row(entries, low, high):
        row = len(lower)
        for col, value in entries:
            rows.append(row)
            cols.append(col)
            values.append(value)
        lower.append(low)
        upper.append(high)

    for p in range(len(projects)):                   # each project exactly one booth
        add_row([(column[p, b], 1.0) for b in allowed[p]], 1, 1)
    per_booth = defaultdict(list)
    for index, (_p, b) in enumerate(pairs):
        per_booth[b].append(index)
    for b, columns in per_booth.items():             # each booth at most one project
        add_row([(col, 1.0) for col in columns], 0, 1)

    cost = [0.0] * n
    integral = [1] * n
    upper_bounds = [1.0] * n
    # One 0–1 variable per (group, zone) in use, with Σ_{b in zone} x[p, b] ≤ u[group, zone] for every
    # project of the group (the disaggregated form, whose relaxation is tight enough for HiGHS).
    organisations = Counter(project.organisation for project in projects if project.organisation is not None)
    groups = [(weights.organisation, lambda project: (("organisation", project.organisation)
                                                      if organisations[project.organisation] > 1 else None)),
              (weights.region, lambda project: None if project.region is None else ("region", project.region))]
    for weight, group_of in groups:
        if not weight:
            continue
        used, in_zone = {}, defaultdict(list)
        for index, (p, b) in enumerate(pairs):
            group = group_of(projects[p])
            if group is not None:
                in_zone[group, booths[b].zone, p].append(index)
        for (group, zone, _p), columns in in_zone.items():
            if (group, zone) not in used:
                used[group, zone] = len(cost)
                cost.append(weight)
                integral.append(1)
                upper_bounds.append(1.0)
            add_row([(index, 1.0) for index in columns] + [(used[group, zone], -1.0)], -np.inf, 0)
    if weights.award and any(project.award_calibre for project in projects):
        share = _award_share(projects, zones)
        for zone in zones:                           # Σ award x in zone − e_zone ≤ share
            entries = [(index, 1.0) for index, (p, b) in enumerate(pairs)
                       if projects[p].award_calibre and booths[b].zone == zone.id]
            if len(entries) > share:
                excess = len(cost)
                cost.append(weights.award)
                integral.append(0)
                upper_bounds.append(np.inf)
                add_row(entries + [(excess, -1.0)], -np.inf, share)

    width = len(cost)
    matrix = sparse.csr_array((values, (rows, cols)), shape=(len(lower), width))
    result = milp(np.array(cost), integrality=np.array(integral),
                  bounds=Bounds(np.zeros(width), np.array(upper_bounds)),
                  constraints=LinearConstraint(matrix, lower, upper),
                  options={"mip_rel_gap": 0.0, "time_limit": time_limit})
    if result.status == 2:
        raise Infeasible([Reason("combination", projects=len(projects), booths=len(booths))])
    if result.x is None:
        raise RuntimeError(f"booth allocation solver stopped: {result.message}")
    chosen = np.flatnonzero(result.x[:n] > 0.5)
    placement = {projects[pairs[i][0]].id: booths[pairs[i][1]].id for i in chosen}
    if weights.organisation:
        placement = seat_side_by_side(projects, booths, zones, placement, weights.neighbour_distance)
    _check(projects, booths, by_zone, placement)
    gap = 0.0 if result.status == 0 else float(getattr(result, "mip_gap", math.nan))
    return Allocation(placement, score(projects, booths, zones, placement, weights), result.status == 0, gap,
                      side_by_side(projects, booths, placement, weights.neighbour_distance))


def side_by_side(projects: Sequence[Project], booths: Sequence[Booth], placement: Mapping, distance: float) -> int:
    """Pairs of projects of one organisation on neighbouring booths."""
    near = neighbours(booths, distance)
    return sum(placement[q] in near[placement[p]] for p, q in _organisation_pairs(projects))


def seat_side_by_side(projects: Sequence[Project], booths: Sequence[Booth], zones: Sequence[Zone], placement: Mapping,
                      distance: float) -> dict:
    """Stage two: within each zone, make any of these changes while it puts more same-organisation
    pairs side by side, until none does (a local optimum): move a project to another booth (swapping
    with its occupant if any), or move two projects of one organisation onto two neighbouring booths
    (their occupants taking the places they left). Only booths that fit and are not locked are used,
    and nothing leaves its zone, so stage one's objective stays as it was."""
    by_zone, by_booth = {zone.id: zone for zone in zones}, {booth.id: booth for booth in booths}
    by_id = {project.id: project for project in projects}
    near = neighbours(booths, distance)
    mates = defaultdict(set)
    for p, q in _organisation_pairs(projects):
        mates[p].add(q)
        mates[q].add(p)
    placement = dict(placement)
    occupant = {booth: project for project, booth in placement.items()}
    zone_booths = defaultdict(list)
    for booth in booths:
        if booth.locked_project is None:
            zone_booths[booth.zone].append(booth.id)
    movable = [project.id for project in projects if mates[project.id]
               and by_booth[placement[project.id]].locked_project is None]

    def together(changed) -> int:
        """Side-by-side pairs that involve any of the `changed` projects."""
        pairs = {frozenset((p, q)) for p in changed for q in mates[p]}
        return sum(placement[q] in near[placement[p]] for p, q in map(tuple, pairs))

    def attempt(moves: dict) -> bool:
        """Apply {project: booth} (each booth left by a moved project is taken by another, or freed) if
        every project fits and more pairs end side by side; otherwise leave everything as it was."""
        if any(not fits(by_id[p], by_booth[b], by_zone) for p, b in moves.items()):
            return False
        if len(set(moves.values())) != len(moves):
            return False
        taken = {occupant.get(b) for b in moves.values()} - {None} - set(moves)
        if taken:
            return False
        old = {p: placement[p] for p in moves}
        before = together(moves)
        for p, b in moves.items():
            placement[p] = b
        if together(moves) > before:
            for b in old.values():
                occupant.pop(b, None)
            occupant.update({b: p for p, b in moves.items()})
            return True
        placement.update(old)
        return False

    improved = True
    while improved:
        improved = False
        for p in movable:
            here = placement[p]
            zone = by_booth[here].zone
            for target in zone_booths[zone]:
                other = occupant.get(target)
                if target != here and attempt({p: target, **({other: here} if other else {})}):
                    improved = True
                    break
            for q in mates[p]:
                there = placement[q]
                if (there in near[placement[p]] or by_booth[there].zone != zone
                        or by_booth[there].locked_project is not None):
                    continue
                for b in zone_booths[zone]:
                    for c in near[b]:
                        if by_booth[c].locked_project is not None or {b, c} == {placement[p], there}:
                            continue
                        moves = {p: b, q: c}
                        spare = [placement[p], there]
                        for booth_id in (b, c):
                            other = occupant.get(booth_id)
                            if other is not None and other not in moves:
                                moves[other] = next((s for s in spare if s not in (b, c) and s not in moves.values()),
                                                    None)
                        if None not in moves.values() and attempt(moves):
                            improved = True
                            break
                    else:
                        continue
                    break
    return placement


def _check(projects, booths, by_zone, placement) -> None:
    """The solver's answer keeps every hard rule, or this is a bug: fail loudly, never return it."""
    by_booth = {booth.id: booth for booth in booths}
    broken = (set(placement) != {project.id for project in projects}
              or len(set(placement.values())) != len(placement)
              or not all(fits(project, by_booth[placement[project.id]], by_zone) for project in projects)
              or any(booth.locked_project is not None and placement[booth.locked_project] != booth.id
                     for booth in booths))
    if broken:
        raise RuntimeError("booth allocation solver returned an answer that breaks a hard rule")
