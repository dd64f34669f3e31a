"""Who may see or change one application: the detail page, the form and the file download all ask here."""
import sqlalchemy as sa

from fair.applications.models import Application, ReviewAssignment
from fair.auth.models import Role, User
from fair.extensions import db


def owns(user: User, application: Application) -> bool:
    """The user works for the organisation that applied."""
    return user.organisation_id is not None and user.organisation_id == application.organisation_id


def can_edit(user: User, application: Application) -> bool:
    return owns(user, application) and user.has_role(application.fair, Role.exhibitor)


def is_assigned_reviewer(user: User, application: Application) -> bool:
    if not user.has_role(application.fair, Role.reviewer):
        return False
    return db.session.scalar(sa.select(ReviewAssignment.id).where(
        ReviewAssignment.application_id == application.id, ReviewAssignment.reviewer_id == user.id)) is not None


def can_view(user: User, application: Application) -> bool:
    return (owns(user, application) or user.has_role(application.fair, Role.organizer)
            or is_assigned_reviewer(user, application))


def sees_applicant(user: User, application: Application) -> bool:
    """Blind screening hides who applied from reviewers; the applicant and the organizers always see it."""
    return (not application.fair.blind_screening or owns(user, application)
            or user.has_role(application.fair, Role.organizer))
