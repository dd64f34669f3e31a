"""Shortlisting maths: severity correction, selection under quotas, explanations, replacements."""
import itertools
import random
import time

import pytest

from fair.shortlist.ranking import (Candidate, Quota, Review, choose_replacement, correct_severity, quota_shortfalls,
                                    select)


def _candidate(identifier: int, score: float, category: str = "a", city: str = "x") -> Candidate:
    return Candidate(identifier, score, frozenset({("category", category), ("city", city)}))


# --- severity --------------------------------------------------------------------------------------

def test_a_harsh_reviewers_applications_come_back_level_with_a_lenient_ones():
    # Lenient L gives quality + 1, harsh H quality - 1; both read ten shared applications (1..10),
    # then H alone reads 11 and L alone reads 12, two projects of the same quality 7.
    quality = {i: 3 + (i % 5) for i in range(1, 11)} | {11: 7, 12: 7}
    reviews = [Review(1, i, quality[i] + 1) for i in [*range(1, 11), 12]]
    reviews += [Review(2, i, quality[i] - 1) for i in [*range(1, 11), 11]]
    correction = correct_severity(reviews)
    harsh, lenient = correction.estimates[11], correction.estimates[12]
    assert (harsh.raw_mean, lenient.raw_mean) == (6, 8)
    assert harsh.score == pytest.approx(lenient.score, abs=0.05)
    assert harsh.score == pytest.approx(7, abs=0.05)
    assert correction.reviewer_effects[1] == pytest.approx(1, abs=0.05)
    assert correction.reviewer_effects[2] == pytest.approx(-1, abs=0.05)
    assert correction.components == 1


def test_with_a_vanishing_ridge_noise_free_scores_are_recovered_exactly():
    rng = random.Random(7)
    quality = {a: rng.uniform(2, 9) for a in range(40)}
    bias = {r: rng.uniform(-2, 2) for r in range(6)}
    reviews = [Review(r, a, quality[a] + bias[r]) for a in quality for r in rng.sample(range(6), 2)]
    estimates = correct_severity(reviews, ridge=1e-9).estimates
    shift = estimates[0].score - quality[0]
    for a in quality:
        assert estimates[a].score - quality[a] == pytest.approx(shift, abs=1e-6)


def test_reviewers_of_equal_severity_change_nothing():
    reviews = [Review(r, a, float(a)) for a in range(1, 6) for r in (1, 2)]
    for estimate in correct_severity(reviews).estimates.values():
        assert estimate.score == pytest.approx(estimate.raw_mean)
        assert estimate.reviews == 2


def test_unlinked_reviewers_are_not_compared():
    # Nobody read an application of both: severity and quality cannot be told apart, so nothing moves.
    correction = correct_severity([Review(1, 1, 9), Review(1, 2, 8), Review(2, 3, 3), Review(2, 4, 2)])
    assert correction.components == 2
    assert correction.estimates[1].score == pytest.approx(9)
    assert correction.estimates[3].score == pytest.approx(3)


def test_no_reviews_no_estimates():
    assert correct_severity([]).estimates == {}


# --- selection -------------------------------------------------------------------------------------

def test_takes_the_best_when_there_are_no_quotas():
    candidates = [_candidate(i, score) for i, score in enumerate([5, 9, 7, 3, 8])]
    selection = select(candidates, 3, [], waitlist_size=1)
    assert selection.shortlist == [1, 4, 2]
    assert selection.waitlist == [0]


def test_a_minimum_brings_in_a_weaker_project_of_its_category():
    candidates = [_candidate(1, 9, "a"), _candidate(2, 8, "a"), _candidate(3, 7, "a"), _candidate(4, 2, "b")]
    selection = select(candidates, 2, [Quota("category", "b", minimum=1)], waitlist_size=5)
    assert selection.shortlist == [1, 4]
    assert selection.waitlist == [2, 3]


def test_overrides_are_pinned():
    candidates = [_candidate(i, 10 - i) for i in range(5)]
    selection = select(candidates, 2, [], waitlist_size=5, forced_in=[4], kept_out=[0])
    assert selection.shortlist == [1, 4]
    assert selection.waitlist == [2, 3]


def _random_instance(rng: random.Random, n: int):
    candidates = [_candidate(i, round(rng.uniform(0, 10), 2), rng.choice("abc"), rng.choice("xyz"))
                  for i in range(n)]
    quotas = []
    for dimension, keys in (("category", "abc"), ("city", "xyz")):
        for key in keys:
            if rng.random() < 0.6:
                low = rng.randint(0, 2)
                quotas.append(Quota(dimension, key, low, rng.choice([None, low + rng.randint(0, 2)])))
    return candidates, quotas


def _brute_force(candidates, size, quotas):
    best = None
    for combination in itertools.combinations(candidates, size):
        counts = {}
        for candidate in combination:
            for group in candidate.groups:
                counts[group] = counts.get(group, 0) + 1
        if quota_shortfalls(counts, quotas):
            continue
        total = sum(c.score for c in combination)
        best = total if best is None else max(best, total)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_optimal_and_within_quotas_against_brute_force(seed):
    rng = random.Random(seed)
    candidates, quotas = _random_instance(rng, rng.randint(6, 11))
    size = rng.randint(2, 5)
    selection = select(candidates, size, quotas)
    best = _brute_force(candidates, size, quotas)
    if best is None:
        assert not selection.feasible and selection.shortlist == [] and selection.waitlist == []
        return
    assert selection.feasible, selection.conflicts
    chosen = [c for c in candidates if c.application_id in selection.shortlist]
    assert len(chosen) == size
    counts = {}
    for candidate in chosen:
        for group in candidate.groups:
            counts[group] = counts.get(group, 0) + 1
    assert quota_shortfalls(counts, quotas) == []
    assert sum(c.score for c in chosen) == pytest.approx(best)


# --- explanations ----------------------------------------------------------------------------------

def _kinds(selection):
    return {(conflict.kind, conflict.quota.key if conflict.quota else conflict.dimension)
            for conflict in selection.conflicts}


def test_a_minimum_above_what_was_submitted_is_explained():
    candidates = [_candidate(i, 5, "社区治理") for i in range(31)] + [_candidate(100 + i, 5, "助老") for i in range(500)]
    selection = select(candidates, 435, [Quota("category", "社区治理", minimum=40)])
    assert selection.shortlist == [] and selection.waitlist == []
    [conflict] = selection.conflicts
    assert conflict.kind == "minimum_above_available"
    assert dict(conflict.numbers) == {"minimum": 40, "available": 31}


def test_minimums_adding_up_past_the_size_are_explained():
    candidates = [_candidate(i, 5, "abcdefghij"[i % 10]) for i in range(1000)]
    quotas = [Quota("category", key, minimum=47) for key in "abcdefghij"]
    [conflict] = select(candidates, 435, quotas).conflicts
    assert conflict.kind == "minimums_exceed_size"
    assert dict(conflict.numbers) == {"total": 470, "size": 435}
    assert conflict.dimension == "category"


def test_simple_conflicts_are_all_listed_at_once():
    candidates = [_candidate(i, 5, "a", "x") for i in range(5)]
    quotas = [Quota("category", "a", minimum=4, maximum=2), Quota("city", "y", minimum=1),
              Quota("city", "x", maximum=3)]
    assert _kinds(select(candidates, 4, quotas)) == {
        ("maximum_below_minimum", "a"), ("minimum_above_available", "y"),
        ("maximums_below_size", "category"), ("maximums_below_size", "city")}
    assert _kinds(select(candidates, 6, [])) == {("too_few_candidates", None)}


def test_overrides_that_break_a_maximum_are_explained():
    candidates = [_candidate(i, 5, "a") for i in range(5)]
    selection = select(candidates, 3, [Quota("category", "a", maximum=1)], forced_in=[0, 1])
    assert ("forced_above_maximum", "a") in _kinds(selection)


def test_quotas_possible_alone_but_not_together_are_explained_with_the_reachable_range():
    # 社区治理 needs 3, but two of its four candidates are in 南京市, which may have at most 0.
    candidates = [_candidate(1, 9, "社区治理", "南京市"), _candidate(2, 9, "社区治理", "南京市"),
                  _candidate(3, 9, "社区治理", "苏州市"), _candidate(4, 9, "社区治理", "苏州市"),
                  _candidate(5, 9, "助老", "苏州市"), _candidate(6, 9, "助老", "无锡市")]
    quotas = [Quota("category", "助老", minimum=1), Quota("category", "社区治理", minimum=3),
              Quota("city", "南京市", maximum=0)]
    [conflict] = select(candidates, 4, quotas).conflicts
    assert conflict.kind == "combination"
    assert {conflict.quota, *conflict.others} == {quotas[1], quotas[2]}      # 助老 plays no part
    if conflict.quota == quotas[1]:
        assert conflict.numbers["highest"] == 2          # 社区治理 reaches 2 at most, below 3
    else:
        assert conflict.numbers["lowest"] == 1           # 南京市 must take 1 at least, above 0


# --- replacing a withdrawn project -----------------------------------------------------------------

def test_replacement_keeps_the_quota_the_withdrawal_broke():
    shortlist = [_candidate(1, 9, "a"), _candidate(2, 8, "b")]          # 3, of category c, withdrew
    waitlist = [_candidate(4, 7, "a"), _candidate(5, 6, "c")]
    replacement = choose_replacement(shortlist, waitlist, [Quota("category", "c", minimum=1)])
    assert replacement.application_id == 5 and replacement.unmet == ()


def test_replacement_says_what_it_cannot_keep():
    quota = Quota("category", "c", minimum=1)
    replacement = choose_replacement([_candidate(1, 9, "a")], [_candidate(4, 7, "a"), _candidate(5, 6, "b")], [quota])
    assert replacement.application_id == 4 and replacement.unmet == (quota,)
    assert choose_replacement([], [], [quota]) is None


# --- scale -----------------------------------------------------------------------------------------

def _fair_sized(seed: int = 1):
    rng = random.Random(seed)
    categories, cities = [f"c{i}" for i in range(10)], [f"city{i}" for i in range(13)]
    reviews = [Review(r, a, min(10, max(0, rng.gauss(6, 1.5) + (r % 5 - 2) * 0.4)))
               for a in range(3500) for r in rng.sample(range(70), 2)]
    estimates = correct_severity(reviews).estimates
    candidates = [Candidate(a, estimates[a].score, frozenset({("category", rng.choice(categories)),
                                                              ("city", rng.choice(cities))}))
                  for a in range(3500)]
    quotas = [Quota("category", key, 30, 60) for key in categories]
    quotas += [Quota("city", key, 15, 50) for key in cities]
    return reviews, candidates, quotas


def test_a_fair_of_3500_applications_is_shortlisted_well_under_a_second():
    reviews, candidates, quotas = _fair_sized()
    started = time.perf_counter()
    estimates = correct_severity(reviews).estimates
    selection = select([Candidate(c.application_id, estimates[c.application_id].score, c.groups) for c in candidates],
                       435, quotas, waitlist_size=44)
    elapsed = time.perf_counter() - started
    assert selection.feasible and len(selection.shortlist) == 435 and len(selection.waitlist) == 44
    assert elapsed < 1.0, f"{elapsed:.2f} s"
