"""Screening totals: a review's weighted score on a 0–100 scale and how far reviewers disagree.

Pure: plain data in and out. Every criterion is scored 0–10; a review's total is the weighted mean
of its points times ten, so weights are relative (30/30/20/20 and 3/3/2/2 give the same total)."""
from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean
from typing import Hashable, Iterable, Mapping

MAX_POINTS = 10


def weighted_total(points: Mapping[Hashable, int], weights: Mapping[Hashable, int]) -> float:
    """0–100 for a complete review; criteria not scored count as zero."""
    total_weight = sum(weights.values())
    if not total_weight:
        return 0.0
    earned = sum(points.get(criterion, 0) * weight for criterion, weight in weights.items())
    return 100.0 * earned / (MAX_POINTS * total_weight)


@dataclass(frozen=True)
class Standing:
    """One application's submitted reviews summed up: mean and spread (max − min) of their totals."""

    application: Hashable
    mean: float
    spread: float
    reviews: int


def standings(reviews: Iterable[tuple[Hashable, Mapping[Hashable, int]]],
              weights: Mapping[Hashable, int]) -> list[Standing]:
    """From (application, points by criterion) per submitted review: the widest disagreement first."""
    totals: dict[Hashable, list[float]] = defaultdict(list)
    for application, points in reviews:
        totals[application].append(weighted_total(points, weights))
    result = [Standing(application, fmean(values), max(values) - min(values), len(values))
              for application, values in totals.items()]
    return sorted(result, key=lambda standing: (-standing.spread, -standing.mean, str(standing.application)))
