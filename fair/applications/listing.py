"""What "the filtered list of applications" means, once, for the organizer's page, the exports and the JSON API."""
from collections.abc import Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager, joinedload

from fair.applications.models import Application, ApplicationStatus, Decision
from fair.auth.models import Organisation, OrganisationKind
from fair.extensions import db
from fair.fairs.models import Fair

UNDECIDED = "undecided"          # the decision filter's value for "no decision published yet"
SORT_COLUMNS = {"submitted": Application.submitted_at, "title": Application.title,
                "funding": Application.funding_need_fen, "city": Application.city}
# The order a column starts in when first clicked: newest and largest first, names A to Z.
FIRST_ORDER = {"submitted": "desc", "title": "asc", "funding": "desc", "city": "asc"}
MAX_SEARCH_TERMS = 5
LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class ListFilters:
    """The filters, search and sort of one list; every field's default means "not filtered"."""

    q: str = ""
    category: int | None = None
    city: str = ""
    status: ApplicationStatus | None = None
    kind: OrganisationKind | None = None
    decision: str = ""               # a Decision value, UNDECIDED, or "" for any
    sort: str = "submitted"
    order: str = "desc"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "ListFilters":
        """Read a query string; a value that makes no sense is ignored as if it were not given."""
        category = str(args.get("category") or "")
        sort = args.get("sort") if args.get("sort") in SORT_COLUMNS else "submitted"
        decision = args.get("decision") or ""
        return cls(
            q=" ".join(str(args.get("q") or "").split()[:MAX_SEARCH_TERMS])[:100],
            category=int(category) if category.isdecimal() and len(category) < 10 else None,
            city=str(args.get("city") or "").strip()[:30],
            status=_enum_or_none(ApplicationStatus, args.get("status")),
            kind=_enum_or_none(OrganisationKind, args.get("kind")),
            decision=decision if decision in DECISION_CHOICES else "",
            sort=sort,
            order=args.get("order") if args.get("order") in ("asc", "desc") else FIRST_ORDER[sort],
        )

    def args(self) -> dict[str, str]:
        """The query string that gives this list back; defaults are left out, so links stay short."""
        values = {"q": self.q, "category": str(self.category or ""), "city": self.city,
                  "status": self.status.value if self.status else "", "kind": self.kind.value if self.kind else "",
                  "decision": self.decision, "sort": "" if self.sort == "submitted" else self.sort,
                  "order": "" if self.order == FIRST_ORDER[self.sort] else self.order}
        return {name: value for name, value in values.items() if value}

    def sorted_by(self, column: str) -> "ListFilters":
        """The same list sorted by `column`: the other way round if it is sorted by it already."""
        if column == self.sort:
            return replace(self, order="asc" if self.order == "desc" else "desc")
        return replace(self, sort=column, order=FIRST_ORDER[column])

    @property
    def is_filtered(self) -> bool:
        return any((self.q, self.category, self.city, self.status, self.kind, self.decision))


DECISION_CHOICES = [decision.value for decision in Decision] + [UNDECIDED]


def _enum_or_none(kind, value):
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _escaped_like(term: str) -> str:
    """A LIKE pattern that finds `term` anywhere, its own % and _ taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        term = term.replace(special, LIKE_ESCAPE + special)
    return f"%{term}%"


def _conditions(fair: Fair, filters: ListFilters, *, with_status: bool = True) -> list:
    conditions = [Application.fair_id == fair.id]
    # Substring search: Chinese has no spaces to split words at, and 3,500 rows need no full-text index.
    # Every term must match somewhere. PostgreSQL's ILIKE ignores the case of Latin letters, as SQLite's
    # LIKE does by itself (SQLAlchemy's ilike would add lower() on every row there, for nothing).
    caseless = "like" if db.engine.dialect.name == "sqlite" else "ilike"
    for term in filters.q.split():
        pattern = _escaped_like(term)
        conditions.append(sa.or_(*(getattr(column, caseless)(pattern, escape=LIKE_ESCAPE)
                                   for column in (Application.title, Application.summary, Organisation.name))))
    if filters.category:
        conditions.append(Application.category_id == filters.category)
    if filters.city:
        conditions.append(Application.city == filters.city)
    if filters.kind:
        conditions.append(Organisation.kind == filters.kind)
    if filters.decision == UNDECIDED:
        conditions.append(Application.decision.is_(None))
    elif filters.decision:
        conditions.append(Application.decision == Decision(filters.decision))
    if with_status and filters.status:
        conditions.append(Application.status == filters.status)
    return conditions


def select_applications(fair: Fair, filters: ListFilters) -> sa.Select:
    """The filtered, sorted applications with their organisation and category, in one statement."""
    column = SORT_COLUMNS[filters.sort]
    direction = sa.desc if filters.order == "desc" else sa.asc
    # Drafts have no submission time: they go last whichever way the list is sorted.
    ordering = [direction(column).nulls_last(), direction(Application.id)]
    return (sa.select(Application).join(Application.organisation)
            .where(*_conditions(fair, filters))
            .options(contains_eager(Application.organisation), joinedload(Application.category))
            .order_by(*ordering))


def status_counts(fair: Fair, filters: ListFilters) -> dict[ApplicationStatus, int]:
    """How many applications of each status the list holds with every filter but the status."""
    rows = db.session.execute(
        sa.select(Application.status, sa.func.count(Application.id)).join(Application.organisation)
        .where(*_conditions(fair, filters, with_status=False)).group_by(Application.status))
    counts = dict.fromkeys(ApplicationStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


@dataclass
class Listing:
    page: Pagination
    counts: dict[ApplicationStatus, int]

    @property
    def total_any_status(self) -> int:
        return sum(self.counts.values())


def list_applications(fair: Fair, filters: ListFilters, *, page: int = 1, per_page: int = 50) -> Listing:
    """One page of the list and the counts per status: two queries, however long the list."""
    counts = status_counts(fair, filters)
    pagination = db.paginate(select_applications(fair, filters), page=max(page, 1), per_page=per_page,
                             error_out=False, count=False)
    # The counts already hold the total, so the page needs no COUNT query of its own.
    pagination.total = counts[filters.status] if filters.status else sum(counts.values())
    return Listing(pagination, counts)


def all_applications(fair: Fair, filters: ListFilters) -> list[Application]:
    """Every application of the filtered list, in its order, for an export."""
    return list(db.session.scalars(select_applications(fair, filters)).unique())


def cities(fair: Fair) -> list[str]:
    """The cities the fair's applications come from, for the city filter."""
    return list(db.session.scalars(
        sa.select(Application.city).where(Application.fair_id == fair.id, Application.city != "")
        .distinct().order_by(Application.city)))
