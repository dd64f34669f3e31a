"""What the shortlist page and the services read: each a fixed number of queries, however many entries."""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fair.applications.models import (Application, ApplicationStatus, Decision, Placement, Quota, QuotaDimension,
                                      ReviewAssignment, ReviewScore, ScreeningCriterion, ShortlistEntry)
from fair.extensions import db
from fair.fairs.models import Fair

# Where an entry stands now: the organizer's override, else the proposal.
placement = sa.func.coalesce(ShortlistEntry.override, ShortlistEntry.proposed).label("placement")
SUBMITTED = Application.status == ApplicationStatus.submitted


def review_scores(fair: Fair):
    """One row per completed review in the fair: its points averaged by the rubric's weights (0–10).
    The one definition of a review's score, for the proposal and the page alike."""
    return (sa.select(ReviewAssignment.reviewer_id, ReviewAssignment.application_id,
                      (sa.func.sum(ReviewScore.points * ScreeningCriterion.weight) * 1.0
                       / sa.func.sum(ScreeningCriterion.weight)).label("score"))
            .join(ReviewScore, ReviewScore.assignment_id == ReviewAssignment.id)
            .join(ScreeningCriterion, ScreeningCriterion.id == ReviewScore.criterion_id)
            .join(Application, Application.id == ReviewAssignment.application_id)
            .where(Application.fair_id == fair.id, ReviewAssignment.submitted_at.is_not(None))
            .group_by(ReviewAssignment.id, ReviewAssignment.reviewer_id, ReviewAssignment.application_id))


def raw_means(fair: Fair, application_ids: list[int]) -> dict[int, tuple[float, int]]:
    """The plain mean of each application's reviews and their number."""
    if not application_ids:
        return {}
    scores = review_scores(fair).where(ReviewAssignment.application_id.in_(application_ids)).subquery()
    rows = db.session.execute(sa.select(scores.c.application_id, sa.func.avg(scores.c.score), sa.func.count())
                              .group_by(scores.c.application_id))
    return {application_id: (float(mean), count) for application_id, mean, count in rows}


def published_at(fair: Fair) -> datetime | None:
    """When the decisions went out; None before. Derived from the decisions themselves."""
    return db.session.scalar(sa.select(sa.func.min(Application.decided_at))
                             .where(Application.fair_id == fair.id, Application.decision.is_not(None)))


def quotas(fair: Fair) -> list[Quota]:
    return db.session.scalars(sa.select(Quota).where(Quota.fair_id == fair.id).order_by(Quota.id)).all()


@dataclass
class Counts:
    submitted: int = 0     # applications submitted now
    entries: int = 0       # entries of the proposal, and below them by where they stand
    shortlist: int = 0
    waitlist: int = 0
    out: int = 0           # of which `unreviewed` have no score
    unreviewed: int = 0
    overridden: int = 0
    stale: int = 0         # submitted without an entry, or an entry whose application is no longer submitted


def counts(fair: Fair) -> Counts:
    """The proposal's entries by where they stand (for the tabs), and how far it lags the applications."""
    entry_rows = db.session.execute(
        sa.select(placement, ShortlistEntry.score.is_(None), ShortlistEntry.override.is_not(None), SUBMITTED,
                  sa.func.count())
        .join(Application, Application.id == ShortlistEntry.application_id)
        .where(ShortlistEntry.fair_id == fair.id).group_by(sa.text("1"), sa.text("2"), sa.text("3"), sa.text("4")))
    result, entered = Counts(), 0
    for where, unreviewed, overridden, submitted, number in entry_rows:
        where = Placement(where).value
        result.entries += number
        setattr(result, where, getattr(result, where) + number)
        result.unreviewed += number if unreviewed else 0
        result.overridden += number if overridden else 0
        entered += number if submitted else 0
        result.stale += 0 if submitted else number
    result.submitted = db.session.scalar(sa.select(sa.func.count(Application.id))
                                         .where(Application.fair_id == fair.id, SUBMITTED))
    result.stale += result.submitted - entered
    return result


@dataclass
class GroupRow:
    """One category or city: how many applied, were reviewed and are chosen, against its quota."""

    key: str
    label: str
    submitted: int
    reviewed: int
    chosen: int
    minimum: int | None = None
    maximum: int | None = None

    @property
    def met(self) -> bool:
        return self.chosen >= (self.minimum or 0) and (self.maximum is None or self.chosen <= self.maximum)


def group_rows(fair: Fair, dimension: QuotaDimension, locale: str, *, published: bool,
               fair_quotas: list[Quota]) -> list[GroupRow]:
    """Every category of the fair, or every city with an application or a quota, most applications first."""
    column = Application.category_id if dimension == QuotaDimension.category else Application.city
    reviewed = sa.exists().where(ReviewAssignment.application_id == Application.id,
                                 ReviewAssignment.submitted_at.is_not(None))
    chosen = Application.decision == Decision.shortlisted if published else placement == Placement.shortlist
    rows = db.session.execute(
        sa.select(column, sa.func.count(Application.id), sa.func.sum(sa.case((reviewed, 1), else_=0)),
                  sa.func.sum(sa.case((chosen, 1), else_=0)))
        .outerjoin(ShortlistEntry, ShortlistEntry.application_id == Application.id)
        .where(Application.fair_id == fair.id, SUBMITTED).group_by(column))
    found = {str(key): (submitted, reviewed_count or 0, chosen_count or 0)
             for key, submitted, reviewed_count, chosen_count in rows}
    if dimension == QuotaDimension.category:
        labels = {str(category.id): category.display_name(locale) for category in fair.categories}
    else:
        keys = set(found) | {q.key for q in fair_quotas if q.dimension == dimension}
        labels = {key: key for key in sorted(keys, key=lambda key: (-found.get(key, (0,))[0], key))}
    limits = {q.key: q for q in fair_quotas if q.dimension == dimension}
    result = []
    for key, label in labels.items():
        quota = limits.get(key)
        result.append(GroupRow(key, label, *found.get(key, (0, 0, 0)),
                               minimum=quota.minimum if quota else None, maximum=quota.maximum if quota else None))
    return result


TABS = {
    "all": None,
    "shortlist": placement == Placement.shortlist,
    "waitlist": placement == Placement.waitlist,
    "out": sa.and_(placement == Placement.out, ShortlistEntry.score.is_not(None)),
    "unreviewed": ShortlistEntry.score.is_(None),
    "overridden": ShortlistEntry.override.is_not(None),
}


def entries(fair: Fair, tab: str, page: int, per_page: int):
    """One page of the proposal: best first (the waitlist in its calling order), with what a row shows."""
    query = (sa.select(ShortlistEntry).where(ShortlistEntry.fair_id == fair.id)
             .options(joinedload(ShortlistEntry.application).joinedload(Application.organisation),
                      joinedload(ShortlistEntry.application).joinedload(Application.category)))
    if TABS.get(tab) is not None:
        query = query.where(TABS[tab])
    order = [ShortlistEntry.waitlist_rank] if tab == "waitlist" else []
    query = query.order_by(*order, ShortlistEntry.score.desc().nulls_last(), ShortlistEntry.application_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def ranks(fair: Fair, entry_ids: list[int]) -> dict[int, int]:
    """Each entry's place among all reviewed applications by corrected score."""
    if not entry_ids:
        return {}
    ranked = (sa.select(ShortlistEntry.id, sa.func.row_number().over(
        order_by=(ShortlistEntry.score.desc(), ShortlistEntry.application_id)).label("rank"))
        .where(ShortlistEntry.fair_id == fair.id, ShortlistEntry.score.is_not(None)).subquery())
    return dict(db.session.execute(sa.select(ranked.c.id, ranked.c.rank).where(ranked.c.id.in_(entry_ids))).all())


def withdrawn_shortlisted(fair: Fair) -> list[Application]:
    """Published as shortlisted, since withdrawn, and not yet replaced from the waitlist."""
    return db.session.scalars(
        sa.select(Application).join(ShortlistEntry, ShortlistEntry.application_id == Application.id)
        .options(joinedload(Application.organisation))
        .where(Application.fair_id == fair.id, Application.decision == Decision.shortlisted,
               Application.status == ApplicationStatus.withdrawn, placement == Placement.shortlist)
        .order_by(Application.id)).all()
