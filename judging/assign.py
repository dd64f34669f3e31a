"""Which judges score which exhibited project, pure: plain data in and out, no Flask or database import.

Four steps. (1) Every judge gets a home zone: judges are spread over the zones in proportion to each
zone's share of the looks still needed, the best fit of expertise to a zone's projects choosing who goes
where (a judge with earlier pairs keeps the zone most of them were in). (2) A small transportation
programme at zone level decides how many looks each judge takes in which zone: loads as even as possible,
off-home looks cost more the farther the zone, earlier pairs cost less. Its answer is a vertex, whose
judge–zone support is a forest (at most judges + zones − 1 cells), so nearly every judge stays in one
zone and the few who cross link neighbouring zones. (3) The pair-level assignment is
fair/screening/assign.py's min-cost flow (HotCRP's convex load costs, so loads within one whenever the
conflicts allow), with preferences that only break ties between equally even answers: earlier pairs,
then the judge's planned zones, then expertise. (4) If the judge–project graph still falls apart (a
degenerate zone plan, concentrated conflicts), pairs are swapped between the closest booths of two parts,
which keeps every load and every project's k, until the judges' severities share one scale
(judging/ranking.py needs that). Each judge's walk is then ordered by nearest neighbour and 2-opt.

On a re-run (`previous`), stability comes before clustering: a judge added mid-way takes the pairs the
balance forces off others, wherever they are, rather than set off a chain of moves across the hall.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse import coo_array

from fair.screening.assign import Item, assign

Pair = tuple[Hashable, Hashable]        # (project id, judge id)
DEFAULT_K = 3
BRIDGE_SWAPS = 2        # swaps made to join two parts of the judge–project graph: one shared project is a thin link
EARLIER_LOOK = 2.0      # zone plan: an earlier pair is worth an off-home look one zone away (1 + 1)
UNEVEN = 1000.0         # zone plan: cost of a look outside a judge's even load (only when conflicts force it)


@dataclass(frozen=True)
class Project:
    """An exhibited project: its booth's centre in metres, its zone and its category."""

    id: Hashable
    zone: Hashable
    category: Hashable
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Judge:
    """A judge; `zones` limits where they may be sent (None: anywhere)."""

    id: Hashable
    expertise: frozenset = frozenset()
    zones: frozenset | None = None


@dataclass(frozen=True)
class Weights:
    """What the flow prefers among equally even answers; only the ratios matter."""

    previous: float = 4.0       # keep a pair of the last plan
    zone: float = 2.0           # a project in one of the judge's planned zones
    expertise: float = 1.0      # a project of a category the judge knows


@dataclass(frozen=True)
class Walk:
    """A judge's projects in walking order and the walk's length from first booth to last, in metres."""

    order: tuple
    metres: float


@dataclass(frozen=True)
class Shortage:
    """A project that cannot get its judges, in the numbers the organizer is shown."""

    project: Hashable
    needed: int              # judges still to find (k less those kept)
    eligible: int            # judges free of conflict, allowed in its zone and not already on it
    conflicted: int          # judges ruled out by a conflict of interest
    outside_zones: int       # judges free of conflict but limited to other zones


class Infeasible(Exception):
    """Some project cannot get k judges; `shortages` says which and why."""

    def __init__(self, shortages: list[Shortage]):
        super().__init__(f"{len(shortages)} project(s) cannot get enough judges")
        self.shortages = shortages


@dataclass(frozen=True)
class JudgePlan:
    """Every pair (kept ones included, sorted by project), the listed judges' loads and zone counts,
    whether the judge–project graph is connected, each judge's walk, and how many swaps joined it."""

    pairs: list[Pair]
    loads: dict = field(default_factory=dict)
    zones_per_judge: dict = field(default_factory=dict)
    connected: bool = True
    walk: dict = field(default_factory=dict)
    swaps: int = 0

    @property
    def spread(self) -> int:
        return max(self.loads.values()) - min(self.loads.values()) if self.loads else 0


def plan(projects: Sequence[Project], judges: Sequence[Judge], *, k: int = DEFAULT_K,
         conflicts: Iterable[Pair] = (), kept: Iterable[Pair] = (), previous: Iterable[Pair] = (),
         weights: Weights = Weights()) -> JudgePlan:
    """Give every project k judges, never a conflicted one nor one limited to other zones, keeping the
    `kept` pairs (they count towards k and loads; a removed judge's scored pairs may be among them) and
    as many `previous` pairs as the balance allows."""
    if k < 1:
        raise ValueError("k must be at least 1")
    fair = _Fair(projects, judges, k, conflicts, kept, previous)
    fair.check()
    planned = fair.zone_plan()
    preferences = fair.preferences(planned, weights)
    items = [Item(project.id, k) for project in fair.projects]
    result = assign(items, [judge.id for judge in fair.judges], conflicts=fair.excluded, kept=fair.kept,
                    preferences=preferences)
    pairs = set(fair.kept) | set(result.pairs)
    swaps = fair.connect(pairs)
    return fair.summary(pairs, swaps)


def walking_order(points: Sequence[tuple[float, float]]) -> tuple[list[int], float]:
    """An open walk through `points` (indices in walking order, metres): nearest neighbour from an
    outermost booth, then 2-opt; never longer than the points' own order."""
    if len(points) < 3:
        order = list(range(len(points)))
        return order, _length(np.asarray(points, float).reshape(-1, 2), order)
    xy = np.asarray(points, float)
    distance = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    order = _two_opt(distance, _nearest_neighbour(distance, xy))
    given = list(range(len(points)))
    if _length(xy, order) > _length(xy, given):
        order = _two_opt(distance, given)
    return order, _length(xy, order)


class _Fair:
    """The input, deduplicated and indexed (projects and judges in their given order, so equal input
    gives an equal plan whatever the ids hash to), with the steps that work on it."""

    def __init__(self, projects, judges, k, conflicts, kept, previous):
        self.projects = list({project.id: project for project in reversed(projects)}.values())[::-1]
        self.judges = list({judge.id: judge for judge in reversed(judges)}.values())[::-1]
        self.project_at = {project.id: index for index, project in enumerate(self.projects)}
        self.judge_at = {judge.id: index for index, judge in enumerate(self.judges)}
        self.zones = list(dict.fromkeys(project.zone for project in self.projects))
        self.zone_at = {zone: index for index, zone in enumerate(self.zones)}
        self.conflicts = {pair for pair in conflicts if pair[0] in self.project_at and pair[1] in self.judge_at}
        self.kept = list(dict.fromkeys(pair for pair in kept if pair[0] in self.project_at))
        kept_set = set(self.kept)
        self.previous = {pair for pair in previous if pair[0] in self.project_at and pair[1] in self.judge_at
                         and pair not in kept_set}
        self.outside = {(project.id, judge.id) for judge in self.judges if judge.zones is not None
                        for project in self.projects if project.zone not in judge.zones}
        self.excluded = self.conflicts | self.outside
        kept_per_project = Counter(project for project, _judge in self.kept)
        self.need = [max(0, k - kept_per_project[project.id]) for project in self.projects]
        self.xy = np.array([(project.x, project.y) for project in self.projects], float).reshape(-1, 2)

    def allowed(self, project_id, judge_id, taken: set) -> bool:
        return (project_id, judge_id) not in self.excluded and (project_id, judge_id) not in taken

    def check(self) -> None:
        """Refuse, with numbers, when some project has fewer allowed judges than it still needs."""
        kept = set(self.kept)
        shortages = []
        for project, need in zip(self.projects, self.need):
            if not need:
                continue
            eligible = sum(self.allowed(project.id, judge.id, kept) for judge in self.judges)
            if eligible < need:
                conflicted = sum((project.id, judge.id) in self.conflicts for judge in self.judges)
                outside = sum((project.id, judge.id) in self.outside and (project.id, judge.id) not in self.conflicts
                              for judge in self.judges)
                shortages.append(Shortage(project.id, need, eligible, conflicted, outside))
        if shortages:
            raise Infeasible(shortages)

    # -- step 1 and 2: home zones and the zone-level plan --------------------------------------------

    def zone_plan(self) -> list[set[int]]:
        """Per judge, the zones (indices) the transportation programme gives them looks in."""
        zone_count, judge_count = len(self.zones), len(self.judges)
        if not judge_count or not zone_count:
            return [set() for _ in self.judges]
        zone_of = [self.zone_at[project.zone] for project in self.projects]
        demand = np.zeros(zone_count)
        np.add.at(demand, zone_of, self.need)
        kept = set(self.kept)
        eligible = np.zeros((judge_count, zone_count))
        earlier = np.zeros((judge_count, zone_count))
        for p, project in enumerate(self.projects):
            if not self.need[p]:
                continue
            for j, judge in enumerate(self.judges):
                if self.allowed(project.id, judge.id, kept):
                    eligible[j, zone_of[p]] += 1
                    earlier[j, zone_of[p]] += (project.id, judge.id) in self.previous
        seen = earlier.copy()
        for project_id, judge_id in self.kept:
            if judge_id in self.judge_at:
                seen[self.judge_at[judge_id], zone_of[self.project_at[project_id]]] += 1
        low, high = _even_loads(seen.sum(axis=1) - earlier.sum(axis=1), int(demand.sum()))
        home = self._homes(seen, demand, eligible)
        centre = np.array([self.xy[np.array(zone_of) == z].mean(axis=0) for z in range(zone_count)])
        apart = np.hypot(*(centre[:, None, :] - centre[None, :, :]).transpose(2, 0, 1))
        nearest = np.where(np.eye(zone_count, dtype=bool), np.inf, apart).min(axis=1) if zone_count > 1 else [0]
        unit = float(np.median(nearest)) or 1.0
        cost = 1.0 + apart[home] / unit
        cost[np.arange(judge_count), home] = 0.0
        looks = _transport(cost, eligible, earlier, demand, low, high)
        return [set(np.flatnonzero(row > 0.5).tolist()) for row in looks]

    def _homes(self, seen: np.ndarray, demand: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """A judge with pairs stays where most of them are; the others are spread over the zones in
        proportion to the looks left there, the best expertise fit deciding who goes where."""
        judge_count, zone_count = seen.shape
        home = np.where(seen.sum(axis=1) > 0, seen.argmax(axis=1), -1)
        free = np.flatnonzero(home < 0)
        if not len(free):
            return home
        settled = Counter(home[home >= 0].tolist())
        average = demand.sum() / judge_count
        left = np.array([max(0.0, demand[z] - settled[z] * average) for z in range(zone_count)])
        share = left if left.sum() else demand
        if not share.sum():
            share = np.ones(zone_count)
        slots = _largest_remainder(share / share.sum() * len(free))
        seats = np.repeat(np.arange(zone_count), slots)
        zone_projects = defaultdict(list)
        for project in self.projects:
            zone_projects[self.zone_at[project.zone]].append(project.category)
        fit = np.array([[sum(category in self.judges[j].expertise for category in zone_projects[z])
                         / len(zone_projects[z]) for z in range(zone_count)] for j in free])
        barred = eligible[free] == 0
        rows, columns = linear_sum_assignment(np.where(barred, 1e6, -fit)[:, seats])
        home[free[rows]] = seats[columns]
        for j in free[barred[rows, seats[columns]]]:      # sent where it may not go: its best allowed zone
            home[j] = int(np.argmax(np.where(eligible[j] > 0, fit[np.flatnonzero(free == j)[0]], -1)))
        return home

    def preferences(self, planned: list[set[int]], weights: Weights) -> dict:
        """Each allowed pair's preference: an earlier pair, a planned zone, a category the judge knows."""
        preferences = {}
        for project in self.projects:
            zone = self.zone_at[project.zone]
            for j, judge in enumerate(self.judges):
                pair = (project.id, judge.id)
                if pair in self.excluded:
                    continue
                value = (weights.previous * (pair in self.previous) + weights.zone * (zone in planned[j])
                         + weights.expertise * (project.category in judge.expertise))
                if value:
                    preferences[pair] = value
        return preferences

    # -- step 4: one scale for every judge ---------------------------------------------------------

    def connect(self, pairs: set) -> int:
        """Join the parts of the judge–project graph by swapping two judges' projects across the
        closest booths of a part and the rest (loads and k unchanged); returns the swaps made. Swaps that
        join nothing (one judge a project) are undone; balance wins when the two cannot both be had."""
        swaps, kept = 0, set(self.kept)
        while len(parts := self.parts(pairs)) > 1:
            for part in parts[1:]:
                inside, before = set(part), set(pairs)
                made = self._swap(pairs, kept, part, [p for p in range(len(self.projects)) if p not in inside])
                if made and len(self.parts(pairs)) < len(parts):
                    swaps += made
                    break
                pairs.clear()
                pairs |= before
            else:
                return swaps
        return swaps

    def parts(self, pairs: set) -> list[list[int]]:
        """The connected parts, as lists of project indices, largest first (ties: first project first)."""
        parent = list(range(len(self.projects)))

        def root(node: int) -> int:
            while parent[node] != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        first_of_judge = {}
        for project_id, judge_id in sorted(pairs, key=lambda pair: self.project_at[pair[0]]):
            here = self.project_at[project_id]
            if judge_id in first_of_judge:
                parent[root(here)] = root(first_of_judge[judge_id])
            else:
                first_of_judge[judge_id] = here
        groups = defaultdict(list)
        for index in range(len(self.projects)):
            groups[root(index)].append(index)
        return sorted(groups.values(), key=lambda group: (-len(group), group[0]))

    def _swap(self, pairs: set, kept: set, part: list[int], rest: list[int]) -> int:
        """Swap projects between one judge of `part` and one of `rest`: first at the closest two booths
        where some pair of judges may swap (of those, the two in fewest zones), then up to BRIDGE_SWAPS
        in all between the same two judges, closest booths first."""
        judges_on, zones_of = defaultdict(list), defaultdict(set)
        for project_id, judge_id in sorted(pairs, key=lambda pair: (self.project_at[pair[0]], str(pair[1]))):
            zones_of[judge_id].add(self.projects[self.project_at[project_id]].zone)
            if judge_id in self.judge_at and (project_id, judge_id) not in kept:
                judges_on[self.project_at[project_id]].append(judge_id)
        made, chosen = 0, None
        while made < BRIDGE_SWAPS:
            if chosen:
                mine = {p for p in part if chosen[0] in judges_on[p]}
                theirs = {r for r in rest if chosen[1] in judges_on[r]}
                part_now, rest_now = [p for p in part if p in mine], [r for r in rest if r in theirs]
            else:
                part_now, rest_now = part, rest
            found = self._closest_swap(pairs, judges_on, zones_of, part_now, rest_now, chosen)
            if not found:
                return made
            p, r, a, b = found
            pid, rid = self.projects[p].id, self.projects[r].id
            pairs -= {(pid, a), (rid, b)}
            pairs |= {(rid, a), (pid, b)}
            judges_on[p].remove(a)
            judges_on[r].remove(b)
            chosen, made = (a, b), made + 1
        return made

    def _closest_swap(self, pairs, judges_on, zones_of, part, rest, chosen):
        """(p, r, a, b): judge a leaves project p for r and judge b leaves r for p, booths p and r as close
        as allowed; None if no such swap."""
        if not part or not rest:
            return None
        gap = np.hypot(*(self.xy[part][:, None, :] - self.xy[rest][None, :, :]).transpose(2, 0, 1))
        for flat in np.argsort(gap, axis=None, kind="stable"):
            p, r = part[flat // len(rest)], rest[flat % len(rest)]
            pid, rid = self.projects[p].id, self.projects[r].id
            able = [(a, b) for a in judges_on[p] for b in judges_on[r] if chosen in (None, (a, b))
                    and self.allowed(rid, a, pairs) and self.allowed(pid, b, pairs)]
            if able:
                a, b = min(able, key=lambda judges: len(zones_of[judges[0]]) + len(zones_of[judges[1]]))
                return p, r, a, b
        return None

    def summary(self, pairs: set, swaps: int) -> JudgePlan:
        judge_rank = {judge.id: index for index, judge in enumerate(self.judges)}
        ordered = sorted(pairs, key=lambda pair: (self.project_at[pair[0]], judge_rank.get(pair[1], len(judge_rank)),
                                                  str(pair[1])))
        mine = defaultdict(list)
        for project_id, judge_id in ordered:
            mine[judge_id].append(self.project_at[project_id])
        walks, zones = {}, {}
        for judge in self.judges:
            indices = sorted(mine[judge.id])
            order, metres = walking_order([tuple(self.xy[p]) for p in indices])
            walks[judge.id] = Walk(tuple(self.projects[indices[i]].id for i in order), metres)
            zones[judge.id] = len({self.projects[p].zone for p in indices})
        return JudgePlan(ordered, {judge.id: len(mine[judge.id]) for judge in self.judges}, zones,
                         len(self.parts(pairs)) <= 1, walks, swaps)


def _even_loads(kept_loads: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """New looks per judge that make loads (kept ones included) as even as possible: `low` each, and
    one more for some of those whose bounds differ (water-filling to a level)."""
    level = 0
    while np.maximum(0, level + 1 - kept_loads).sum() <= total:
        level += 1
    low = np.maximum(0, level - kept_loads)
    high = np.where(kept_loads <= level, low + 1, low)
    return low, high


def _largest_remainder(quotas: np.ndarray) -> np.ndarray:
    """Whole numbers summing to round(sum of quotas), each the floor or ceiling of its quota."""
    whole = np.floor(quotas).astype(int)
    short = int(round(quotas.sum())) - int(whole.sum())
    whole[np.argsort(-(quotas - whole), kind="stable")[:short]] += 1
    return whole


def _transport(cost: np.ndarray, eligible: np.ndarray, earlier: np.ndarray, demand: np.ndarray,
               low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Looks per judge and zone: every zone's demand met, each judge between `low` and `high` (beyond at
    UNEVEN a look), at least cost; earlier pairs cost EARLIER_LOOK less. A network LP solved by the dual
    simplex, so the answer is an integral vertex whose support is a forest."""
    judges, zones = cost.shape
    cell_j, cell_z = np.nonzero(eligible)
    fresh = eligible[cell_j, cell_z] - earlier[cell_j, cell_z]
    again = earlier[cell_j, cell_z]
    cells = len(cell_j)
    # Columns: fresh looks, earlier looks, then per judge its optional extra look, overload and underload.
    # Rows: one per zone (demand), one per judge (looks − extra − over + under = low).
    column_j = np.concatenate([cell_j, cell_j, np.arange(judges), np.arange(judges), np.arange(judges)])
    signs = np.concatenate([np.ones(2 * cells), -np.ones(2 * judges), np.ones(judges)])
    matrix = coo_array((
        np.concatenate([np.ones(2 * cells), signs]),
        (np.concatenate([cell_z, cell_z, zones + column_j]),
         np.concatenate([np.arange(2 * cells), np.arange(2 * cells + 3 * judges)]))),
        shape=(zones + judges, 2 * cells + 3 * judges)).tocsr()
    price = np.concatenate([cost[cell_j, cell_z], cost[cell_j, cell_z] - EARLIER_LOOK, np.zeros(judges),
                            np.full(2 * judges, UNEVEN)])
    upper = np.concatenate([fresh, again, high - low, np.full(2 * judges, np.inf)])
    result = linprog(price, A_eq=matrix, b_eq=np.concatenate([demand, low]).astype(float),
                     bounds=np.column_stack([np.zeros(len(upper)), upper]), method="highs-ds")
    if result.status != 0:
        raise RuntimeError(f"the zone plan LP failed: {result.message}")
    looks = np.zeros((judges, zones))
    np.add.at(looks, (cell_j, cell_z), np.round(result.x[:cells] + result.x[cells:2 * cells]))
    return looks


def _nearest_neighbour(distance: np.ndarray, xy: np.ndarray) -> list[int]:
    """From the booth farthest from the judge's centre, always on to the nearest unvisited one."""
    here = int(np.argmax(np.hypot(*(xy - xy.mean(axis=0)).T)))
    order, left = [here], np.ones(len(xy), bool)
    left[here] = False
    while left.any():
        here = int(np.argmin(np.where(left, distance[here], np.inf)))
        order.append(here)
        left[here] = False
    return order


def _two_opt(distance: np.ndarray, order: list[int]) -> list[int]:
    """Best-improvement 2-opt on an open path: a dummy stop at distance 0 from every booth closes it."""
    n = len(order)
    closed = np.zeros((n + 1, n + 1))
    closed[:n, :n] = distance
    tour = np.array([n] + list(order))
    while True:
        after = np.roll(tour, -1)
        edge = closed[tour, after]
        gain = edge[:, None] + edge[None, :] - closed[np.ix_(tour, tour)] - closed[np.ix_(after, after)]
        gain = np.triu(gain, 2)
        i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[i, j] <= 1e-9:
            break
        tour[i + 1:j + 1] = tour[i + 1:j + 1][::-1].copy()
    start = int(np.flatnonzero(tour == n)[0])
    return np.roll(tour, -start)[1:].tolist()


def _length(xy: np.ndarray, order: list[int]) -> float:
    path = xy[order]
    return float(np.hypot(*np.diff(path, axis=0).T).sum()) if len(order) > 1 else 0.0
