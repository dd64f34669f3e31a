"""Which projects suit a sponsor, and which sponsors suit a project: a score out of 100 with the reasons
behind it. Plain data in and out (no Flask, no database), so it is unit-tested and benchmarked alone;
sponsorship/recommending.py loads the rows and builds these dataclasses.

The score adds five terms, each worth at most its weight (points of 100):

| term    | weight | full credit                                 | less                                                |
| ------- | -----: | ------------------------------------------- | --------------------------------------------------- |
| focus   |     35 | the project's category is a focus category  | nothing                                             |
| region  |     20 | the project serves one of the sponsor's cities | 10 for another city of one of their provinces    |
| budget  |     20 | the remaining need fits the sponsor's budget | 20 × budget ÷ need above it; 10 if either is unknown |
| support |     15 | the sponsor offers every kind the project wants | the share of wanted kinds offered; 7.5 if either listed none |
| award   |     10 | the best published tier (position 0)        | 10 − 2 × position, at least 2; 0 without an award    |

Why these weights: a sponsor funds its own causes first, so the category is the surest sign of fit and
weighs most. Local sponsors support local projects (companies answer to their city, foundations often to
a province), so the city counts next and the rest of the province half as much. A need the sponsor can
meet alone makes the easiest conversation; a larger one still gets the share the budget could cover, and
an unknown need or budget (0) is neither rewarded nor punished: it gets half. The support term follows
the same idea for goods, volunteers, venue and professional services. The judges' award is a signal of
quality but weaker than fit, so it weighs least, and recommendations never hide an unawarded project
that fits well.

A project whose need is already covered by signed agreements (need > 0, funded ≥ need) gets no budget
credit and loses 100 points: it comes after every project that still needs support, in the same order
among themselves. The budget term measures the remaining need (need − funded).

Points are integers in thousandths, so the vectorised batch and the single calls agree exactly and equal
scores are true ties, broken by id (score descending, then id ascending)."""
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import numpy as np

SCALE = 1000                      # points are kept in thousandths of a point
FOCUS = 35 * SCALE
CITY, PROVINCE = 20 * SCALE, 10 * SCALE
BUDGET = 20 * SCALE
SUPPORT = 15 * SCALE
AWARD_BEST, AWARD_STEP, AWARD_LEAST = 10 * SCALE, 2 * SCALE, 2 * SCALE
FUNDED_PENALTY = 100 * SCALE


@dataclass(frozen=True)
class SponsorNeeds:
    """What a sponsor looks for. `provinces` are the provinces of its `regions` (cities): the caller knows
    the map of China, this module does not."""

    id: int
    focus_category_ids: frozenset[int] = frozenset()
    regions: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    budget_min_fen: int = 0
    budget_max_fen: int = 0           # 0: not stated
    support_offered: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectOffer:
    """What an exhibited project offers a sponsor. `category_name` and `award_name` are labels in the
    reader's language, carried into the reasons."""

    id: int
    category_id: int
    province: str = ""
    city: str = ""
    district: str = ""
    funding_need_fen: int = 0         # 0: not stated
    support_wanted: tuple[str, ...] = ()
    award_position: int | None = None  # 0 is the best tier; None without a published award
    funded_fen: int = 0               # already signed for it
    title: str = ""
    category_name: str = ""
    award_name: str = ""

    @property
    def remaining_fen(self) -> int:
        return max(self.funding_need_fen - self.funded_fen, 0)

    @property
    def fully_funded(self) -> bool:
        return self.funding_need_fen > 0 and self.funded_fen >= self.funding_need_fen


class Reason(NamedTuple):
    """Why a pair scores: a code and its value, which the page translates and formats.

    focus (category name) · region (city) · province (province) · funded_part (fen signed so far) ·
    budget (remaining need in fen, inside the budget) · budget_part (remaining need, above the budget) ·
    support (the kinds both want and offer) · award (tier name) · funded (fen signed: nothing left to need)"""

    code: str
    value: object


@dataclass(frozen=True)
class Match:
    sponsor_id: int
    project_id: int
    points: int                       # thousandths of a point
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def score(self) -> float:
        return self.points / SCALE


def _budget_points(sponsor: SponsorNeeds, project: ProjectOffer) -> int:
    if project.fully_funded:
        return 0
    if project.funding_need_fen <= 0 or sponsor.budget_max_fen <= 0:
        return BUDGET // 2
    remaining = project.remaining_fen
    if remaining <= sponsor.budget_max_fen:
        return BUDGET
    return BUDGET * sponsor.budget_max_fen // remaining


def _support_overlap(sponsor: SponsorNeeds, project: ProjectOffer) -> tuple[str, ...]:
    offered = set(sponsor.support_offered)
    return tuple(dict.fromkeys(kind for kind in project.support_wanted if kind in offered))


def _support_points(sponsor: SponsorNeeds, project: ProjectOffer) -> int:
    wanted = set(project.support_wanted)
    if not wanted or not sponsor.support_offered:
        return SUPPORT // 2
    return SUPPORT * len(_support_overlap(sponsor, project)) // len(wanted)


def _award_points(position: int | None) -> int:
    if position is None:
        return 0
    return max(AWARD_LEAST, AWARD_BEST - AWARD_STEP * position)


def match(sponsor: SponsorNeeds, project: ProjectOffer) -> Match:
    """The score of one pair with its reasons: the reference the vectorised ranking agrees with."""
    points, reasons = 0, []
    if project.category_id in sponsor.focus_category_ids:
        points += FOCUS
        reasons.append(Reason("focus", project.category_name))
    if project.city and project.city in sponsor.regions:
        points += CITY
        reasons.append(Reason("region", project.city))
    elif project.province and project.province in sponsor.provinces:
        points += PROVINCE
        reasons.append(Reason("province", project.province))
    if 0 < project.funded_fen < project.funding_need_fen:
        reasons.append(Reason("funded_part", project.funded_fen))
    budget = _budget_points(sponsor, project)
    points += budget
    if budget == BUDGET:
        reasons.append(Reason("budget", project.remaining_fen))
    elif budget and project.funding_need_fen > 0 and sponsor.budget_max_fen > 0:
        reasons.append(Reason("budget_part", project.remaining_fen))
    points += _support_points(sponsor, project)
    overlap = _support_overlap(sponsor, project)
    if overlap:
        reasons.append(Reason("support", overlap))
    if project.award_position is not None:
        points += _award_points(project.award_position)
        reasons.append(Reason("award", project.award_name))
    if project.fully_funded:
        points -= FUNDED_PENALTY
        reasons.append(Reason("funded", project.funded_fen))
    return Match(sponsor.id, project.id, points, tuple(reasons))


class _Projects:
    """The projects as numpy columns, built once and scored against each sponsor in a few array steps."""

    def __init__(self, projects: Sequence[ProjectOffer]):
        self.projects = list(projects)
        self.ids = np.array([p.id for p in projects], dtype=np.int64)
        self.category = np.array([p.category_id for p in projects], dtype=np.int64)
        self.city_codes: dict[str, int] = {}
        self.province_codes: dict[str, int] = {}
        self.city = np.array([self._code(self.city_codes, p.city) for p in projects], dtype=np.int64)
        self.province = np.array([self._code(self.province_codes, p.province) for p in projects], dtype=np.int64)
        self.need = np.array([p.funding_need_fen for p in projects], dtype=np.int64)
        self.remaining = np.array([p.remaining_fen for p in projects], dtype=np.int64)
        self.fully_funded = np.array([p.fully_funded for p in projects], dtype=bool)
        self.kinds = {kind: index for index, kind in enumerate(dict.fromkeys(
            kind for p in projects for kind in p.support_wanted))}
        self.wants = np.zeros((len(projects), len(self.kinds)), dtype=np.int64)
        for row, p in enumerate(projects):
            for kind in p.support_wanted:
                self.wants[row, self.kinds[kind]] = 1
        self.wanted_count = self.wants.sum(axis=1)
        award = np.array([_award_points(p.award_position) for p in projects], dtype=np.int64)
        self.base = award - FUNDED_PENALTY * self.fully_funded
        # points × n + this make every key distinct, a smaller id the larger: one partial sort ranks
        by_id = np.argsort(self.ids, kind="stable")
        self.id_bonus = np.empty(len(projects), dtype=np.int64)
        self.id_bonus[by_id] = np.arange(len(projects) - 1, -1, -1)

    @staticmethod
    def _code(codes: dict[str, int], name: str) -> int:
        """A number per distinct non-empty name; -1 for none, which no sponsor's region matches."""
        return codes.setdefault(name, len(codes)) if name else -1

    def points(self, sponsor: SponsorNeeds) -> np.ndarray:
        points = self.base.copy()
        points += FOCUS * np.isin(self.category, list(sponsor.focus_category_ids))
        in_city = np.isin(self.city, [self.city_codes[c] for c in sponsor.regions if c in self.city_codes])
        in_province = np.isin(self.province,
                              [self.province_codes[p] for p in sponsor.provinces if p in self.province_codes])
        points += np.where(in_city, CITY, np.where(in_province, PROVINCE, 0))
        points += self._budget(sponsor.budget_max_fen)
        points += self._support(sponsor.support_offered)
        return points

    def _budget(self, budget_max: int) -> np.ndarray:
        if budget_max <= 0:
            budget = np.full(len(self.ids), BUDGET // 2, dtype=np.int64)
        else:
            covered = BUDGET * np.minimum(self.remaining, budget_max) // np.maximum(self.remaining, 1)
            budget = np.where(self.need <= 0, BUDGET // 2, np.where(self.remaining <= budget_max, BUDGET, covered))
        return np.where(self.fully_funded, 0, budget)

    def _support(self, offered: tuple[str, ...]) -> np.ndarray:
        if not offered:
            return np.full(len(self.ids), SUPPORT // 2, dtype=np.int64)
        columns = sorted({self.kinds[kind] for kind in offered if kind in self.kinds})
        overlap = self.wants[:, columns].sum(axis=1)
        return np.where(self.wanted_count == 0, SUPPORT // 2, SUPPORT * overlap // np.maximum(self.wanted_count, 1))

    def best(self, sponsor: SponsorNeeds, limit: int | None) -> list[Match]:
        """The sponsor's `limit` best projects (all when None), with their reasons."""
        if not self.projects or limit == 0:
            return []
        key = self.points(sponsor) * len(self.projects) + self.id_bonus
        rows = np.arange(len(key)) if limit is None or limit >= len(key) else np.argpartition(-key, limit - 1)[:limit]
        rows = rows[np.argsort(-key[rows])]
        return [match(sponsor, self.projects[row]) for row in rows]


def rank_projects(sponsor: SponsorNeeds, projects: Sequence[ProjectOffer], limit: int | None = None) -> list[Match]:
    """The projects best for `sponsor` first (score descending, then project id), at most `limit`."""
    return _Projects(projects).best(sponsor, limit)


def rank_sponsors(project: ProjectOffer, sponsors: Sequence[SponsorNeeds], limit: int | None = None) -> list[Match]:
    """The sponsors best for `project` first (score descending, then sponsor id), at most `limit`."""
    matches = sorted((match(sponsor, project) for sponsor in sponsors), key=lambda m: (-m.points, m.sponsor_id))
    return matches[:limit]


def recommend_all(sponsors: Sequence[SponsorNeeds], projects: Sequence[ProjectOffer],
                  limit: int | None = None) -> dict[int, list[Match]]:
    """Every sponsor's ranking, the projects' columns built once: the same lists as `rank_projects`."""
    table = _Projects(projects)
    return {sponsor.id: table.best(sponsor, limit) for sponsor in sponsors}
