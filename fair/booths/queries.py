"""What the booth pages read: a fair's plan (halls, zones, booths and the projects on them) in three
statements however many booths, the shapes svg.py draws from those rows, and the public project page.

Only published decisions are public: a project shows on the visitors' plan and has a page when it was
published as shortlisted and not withdrawn since (`is_public`)."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from fair.applications.models import Application, ApplicationStatus, Decision
from fair.booths import svg
from fair.booths.models import Booth, Hall, Zone
from fair.extensions import db
from fair.fairs.models import Fair, Phase

PUBLIC = sa.and_(Application.decision == Decision.shortlisted, Application.status != ApplicationStatus.withdrawn)


def plan_is_public(fair: Fair) -> bool:
    """Visitors see the plan and the project pages from the preparation phase on."""
    return fair.phase.position >= Phase.preparation.position


def is_public(application: Application | None) -> bool:
    return (application is not None and application.decision == Decision.shortlisted
            and application.status != ApplicationStatus.withdrawn)


def _name(thing, locale: str) -> str:
    """The English name where the locale is English and one was given, else the Chinese."""
    return thing.name_en if locale.startswith("en") and getattr(thing, "name_en", "") else thing.name


def hall_shape(hall: Hall, locale: str = "zh_Hans") -> svg.HallShape:
    return svg.HallShape(hall.id, _name(hall, locale), hall.width, hall.depth)


def zone_shapes(zones: Iterable[Zone], locale: str = "zh_Hans") -> list[svg.ZoneShape]:
    return [svg.ZoneShape(zone.id, _name(zone, locale), svg.safe_colour(zone.colour)) for zone in zones]


def booth_shapes_from_models(booths: Iterable[Booth], *, href_for: Callable[[int], str] | None = None,
                             public: bool = False) -> list[svg.BoothShape]:
    """Booth rows as svg.BoothShape. The project's title comes from `booth.application` (load it with the
    booths). `public`: only published projects are named and linked, and a lock is not shown, since to a
    visitor a locked booth is simply taken. `href_for(application_id)` links a booth to its project."""
    shapes = []
    for booth in booths:
        application = booth.application if booth.application_id else None
        status = booth.status.value
        if public:
            status = svg.FREE if status == svg.FREE else svg.ASSIGNED
            application = application if is_public(application) else None
        shapes.append(svg.BoothShape(
            booth.id, booth.code, booth.x, booth.y, booth.width, booth.depth, booth.zone_id, status,
            title=application.title if application else "",
            href=href_for(application.id) if application and href_for else None,
            power=booth.power, step_free=booth.step_free, corner=booth.corner, double=booth.size.value == "double"))
    return shapes


@dataclass
class HallPlan:
    """One hall ready to draw: its shapes, and its rows for the lists beside the drawing."""

    hall: Hall
    shape: svg.HallShape
    zones: list[svg.ZoneShape]
    booths: list[svg.BoothShape]
    rows: list[Booth] = field(default_factory=list)

    def svg(self, highlight: Iterable[int] = frozenset(), labels: bool = True) -> Markup:
        return svg.render_plan(self.shape, self.zones, self.booths, highlight=frozenset(highlight), labels=labels)


@dataclass
class FairPlan:
    halls: list[HallPlan]
    zones: dict[int, Zone]

    @property
    def booths(self) -> list[Booth]:
        return [booth for hall in self.halls for booth in hall.rows]

    def hall_of(self, booth: Booth) -> HallPlan:
        return next(hall for hall in self.halls if hall.hall.id == booth.hall_id)


def load_plan(fair: Fair, *, locale: str = "zh_Hans", public: bool = False,
              href_for: Callable[[int], str] | None = None, hall_ids: Iterable[int] | None = None) -> FairPlan:
    """The fair's halls in their order (or only `hall_ids`), each with its zones and booths, the booths
    with their project, its organisation and category: three statements."""
    halls_query = sa.select(Hall).where(Hall.fair_id == fair.id).order_by(Hall.position, Hall.id)
    zones_query = sa.select(Zone).where(Zone.fair_id == fair.id).order_by(Zone.position, Zone.id)
    booths_query = (sa.select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.code)
                    .options(joinedload(Booth.application).joinedload(Application.organisation),
                             joinedload(Booth.application).joinedload(Application.category)))
    if hall_ids is not None:
        hall_ids = list(hall_ids)
        halls_query = halls_query.where(Hall.id.in_(hall_ids))
        zones_query = zones_query.where(Zone.hall_id.in_(hall_ids))
        booths_query = booths_query.where(Booth.hall_id.in_(hall_ids))
    halls = db.session.scalars(halls_query).all()
    zones = db.session.scalars(zones_query).all()
    booths = db.session.scalars(booths_query).unique().all()
    by_hall: dict[int, list[Booth]] = {}
    for booth in booths:
        by_hall.setdefault(booth.hall_id, []).append(booth)
    plans = []
    for hall in halls:
        rows = by_hall.get(hall.id, [])
        plans.append(HallPlan(hall, hall_shape(hall, locale),
                              zone_shapes([zone for zone in zones if zone.hall_id == hall.id], locale),
                              booth_shapes_from_models(rows, href_for=href_for, public=public), rows))
    return FairPlan(plans, {zone.id: zone for zone in zones})


def public_project(fair: Fair, application_id: int) -> Application | None:
    """A published shortlisted project of `fair` with its organisation and category, else None."""
    return db.session.scalar(
        sa.select(Application).where(Application.id == application_id, Application.fair_id == fair.id, PUBLIC)
        .options(joinedload(Application.organisation), joinedload(Application.category)))


def booth_of(application_id: int) -> Booth | None:
    """The booth a project stands on, with its hall and zone."""
    return db.session.scalar(sa.select(Booth).where(Booth.application_id == application_id)
                             .options(joinedload(Booth.hall), joinedload(Booth.zone)))


def organisation_projects(fair: Fair, organisation_id: int) -> list[Application]:
    """An organisation's published shortlisted projects in `fair`, in the order they were made."""
    return db.session.scalars(
        sa.select(Application).where(Application.fair_id == fair.id, Application.organisation_id == organisation_id,
                                     PUBLIC)
        .options(joinedload(Application.category)).order_by(Application.id)).all()


def search_text(booth: Booth) -> str:
    """What a visitor's search looks through, in lower case: the booth's code and, for a published
    project, its title, organisation and category in both languages ("环保" finds it in English too)."""
    parts = [booth.code]
    application = booth.application
    if is_public(application):
        parts += [application.title, application.organisation.name, application.category.name,
                  application.category.name_en]
    return " ".join(parts).lower()


def matches(booth: Booth, words: str, category_id: int | None) -> bool:
    """Whether every word of a search is in the booth's `search_text` and its project is of the chosen
    category (if one is chosen). plan.js applies the same rule live."""
    if category_id is not None and not (is_public(booth.application) and booth.application.category_id == category_id):
        return False
    text = search_text(booth)
    return all(word in text for word in words.lower().split())
