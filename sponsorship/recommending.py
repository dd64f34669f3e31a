"""Recommendations read from the database: the fair's exhibited projects (with their published awards and
what signed agreements already give them) and its sponsors' profiles turned into matching's plain inputs,
ranked there, and handed back with their rows for the page. A handful of queries whatever the fair's
size; nothing here writes."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fair.applications.models import Application
from fair.auth.models import Organisation
from fair.booths.models import Booth
from fair.booths.placing import PLACEABLE
from fair.extensions import db
from fair.fairs.models import Fair
from fair.regions import PROVINCES
from judging.queries import PublishedAward, published_awards
from sponsorship import matching
from sponsorship.models import Agreement, AgreementStatus, SponsorProfile

LIMIT = 30
PROVINCE_OF = {city: province for province, cities in PROVINCES.items() for city in cities}


@dataclass(frozen=True)
class ProjectPick:
    """A project recommended to a sponsor, with what its card shows."""

    application: Application
    match: matching.Match
    offer: matching.ProjectOffer
    award: PublishedAward | None
    booth_code: str | None


@dataclass(frozen=True)
class SponsorPick:
    """A sponsor recommended for a project, with its focus categories' names for the card."""

    sponsor: SponsorProfile
    match: matching.Match
    focus_names: list[str]


def exhibited(fair: Fair, organisation_id: int | None = None) -> list[Application]:
    """The fair's exhibited projects (of one organisation if given), by title, organisation and category loaded."""
    query = (sa.select(Application).where(Application.fair_id == fair.id, PLACEABLE)
             .options(joinedload(Application.organisation), joinedload(Application.category))
             .order_by(Application.title, Application.id))
    if organisation_id is not None:
        query = query.where(Application.organisation_id == organisation_id)
    return list(db.session.scalars(query))


def sponsors_of(fair: Fair) -> list[SponsorProfile]:
    """The fair's sponsor profiles, their organisations loaded, by name."""
    return list(db.session.scalars(
        sa.select(SponsorProfile).join(SponsorProfile.organisation).where(SponsorProfile.fair_id == fair.id)
        .options(joinedload(SponsorProfile.organisation)).order_by(Organisation.name, SponsorProfile.id)))


def funded_fen(fair: Fair, application_ids: list[int] | None = None) -> dict[int, int]:
    """Money of signed agreements per project, in one query."""
    query = (sa.select(Agreement.application_id, sa.func.sum(Agreement.amount_fen))
             .where(Agreement.fair_id == fair.id, Agreement.status == AgreementStatus.signed)
             .group_by(Agreement.application_id))
    if application_ids is not None:
        query = query.where(Agreement.application_id.in_(application_ids))
    return {application_id: int(total) for application_id, total in db.session.execute(query)}


def needs_of(sponsor: SponsorProfile) -> matching.SponsorNeeds:
    """A profile as matching's input; a region that names a province counts as that province."""
    regions = tuple(sponsor.regions or ())
    provinces = {PROVINCE_OF[region] for region in regions if region in PROVINCE_OF}
    provinces |= {region for region in regions if region in PROVINCES}
    return matching.SponsorNeeds(
        id=sponsor.id, focus_category_ids=frozenset(sponsor.focus_category_ids or ()), regions=regions,
        provinces=tuple(sorted(provinces)), budget_min_fen=sponsor.budget_min_fen or 0,
        budget_max_fen=sponsor.budget_max_fen or 0, support_offered=tuple(sponsor.support_offered or ()))


def offer_of(application: Application, award: PublishedAward | None, funded: int, locale: str) -> matching.ProjectOffer:
    return matching.ProjectOffer(
        id=application.id, category_id=application.category_id, province=application.province,
        city=application.city, district=application.district, funding_need_fen=application.funding_need_fen or 0,
        support_wanted=tuple(application.support_wanted or ()),
        award_position=award.tier_position if award else None, funded_fen=funded, title=application.title,
        category_name=application.category.display_name(locale), award_name=award.tier_label(locale) if award else "")


def projects_for(sponsor: SponsorProfile, *, locale: str, limit: int = LIMIT) -> list[ProjectPick]:
    """The fair's exhibited projects best for `sponsor`, best first."""
    fair = sponsor.fair
    applications = {application.id: application for application in exhibited(fair)}
    awards = published_awards(fair)
    funded = funded_fen(fair)
    offers = [offer_of(application, awards.get(id), funded.get(id, 0), locale)
              for id, application in applications.items()]
    ranked = matching.rank_projects(needs_of(sponsor), offers, limit)
    chosen = [m.project_id for m in ranked]
    booths = {application_id: code for application_id, code in db.session.execute(
        sa.select(Booth.application_id, Booth.code).where(Booth.fair_id == fair.id, Booth.application_id.in_(chosen)))}
    by_id = {offer.id: offer for offer in offers}
    return [ProjectPick(applications[m.project_id], m, by_id[m.project_id], awards.get(m.project_id),
                        booths.get(m.project_id)) for m in ranked]


def sponsors_for(application: Application, *, locale: str, limit: int = LIMIT) -> list[SponsorPick]:
    """The fair's sponsors best for `application`, best first."""
    fair = application.fair
    award = published_awards(fair, [application.id]).get(application.id)
    offer = offer_of(application, award, funded_fen(fair, [application.id]).get(application.id, 0), locale)
    sponsors = {sponsor.id: sponsor for sponsor in sponsors_of(fair)}
    ranked = matching.rank_sponsors(offer, [needs_of(sponsor) for sponsor in sponsors.values()], limit)
    names = {category.id: category.display_name(locale) for category in fair.categories}
    return [SponsorPick(sponsors[m.sponsor_id], m,
                        [names[id] for id in sponsors[m.sponsor_id].focus_category_ids or () if id in names])
            for m in ranked]
