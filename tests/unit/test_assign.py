"""The assignment engine: k agents per item, no conflicts, loads within one, kept pairs kept, and why not."""
import random
import time
from collections import Counter

import pytest

from fair.screening.assign import Infeasible, Item, Shortage, assign


def items(count: int, k: int = 2) -> list[Item]:
    return [Item(number, k) for number in range(count)]


def agents(count: int) -> list[str]:
    return [f"r{number}" for number in range(count)]


def per_item(result) -> Counter:
    return Counter(item for item, _agent in result.pairs)


@pytest.mark.parametrize("item_count,agent_count,k", [(10, 3, 2), (7, 7, 3), (100, 9, 2), (5, 12, 1), (31, 4, 4)])
def test_every_item_gets_k_agents_and_loads_are_within_one(item_count, agent_count, k):
    result = assign(items(item_count, k), agents(agent_count))
    assert per_item(result) == {item: k for item in range(item_count)}
    assert len(set(result.pairs)) == len(result.pairs)          # no agent twice on one item
    assert result.spread <= 1
    assert sum(result.loads.values()) == item_count * k
    per_agent = Counter(agent for _item, agent in result.pairs)
    assert result.loads == {agent: per_agent[agent] for agent in agents(agent_count)}


def test_conflicts_are_respected_and_balance_holds():
    rng = random.Random(7)
    conflicts = {(item, rng.choice(agents(6))) for item in range(60)}
    result = assign(items(60), agents(6), conflicts=conflicts)
    assert not set(result.pairs) & conflicts
    assert result.spread <= 1
    assert set(per_item(result).values()) == {2}


def test_conflicts_that_force_an_uneven_load_give_the_most_even_one():
    # Items 0–5 may go only to a or b (c is conflicted on all of them); c can take only items 6–7.
    conflicts = {(item, "c") for item in range(6)}
    result = assign(items(8, 1), ["a", "b", "c"], conflicts=conflicts)
    assert result.loads == {"a": 3, "b": 3, "c": 2}
    crowded = assign(items(8, 1), ["a", "b", "c"], conflicts={(item, "c") for item in range(8)})
    assert crowded.loads == {"a": 4, "b": 4, "c": 0}


def test_kept_pairs_stay_and_count_towards_k_and_load():
    kept = {(0, "a"), (1, "a"), (2, "a"), (0, "b")}
    result = assign(items(6), ["a", "b", "c", "d"], kept=kept)
    assert not set(result.pairs) & kept                          # new pairs only
    everything = Counter(item for item, _agent in set(result.pairs) | kept)
    assert everything == {item: 2 for item in range(6)}
    assert result.spread <= 1 and sum(result.loads.values()) == 12
    assert result.loads["a"] == 3                                # its three kept, nothing more needed


def test_an_item_with_all_its_agents_kept_gets_no_new_ones():
    result = assign([Item("x", 2)], ["a", "b", "c"], kept={("x", "a"), ("x", "b")})
    assert result.pairs == [] and result.loads == {"a": 1, "b": 1, "c": 0}


def test_kept_pairs_of_items_not_listed_are_ignored():
    result = assign(items(2, 1), ["a", "b"], kept={("gone", "a")})
    assert result.loads == {"a": 1, "b": 1}


def test_preferences_break_ties_but_never_balance():
    wanted = {(item, "a"): 1.0 for item in range(4)}
    result = assign(items(4, 1), ["a", "b"], preferences=wanted)
    assert result.loads == {"a": 2, "b": 2}                     # evenness first
    assert sum(pair in wanted for pair in result.pairs) == 2
    chosen = assign(items(2, 1), ["a", "b"], preferences={(0, "b"): 1.0, (1, "a"): 1.0})
    assert set(chosen.pairs) == {(0, "b"), (1, "a")}


def test_too_few_agents_without_conflict_is_explained_in_numbers():
    conflicts = {("p1", "a"), ("p1", "b"), ("p2", "a")}
    with pytest.raises(Infeasible) as refused:
        assign([Item("p1", 2), Item("p2", 2), Item("p3", 2)], ["a", "b", "c"], conflicts=conflicts)
    assert refused.value.shortages == [Shortage("p1", needed=2, eligible=1, conflicted=2)]


def test_more_agents_wanted_than_exist():
    with pytest.raises(Infeasible) as refused:
        assign(items(2, 3), ["a", "b"])
    assert [(s.needed, s.eligible, s.conflicted) for s in refused.value.shortages] == [(3, 2, 0), (3, 2, 0)]


def test_no_items_no_work():
    assert assign([], ["a"]).pairs == []


def test_a_fair_sized_case_runs_in_seconds():
    """3,500 applications, 40 reviewers, 2 each, 300 conflicts: the provincial fair's screening."""
    rng = random.Random(2026)
    reviewers = agents(40)
    conflicts = {(rng.randrange(3500), rng.choice(reviewers)) for _ in range(300)}
    started = time.perf_counter()
    result = assign(items(3500), reviewers, conflicts=conflicts)
    assert time.perf_counter() - started < 30
    assert len(result.pairs) == 7000 and result.spread == 0 and not set(result.pairs) & conflicts
