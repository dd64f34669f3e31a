"""Who speaks for whom: a sponsor's representatives are the users of its organisation who hold the
sponsor role in the fair; a project's are the users of its organisation who hold the exhibitor role.
Views and services of every sponsorship module decide with these."""
import sqlalchemy as sa
from flask_babel import gettext as _

from fair.applications.models import Application
from fair.auth.models import Role, User
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from sponsorship.models import SponsorProfile


def sponsor_of(user: User, fair: Fair) -> SponsorProfile | None:
    """The sponsor profile `user` represents in `fair`, if any."""
    if user is None or not getattr(user, "is_authenticated", True) or user.organisation_id is None:
        return None
    if not user.has_role(fair, Role.sponsor):
        return None
    return db.session.scalar(sa.select(SponsorProfile).where(
        SponsorProfile.fair_id == fair.id, SponsorProfile.organisation_id == user.organisation_id))


def represents_sponsor(user: User, sponsor: SponsorProfile) -> bool:
    return (user is not None and user.organisation_id == sponsor.organisation_id
            and user.has_role(sponsor.fair, Role.sponsor))


def represents_project(user: User, application: Application) -> bool:
    return (user is not None and user.organisation_id == application.organisation_id
            and user.has_role(application.fair, Role.exhibitor))


def is_organizer(user: User, fair: Fair) -> bool:
    return user is not None and user.has_role(fair, Role.organizer)


def require_sponsor_representative(user: User, sponsor: SponsorProfile) -> None:
    if not represents_sponsor(user, sponsor):
        raise Refused(_("只有支持方“%(name)s”的代表可以这样做。", name=sponsor.organisation.name), "not_representative")


def require_project_representative(user: User, application: Application) -> None:
    if not represents_project(user, application):
        raise Refused(_("只有项目“%(title)s”所属单位的代表可以这样做。", title=application.title), "not_representative")
