"""What the screening pages read: each answer takes a fixed number of queries, however many reviews."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from fair.applications.models import Application, ApplicationStatus, DuplicateCandidate, ReviewAssignment, ReviewScore
from fair.auth.models import User
from fair.extensions import db
from fair.fairs.models import Fair
from fair.screening import totals
from fair.screening.services import reviewers, rubric

LIVE = Application.status != ApplicationStatus.withdrawn      # a withdrawn application needs no screening


def _scored_counts(assignment_ids) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(ReviewScore.assignment_id, sa.func.count(ReviewScore.id))
        .where(ReviewScore.assignment_id.in_(assignment_ids)).group_by(ReviewScore.assignment_id)).all())


@dataclass(frozen=True)
class QueueEntry:
    assignment: ReviewAssignment
    scored: int           # criteria scored so far


def queue(fair: Fair, reviewer: User) -> list[QueueEntry]:
    """A reviewer's assignments in a stable order (the order they were given)."""
    assignments = list(db.session.scalars(
        sa.select(ReviewAssignment).join(Application)
        .where(ReviewAssignment.reviewer_id == reviewer.id, Application.fair_id == fair.id, LIVE)
        .options(joinedload(ReviewAssignment.application).joinedload(Application.category),
                 joinedload(ReviewAssignment.application).joinedload(Application.organisation))
        .order_by(ReviewAssignment.id)))
    counts = _scored_counts([a.id for a in assignments]) if assignments else {}
    return [QueueEntry(a, counts.get(a.id, 0)) for a in assignments]


def neighbours(assignment: ReviewAssignment) -> tuple[int | None, int | None, int | None]:
    """The previous and next assignment in the reviewer's queue, and the first one still open after it."""
    mine = sa.select(ReviewAssignment.id, ReviewAssignment.submitted_at).join(Application).where(
        ReviewAssignment.reviewer_id == assignment.reviewer_id,
        Application.fair_id == assignment.application.fair_id, LIVE).order_by(ReviewAssignment.id)
    rows = db.session.execute(mine).all()
    ids = [row.id for row in rows]
    here = ids.index(assignment.id) if assignment.id in ids else -1
    previous = ids[here - 1] if here > 0 else None
    following = ids[here + 1] if 0 <= here < len(ids) - 1 else None
    still_open = [row.id for row in rows if row.submitted_at is None and row.id != assignment.id]
    later = [i for i in still_open if i > assignment.id]
    return previous, following, (later or still_open or [None])[0]


@dataclass(frozen=True)
class OtherReview:
    label: int               # reviewers are shown as 1, 2, … not by name
    points: dict[int, int]
    total: float
    comment: str


def other_reviews(assignment: ReviewAssignment, weights: dict[int, int]) -> list[OtherReview]:
    """The submitted reviews of the same application by others: shown only once this one is submitted."""
    others = list(db.session.scalars(
        sa.select(ReviewAssignment).where(ReviewAssignment.application_id == assignment.application_id,
                                          ReviewAssignment.id != assignment.id,
                                          ReviewAssignment.submitted_at.is_not(None))
        .options(selectinload(ReviewAssignment.scores)).order_by(ReviewAssignment.id)))
    result = []
    for label, other in enumerate(others, start=1):
        points = {score.criterion_id: score.points for score in other.scores}
        result.append(OtherReview(label, points, totals.weighted_total(points, weights), other.comment))
    return result


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer: User
    assigned: int
    done: int

    @property
    def open(self) -> int:
        return self.assigned - self.done


def progress(fair: Fair) -> list[ReviewerProgress]:
    """Each reviewer's assigned and submitted reviews, those with the most open work first."""
    counts = {row.reviewer_id: row for row in db.session.execute(
        sa.select(ReviewAssignment.reviewer_id, sa.func.count(ReviewAssignment.id).label("assigned"),
                  sa.func.count(ReviewAssignment.submitted_at).label("done"))
        .join(Application).where(Application.fair_id == fair.id, LIVE).group_by(ReviewAssignment.reviewer_id))}
    rows = [ReviewerProgress(person, counts[person.id].assigned if person.id in counts else 0,
                             counts[person.id].done if person.id in counts else 0) for person in reviewers(fair)]
    return sorted(rows, key=lambda row: (-row.open, row.reviewer.name))


@dataclass(frozen=True)
class Overview:
    submitted: int            # applications waiting to be screened
    under_assigned: int       # of those, with fewer reviewers than the fair asks for
    assigned: int             # reviews given out
    done: int                 # reviews submitted


def overview(fair: Fair) -> Overview:
    per_application = (sa.select(Application.id, sa.func.count(ReviewAssignment.id).label("reviewers"))
                       .outerjoin(ReviewAssignment, ReviewAssignment.application_id == Application.id)
                       .where(Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted)
                       .group_by(Application.id).subquery())
    submitted, under = db.session.execute(sa.select(
        sa.func.count(per_application.c.id),
        sa.func.count(per_application.c.id).filter(per_application.c.reviewers < fair.reviewers_per_application))
    ).one()
    assigned, done = db.session.execute(
        sa.select(sa.func.count(ReviewAssignment.id), sa.func.count(ReviewAssignment.submitted_at))
        .join(Application).where(Application.fair_id == fair.id, LIVE)).one()
    return Overview(submitted, under, assigned, done)


def standings(fair: Fair) -> list[totals.Standing]:
    """Every application with a submitted review: mean weighted total and spread, widest spread first."""
    weights = {criterion.id: criterion.weight for criterion in rubric(fair)}
    reviews: dict[int, tuple[int, dict[int, int]]] = {}
    for assignment_id, application_id, criterion_id, points in db.session.execute(
            sa.select(ReviewAssignment.id, ReviewAssignment.application_id, ReviewScore.criterion_id,
                      ReviewScore.points)
            .join(ReviewScore, ReviewScore.assignment_id == ReviewAssignment.id).join(Application)
            .where(Application.fair_id == fair.id, LIVE, ReviewAssignment.submitted_at.is_not(None))):
        reviews.setdefault(assignment_id, (application_id, {}))[1][criterion_id] = points
    return totals.standings(reviews.values(), weights)


def applications_by_id(ids) -> dict[int, Application]:
    return {a.id: a for a in db.session.scalars(
        sa.select(Application).where(Application.id.in_(ids))
        .options(joinedload(Application.category), joinedload(Application.organisation)))}


def open_duplicates(fair: Fair) -> list[DuplicateCandidate]:
    """Pairs still to settle, most alike first, both applications loaded."""
    return list(db.session.scalars(
        sa.select(DuplicateCandidate).where(DuplicateCandidate.fair_id == fair.id,
                                            DuplicateCandidate.resolution.is_(None))
        .options(*(joinedload(side).joinedload(relation)
                   for side in (DuplicateCandidate.application, DuplicateCandidate.other)
                   for relation in (Application.category, Application.organisation)))
        .order_by(DuplicateCandidate.similarity.desc(), DuplicateCandidate.id)))


def settled_duplicates(fair: Fair) -> int:
    return db.session.scalar(sa.select(sa.func.count(DuplicateCandidate.id)).where(
        DuplicateCandidate.fair_id == fair.id, DuplicateCandidate.resolution.is_not(None)))
