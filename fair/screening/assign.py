"""Who reviews what: each item gets `k` agents, loads as even as the conflicts allow.

Pure: plain data in and out, no Flask or database import. Screening uses it for applications and
reviewers; judging imports it for projects and judges.

The model is HotCRP's autoassigner: a min-cost flow from items to agents in which an agent's L-th
task costs 2L − 1, so a load L costs L² (a convex cost). The cheapest flow is then the most even one:
whenever loads with largest − smallest ≤ 1 exist it finds them, and otherwise it has the spread the
conflicts force and no more. Preferences only break ties between equally even answers. The flow is
solved as a linear programme by HiGHS (scipy); its constraint matrix is a network matrix, so an
optimal vertex is integral, and the answer is checked to be one."""
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Mapping, Sequence

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_array

Pair = tuple[Hashable, Hashable]       # (item id, agent id)
# The interior-point method with crossover is the fastest here; the dual simplex is the fallback that
# always ends on a vertex.
METHODS = ("highs-ipm", "highs-ds")


@dataclass(frozen=True)
class Item:
    """Something to be reviewed, and how many agents it needs in all (kept ones included)."""

    id: Hashable
    k: int


@dataclass(frozen=True)
class Shortage:
    """An item that cannot get its agents, in the numbers the organizer is shown."""

    item: Hashable
    needed: int          # agents still to find (k less those kept)
    eligible: int        # agents free of conflict and not already on it
    conflicted: int      # agents ruled out by a conflict of interest


class Infeasible(Exception):
    """No assignment gives every item its k agents; `shortages` says which items and why."""

    def __init__(self, shortages: list[Shortage]):
        super().__init__(f"{len(shortages)} item(s) cannot get enough agents")
        self.shortages = shortages


@dataclass(frozen=True)
class Assignment:
    """The new pairs (kept ones not repeated) and every agent's load, kept pairs included."""

    pairs: list[Pair]
    loads: dict[Hashable, int] = field(default_factory=dict)

    @property
    def spread(self) -> int:
        return max(self.loads.values()) - min(self.loads.values()) if self.loads else 0


def assign(items: Sequence[Item], agents: Sequence[Hashable], *, conflicts: Iterable[Pair] = (),
           kept: Iterable[Pair] = (), preferences: Mapping[Pair, float] | None = None) -> Assignment:
    """Give every item k agents, never a conflicted one, keeping the `kept` pairs (they count towards
    the item's k and the agent's load); higher `preferences` win among equally even answers."""
    conflicts, preferences = set(conflicts), preferences or {}
    agents = list(dict.fromkeys(agents))
    item_ids = {item.id for item in items}
    kept = {pair for pair in kept if pair[0] in item_ids}
    kept_per_item = Counter(item for item, _agent in kept)
    kept_load = Counter(agent for _item, agent in kept)
    loads = {agent: kept_load[agent] for agent in agents}

    needs, candidates, shortages = [], [], []
    for item in items:
        need = item.k - kept_per_item[item.id]
        if need <= 0:
            continue
        eligible = [column for column, agent in enumerate(agents)
                    if (item.id, agent) not in conflicts and (item.id, agent) not in kept]
        if len(eligible) < need:
            conflicted = sum((item.id, agent) in conflicts for agent in agents)
            shortages.append(Shortage(item.id, need, len(eligible), conflicted))
        needs.append((item.id, need))
        candidates.append(eligible)
    if shortages:
        raise Infeasible(shortages)
    if not needs:
        return Assignment([], loads)

    rows = np.repeat(np.arange(len(needs)), [len(eligible) for eligible in candidates])
    columns = np.fromiter((column for eligible in candidates for column in eligible), dtype=int, count=len(rows))
    wanted = np.array([preferences.get((needs[row][0], agents[column]), 0.0) for row, column in zip(rows, columns)])
    flow = _Flow(rows, columns, wanted, np.array([need for _item, need in needs]),
                 np.array([loads[agent] for agent in agents]))
    pairs = [(needs[row][0], agents[column]) for row, column in flow.solve()]
    for _item, agent in pairs:
        loads[agent] += 1
    return Assignment(pairs, loads)


@dataclass
class _Flow:
    """The min-cost flow as an LP: a variable per candidate pair, per load step and per agent's overflow."""

    rows: np.ndarray          # the item of each candidate pair
    columns: np.ndarray       # the agent of each candidate pair
    wanted: np.ndarray        # each pair's preference
    demand: np.ndarray        # agents still needed per item
    base_loads: np.ndarray    # kept tasks per agent

    def solve(self) -> list[tuple[int, int]]:
        """Load steps run up to a ceiling H; beyond it an overflow charges 2H + 1 a task, less than
        the true cost, so an answer without overflow is optimal for the true costs too. Otherwise H
        doubles and we solve again."""
        total = int(self.demand.sum() + self.base_loads.sum())
        ceiling = math.ceil(total / len(self.base_loads)) + 1
        while (chosen := self._solve_below(ceiling)) is None:
            ceiling *= 2
        return list(zip(self.rows[chosen].tolist(), self.columns[chosen].tolist()))

    def _pair_costs(self) -> np.ndarray:
        """Preferences move the cost by less than one load step can (two loads of equal total differ
        by at least 2 in their sum of squares), so evenness always comes first."""
        largest = float(np.abs(self.wanted).max())
        if not largest:
            return np.zeros(len(self.rows))
        return -self.wanted / (float(self.demand.sum()) * largest + 1.0)

    def _solve_below(self, ceiling: int) -> np.ndarray | None:
        items, agents, pairs = len(self.demand), len(self.base_loads), len(self.rows)
        top = np.maximum(ceiling, self.base_loads)
        step_agent = np.repeat(np.arange(agents), top - self.base_loads)
        step_level = np.concatenate([np.arange(low + 1, high + 1) for low, high in zip(self.base_loads, top)])
        steps = len(step_agent)
        # Columns: the pairs, the load steps, one overflow per agent. Rows: one per item, one per agent.
        cost = np.concatenate([self._pair_costs(), 2.0 * step_level - 1, 2.0 * top + 1])
        matrix = coo_array((
            np.concatenate([np.ones(2 * pairs), -np.ones(steps + agents)]),
            (np.concatenate([self.rows, items + self.columns, items + step_agent, items + np.arange(agents)]),
             np.concatenate([np.arange(pairs), np.arange(pairs), pairs + np.arange(steps + agents)]))),
            shape=(items + agents, pairs + steps + agents)).tocsr()
        upper = np.concatenate([np.ones(pairs + steps), np.full(agents, np.inf)])
        bounds = np.column_stack([np.zeros(len(upper)), upper])
        right = np.concatenate([self.demand, np.zeros(agents)]).astype(float)
        for method in METHODS:
            result = linprog(cost, A_eq=matrix, b_eq=right, bounds=bounds, method=method)
            if result.status != 0:
                raise RuntimeError(f"the assignment LP failed: {result.message}")
            if np.all(np.minimum(result.x, np.abs(1 - result.x))[:pairs + steps] < 1e-6):
                break
        else:
            raise RuntimeError("the assignment LP gave no integral answer")
        if result.x[pairs + steps:].sum() > 0.5:
            return None
        return np.flatnonzero(result.x[:pairs] > 0.5)
