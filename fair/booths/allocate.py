"""Which project gets which booth: every hard rule kept, the organizer's preferences as far as they go.

Pure: plain data in and out, no Flask or database import.

Hard rules: a booth's zone accepts the project's category; a double project needs a double booth (a
standard project may take a double one); power and step-free access where the project needs them;
locked pairs stay; each booth holds at most one project and each project gets exactly one booth.

Preferences (the `Weights`), in two stages.

Stage one is a 0–1 integer programme solved by HiGHS (scipy.optimize.milp), minimising one linear
objective that depends only on the zone each project gets:
  - `organisation`: one for every (organisation, zone) in use, for organisations with two or more
    projects, so an organisation's projects share a zone;
  - `region`: one for every (region, zone) in use, so a region's projects gather in few zones;
  - `award`: one for every award-calibre project beyond the even share ceil(A / zones) in a zone.
So the programme chooses zones, x[p, z] per project and accepting zone, and keeps booths out of it:
within a zone only a booth's type counts (size, power, step-free), and Hall's condition over the
types (19 rows per zone, see `stage_one`) says exactly when a zone's projects can all be seated; a
bipartite matching then seats them. Each (group, zone) term is a 0–1 variable u with x[p, z] ≤ u for
each project p of the group (the disaggregated form).
When HiGHS proves optimality (`optimal` True; mip_rel_gap 0) the placement minimises this objective
exactly (`score`); tests compare it with brute force and with the per-booth programme (x[p, b] per
project and booth that fits, `stage_one(per_booth=True)`), and bench/allocate.py compares it with the
per-booth programme at the fair's size on every run. If `time_limit` stops HiGHS first, the answer
still keeps every hard rule and `gap` says how far from the bound it may be.

Stage two seats an organisation's projects side by side (neighbouring booths: same zone, centres at
most `neighbour_distance` apart). Done exactly, that is a quadratic assignment problem; its standard
linearisation (y_pq ≤ 1 − x[p, b] + Σ_{c next to b} x[q, c]) has a relaxation so weak that, tried
here, HiGHS still had a 25–40% gap on a 60-project instance after 15–60 s. So stage two is a local
search: within each zone, move a project to a free booth or swap two projects while that puts more
same-organisation pairs side by side. It never changes stage one's objective (nothing leaves its
zone) and never breaks a hard rule, but its count of side-by-side pairs (`side_by_side`) is a local
optimum, not a proved maximum. Equal inputs give equal answers, whatever Python's hash seed.

When no allocation exists, `Infeasible.reasons` says why in counts, never with part of an answer: by
Hall's theorem a matching exists only if every set of projects has at least as many booths open to
it, and the sets checked are the natural ones (every set of categories, alone and with one need:
double, power, step-free), each with the zones that accept them. Needs that only fail together (no
booth with both power and step-free access for a project that needs both) are reported as
"combination"; so is any case the counts miss and the solver proves infeasible.

At the fair's size (435 projects, 450–500 booths, 8–10 zones; bench/allocate.py) the whole takes about
0.1–0.15 s; the per-booth programme took 1–20 s for the same optimum."""
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Hashable, Mapping, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import maximum_bipartite_matching

STANDARD, DOUBLE = "standard", "double"
NEEDS = ("double", "power", "step_free")
# Hall's condition is checked over every set of categories up to this many categories at once (2^n sets).
ALL_SUBSETS_UP_TO = 12
# The up-sets of booth types (a type is a bit per need offered, 0–7; a set of types a bit set over 0–255):
# sets holding every type that offers at least what a member offers. The types a project fits form one.
UPSETS = [upset for upset in range(1, 256)
          if all(upset >> (kind | more) & 1 for kind in range(8) if upset >> kind & 1 for more in range(8))]


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
    near = _near(booths, distance)
    return {booth.id: {booths[other].id for other in near[index]} for index, booth in enumerate(booths)}


def _near(booths: Sequence[Booth], distance: float) -> list[list[int]]:
    """`neighbours` by position in `booths`, each list ascending: one distance matrix per zone (numpy)."""
    result, by_zone = [[] for _ in booths], defaultdict(list)
    for index, booth in enumerate(booths):
        by_zone[booth.zone].append(index)
    for members in by_zone.values():
        xy = np.array([(booths[index].x, booths[index].y) for index in members], dtype=float)
        close = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) <= distance + 1e-9
        np.fill_diagonal(close, False)
        for a, b in zip(*np.nonzero(close)):
            result[members[a]].append(members[b])
    return result


def _kind(booth: Booth) -> int:
    """The booth's type, 0–7: one bit for each need it offers (double, power, step-free)."""
    return sum(1 << bit for bit, need in enumerate(NEEDS) if _offers(booth, need))


def _kinds_fitting(project: Project) -> int:
    """The booth types the project's needs allow, as a bit set over the 8 types."""
    required = sum(1 << NEEDS.index(need) for need in _needs(project))
    return sum(1 << kind for kind in range(8) if kind & required == required)


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
    first = stage_one(projects, booths, zones, weights, time_limit=time_limit)
    placement = first.placement
    if weights.organisation:
        placement = seat_side_by_side(projects, booths, zones, placement, weights.neighbour_distance)
    _check(projects, booths, {zone.id: zone for zone in zones}, placement)
    return Allocation(placement, score(projects, booths, zones, placement, weights), first.optimal, first.gap,
                      side_by_side(projects, booths, placement, weights.neighbour_distance))


def stage_one(projects: Sequence[Project], booths: Sequence[Booth], zones: Sequence[Zone],
              weights: Weights = Weights(), *, time_limit: float = 60.0, per_booth: bool = False) -> Allocation:
    """Stage one alone: every project on a booth that fits, the objective at its minimum; raises
    Infeasible ("combination") when the solver proves there is no allocation.

    The objective depends only on each project's zone, so the programme chooses zones: a 0–1 variable
    per project and zone that accepts it. Within a zone a project fits the booth types (size, power,
    step-free: 8 types) that offer all its needs, an up-set of the 8; by Hall's theorem the projects
    of a zone can be given booths exactly when, for each of the 19 non-empty up-sets U, the projects
    fitting only types in U are no more than the zone's free booths of a type in U. Those 19 rows per
    zone make the zone choice exact; a bipartite matching (Hopcroft–Karp) then gives each zone's
    projects their booths. So the optimum is the per-booth programme's, with twenty times fewer
    variables at the fair's size (1,200 against 24,000), split further into independent parts
    (`_independent`). `per_booth=True` solves the per-booth programme instead, whole (a variable per
    project and booth that fits, each booth at most one project: seconds at the fair's size), so that
    tests and the benchmark can check the two agree.

    Where zones accept many categories each, the region term makes the programme harder: with every
    category open to 3 of 10 zones it took about 2.5 s, to 5 of 10 about 20 s; where every zone takes
    every category and booths are nearly full it is a bin packing whose bound closes slowly (60–70
    projects in 5–6 zones: still a gap after 60 s). `time_limit` bounds it; `gap` says how far."""
    locked = {booth.locked_project: index for index, booth in enumerate(booths) if booth.locked_project is not None}
    free_in = defaultdict(list)                   # zone → its free booths, in input order
    for index, booth in enumerate(booths):
        if booth.locked_project is None:
            free_in[booth.zone].append(index)
    fitting, kind = [_kinds_fitting(project) for project in projects], [_kind(booth) for booth in booths]
    columns = []                                  # (project index, zone, booth index or None)
    for p, project in enumerate(projects):
        if project.id in locked:
            columns.append((p, booths[locked[project.id]].zone, locked[project.id] if per_booth else None))
            continue
        for zone in zones:
            if project.category in zone.categories:
                options = [b for b in free_in[zone.id] if fitting[p] >> kind[b] & 1]
                columns += [(p, zone.id, b) for b in options] if per_booth else [(p, zone.id, None)] * bool(options)
    placed = {column[0] for column in columns}
    homeless = [project for p, project in enumerate(projects) if p not in placed]
    if homeless:
        raise Infeasible([Reason("combination", projects=len(homeless), booths=0, project=homeless[0].id)])
    if not projects:
        return Allocation({}, 0.0, True, 0.0)

    def programme(part: list[tuple]) -> _Programme:
        model = _Programme(len(part))
        for cols in _grouped(part, lambda p, zone, b: p).values():           # each project exactly one booth
            model.row(cols, 1, 1)
        if per_booth:
            for cols in _grouped(part, lambda p, zone, b: b).values():       # each booth at most one project
                model.row(cols, 0, 1)
        else:                                     # Hall's condition in each zone, over the up-sets of types
            free_columns = _grouped(part, lambda p, zone, b: None if projects[p].id in locked else zone)
            free_columns.pop(None, None)
            for zone, cols in free_columns.items():
                offered = Counter(kind[b] for b in free_in[zone])
                for upset in UPSETS:
                    inside = [col for col in cols if not fitting[part[col][0]] & ~upset]
                    room = sum(count for booth_kind, count in offered.items() if upset >> booth_kind & 1)
                    if len(inside) > room:
                        model.row(inside, 0, room)
        _preference_rows(model, projects, zones, part, weights)
        return model

    chosen, optimal, gap = [], True, 0.0
    deadline = time.monotonic() + time_limit
    for part in [columns] if per_booth else _independent(columns):
        result = programme(part).solve(max(deadline - time.monotonic(), 1.0))
        if result.status == 2:
            raise Infeasible([Reason("combination", projects=len(projects), booths=len(booths))])
        if result.x is None:
            raise RuntimeError(f"booth allocation solver stopped: {result.message}")
        chosen += [part[col] for col in np.flatnonzero(result.x[:len(part)] > 0.5)]
        optimal &= result.status == 0
        gap = max(gap, 0.0 if result.status == 0 else float(getattr(result, "mip_gap", math.nan)))
    placement = {projects[p].id: booths[locked.get(projects[p].id, b)].id for p, _zone, b in chosen
                 if per_booth or projects[p].id in locked}
    for zone, seated in _grouped(chosen, lambda p, zone, b: None if projects[p].id in placement else zone).items():
        if zone is not None:
            placement.update(_seat_in_zone([projects[chosen[i][0]] for i in seated],
                                           [booths[b] for b in free_in[zone]]))
    return Allocation(placement, score(projects, booths, zones, placement, weights), optimal, gap)


def _independent(columns: list[tuple]) -> list[list[tuple]]:
    """The columns split by groups of zones that no project can choose between: every term of the
    objective and every row belongs to one zone, so each group is a programme of its own (smaller,
    and solved much faster: at the fair's shape most categories have one zone)."""
    root = {zone: zone for _p, zone, _b in columns}

    def find(zone):
        while root[zone] != zone:
            root[zone] = root[root[zone]]
            zone = root[zone]
        return zone

    for cols in _grouped(columns, lambda p, zone, b: p).values():
        for col in cols[1:]:
            root[find(columns[col][1])] = find(columns[cols[0]][1])
    return [[columns[col] for col in cols] for cols in _grouped(columns, lambda p, zone, b: find(zone)).values()]


def _grouped(columns: Sequence[tuple], key) -> dict:
    """Column positions by key(*column), in order."""
    groups = defaultdict(list)
    for position, column in enumerate(columns):
        groups[key(*column)].append(position)
    return groups


def _preference_rows(model: "_Programme", projects: Sequence[Project], zones: Sequence[Zone], columns: list[tuple],
                     weights: Weights) -> None:
    """The objective's terms. One 0–1 variable per (group, zone) in use, with Σ_{columns of p in zone}
    ≤ u[group, zone] for every project p of the group (the disaggregated form, whose relaxation is tight
    enough for HiGHS); one excess variable per zone that could hold more award-calibre projects than
    its share."""
    organisations = Counter(project.organisation for project in projects if project.organisation is not None)
    groups = [(weights.organisation, lambda project: (("organisation", project.organisation)
                                                      if organisations[project.organisation] > 1 else None)),
              (weights.region, lambda project: None if project.region is None else ("region", project.region))]
    for weight, group_of in groups:
        if not weight:
            continue
        used = {}
        for (group, zone, _p), cols in _grouped(columns, lambda p, zone, b: (group_of(projects[p]), zone, p)).items():
            if group is None:
                continue
            if (group, zone) not in used:
                used[group, zone] = model.variable(weight, integral=True, upper=1.0)
            model.row(cols, -np.inf, 0, extra=(used[group, zone], -1.0))
    if weights.award and any(project.award_calibre for project in projects):
        share = _award_share(projects, zones)
        awards = _grouped(columns, lambda p, zone, b: zone if projects[p].award_calibre else None)
        for zone in zones:                        # Σ award columns in zone − e_zone ≤ share
            cols = awards.get(zone.id, [])
            if len({columns[col][0] for col in cols}) > share:
                model.row(cols, -np.inf, share, extra=(model.variable(weights.award, integral=False), -1.0))


def _seat_in_zone(projects: Sequence[Project], free: Sequence[Booth]) -> dict:
    """A booth of `free` for each project (Hall's condition holds, so the matching is perfect)."""
    kinds = [_kind(booth) for booth in free]
    fitting = [[col for col, kind in enumerate(kinds) if _kinds_fitting(project) >> kind & 1] for project in projects]
    graph = sparse.csr_array((np.ones(sum(map(len, fitting))), np.array([c for row in fitting for c in row], dtype=int),
                              np.cumsum([0] + [len(row) for row in fitting])), shape=(len(projects), len(free)))
    match = maximum_bipartite_matching(graph, perm_type="column").tolist()
    if min(match) < 0:
        raise RuntimeError("booth allocation: a zone's projects could not all be seated despite Hall's condition")
    return {project.id: free[col].id for project, col in zip(projects, match)}


class _Programme:
    """A programme for scipy's milp (HiGHS), built a row at a time: `width` 0–1 columns to start with,
    rows of 0/1 coefficients, each with at most one other coefficient (a group's or zone's variable)."""

    def __init__(self, width: int):
        self.cost, self.integral, self.upper = [0.0] * width, [1] * width, [1.0] * width
        self.rows, self.lower_rows, self.upper_rows = [], [], []

    def variable(self, cost: float, *, integral: bool, upper: float = np.inf) -> int:
        self.cost.append(cost)
        self.integral.append(int(integral))
        self.upper.append(upper)
        return len(self.cost) - 1

    def row(self, cols: Sequence[int], low: float, high: float, extra: tuple[int, float] | None = None) -> None:
        """low ≤ Σ x[cols] (+ coefficient · x[column] for `extra`) ≤ high."""
        self.rows.append((list(cols), extra))
        self.lower_rows.append(low)
        self.upper_rows.append(high)

    def solve(self, time_limit: float):
        rows, cols, values = [], [], []
        for number, (members, extra) in enumerate(self.rows):
            rows.extend([number] * (len(members) + (extra is not None)))
            cols.extend(members)
            values.extend([1.0] * len(members))
            if extra is not None:
                cols.append(extra[0])
                values.append(extra[1])
        width = len(self.cost)
        matrix = sparse.csr_array((values, (rows, cols)), shape=(len(self.rows), width))
        return milp(np.array(self.cost), integrality=np.array(self.integral),
                    bounds=Bounds(np.zeros(width), np.array(self.upper)),
                    constraints=LinearConstraint(matrix, self.lower_rows, self.upper_rows),
                    options={"mip_rel_gap": 0.0, "time_limit": time_limit})


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
    and nothing leaves its zone, so stage one's objective stays as it was.

    Everything is by position (projects and booths as list indices, types as bits), and every loop runs
    in input order, so equal inputs give equal answers whatever Python's hash seed."""
    del zones                                     # every move stays in a zone that accepts the project already
    booth_at = {booth.id: index for index, booth in enumerate(booths)}
    project_at = {project.id: index for index, project in enumerate(projects)}
    near = _near(booths, distance)
    near_sets = [set(members) for members in near]
    kind = [_kind(booth) for booth in booths]
    kinds = [_kinds_fitting(project) for project in projects]
    free = [booth.locked_project is None for booth in booths]
    mates = [[] for _ in projects]
    for p, q in _organisation_pairs(projects):
        mates[project_at[p]].append(project_at[q])
        mates[project_at[q]].append(project_at[p])
    where = [booth_at[placement[project.id]] for project in projects]
    occupant = [-1] * len(booths)
    for p, b in enumerate(where):
        occupant[b] = p
    zone_booths = defaultdict(list)
    for index, booth in enumerate(booths):
        if free[index]:
            zone_booths[booth.zone].append(index)
    movable = [p for p in range(len(projects)) if mates[p] and free[where[p]]]

    def together(changed) -> int:
        """Side-by-side pairs that involve any of the `changed` projects, each pair once."""
        return sum(where[q] in near_sets[where[p]] and (q not in changed or p < q)
                   for p in changed for q in mates[p])

    def attempt(moves: dict) -> bool:
        """Apply {project: booth} (each booth left by a moved project is taken by another, or freed) if
        every project fits and more pairs end side by side; otherwise leave everything as it was."""
        if any(not kinds[p] >> kind[b] & 1 for p, b in moves.items()) or len(set(moves.values())) != len(moves):
            return False
        if any(occupant[b] != -1 and occupant[b] not in moves for b in moves.values()):
            return False
        old = {p: where[p] for p in moves}
        before = together(moves)
        for p, b in moves.items():
            where[p] = b
        if together(moves) > before:
            for b in old.values():
                occupant[b] = -1
            for p, b in moves.items():
                occupant[b] = p
            return True
        for p, b in old.items():
            where[p] = b
        return False

    def hopeful(p: int) -> set:
        """The booths whose swap with p can put a new pair side by side: next to a mate of p, or
        holding a project with a mate next to p's booth. Trying only these changes no outcome."""
        here = where[p]
        wanted = {b for q in mates[p] for b in near[where[q]]}
        wanted.update(where[mate] for b in near[here] if occupant[b] != -1 for mate in mates[occupant[b]])
        wanted.discard(here)
        return wanted

    def seat_pair(p: int, q: int, zone) -> bool:
        """Try every two neighbouring booths of the zone for p and q, their occupants taking p's and
        q's places."""
        here, there = where[p], where[q]
        for b in zone_booths[zone]:
            for c in near[b]:
                if not free[c] or {b, c} == {here, there}:
                    continue
                moves, spare = {p: b, q: c}, (here, there)
                for booth in (b, c):
                    other = occupant[booth]
                    if other != -1 and other not in moves:
                        moves[other] = next((s for s in spare if s not in (b, c) and s not in moves.values()), None)
                if None not in moves.values() and attempt(moves):
                    return True
        return False

    improved = True
    while improved:
        improved = False
        for p in movable:
            here = where[p]
            zone = booths[here].zone
            wanted = hopeful(p)
            for target in zone_booths[zone]:
                other = occupant[target]
                if target in wanted and attempt({p: target, **({other: here} if other != -1 else {})}):
                    improved = True
                    break
            for q in mates[p]:
                there = where[q]
                if there in near_sets[where[p]] or booths[there].zone != zone or not free[there]:
                    continue
                if seat_pair(p, q, zone):
                    improved = True
    return {projects[p].id: booths[b].id for p, b in enumerate(where)}


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
