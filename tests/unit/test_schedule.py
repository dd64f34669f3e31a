"""The meeting scheduler on cases whose optimum is obvious, and against brute force on small random ones."""
import itertools
import random

import pytest

from sponsorship.schedule import Placement, Request, Taken, conflicts, schedule

SLOTS = list(range(16))


def valid(requests, answer, tables, taken=Taken()):
    assert conflicts(requests, answer.placed, tables, taken) == []
    assert set(answer.placed) | set(answer.unplaced) == {request.id for request in requests}
    assert not set(answer.placed) & set(answer.unplaced)
    return answer


def test_a_sponsor_with_17_requests_in_16_slots_places_16():
    requests = [Request(n, "s", f"p{n}") for n in range(17)]
    answer = valid(requests, schedule(requests, SLOTS, 1), 1)
    assert len(answer.placed) == 16 and answer.optimal and answer.upper_bound == 16
    assert {placement.slot for placement in answer.placed.values()} == set(SLOTS)
    assert list(answer.unplaced.values()) == ["sponsor_busy"]


def test_two_requests_of_one_project_take_two_slots():
    requests = [Request("a", "s1", "p"), Request("b", "s2", "p")]
    answer = valid(requests, schedule(requests, [1, 2], 5), 5)
    assert len(answer.placed) == 2
    assert answer.placed["a"].slot != answer.placed["b"].slot


def test_two_requests_of_one_project_in_one_slot_place_one():
    requests = [Request("a", "s1", "p"), Request("b", "s2", "p")]
    answer = valid(requests, schedule(requests, [1], 5), 5)
    assert len(answer.placed) == 1 and answer.upper_bound == 1 and answer.optimal
    assert list(answer.unplaced.values()) == ["project_busy"]


def test_full_tables_leave_the_rest_out_but_the_booth_meetings_go_on():
    requests = [Request(n, f"s{n}", f"p{n}") for n in range(3)] + [Request("booth", "s9", "p9", at_booth=True)]
    answer = valid(requests, schedule(requests, ["09:00"], 2), 2)
    assert len(answer.placed) == 3
    assert answer.placed["booth"] == Placement("09:00", None)
    assert sorted(p.table for p in answer.placed.values() if p.table is not None) == [0, 1]
    assert list(answer.unplaced.values()) == ["tables_full"]


def test_tables_taken_before_are_skipped_and_the_free_ones_used_in_order():
    requests = [Request(n, f"s{n}", f"p{n}") for n in range(3)]
    taken = Taken(tables=frozenset({(0, 0), (0, 2)}))
    answer = valid(requests, schedule(requests, [0], 4, taken), 4, taken)
    assert sorted(p.table for p in answer.placed.values()) == [1, 3]
    assert list(answer.unplaced.values()) == ["tables_full"]


def test_each_request_only_takes_a_slot_it_allows():
    requests = [Request("morning", "s", "p1", frozenset({0, 1})), Request("any", "s", "p2"),
                Request("afternoon", "s", "p3", frozenset({2}))]
    answer = valid(requests, schedule(requests, [0, 1, 2], 1), 1)
    assert len(answer.placed) == 3
    assert answer.placed["afternoon"].slot == 2 and answer.placed["morning"].slot in {0, 1}


def test_a_request_whose_slots_are_not_scheduled_says_so():
    requests = [Request("gone", "s", "p", frozenset({"yesterday"}))]
    answer = schedule(requests, [0, 1], 3)
    assert answer.unplaced == {"gone": "no_slot"} and answer.upper_bound == 0 and answer.optimal


def test_sponsors_and_projects_busy_before_are_respected():
    requests = [Request("a", "s", "p"), Request("b", "t", "q")]
    taken = Taken(sponsors=frozenset({(0, "s")}), projects=frozenset({(1, "q")}))
    answer = valid(requests, schedule(requests, [0, 1], 3, taken), 3, taken)
    assert answer.placed["a"].slot == 1 and answer.placed["b"].slot == 0


def test_busy_in_every_allowed_slot_is_the_project():
    requests = [Request("a", "s", "p", frozenset({0}))]
    answer = schedule(requests, [0, 1], 3, Taken(projects=frozenset({(0, "p")})))
    assert answer.unplaced == {"a": "project_busy"}


def test_the_optimum_beats_the_greedy_start():
    # One table. Greedy: "a" takes slot 0, "b" slot 1, and "c" finds its sponsor busy at 0 and the table
    # taken at 1. The optimum moves "a" to 1 and "b" to 2, so "c" gets 0.
    requests = [Request("a", "s0", "p1", frozenset({0, 1})), Request("b", "s1", "p1", frozenset({1, 2})),
                Request("c", "s0", "p0", frozenset({0, 1}))]
    answer = valid(requests, schedule(requests, [0, 1, 2], 1), 1)
    assert answer.greedy == 2
    assert len(answer.placed) == 3 and answer.optimal
    assert {key: placement.slot for key, placement in answer.placed.items()} == {"a": 1, "b": 2, "c": 0}


def test_out_of_time_the_greedy_answer_stands_with_an_honest_bound():
    rng = random.Random(7)
    requests = [Request(n, rng.randrange(60), rng.randrange(70), None, at_booth=rng.random() < 0.2)
                for n in range(300)]
    answer = valid(requests, schedule(requests, SLOTS[:6], 8, time_limit=0.0), 8)
    assert len(answer.placed) >= answer.greedy
    assert answer.upper_bound <= sum(request.at_booth for request in requests) + 6 * 8     # booth + tables
    assert answer.optimal == (answer.gap == 0) and answer.gap >= 0


def test_nothing_to_schedule():
    answer = schedule([], SLOTS, 40)
    assert answer.placed == {} and answer.unplaced == {} and answer.optimal and answer.upper_bound == 0


def brute_force(requests, slots, tables, taken) -> int:
    """The most requests any schedule places, by trying every choice (slot or none) for each."""
    best = 0
    for choice in itertools.product([None, *slots], repeat=len(requests)):
        used, seen, fine = {}, set(), True
        for request, slot in zip(requests, choice):
            if slot is None:
                continue
            keys = {("s", slot, request.sponsor), ("p", slot, request.project)}
            if (request.slots is not None and slot not in request.slots) or keys & seen \
                    or (slot, request.sponsor) in taken.sponsors or (slot, request.project) in taken.projects:
                fine = False
                break
            seen |= keys
            if not request.at_booth:
                used[slot] = used.get(slot, 0) + 1
                if used[slot] > tables - sum(1 for s, _t in taken.tables if s == slot):
                    fine = False
                    break
        if fine:
            best = max(best, sum(slot is not None for slot in choice))
    return best


@pytest.mark.parametrize("seed", range(25))
def test_small_random_cases_match_brute_force(seed):
    rng = random.Random(seed)
    slots = list(range(rng.randint(1, 3)))
    tables = rng.randint(1, 2)
    requests = [Request(n, rng.randrange(3), rng.randrange(3),
                        frozenset(rng.sample(slots, rng.randint(1, len(slots)))) if rng.random() < 0.4 else None,
                        at_booth=rng.random() < 0.2)
                for n in range(rng.randint(1, 6))]
    taken = Taken(sponsors=frozenset({(slots[0], 0)}) if rng.random() < 0.3 else frozenset(),
                  tables=frozenset({(slots[-1], 0)}) if rng.random() < 0.3 else frozenset())
    answer = valid(requests, schedule(requests, slots, tables, taken), tables, taken)
    assert len(answer.placed) == brute_force(requests, slots, tables, taken) == answer.upper_bound
    assert answer.optimal and answer.gap == 0


def test_conflicts_names_a_double_booking():
    requests = [Request("a", "s", "p1"), Request("b", "s", "p2")]
    placed = {"a": Placement(0, 0), "b": Placement(0, 1)}
    assert conflicts(requests, placed, 2) == ["b: sponsor s twice in slot 0"]
