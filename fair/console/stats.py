"""The fair's figures: what the dashboard, the public "fair in numbers" page and the stats API report.

Each area that has figures registers a source in `STAT_SOURCES`: a function (fair) -> dict of some of the
figures below, computed by SQL aggregates, so a source runs a fixed small number of queries whatever the
size of the fair. The core areas' sources are here; judging and sponsorship add their own
(judging/stats.py, sponsorship/stats.py), so `fair` never imports them. A figure no source gives stays at its default
(0, or {} for awards_by_tier).

| figure | what it counts |
| --- | --- |
| applications | applications submitted now (status submitted): drafts, applications sent back for changes (until resubmitted) and withdrawn ones are not counted; the organizer's list filtered by status "submitted" |
| screened | of those, the ones whose screening is done: at least one review assigned and every assigned review submitted |
| shortlisted | applications published as shortlisted (decision shortlisted), withdrawn since or not; nothing before the shortlist is published |
| exhibiting | shortlisted and still submitted: the projects placed on booths and judged (`booths.placing.PLACEABLE`) |
| booths | booths on the fair's plan |
| booths_assigned | booths with a project on them (locked or not) |
| judges | active judges |
| scores | judges' scorecards submitted, of assignments not skipped |
| awards_by_tier | {tier name: awards}, best tier first, every tier of the fair; empty until the results are published (read through judging.queries, published results only) |
| people_choice_votes | people's choice votes cast (a count only: the results stay hidden until voting closes) |
| sponsors, meetings, agreements_signed, projects_funded, amount_signed_fen, caring_units | sponsorship's (sponsorship/stats.py): profiles; meetings accepted or held; agreements signed by both and in force, the projects they fund and their money in integer fen; caring units |
| visitors_registered | people on live tickets: the sum of their group sizes (a school group of 30 is 30 visitors), revoked tickets left out |
| venue_entries | people admitted at entry gates (points of kind entry), over all days: a visitor who comes on two days enters twice |
| experience_checkins | people admitted at outdoor experience activities (kind activity) |
| class_checkins | people admitted at volunteer classes and salons (kinds class and salon) |

Refused scans never count. The dashboard shows a few figures the API leaves out (`DASHBOARD_EXTRAS`):
inside_now (people inside the areas the entry gates lead into, as the counters page counts them),
scorecards_due (judge assignments not skipped) and award_names_en (each tier's English name)."""
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from zoneinfo import ZoneInfo

from fair.applications.models import Application, ApplicationStatus, Decision, ReviewAssignment
from fair.auth.models import Membership, Role
from fair.booths.models import Booth
from fair.booths.placing import PLACEABLE
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.visitors.models import Checkin, CheckinPoint, PointKind, Presence, Ticket

# The API's figures, in the order the API documents and the pages show them, with what each counts.
FIGURE_DOCS = {
    "applications": "applications submitted now (drafts, sent back for changes and withdrawn ones not counted)",
    "screened": "submitted applications whose every assigned review is submitted (at least one)",
    "shortlisted": "applications published as shortlisted (0 before the shortlist is published)",
    "exhibiting": "shortlisted projects still submitted: those placed on booths and judged",
    "booths": "booths on the fair's plan",
    "booths_assigned": "booths with a project on them",
    "judges": "active judges",
    "scores": "judges' scorecards submitted",
    "awards_by_tier": "awards per tier, {tier name: count}, best tier first; empty until the results are published",
    "people_choice_votes": "people's choice votes cast",
    "sponsors": "sponsors taking part (profiles in the fair)",
    "meetings": "meetings agreed by both sides: accepted or held (requests, declined, cancelled and no-shows left out)",
    "agreements_signed": "support agreements signed by both parties and in force (amended or cancelled versions left out)",
    "projects_funded": "projects with at least one agreement signed by both parties",
    "amount_signed_fen": "the money of the signed agreements, in integer fen (1 yuan = 100 fen); in-kind value not included",
    "caring_units": "caring units (爱心单位) named by the organizer",
    "visitors_registered": "people on live tickets (a group ticket counts its group size)",
    "venue_entries": "people admitted at the entry gates, over all days",
    "experience_checkins": "people admitted at outdoor experience activities",
    "class_checkins": "people admitted at volunteer classes and salons",
}
FIGURES = tuple(FIGURE_DOCS)
DASHBOARD_EXTRAS = {"inside_now": 0, "scorecards_due": 0, "award_names_en": {}}
DEFAULTS = {name: {} if name == "awards_by_tier" else 0 for name in FIGURES} | DASHBOARD_EXTRAS
PUBLIC_PHASES = (Phase.live, Phase.closed)

StatSource = Callable[[Fair], dict]
STAT_SOURCES: list[StatSource] = []


def stat_source(source: StatSource) -> StatSource:
    """Register `source` (once, however often its module is imported); a decorator."""
    if source not in STAT_SOURCES:
        STAT_SOURCES.append(source)
    return source


def figures(fair: Fair) -> dict:
    """Every figure and dashboard extra of `fair`: each registered source's, defaults for the rest."""
    found = deepcopy(DEFAULTS)
    for source in STAT_SOURCES:
        part = source(fair)
        unknown = part.keys() - DEFAULTS.keys()
        if unknown:
            raise KeyError(f"{source.__qualname__} gives figures nobody documented: {sorted(unknown)}")
        found.update(part)
    return found


def api_figures(found: dict) -> dict:
    """The API's figures of `figures(fair)`, in their order."""
    return {name: found[name] for name in FIGURES}


# --- who sees them ----------------------------------------------------------------------------------------

def is_public(fair: Fair) -> bool:
    """Figures are public once the fair is live, and stay so after it closes."""
    return fair.phase in PUBLIC_PHASES


def visible_to(fair: Fair, user) -> bool:
    """Anyone sees a public fair's figures; its organizers see them in every phase."""
    return is_public(fair) or (user.is_authenticated and user.has_role(fair, Role.organizer))


def visible_fairs(user) -> list[Fair]:
    """The fairs whose figures `user` (maybe anonymous) may read, newest first: one query."""
    condition = Fair.phase.in_(PUBLIC_PHASES)
    if user.is_authenticated:
        organizing = sa.select(Membership.fair_id).where(Membership.user_id == user.id,
                                                         Membership.role == Role.organizer)
        condition = sa.or_(condition, Fair.id.in_(organizing))
    return db.session.scalars(sa.select(Fair).where(condition).order_by(Fair.starts_on.desc(), Fair.id)).all()


# --- the core areas' figures ----------------------------------------------------------------------------

SUBMITTED = Application.status == ApplicationStatus.submitted
SHORTLISTED = Application.decision == Decision.shortlisted
_reviewed = sa.exists().where(ReviewAssignment.application_id == Application.id,
                              ReviewAssignment.submitted_at.is_not(None))
_review_open = sa.exists().where(ReviewAssignment.application_id == Application.id,
                                 ReviewAssignment.submitted_at.is_(None))
SCREENED = sa.and_(SUBMITTED, _reviewed, ~_review_open)


def _count(condition) -> sa.ColumnElement:
    return sa.func.count(Application.id).filter(condition)


@stat_source
def application_figures(fair: Fair) -> dict:
    """The pipeline: applications → screened → shortlisted → exhibiting, in one query."""
    row = db.session.execute(sa.select(_count(SUBMITTED), _count(SCREENED), _count(SHORTLISTED), _count(PLACEABLE))
                             .where(Application.fair_id == fair.id)).one()
    return dict(zip(("applications", "screened", "shortlisted", "exhibiting"), map(int, row)))


@stat_source
def booth_figures(fair: Fair) -> dict:
    booths, assigned = db.session.execute(
        sa.select(sa.func.count(Booth.id), sa.func.count(Booth.application_id)).where(Booth.fair_id == fair.id)).one()
    return {"booths": int(booths), "booths_assigned": int(assigned)}


def _venue_areas(fair: Fair) -> sa.Select:
    """The areas the entry gates lead into: who is inside them is inside the venue."""
    return sa.select(CheckinPoint.area_id).where(CheckinPoint.fair_id == fair.id, CheckinPoint.kind == PointKind.entry,
                                                 CheckinPoint.area_id.is_not(None))


KIND_FIGURES = {PointKind.entry: "venue_entries", PointKind.activity: "experience_checkins",
                PointKind.class_: "class_checkins", PointKind.salon: "class_checkins"}


@stat_source
def visitor_figures(fair: Fair) -> dict:
    """People registered and inside now (one query), people admitted by kind of point (one)."""
    registered = (sa.select(sa.func.coalesce(sa.func.sum(Ticket.group_size), 0))
                  .where(Ticket.fair_id == fair.id, Ticket.revoked_at.is_(None)).scalar_subquery())
    inside = (sa.select(sa.func.coalesce(sa.func.sum(Presence.people), 0))
              .where(Presence.area_id.in_(_venue_areas(fair))).scalar_subquery())
    registered, inside = db.session.execute(sa.select(registered, inside)).one()
    found = {"visitors_registered": int(registered), "inside_now": int(inside)} | dict.fromkeys(KIND_FIGURES.values(), 0)
    # Summed per point first, then the few points joined: a join per scan would cost more than the sum.
    per_point = (sa.select(Checkin.point_id, sa.func.sum(Checkin.people).label("people"))
                 .where(Checkin.fair_id == fair.id, Checkin.reason == "ok").group_by(Checkin.point_id).subquery())
    for kind, people in db.session.execute(
            sa.select(CheckinPoint.kind, sa.func.sum(per_point.c.people))
            .join(per_point, per_point.c.point_id == CheckinPoint.id).group_by(CheckinPoint.kind)):
        if kind in KIND_FIGURES:
            found[KIND_FIGURES[kind]] += int(people or 0)
    return found


# --- what the dashboard's charts draw --------------------------------------------------------------------

@dataclass(frozen=True)
class Breakdown:
    """Submitted and shortlisted applications per category (by id) and per city ("" when not given)."""

    by_category: dict[int, tuple[int, int]]
    by_city: dict[str, tuple[int, int]]


def breakdown(fair: Fair) -> Breakdown:
    """Applications and shortlisted per category and per city, in one query."""
    rows = db.session.execute(
        sa.select(Application.category_id, Application.city, _count(SUBMITTED), _count(SHORTLISTED))
        .where(Application.fair_id == fair.id).group_by(Application.category_id, Application.city))
    by_category: dict[int, tuple[int, int]] = {}
    by_city: dict[str, tuple[int, int]] = {}
    for category_id, city, submitted, shortlisted in rows:
        for table, key in ((by_category, category_id), (by_city, city or "")):
            before = table.get(key, (0, 0))
            table[key] = (before[0] + submitted, before[1] + shortlisted)
    return Breakdown(by_category, by_city)


BUCKET_SECONDS = 900        # every timezone's offset is a multiple of 15 minutes
EPOCH = datetime(1970, 1, 1)


def _bucket() -> sa.ColumnElement:
    """A scan's quarter of an hour (UTC) in SQL, to group by: each database spells it its own way, and
    `_quarter` reads what it gives back as the quarter's number since the epoch. Per row, so cheap
    arithmetic matters: PostgreSQL's date_bin (14 and later) is timestamp arithmetic, three times faster
    than dividing EXTRACT(epoch)'s numeric; SQLite's unixepoch (3.38 and later) twice as fast as strftime('%s')."""
    dialect = db.session.get_bind().dialect
    version = dialect.server_version_info or (0,)
    seconds = sa.literal_column(str(BUCKET_SECONDS), sa.Integer)
    if dialect.name == "postgresql":
        if version >= (14,):
            return sa.func.date_bin(sa.literal_column(f"interval '{BUCKET_SECONDS} seconds'"), Checkin.scanned_at,
                                    sa.literal_column("timestamp '1970-01-01'"))
        return sa.cast(sa.func.floor(sa.extract("epoch", Checkin.scanned_at) / seconds), sa.BigInteger)
    # SQLite's date functions round to the millisecond (…:59.9996 is the next minute): whole seconds first,
    # from the stored text "YYYY-MM-DD HH:MM:SS.ffffff"
    whole_seconds = sa.func.substr(Checkin.scanned_at, 1, 19)
    if version >= (3, 38):
        return sa.func.unixepoch(whole_seconds, type_=sa.Integer) // seconds
    return sa.cast(sa.func.strftime("%s", whole_seconds), sa.Integer) // seconds


def _quarter(bucket) -> int:
    """The quarter's number since the epoch of a `_bucket()` value: a number, or date_bin's naive UTC start."""
    if isinstance(bucket, datetime):
        return (bucket - EPOCH) // timedelta(seconds=BUCKET_SECONDS)
    return int(bucket)


def entries_by_hour(fair: Fair, *, days: int = 7) -> dict[date, list[int]]:
    """People admitted at the entry gates per local day and hour (24 counts a day), for the last `days`
    days that had any. Two queries: the fair's entry gates (a few rows), then their scans grouped by UTC
    quarter hours (at most 96 rows a day), each quarter then put in its local hour, so it is right in every
    timezone, daylight saving time included. The gates are asked first, not joined: the sum then reads the
    gates' own range of ix_checkin_tally (fair, reason, point), and a join per scan cost PostgreSQL a nested
    loop over every admitted scan of the fair when it had no statistics yet."""
    gates = db.session.scalars(sa.select(CheckinPoint.id).where(CheckinPoint.fair_id == fair.id,
                                                                CheckinPoint.kind == PointKind.entry)).all()
    if not gates:
        return {}
    bucket = _bucket()
    rows = db.session.execute(
        sa.select(bucket, sa.func.sum(Checkin.people))
        .where(Checkin.fair_id == fair.id, Checkin.reason == "ok", Checkin.point_id.in_(gates))
        .group_by(bucket))
    zone = ZoneInfo(fair.timezone)
    per_day: dict[date, list[int]] = {}
    for quarter, people in rows:
        local = datetime.fromtimestamp(_quarter(quarter) * BUCKET_SECONDS, timezone.utc).astimezone(zone)
        per_day.setdefault(local.date(), [0] * 24)[local.hour] += int(people or 0)
    return {day: per_day[day] for day in sorted(per_day)[-days:]}
