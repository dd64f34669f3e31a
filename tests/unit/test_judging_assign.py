"""Judge assignment: k judges a project, loads within one, no conflicts, zones kept short yet connected,
kept and earlier pairs honoured, refusals in numbers, walks in a sensible order."""
import math
import random
from collections import Counter

import pytest

from judging.assign import Infeasible, Judge, Project, Shortage, Weights, plan, walking_order

THEMES = ("助老", "助残", "青少年", "环保", "社区治理", "应急救援", "文化", "医疗健康", "乡村振兴", "其他")


def fair_shape(seed: int = 2026, projects: int = 435, zones: int = 10, judges: int = 60, conflicts: int = 150):
    """The provincial fair: zones in a row 100 m apart, 48 booths each on a 3 m grid, mostly themed
    projects, judges knowing two themes, random conflicts of interest."""
    rng = random.Random(seed)
    booths = [(z, 100.0 * z + 3 * (slot % 8), 3.0 * (slot // 8)) for z in range(zones) for slot in range(48)]
    placed = rng.sample(booths, projects)
    items = [Project(n, f"zone-{z}", THEMES[z] if rng.random() < 0.8 else rng.choice(THEMES), x, y)
             for n, (z, x, y) in enumerate(placed)]
    people = [Judge(f"judge-{n}", frozenset(rng.sample(THEMES, 2))) for n in range(judges)]
    clashes = {(rng.randrange(projects), f"judge-{rng.randrange(judges)}") for _ in range(conflicts)}
    return items, people, clashes


@pytest.fixture(scope="module")
def fair():
    projects, judges, conflicts = fair_shape()
    return projects, judges, conflicts, plan(projects, judges, conflicts=conflicts)


def judges_of(result) -> dict:
    per_project = {}
    for project, judge in result.pairs:
        per_project.setdefault(project, []).append(judge)
    return per_project


def test_the_fairs_shape_is_balanced_conflict_free_clustered_and_connected(fair):
    projects, judges, conflicts, result = fair
    assert result.spread <= 1
    assert not set(result.pairs) & conflicts
    assert all(len(set(found)) == len(found) == 3 for found in judges_of(result).values())
    assert len(judges_of(result)) == len(projects)
    assert result.loads == dict(Counter(judge for _project, judge in result.pairs))
    assert result.connected
    zones = Counter(result.zones_per_judge.values())
    assert zones[1] + zones[2] >= 0.9 * len(judges) and zones[1] >= 0.6 * len(judges)


def test_walks_are_permutations_no_longer_than_the_given_order(fair):
    projects, _judges, _conflicts, result = fair
    at = {project.id: project for project in projects}
    for judge, walk in result.walk.items():
        mine = [project for project, who in result.pairs if who == judge]
        assert sorted(walk.order) == sorted(mine)
        given = sum(math.dist((at[a].x, at[a].y), (at[b].x, at[b].y)) for a, b in zip(mine, mine[1:]))
        walked = sum(math.dist((at[a].x, at[a].y), (at[b].x, at[b].y)) for a, b in zip(walk.order, walk.order[1:]))
        assert walk.metres == pytest.approx(walked) and walked <= given + 1e-6


@pytest.mark.parametrize("seed,count", [(1, 3), (2, 8), (3, 25), (4, 40)])
def test_walking_order_beats_the_given_order_and_nearest_neighbour(seed, count):
    rng = random.Random(seed)
    points = [(rng.uniform(0, 100), rng.uniform(0, 30)) for _ in range(count)]
    order, metres = walking_order(points)
    assert sorted(order) == list(range(count))
    assert metres == pytest.approx(sum(math.dist(points[a], points[b]) for a, b in zip(order, order[1:])))
    assert metres <= sum(math.dist(a, b) for a, b in zip(points, points[1:])) + 1e-6


def test_a_row_of_booths_is_walked_end_to_end():
    order, metres = walking_order([(0, 0), (9, 0), (3, 0), (6, 0), (12, 0)])
    assert metres == 12 and order in ([0, 2, 3, 1, 4], [4, 1, 3, 2, 0])


def test_equal_input_gives_an_equal_plan(fair):
    projects, judges, conflicts, result = fair
    again = plan(projects, judges, conflicts=conflicts)
    assert again.pairs == result.pairs and again.walk == result.walk


def zones_of_ten(conflicted: int):
    """Zones a–d of 10 projects, 30 m apart; one organisation's projects fill zone a and the first
    `conflicted` of the 12 judges are conflicted on all of them."""
    projects = [Project(f"{zone}{n}", zone, "x", 30.0 * "abcd".index(zone) + n) for zone in "abcd" for n in range(10)]
    judges = [Judge(f"j{n}") for n in range(12)]
    return projects, judges, {(f"a{n}", f"j{m}") for n in range(10) for m in range(conflicted)}


def test_conflicts_that_concentrate_are_respected():
    projects, judges, conflicts = zones_of_ten(conflicted=8)
    result = plan(projects, judges, conflicts=conflicts)
    assert not set(result.pairs) & conflicts
    assert result.spread == 0 and result.connected
    assert {judge for project, judge in result.pairs if project.startswith("a")} == {"j8", "j9", "j10", "j11"}


def test_balance_wins_when_conflicts_leave_no_way_to_connect():
    # Only j9–j11 may judge zone a: its 30 looks fill their loads of 10, so crossing would unbalance them.
    projects, judges, conflicts = zones_of_ten(conflicted=9)
    result = plan(projects, judges, conflicts=conflicts)
    assert not set(result.pairs) & conflicts and result.spread == 0
    assert not result.connected
    assert {judge for project, judge in result.pairs if project.startswith("a")} == {"j9", "j10", "j11"}


def test_one_judge_a_project_cannot_be_connected_and_says_so():
    projects = [Project(n, "z", "x", 3.0 * n) for n in range(8)]
    result = plan(projects, [Judge("a"), Judge("b")], k=1)
    assert not result.connected and result.swaps == 0 and result.loads == {"a": 4, "b": 4}


def test_kept_pairs_stay_and_count_towards_k_and_loads():
    projects, judges, conflicts = fair_shape(seed=5, projects=60, zones=3, judges=9, conflicts=10)
    kept = [(0, "judge-0"), (0, "judge-1"), (1, "judge-0"), (2, "judge-8")]
    kept = [pair for pair in kept if pair not in conflicts]
    result = plan(projects, judges, conflicts=conflicts, kept=kept)
    assert set(kept) <= set(result.pairs)
    assert all(len(set(found)) == 3 for found in judges_of(result).values())
    assert result.spread <= 1 and sum(result.loads.values()) == 180


def test_a_removed_judges_scored_pairs_count_towards_k():
    projects = [Project(n, "z", "x", 3.0 * n) for n in range(6)]
    result = plan(projects, [Judge("a"), Judge("b"), Judge("c")], kept=[(0, "gone"), (1, "gone")])
    assert {(0, "gone"), (1, "gone")} <= set(result.pairs)
    assert [len(set(judges_of(result)[n])) for n in range(6)] == [3] * 6
    assert "gone" not in result.loads and sum(result.loads.values()) == 16 and result.spread <= 1


def test_a_project_with_too_few_judges_is_refused_in_numbers():
    projects = [Project(n, "z", "x") for n in range(4)]
    judges = [Judge(f"j{n}") for n in range(5)]
    conflicts = {(2, "j0"), (2, "j1"), (2, "j2")}
    with pytest.raises(Infeasible) as refused:
        plan(projects, judges, conflicts=conflicts)
    assert refused.value.shortages == [Shortage(2, needed=3, eligible=2, conflicted=3, outside_zones=0)]


def test_judges_limited_to_zones_are_counted_apart_and_never_sent_elsewhere():
    projects = [Project(n, "near" if n < 6 else "far", "x", 3.0 * n) for n in range(12)]
    judges = [Judge("a"), Judge("b"), Judge("c", zones=frozenset({"near"})), Judge("d", zones=frozenset({"near"}))]
    with pytest.raises(Infeasible) as refused:
        plan(projects, judges, conflicts={(6, "a")})
    assert refused.value.shortages[0] == Shortage(6, needed=3, eligible=1, conflicted=1, outside_zones=2)
    result = plan(projects, judges, k=2)
    assert all(project < 6 for project, judge in result.pairs if judge in ("c", "d"))
    assert result.spread <= 1


def test_expertise_is_preferred_when_the_balance_allows():
    projects = [Project(n, "z", "old" if n % 2 else "young", 3.0 * n) for n in range(20)]
    judges = [Judge("a", frozenset({"old"})), Judge("b", frozenset({"old"})), Judge("c", frozenset({"young"})),
              Judge("d", frozenset({"young"}))]
    result = plan(projects, judges, k=1)
    at = {project.id: project for project in projects}
    assert all(at[project].category in judges["abcd".index(judge)].expertise for project, judge in result.pairs)


def test_judges_go_to_the_zones_of_their_expertise():
    projects = [Project(n, z, THEMES[z], 100.0 * z + 3 * (n % 8), 3.0 * (n // 8)) for z in range(4) for n in range(30)]
    projects = [Project(f"{p.zone}-{p.id}", p.zone, p.category, p.x, p.y) for p in projects]
    judges = [Judge(f"j{n}", frozenset({THEMES[n % 4]})) for n in range(12)]
    result = plan(projects, judges)
    at = {project.id: project for project in projects}
    matched = sum(at[project].category in judges[int(judge[1:])].expertise for project, judge in result.pairs)
    assert matched >= 0.9 * len(result.pairs)


def test_zones_with_no_judge_crossing_are_joined_by_swaps():
    # Each zone's looks exactly fill its share of judges: the zone plan has no crossing judge.
    projects = [Project(n, n // 10, "x", 100.0 * (n // 10) + 3 * (n % 10)) for n in range(30)]
    judges = [Judge(f"j{n}") for n in range(9)]
    result = plan(projects, judges)
    assert result.connected and result.swaps >= 1 and result.spread == 0
    assert max(result.zones_per_judge.values()) <= 2


def test_a_rerun_after_removing_a_judge_keeps_the_others_pairs(fair):
    projects, judges, conflicts, result = fair
    gone = "judge-7"
    scored = [pair for pair in result.pairs if pair[1] == gone][:8]
    earlier = [pair for pair in result.pairs if pair[1] != gone]
    rerun = plan(projects, [judge for judge in judges if judge.id != gone], conflicts=conflicts, kept=scored,
                 previous=earlier)
    assert set(scored) <= set(rerun.pairs) and not set(rerun.pairs) & conflicts
    assert rerun.spread <= 1 and rerun.connected
    assert all(len(set(found)) == 3 for found in judges_of(rerun).values())
    assert len(set(earlier) - set(rerun.pairs)) <= 0.02 * len(earlier)


def test_a_rerun_after_adding_a_judge_moves_little_more_than_its_load(fair):
    projects, judges, conflicts, result = fair
    rerun = plan(projects, judges + [Judge("late", frozenset({THEMES[0]}))], conflicts=conflicts,
                 previous=result.pairs)
    assert rerun.spread <= 1 and rerun.loads["late"] >= 21
    assert len(set(result.pairs) - set(rerun.pairs)) <= rerun.loads["late"] + 0.02 * len(result.pairs)


def test_an_unchanged_rerun_changes_nothing(fair):
    projects, judges, conflicts, result = fair
    assert plan(projects, judges, conflicts=conflicts, previous=result.pairs).pairs == result.pairs


def test_without_earlier_pairs_weights_still_keep_the_balance():
    projects, judges, conflicts = fair_shape(seed=9, projects=90, zones=3, judges=12, conflicts=20)
    result = plan(projects, judges, conflicts=conflicts, weights=Weights(previous=0, zone=0, expertise=5))
    assert result.spread <= 1 and not set(result.pairs) & conflicts


def test_nothing_to_judge_and_bad_k():
    assert plan([], [Judge("a")]).pairs == []
    with pytest.raises(ValueError):
        plan([Project(1, "z", "x")], [Judge("a")], k=0)
