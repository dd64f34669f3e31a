"""Judging ranking: judge effects taken out, pooling, invariance, components, ties, bad input, dispatch."""
import math
import random

import pytest

from judging.ranking import Mark, doubt, next_project, rank


def synthetic(seed: int, projects: int = 120, judges: int = 20, looks: int = 3):
    """Judges with their own severity (as spread as quality), slope and noise, two of them sloppy."""
    rng = random.Random(seed)
    quality = [rng.gauss(0, 1) for _ in range(projects)]
    severity = [rng.gauss(0, 1) for _ in range(judges)]
    slope = [math.exp(rng.gauss(0, 0.35)) for _ in range(judges)]
    noise = [1.6 if j < 2 else 0.4 for j in range(judges)]
    marks = [Mark(j, p, 65 + 10 * (severity[j] + slope[j] * quality[p] + rng.gauss(0, noise[j])))
             for p in range(projects) for j in rng.sample(range(judges), looks)]
    return quality, marks


def top(ids, k):
    return set(list(ids)[:k])


def test_recovers_the_true_order_better_than_raw_means():
    found_model = found_raw = 0
    for seed in range(3):
        quality, marks = synthetic(seed)
        truth = top(sorted(range(len(quality)), key=lambda p: -quality[p]), 20)
        ranking = rank(marks)
        by_raw = sorted(ranking.projects, key=lambda entry: (-entry.raw_mean, entry.project_id))
        found_model += len(truth & top((entry.project_id for entry in ranking.projects), 20))
        found_raw += len(truth & top((entry.project_id for entry in by_raw), 20))
        assert ranking.converged and ranking.connected
    assert found_model / 60 >= 0.75
    assert found_model >= found_raw + 6


def test_intervals_cover_the_estimate_and_judge_effects_are_found():
    _quality, marks = synthetic(7)
    ranking = rank(marks)
    estimates = [entry.estimate for entry in ranking.projects]
    assert estimates == sorted(estimates, reverse=True)
    assert all(entry.low < entry.estimate < entry.high and entry.marks == 3 for entry in ranking.projects)
    sloppy = [ranking.judges[j].noise for j in (0, 1)]
    careful = [ranking.judges[j].noise for j in range(2, 20)]
    assert min(sloppy) > max(careful) and min(sloppy) > 2 * sorted(careful)[9]
    assert sum(effect.scale for effect in ranking.judges.values()) / 20 == pytest.approx(1)


def test_a_judge_with_one_mark_is_pooled_rather_than_believed():
    _quality, marks = synthetic(3)
    lone = Mark(99, 5, 100.0)
    ranking = rank([*marks, lone])
    effect = ranking.judges[99]
    assert effect.marks == 1
    assert effect.scale == pytest.approx(1, abs=0.1)          # the typical judge's slope
    before = next(entry for entry in rank(marks).projects if entry.project_id == 5)
    after = next(entry for entry in ranking.projects if entry.project_id == 5)
    raw_shift = after.raw_mean - before.raw_mean
    assert 0 < after.estimate - before.estimate < raw_shift / 2     # most of the 100 is put down to the judge
    assert effect.offset > 0


def test_adding_a_constant_to_one_judges_marks_changes_nothing_that_matters():
    _quality, marks = synthetic(11)
    shifted = [Mark(j, p, points + 15 if j == 4 else points) for j, p, points in marks]
    plain, moved = rank(marks), rank(shifted)
    assert [e.project_id for e in plain.projects[:10]] == [e.project_id for e in moved.projects[:10]]
    changes = {e.project_id: e.estimate for e in plain.projects}
    assert max(abs(changes[e.project_id] - e.estimate) for e in moved.projects) < 2.0     # of ~10 per sd
    assert moved.judges[4].offset - plain.judges[4].offset == pytest.approx(15, abs=2)  # pooled: some stays


def test_a_disconnected_graph_is_reported_with_its_parts():
    marks = [Mark("x", "a", 6), Mark("x", "b", 8), Mark("y", "a", 5), Mark("y", "b", 7),
             Mark("z", "c", 9), Mark("z", "d", 4), Mark("w", "c", 8), Mark("w", "d", 5), Mark("w", "e", 6)]
    ranking = rank(marks)
    assert not ranking.connected
    assert ranking.components == (("c", "d", "e"), ("a", "b"))
    part = {entry.project_id: entry.component for entry in ranking.projects}
    assert part == {"a": 1, "b": 1, "c": 0, "d": 0, "e": 0}
    assert rank(marks[:4]).connected


def test_unmarked_projects_come_last_in_id_order_with_no_numbers():
    ranking = rank([Mark(1, 10, 7.0), Mark(2, 10, 8.0)], projects=[30, 10, 20])
    assert [entry.project_id for entry in ranking.projects] == [10, 20, 30]
    assert ranking.projects[1].marks == 0 and ranking.projects[1].estimate is None
    assert rank([], projects=[2, 1]).projects[0].project_id == 1
    assert doubt(ranking, (1,))[20] == 1.0


def test_equal_marks_tie_in_project_id_order_whatever_the_input_order():
    marks = [Mark(j, p, 7.5) for j in range(4) for p in (9, 3, 5, 1) if (j + p) % 3]
    ranking = rank(marks)
    assert [entry.project_id for entry in ranking.projects] == [1, 3, 5, 9]
    assert len({entry.estimate for entry in ranking.projects}) == 1
    assert all(math.isfinite(entry.sd) for entry in ranking.projects)
    _quality, many = synthetic(5)
    shuffled = list(many)
    random.Random(1).shuffle(shuffled)
    assert rank(shuffled) == rank(many)


@pytest.mark.parametrize("points", [math.nan, math.inf, -math.inf, "seven", None])
def test_points_that_are_not_finite_numbers_are_refused(points):
    with pytest.raises(ValueError, match="project 2"):
        rank([Mark(1, 1, 5.0), Mark(1, 2, points)])


def test_a_judge_marking_a_project_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        rank([(1, 1, 5.0), (1, 1, 6.0)])


def test_doubt_is_highest_at_the_cut_off_and_dispatch_prefers_it_then_the_nearer():
    _quality, marks = synthetic(2)
    ranking = rank(marks)
    chances = doubt(ranking, (20,))
    order = [entry.project_id for entry in ranking.projects]
    assert chances[order[19]] > 0.3 and chances[order[20]] > 0.3
    assert chances[order[0]] < 0.01 and chances[order[-1]] < 0.01
    assert all(0 <= value <= 1 for value in chances.values())
    far = {order[0]: 0.0, order[19]: 500.0, order[20]: 500.0}
    assert next_project(7, far, ranking, (20,), far) in (order[19], order[20])
    unseen = {"new-far": 40.0, "new-near": 15.0}          # no marks yet: doubt 1 each, so the nearer
    assert next_project(7, unseen, ranking, (20,), lambda judge, project: unseen[project]) == "new-near"
    assert next_project(7, [], ranking, (20,), far) is None
    with pytest.raises(ValueError):
        doubt(ranking, (0,))
