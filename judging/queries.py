"""Reads shared by the judging pages and services: which projects are judged, the fair's judging state,
each project's booth (for the judge's walk), and the published awards that other areas (sponsorship, the
console) show. Nothing here writes."""
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa

from fair.applications.models import Application
from fair.booths.models import Booth
from fair.booths.placing import PLACEABLE
from fair.extensions import db
from fair.fairs.models import Fair
from judging.models import Award, AwardTier, JudgingSetup

# The default rubric for volunteer-service projects: (name, English name, weight of 100, max points).
DEFAULT_RUBRIC = [
    ("社会需求与对象精准度", "Social need and targeting", 20, 10),
    ("项目创新性", "Innovation", 20, 10),
    ("执行与管理能力", "Implementation and management", 20, 10),
    ("成效与证据", "Impact and evidence", 25, 10),
    ("可持续性与可复制性", "Sustainability and replicability", 15, 10),
]
# The default tiers, best first: (name, English name, count); 80 awards in all.
DEFAULT_TIERS = [("特别荣誉奖", "Special honour", 5), ("金奖", "Gold", 15), ("银奖", "Silver", 25),
                 ("铜奖", "Bronze", 35)]


def setup_of(fair: Fair) -> JudgingSetup:
    """The fair's judging state; before anything was set, an unsaved one with the defaults."""
    setup = db.session.get(JudgingSetup, fair.id)
    return setup if setup is not None else JudgingSetup(fair_id=fair.id, judges_per_project=3)


def judged_applications(fair: Fair) -> list[Application]:
    """The projects judges score: the exhibited ones (shortlisted, still submitted), by id."""
    return db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id, PLACEABLE)
                              .order_by(Application.id)).all()


def booths_by_application(fair: Fair) -> dict[int, Booth]:
    """Each placed project's booth, in one query."""
    booths = db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id, Booth.application_id.is_not(None)))
    return {booth.application_id: booth for booth in booths}


@dataclass(frozen=True)
class PublishedAward:
    """A project's award as others may show it: only once the results are published."""

    application_id: int
    tier_id: int
    tier_name: str
    tier_name_en: str
    tier_position: int        # 0 is the best tier

    def tier_label(self, locale: str) -> str:
        return self.tier_name_en if locale.startswith("en") and self.tier_name_en else self.tier_name


def published_tiers(fair: Fair) -> list[AwardTier]:
    """The fair's award tiers, best first, when its results are published (else none): for filters."""
    if setup_of(fair).published_at is None:
        return []
    return db.session.scalars(sa.select(AwardTier).where(AwardTier.fair_id == fair.id)
                              .order_by(AwardTier.position)).all()


def published_awards(fair: Fair, application_ids: Iterable[int] | None = None) -> dict[int, PublishedAward]:
    """Each awarded project's published award in one query (of `application_ids` if given); nothing
    before the results are published. Sponsorship and the console read awards only through this."""
    if setup_of(fair).published_at is None:
        return {}
    query = (sa.select(Award.application_id, AwardTier.id, AwardTier.name, AwardTier.name_en, AwardTier.position)
             .join(AwardTier, AwardTier.id == Award.tier_id).where(Award.fair_id == fair.id))
    if application_ids is not None:
        query = query.where(Award.application_id.in_(list(application_ids)))
    return {row[0]: PublishedAward(*row) for row in db.session.execute(query)}
