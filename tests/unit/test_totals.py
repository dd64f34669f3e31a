"""Screening totals: weights are relative, the scale is 0–100, disagreement is max − min."""
import pytest

from fair.screening.totals import standings, weighted_total


@pytest.mark.parametrize("points,weights,total", [
    ({1: 10, 2: 10}, {1: 30, 2: 70}, 100.0),
    ({1: 0, 2: 0}, {1: 30, 2: 70}, 0.0),
    ({1: 10, 2: 0}, {1: 30, 2: 70}, 30.0),
    ({1: 10, 2: 0}, {1: 3, 2: 7}, 30.0),
    ({1: 7}, {1: 1, 2: 1}, 35.0),            # an unscored criterion counts as zero
    ({}, {}, 0.0),
])
def test_weighted_total(points, weights, total):
    assert weighted_total(points, weights) == pytest.approx(total)


def test_standings_put_the_widest_disagreement_first():
    weights = {1: 1}
    result = standings([("a", {1: 8}), ("a", {1: 2}), ("b", {1: 9}), ("b", {1: 8}), ("c", {1: 5})], weights)
    assert [(s.application, s.mean, s.spread, s.reviews) for s in result] == [
        ("a", 50.0, 60.0, 2), ("b", 85.0, 10.0, 2), ("c", 50.0, 0.0, 1)]
