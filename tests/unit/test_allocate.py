"""Booth allocation: every hard rule kept, locks kept, infeasibility explained in counts, optimum = brute force
and = the per-booth programme, equal inputs give equal answers."""
import itertools
import json
import math
import os
import random
import subprocess
import sys
from dataclasses import replace

import pytest

from fair.booths.allocate import (DOUBLE, STANDARD, Booth, Infeasible, Project, Reason, Weights, Zone, allocate,
                                  fits, neighbours, score, seat_side_by_side, side_by_side, stage_one)


def instance(rng: random.Random, projects: int, booths: int, zones: int, *, categories: int | None = None,
             organisations: int | None = None, regions: int = 13, locks: int = 0):
    """Zones in a row, each accepting one or two categories, booths on a 3 m grid; projects whose needs
    fit by construction (made to fit the booths of their category's zones, never over capacity)."""
    categories = categories or zones
    zone_list = [Zone(f"z{z}", frozenset({f"c{z % categories}", f"c{(z + (z % 3 == 0)) % categories}"}))
                 for z in range(zones)]
    booth_list = []
    for number in range(booths):
        z = number % zones
        slot = number // zones
        booth_list.append(Booth(f"b{number}", f"z{z}", DOUBLE if rng.random() < 0.2 else STANDARD, rng.random() < 0.5,
                                rng.random() < 0.7, 100.0 * z + 3.0 * (slot % 8), 3.0 * (slot // 8)))
    free = list(booth_list)
    rng.shuffle(free)
    project_list = []
    organisations = organisations or max(projects // 3, 1)
    for number, booth in zip(range(projects), free):      # each project is built to fit one distinct booth
        zone = next(zone for zone in zone_list if zone.id == booth.zone)
        project_list.append(Project(
            f"p{number}", rng.choice(sorted(zone.categories)), f"o{rng.randrange(organisations)}",
            f"r{rng.randrange(regions)}", booth.size == DOUBLE and rng.random() < 0.5,
            booth.power and rng.random() < 0.5, booth.step_free and rng.random() < 0.3, rng.random() < 0.1))
    witness = {project.id: booth.id for project, booth in zip(project_list, free)}
    if locks:
        locked = dict(itertools.islice(witness.items(), locks))
        holder = {booth: project for project, booth in locked.items()}
        booth_list = [replace(booth, locked_project=holder.get(booth.id)) for booth in booth_list]
    return project_list, booth_list, zone_list


def assert_rules_kept(projects, booths, zones, placement):
    by_zone, by_booth = {zone.id: zone for zone in zones}, {booth.id: booth for booth in booths}
    assert set(placement) == {project.id for project in projects}
    assert len(set(placement.values())) == len(placement)
    for project in projects:
        booth = by_booth[placement[project.id]]
        assert project.category in by_zone[booth.zone].categories
        assert booth.size == DOUBLE or not project.needs_double
        assert booth.power or not project.needs_power
        assert booth.step_free or not project.needs_step_free
        assert fits(project, booth, by_zone)
    for booth in booths:
        if booth.locked_project is not None:
            assert placement[booth.locked_project] == booth.id


@pytest.mark.parametrize("seed", range(8))
def test_random_instances_keep_every_hard_rule_and_locks(seed):
    rng = random.Random(seed)
    projects, booths, zones = instance(rng, rng.randint(10, 60), 70, rng.randint(2, 6), locks=rng.randint(0, 5))
    result = allocate(projects, booths, zones)
    assert_rules_kept(projects, booths, zones, result.placement)
    assert result.optimal and result.gap == 0
    assert result.objective == score(projects, booths, zones, result.placement)


def test_locked_pair_stays_even_when_preferences_pull_away():
    zones = [Zone("A", frozenset({"c"}))]
    booths = [Booth("b0", "A", STANDARD, True, True, 0, 0), Booth("b1", "A", STANDARD, True, True, 3, 0),
              Booth("b2", "A", STANDARD, True, True, 30, 0, locked_project="p1")]
    projects = [Project("p0", "c", "org", "r"), Project("p1", "c", "org", "r")]
    result = allocate(projects, booths, zones, weights=Weights(organisation=10))
    assert result.placement["p1"] == "b2"
    assert result.objective == score(projects, booths, zones, result.placement, Weights(organisation=10))


def test_same_organisation_goes_side_by_side():
    zones = [Zone("A", frozenset({"c"}))]
    booths = [Booth(f"b{n}", "A", STANDARD, False, False, 10.0 * n, 0) for n in range(4)] \
        + [Booth("b9", "A", STANDARD, False, False, 3.0, 0)]
    projects = [Project("p0", "c", "org", None), Project("p1", "c", "org", None), Project("p2", "c", "x", None)]
    result = allocate(projects, booths, zones, weights=Weights(organisation=1, region=0, award=0))
    assert {result.placement["p0"], result.placement["p1"]} == {"b0", "b9"}
    assert result.side_by_side == 1


@pytest.mark.parametrize("seed", range(4))
def test_stage_two_only_adds_side_by_side_pairs_and_keeps_zones(seed):
    projects, booths, zones = instance(random.Random(50 + seed), 60, 80, 3, organisations=15, locks=3)
    stage_one = allocate(projects, booths, zones, weights=Weights(organisation=0))
    both = allocate(projects, booths, zones, weights=Weights(region=0, award=0, organisation=1e-9))
    assert_rules_kept(projects, booths, zones, both.placement)
    raw = side_by_side(projects, booths, stage_one.placement, 3.5)
    seated = seat_side_by_side(projects, booths, zones, stage_one.placement, 3.5)
    assert_rules_kept(projects, booths, zones, seated)
    assert side_by_side(projects, booths, seated, 3.5) >= raw
    zone_of = {booth.id: booth.zone for booth in booths}
    assert {p: zone_of[b] for p, b in seated.items()} == {p: zone_of[b] for p, b in stage_one.placement.items()}


def brute_force(projects, booths, zones, weights):
    by_zone = {zone.id: zone for zone in zones}
    best = None
    for chosen in itertools.permutations(booths, len(projects)):
        if all(fits(p, b, by_zone) for p, b in zip(projects, chosen)) and all(
                b.locked_project in (None, p.id) for p, b in zip(projects, chosen)) and all(
                any(p.id == b.locked_project and c is b for p, c in zip(projects, chosen))
                for b in booths if b.locked_project is not None):
            value = score(projects, booths, zones, {p.id: b.id for p, b in zip(projects, chosen)}, weights)
            best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_objective_equals_brute_force_on_small_instances(seed):
    rng = random.Random(100 + seed)
    projects, booths, zones = instance(rng, rng.randint(3, 6), 7, 3, categories=2, organisations=2, regions=3,
                                       locks=rng.randint(0, 1))
    weights = Weights(organisation=rng.choice([0, 1, 3]), region=rng.choice([0, 1]), award=rng.choice([0, 2]))
    result = allocate(projects, booths, zones, weights=weights)
    assert_rules_kept(projects, booths, zones, result.placement)
    assert result.objective == pytest.approx(brute_force(projects, booths, zones, weights))


def standard(booth_id, zone, power=False, step_free=False, x=0.0, locked=None):
    return Booth(booth_id, zone, STANDARD, power, step_free, x, 0.0, locked)


def reasons_of(projects, booths, zones) -> list[Reason]:
    with pytest.raises(Infeasible) as refused:
        allocate(projects, booths, zones)
    return refused.value.reasons


def test_too_many_projects_for_a_zone():
    zones = [Zone("A", frozenset({"c"})), Zone("B", frozenset({"d"}))]
    booths = [standard(f"a{n}", "A") for n in range(2)] + [standard(f"b{n}", "B") for n in range(5)]
    projects = [Project(f"p{n}", "c", f"o{n}", None) for n in range(3)]
    assert reasons_of(projects, booths, zones) == [Reason("too_few", ("c",), ("A",), None, 3, 2)]


def test_too_few_powered_booths_and_names_in_the_sentence():
    zones = [Zone("z1", frozenset({"k1"}))]
    booths = [standard("b0", "z1", power=True)] + [standard(f"b{n}", "z1") for n in range(1, 6)]
    projects = [Project(f"p{n}", "k1", None, None, needs_power=True) for n in range(2)]
    [reason] = reasons_of(projects, booths, zones)
    assert (reason.kind, reason.need, reason.projects, reason.booths) == ("too_few", "power", 2, 1)
    assert reason.describe({"z1": "助老", "k1": "助老"}) == \
        "zone 助老 (category 助老): 2 projects need power, 1 such booths free"


@pytest.mark.parametrize("need,field", [("double", "needs_double"), ("step_free", "needs_step_free")])
def test_too_few_double_or_step_free_booths(need, field):
    zones = [Zone("A", frozenset({"c"}))]
    booths = [standard(f"b{n}", "A") for n in range(4)]
    projects = [Project("p0", "c", None, None, **{field: True})]
    assert reasons_of(projects, booths, zones) == [Reason("too_few", ("c",), ("A",), need, 1, 0)]


def test_a_double_booth_hosts_a_standard_project_but_not_the_reverse():
    zones = [Zone("A", frozenset({"c"}))]
    booths = [Booth("big", "A", DOUBLE, False, False, 0, 0)]
    assert allocate([Project("p", "c", None, None)], booths, zones).placement == {"p": "big"}
    assert reasons_of([Project("p", "c", None, None, needs_double=True)], [standard("small", "A")], zones)[0].need \
        == "double"


def test_category_no_zone_accepts():
    zones = [Zone("A", frozenset({"c"}))]
    projects = [Project(f"p{n}", "环保", None, None) for n in range(4)] + [Project("q", "c", None, None)]
    [reason] = reasons_of(projects, [standard(f"b{n}", "A") for n in range(9)], zones)
    assert (reason.kind, reason.categories, reason.projects) == ("no_zone", ("环保",), 4)
    assert reason.describe({"环保": "环保"}) == "category 环保: 4 projects, no zone accepts it"


def test_hall_condition_over_two_categories_sharing_a_zone():
    zones = [Zone("A", frozenset({"c", "d"})), Zone("B", frozenset({"d"}))]
    booths = [standard("a0", "A"), standard("a1", "A"), standard("b0", "B"), standard("b1", "B")]
    projects = [Project(f"c{n}", "c", None, None) for n in range(2)] + [Project(f"d{n}", "d", None, None)
                                                                         for n in range(3)]
    assert reasons_of(projects, booths, zones) == [Reason("too_few", ("c", "d"), ("A", "B"), None, 5, 4)]


def test_locked_pair_that_breaks_a_rule_is_refused():
    zones = [Zone("A", frozenset({"c"})), Zone("B", frozenset({"d"}))]
    booths = [standard("a0", "A"), standard("b0", "B", locked="p"), standard("x", "A", locked="ghost")]
    reasons = reasons_of([Project("p", "c", None, None)], booths, zones)
    assert [(r.kind, r.booth, r.project) for r in reasons] == [("locked", "b0", "p"), ("locked", "x", "ghost")]


def test_needs_that_only_fail_together_are_still_refused_whole():
    zones = [Zone("A", frozenset({"c"}))]
    booths = [standard("powered", "A", power=True), standard("flat", "A", step_free=True)]
    projects = [Project("p", "c", None, None, needs_power=True, needs_step_free=True)]
    [reason] = reasons_of(projects, booths, zones)
    assert reason.kind == "combination"


def test_fair_size_runs():
    projects, booths, zones = instance(random.Random(2026), 435, 480, 10)
    result = allocate(projects, booths, zones)
    assert_rules_kept(projects, booths, zones, result.placement)


@pytest.mark.parametrize("seed", range(10))
def test_zone_programme_equals_the_per_booth_programme(seed):
    rng = random.Random(300 + seed)
    projects, booths, zones = instance(rng, rng.randint(20, 55), 60, rng.randint(2, 5), organisations=rng.randint(6, 20),
                                       regions=rng.randint(2, 6), locks=rng.randint(0, 4),
                                       categories=rng.choice([None, 2]))     # 2: zones linked by shared categories
    weights = Weights(organisation=rng.choice([0, 1, 3]), region=rng.choice([0, 1]), award=rng.choice([0, 2]))
    fast = stage_one(projects, booths, zones, weights)
    exact = stage_one(projects, booths, zones, weights, per_booth=True)
    assert fast.optimal and exact.optimal
    assert fast.objective == exact.objective
    assert_rules_kept(projects, booths, zones, fast.placement)
    assert allocate(projects, booths, zones, weights=weights).objective == exact.objective


def test_type_capacity_decides_the_zone():
    """Both projects would rather share zone A, but A has one powered booth: one of them goes to B."""
    zones = [Zone("A", frozenset({"c"})), Zone("B", frozenset({"c"}))]
    booths = [standard("a0", "A", power=True), standard("a1", "A", step_free=True), standard("a2", "A"),
              standard("b0", "B", power=True)]
    projects = [Project(f"p{n}", "c", "org", "r", needs_power=True) for n in range(2)]
    result = allocate(projects, booths, zones, weights=Weights(organisation=5, region=1, award=0))
    assert sorted(result.placement.values()) == ["a0", "b0"]
    assert result.objective == 5 * 2 + 1 * 2


def test_locked_booth_takes_its_capacity_out_of_the_zone():
    """A's only powered booth is locked to a project that needs none, so the powered project goes to B."""
    zones = [Zone("A", frozenset({"c"})), Zone("B", frozenset({"c"}))]
    booths = [standard("a0", "A", power=True, locked="quiet"), standard("a1", "A"), standard("b0", "B", power=True)]
    projects = [Project("quiet", "c", "org", None), Project("loud", "c", "org", None, needs_power=True)]
    result = allocate(projects, booths, zones, weights=Weights(organisation=1))
    assert result.placement == {"quiet": "a0", "loud": "b0"}
    assert result.optimal and result.objective == 2


def test_too_few_powered_booths_in_a_zone_with_others_free():
    zones = [Zone("A", frozenset({"c"})), Zone("B", frozenset({"d"}))]
    booths = [standard("a0", "A", power=True), standard("a1", "A"), standard("a2", "A"),
              standard("b0", "B", power=True), standard("b1", "B", power=True)]
    projects = [Project(f"p{n}", "c", None, None, needs_power=True) for n in range(3)]
    assert reasons_of(projects, booths, zones) == [Reason("too_few", ("c",), ("A",), "power", 3, 1)]


def test_ties_give_the_same_answer_every_time():
    """Many equally good answers (every booth alike): the same one is returned on every call."""
    zones = [Zone(f"z{n}", frozenset({"c"})) for n in range(3)]
    booths = [Booth(f"b{n}", f"z{n % 3}", STANDARD, True, True, 3.0 * (n // 3), 0.0) for n in range(18)]
    projects = [Project(f"p{n}", "c", f"o{n % 4}", f"r{n % 2}") for n in range(12)]
    first = allocate(projects, booths, zones)
    assert all(allocate(projects, booths, zones) == first for _ in range(3))


def test_equal_inputs_give_equal_answers_whatever_the_hash_seed():
    program = ("import json, random, sys; sys.path[:0] = [{root!r}, {tests!r}]; "
               "from test_allocate import instance; from fair.booths.allocate import allocate; "
               "result = allocate(*instance(random.Random(7), 60, 80, 4, organisations=15, locks=3)); "
               "print(json.dumps([result.placement, result.objective, result.side_by_side]))")
    root, tests = os.path.dirname(os.path.dirname(os.path.dirname(__file__))), os.path.dirname(__file__)
    answers = {subprocess.run([sys.executable, "-c", program.format(root=root, tests=tests)], check=True,
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert len(answers) == 1
    placement, objective, _pairs = json.loads(answers.pop())
    projects, booths, zones = instance(random.Random(7), 60, 80, 4, organisations=15, locks=3)
    assert_rules_kept(projects, booths, zones, placement)
    assert objective == stage_one(projects, booths, zones, per_booth=True).objective


def test_neighbours_are_same_zone_booths_within_the_distance():
    rng = random.Random(5)
    booths = [Booth(f"b{n}", f"z{rng.randrange(3)}", STANDARD, False, False, rng.randrange(12), rng.randrange(12))
              for n in range(40)]
    near = neighbours(booths, 3.5)
    for a, b in itertools.permutations(booths, 2):
        assert (b.id in near[a.id]) == (a.zone == b.zone and math.hypot(a.x - b.x, a.y - b.y) <= 3.5)
    assert all(booth.id not in near[booth.id] for booth in booths)
