"""Which waiting meeting takes which slot and table: the organizer's "schedule all".

Pure: plain data in and out, no Flask or database import.

A request r (sponsor s_r, project p_r, allowed slots A_r, or any slot) may take slot t when neither s_r
nor p_r is busy at t already. A meeting at a negotiation table takes one of the slot's free tables; one at
the project's booth takes none (the team is on booth duty then, which the project's one-meeting-per-slot
rule already covers). With x_rt = 1 when r takes t:

    maximise  Σ x_rt
    such that Σ_t x_rt ≤ 1                        every request placed at most once
              Σ_{r of sponsor s} x_rt ≤ 1          every sponsor and slot
              Σ_{r of project p} x_rt ≤ 1          every project and slot
              Σ_{r at a table} x_rt ≤ free tables  every slot

With every request free to take any slot and no tables, this is colouring the edges of the
bipartite sponsor–project multigraph with the slots as colours (König: polynomial); each request's own
allowed slots make it list edge colouring, NP-hard in general. So: a greedy answer first (the request
with the fewest open slots first, its earliest open slot), then the integer programme by HiGHS
(scipy.optimize.milp) within a time limit, unless the greedy answer already meets a counting bound
(each sponsor and project meets once a slot; the free tables); the better answer is kept, and the lower
of the counting bound and HiGHS's dual bound is a proved upper bound on the count (`upper_bound`;
`optimal` when the count reaches it). At the fair's size
(1,000 requests, 40 tables × 16 slots, bench/schedule.py) HiGHS proves the optimum in well under the
time limit. Only the count is maximised: a tie-break favouring older requests (weights 1 + ε by age)
made HiGHS three times slower at that size (1.1–1.4 s instead of 0.3–0.4 s), so among the schedules
that place the most, the one HiGHS finds is taken.

A request left out gets a reason read off the final schedule: in every slot it may take, its sponsor
is busy ("sponsor_busy"), or its project ("project_busy"), or the tables are full ("tables_full"), or a
mix of these ("busy"); "no_slot" when none of its allowed slots is being scheduled at all."""
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

REASONS = ("no_slot", "sponsor_busy", "project_busy", "tables_full", "busy")


@dataclass(frozen=True)
class Request:
    """A meeting waiting for its slot. `slots`: the slots it may take (None: any); `at_booth`: held at
    the project's booth, so it takes no table."""

    id: Hashable
    sponsor: Hashable
    project: Hashable
    slots: frozenset | None = None
    at_booth: bool = False


@dataclass(frozen=True)
class Taken:
    """What meetings already placed hold: (slot, sponsor), (slot, project) and (slot, table index) pairs."""

    sponsors: frozenset = frozenset()
    projects: frozenset = frozenset()
    tables: frozenset = frozenset()


@dataclass(frozen=True)
class Placement:
    slot: Hashable
    table: int | None          # index into the tables, None at the booth


@dataclass
class Schedule:
    placed: dict = field(default_factory=dict)        # request id → Placement
    unplaced: dict = field(default_factory=dict)      # request id → reason (one of REASONS)
    upper_bound: int = 0       # no schedule places more requests than this
    optimal: bool = True       # proved: len(placed) == upper_bound
    greedy: int = 0            # how many the greedy start placed

    @property
    def gap(self) -> int:
        """Requests that a better schedule might still place (0 when optimal)."""
        return self.upper_bound - len(self.placed)


def schedule(requests: Sequence[Request], slots: Sequence[Hashable], tables: int, taken: Taken = Taken(), *,
             time_limit: float = 10.0) -> Schedule:
    """Place as many `requests` as possible into `slots` (in time order), `tables` tables in each slot,
    around what `taken` already holds."""
    free_tables = {slot: [i for i in range(tables) if (slot, i) not in taken.tables] for slot in slots}
    options = [_options(request, slots, taken, free_tables) for request in requests]
    greedy = _greedy(requests, options, free_tables)
    chosen, bound = greedy, _counting_bound(requests, options, free_tables)
    if len(chosen) < bound:
        solved = _solve(requests, options, free_tables, time_limit)
        if solved is not None:
            found, dual_bound = solved
            chosen = found if len(found) > len(chosen) else chosen
            bound = min(bound, dual_bound)
    bound = max(bound, len(chosen))
    optimal = len(chosen) == bound
    placed = _tables_for(requests, chosen, free_tables)
    return Schedule(placed, _reasons(requests, slots, placed, taken, free_tables), bound, optimal, len(greedy))


def _options(request: Request, slots: Sequence, taken: Taken, free_tables: dict) -> list:
    """The slots the request may take, given only what was placed before: earliest first."""
    allowed = slots if request.slots is None else [slot for slot in slots if slot in request.slots]
    return [slot for slot in allowed
            if (slot, request.sponsor) not in taken.sponsors and (slot, request.project) not in taken.projects
            and (request.at_booth or free_tables[slot])]


def _greedy(requests: Sequence[Request], options: list, free_tables: dict) -> dict:
    """The request with the fewest open slots first, each into its earliest slot still open: index → slot."""
    sponsors, projects, used = set(), set(), defaultdict(int)
    chosen = {}
    for index in sorted(range(len(requests)), key=lambda i: (len(options[i]), i)):
        request = requests[index]
        for slot in options[index]:
            if (slot, request.sponsor) in sponsors or (slot, request.project) in projects:
                continue
            if not request.at_booth and used[slot] >= len(free_tables[slot]):
                continue
            sponsors.add((slot, request.sponsor))
            projects.add((slot, request.project))
            used[slot] += not request.at_booth
            chosen[index] = slot
            break
    return chosen


def _counting_bound(requests: Sequence[Request], options: list, free_tables: dict) -> int:
    """A bound anyone can check, kept when HiGHS runs out of time: a sponsor (or project) meets at most
    once in each slot open to it; table meetings fit in the free tables of the slots open to them."""
    def by(key) -> int:
        slots_of, counts = defaultdict(set), defaultdict(int)
        for request, slots in zip(requests, options):
            if slots:
                slots_of[key(request)].update(slots)
                counts[key(request)] += 1
        return sum(min(counts[k], len(slots_of[k])) for k in counts)

    booth = sum(1 for request, slots in zip(requests, options) if slots and request.at_booth)
    reachable = {slot for request, slots in zip(requests, options) if not request.at_booth for slot in slots}
    at_tables = sum(1 for request, slots in zip(requests, options) if slots and not request.at_booth)
    tables = min(at_tables, sum(len(free_tables[slot]) for slot in reachable))
    return min(by(lambda r: r.sponsor), by(lambda r: r.project), booth + tables)


def _solve(requests: Sequence[Request], options: list, free_tables: dict, time_limit: float):
    """The integer programme: (index → slot, HiGHS's bound on the count), or None when HiGHS found no
    solution in time."""
    columns = [(index, slot) for index, slots in enumerate(options) for slot in slots]
    groups: dict = defaultdict(list)
    for column, (index, slot) in enumerate(columns):
        request = requests[index]
        groups["request", index].append(column)
        groups["sponsor", slot, request.sponsor].append(column)
        groups["project", slot, request.project].append(column)
        if not request.at_booth:
            groups["tables", slot].append(column)
    rows, capacities = [], []
    for key, members in groups.items():
        capacity = len(free_tables[key[1]]) if key[0] == "tables" else 1
        if len(members) > capacity:
            rows.append(members)
            capacities.append(capacity)
    count, width = len(requests), len(columns)
    constraints = ()
    if rows:
        matrix = sparse.csr_array((np.ones(sum(map(len, rows))),
                                   (np.repeat(np.arange(len(rows)), [len(row) for row in rows]),
                                    np.concatenate([np.array(row) for row in rows]))), shape=(len(rows), width))
        constraints = LinearConstraint(matrix, -np.inf, np.array(capacities, dtype=float))
    result = milp(-np.ones(width), integrality=np.ones(width), bounds=Bounds(0, 1), constraints=constraints,
                  options={"time_limit": time_limit, "mip_rel_gap": 0.0})
    if result.x is None:
        return None
    chosen = {columns[c][0]: columns[c][1] for c in np.flatnonzero(result.x > 0.5)}
    dual = getattr(result, "mip_dual_bound", None)
    if result.status == 0:
        return chosen, len(chosen)
    bound = int(np.floor(-dual + 1e-6)) if dual is not None and np.isfinite(dual) else count
    return chosen, bound


def _tables_for(requests: Sequence[Request], chosen: dict, free_tables: dict) -> dict:
    """Each slot's free tables in order, to its table meetings in the order of the requests."""
    placed, next_table = {}, defaultdict(int)
    for index in sorted(chosen):
        request, slot = requests[index], chosen[index]
        if request.at_booth:
            placed[request.id] = Placement(slot, None)
        else:
            placed[request.id] = Placement(slot, free_tables[slot][next_table[slot]])
            next_table[slot] += 1
    return placed


def _reasons(requests: Sequence[Request], slots: Sequence, placed: dict, taken: Taken, free_tables: dict) -> dict:
    """Why each request left out could not go into any of its slots, read off the final schedule."""
    sponsors, projects = set(taken.sponsors), set(taken.projects)
    used = defaultdict(int)
    by_id = {request.id: request for request in requests}
    for request_id, placement in placed.items():
        request = by_id[request_id]
        sponsors.add((placement.slot, request.sponsor))
        projects.add((placement.slot, request.project))
        used[placement.slot] += placement.table is not None
    reasons = {}
    for request in requests:
        if request.id in placed:
            continue
        allowed = [slot for slot in slots if request.slots is None or slot in request.slots]
        if not allowed:
            reasons[request.id] = "no_slot"
            continue
        blocked = {"sponsor_busy": all((slot, request.sponsor) in sponsors for slot in allowed),
                   "project_busy": all((slot, request.project) in projects for slot in allowed),
                   "tables_full": not request.at_booth and all(used[slot] >= len(free_tables[slot])
                                                               for slot in allowed)}
        reasons[request.id] = next((reason for reason, always in blocked.items() if always), "busy")
    return reasons


def conflicts(requests: Iterable[Request], placed: dict, tables: int, taken: Taken = Taken()) -> list[str]:
    """Every rule a schedule breaks, as text (empty for a valid one): for tests and the benchmark."""
    problems, seen = [], set()
    by_id = {request.id: request for request in requests}
    for request_id, placement in placed.items():
        request = by_id[request_id]
        if request.slots is not None and placement.slot not in request.slots:
            problems.append(f"{request_id}: slot {placement.slot} not allowed")
        if request.at_booth != (placement.table is None):
            problems.append(f"{request_id}: wrong place")
        keys = [("sponsor", request.sponsor), ("project", request.project)]
        if placement.table is not None:
            keys.append(("table", placement.table))
            if not 0 <= placement.table < tables:
                problems.append(f"{request_id}: no table {placement.table}")
        for kind, key in keys:
            held = {"sponsor": taken.sponsors, "project": taken.projects, "table": taken.tables}[kind]
            if (placement.slot, key) in held or (kind, placement.slot, key) in seen:
                problems.append(f"{request_id}: {kind} {key} twice in slot {placement.slot}")
            seen.add((kind, placement.slot, key))
    return problems
