"""The catalog of exhibited projects: who may browse it, its filters, Chinese search, sort and paging, and
what a page shows beside each project (award, funded or not, booth), one query each however many projects
there are. The HTML pages (catalog_views) and the JSON API (api.py) both read through here; nothing here
writes.

Exhibited means shortlisted and still submitted (fair.booths.placing.PLACEABLE). Awards come only from
judging.queries, so nothing of an award shows before the results are published."""
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from fair.applications import uploads
from fair.applications.models import Application, Attachment, AttachmentKind, Support
from fair.applications.services import NUMBER_LIMITS
from fair.auth.models import Organisation, Role, User
from fair.auth.permissions import deny
from fair.booths.models import Booth
from fair.booths.placing import PLACEABLE
from fair.booths.queries import plan_is_public
from fair.extensions import db, login_manager
from fair.fairs.models import Fair
from fair.forms import whole_number
from fair.money import parse_yuan, yuan_text
from judging.models import AwardTier
from judging.queries import PublishedAward, published_awards
from sponsorship.models import Agreement, AgreementStatus

PER_PAGE = 24
MAX_PAGE = 10_000            # beyond any real catalog; keeps the OFFSET a sane number
# Members in these roles browse the catalog in every phase; anyone may once the floor plan is public.
BROWSER_ROLES = (Role.sponsor, Role.organizer, Role.exhibitor, Role.judge)
# Only these see an organisation's contact person and phone.
CONTACT_ROLES = (Role.sponsor, Role.organizer)
SORTS = ("recommended", "need_asc", "need_desc", "newest")
FUNDED_CHOICES = {"yes": True, "no": False}
MAX_WORDS = 5
MAX_QUERY = 100
MAX_NEED_FEN = NUMBER_LIMITS["funding_need_fen"][1]      # no project may ask for more
LIKE_ESCAPE = "\\"


def may_browse(user: User, fair: Fair) -> bool:
    if plan_is_public(fair):
        return True
    return user.is_authenticated and user.has_role(fair, *BROWSER_ROLES)


def sees_contact(user: User, fair: Fair) -> bool:
    return user.is_authenticated and user.has_role(fair, *CONTACT_ROLES)


def browsing_fair(view):
    """The view gets the fair of the URL's `slug` as `fair` if the user may browse its catalog: unknown
    fair 404; else anonymous → log-in (401 JSON under /api/), others 403 with the reason."""

    @wraps(view)
    def wrapped(*args, slug: str, **kwargs):
        fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
        if fair is None:
            abort(404)
        g.fair = fair
        if not may_browse(current_user, fair):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.roles_in(fair):
                deny(_("您不是“%(fair)s”的成员。", fair=fair.name))
            deny(_("此页面仅限以下角色访问：%(roles)s。", roles=_("、").join(role.label for role in BROWSER_ROLES)))
        return view(*args, fair=fair, **kwargs)

    return wrapped


@dataclass(frozen=True)
class CatalogFilters:
    """Search, filters and sort of the catalog; each field's default means "not filtered". Money in fen."""

    q: str = ""
    category: int | None = None
    city: str = ""
    need_min_fen: int | None = None
    need_max_fen: int | None = None
    tier: int | None = None
    funded: bool | None = None
    support: str = ""                # a Support value
    sort: str = "recommended"

    def args(self) -> dict[str, str]:
        """The page's query string for these filters (the funding range in yuan), defaults left out."""
        values = {"q": self.q, "category": str(self.category or ""), "city": self.city,
                  "need_min": yuan_text(self.need_min_fen), "need_max": yuan_text(self.need_max_fen),
                  "tier": str(self.tier or ""),
                  "funded": {True: "yes", False: "no", None: ""}[self.funded], "support": self.support,
                  "sort": "" if self.sort == "recommended" else self.sort}
        return {name: value for name, value in values.items() if value}

    @property
    def narrowing(self) -> int:
        """How many filters (the search aside) narrow the list: the folded filter panel shows it."""
        return sum((bool(self.category), bool(self.city),
                    self.need_min_fen is not None or self.need_max_fen is not None,
                    bool(self.tier), self.funded is not None, bool(self.support)))

    @property
    def is_filtered(self) -> bool:
        return bool(self.q) or self.narrowing > 0


def need_fen(text: str) -> int:
    """A funding need typed in yuan (fair.money.parse_yuan) in fen; ValueError outside 0..MAX_NEED_FEN."""
    fen = parse_yuan(text)
    if fen is None or not 0 <= fen <= MAX_NEED_FEN:
        raise ValueError(text)
    return fen


def read_filters(args: Mapping[str, str], fair: Fair,
                 tiers: list[AwardTier]) -> tuple[CatalogFilters, dict[str, str]]:
    """The page's query string as filters, and a message per filter it could not use (that filter is
    then ignored, never an error page). The funding range is in yuan here."""
    problems: dict[str, str] = {}
    need: dict[str, int | None] = {}
    for name in ("need_min", "need_max"):
        text = str(args.get(name) or "").strip()
        need[name] = None
        if text:
            try:
                need[name] = need_fen(text)
            except ValueError:
                most = f"¥{MAX_NEED_FEN // 100:,}"
                problems["need"] = _("请输入 0 到 %(most)s 之间的金额（元）。", most=most)
    category = _whole_number(args.get("category"), "category", problems)
    tier = _whole_number(args.get("tier"), "tier", problems)
    funded = str(args.get("funded") or "")
    if funded and funded not in FUNDED_CHOICES:
        problems["funded"] = _("请选择“已获支持”或“尚未获支持”。")
    support = str(args.get("support") or "")
    filters = CatalogFilters(
        q=search_words(str(args.get("q") or "")),
        category=category, city=str(args.get("city") or "").strip()[:30],
        need_min_fen=need["need_min"], need_max_fen=need["need_max"], tier=tier,
        funded=FUNDED_CHOICES.get(funded), support=support,
        sort=args.get("sort") if args.get("sort") in SORTS else "recommended")
    filters, more = checked_filters(filters, fair, tiers)
    return filters, {**problems, **more}


def search_words(text: str) -> str:
    """A search as its words, single-spaced: at most MAX_WORDS of them and MAX_QUERY characters."""
    return " ".join(text.split()[:MAX_WORDS])[:MAX_QUERY]


def _whole_number(value, name: str, problems: dict[str, str]) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    number = whole_number(text, digits=9)
    if number is None:
        problems[name] = _("无法识别该筛选条件，已忽略。")
    return number


def checked_filters(filters: CatalogFilters, fair: Fair,
                    tiers: list[AwardTier]) -> tuple[CatalogFilters, dict[str, str]]:
    """Drop the filters that cannot apply to this fair (a category or tier of no such id, an unknown kind
    of support, a funding range upside down), with a message for each, keyed by the form's field."""
    problems: dict[str, str] = {}
    if filters.category is not None and filters.category not in {category.id for category in fair.categories}:
        problems["category"] = _("本届展会没有这个服务领域，已忽略。")
        filters = replace(filters, category=None)
    if filters.tier is not None and filters.tier not in {tier.id for tier in tiers}:
        problems["tier"] = _("没有这个已公布的奖项等级，已忽略。")
        filters = replace(filters, tier=None)
    if filters.support and filters.support not in {kind.value for kind in Support}:
        problems["support"] = _("没有这种支持类型，已忽略。")
        filters = replace(filters, support="")
    if (filters.need_min_fen is not None and filters.need_max_fen is not None
            and filters.need_min_fen > filters.need_max_fen):
        problems["need"] = _("最低金额高于最高金额，已忽略该范围。")
        filters = replace(filters, need_min_fen=None, need_max_fen=None)
    return filters, problems


def _like_pattern(word: str) -> str:
    """A LIKE pattern that finds `word` anywhere, its own %, _ and \\ taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        word = word.replace(special, LIKE_ESCAPE + special)
    return f"%{word}%"


def _conditions(fair: Fair, filters: CatalogFilters, awards: dict[int, PublishedAward]) -> list:
    conditions = [Application.fair_id == fair.id, PLACEABLE]
    # Substring search, every word somewhere: Chinese has no spaces to split at, and a few thousand rows
    # need no full-text index. SQLite's LIKE ignores the case of Latin letters; on PostgreSQL ILIKE does,
    # but it lower-cases every row's text first (three times slower), so only a word with such letters
    # gets it: a Chinese word has no case.
    sqlite = db.engine.dialect.name == "sqlite"
    searched = (Application.title, Application.summary, Application.service_targets, Organisation.name)
    for word in filters.q.split():
        pattern, compare = _like_pattern(word), "like" if sqlite or word.lower() == word.upper() else "ilike"
        conditions.append(sa.or_(*(getattr(column, compare)(pattern, escape=LIKE_ESCAPE) for column in searched)))
    if filters.category:
        conditions.append(Application.category_id == filters.category)
    if filters.city:
        conditions.append(Application.city == filters.city)
    if filters.need_min_fen is not None:
        conditions.append(Application.funding_need_fen >= filters.need_min_fen)
    if filters.need_max_fen is not None:
        conditions.append(Application.funding_need_fen <= filters.need_max_fen)
    if filters.tier:
        conditions.append(Application.id.in_([id_ for id_, award in awards.items() if award.tier_id == filters.tier]))
    if filters.funded is not None:
        signed = sa.exists().where(Agreement.application_id == Application.id,
                                   Agreement.status == AgreementStatus.signed)
        conditions.append(signed if filters.funded else ~signed)
    if filters.support:
        # The list is stored as JSON text; a Support value in quotes is never part of another one, so
        # this finds exactly the projects that list it, on SQLite and PostgreSQL alike.
        conditions.append(sa.cast(Application.support_wanted, sa.Text).like(f'%"{filters.support}"%'))
    return conditions


def _ordering(filters: CatalogFilters, awards: dict[int, PublishedAward]) -> list:
    if filters.sort == "need_asc":
        return [Application.funding_need_fen.asc(), Application.title, Application.id]
    if filters.sort == "need_desc":
        return [Application.funding_need_fen.desc(), Application.title, Application.id]
    if filters.sort == "newest":
        return [Application.submitted_at.desc().nulls_last(), Application.id.desc()]
    # Recommended: the best tiers first, then the projects without an award, each by title.
    by_tier: dict[int, list[int]] = {}
    for application_id, award in awards.items():
        by_tier.setdefault(award.tier_position, []).append(application_id)
    if not by_tier:
        return [Application.title, Application.id]
    tier_rank = sa.case(*((Application.id.in_(ids), position) for position, ids in sorted(by_tier.items())),
                        else_=max(by_tier) + 1)
    return [tier_rank, Application.title, Application.id]


def select_projects(fair: Fair, filters: CatalogFilters, awards: dict[int, PublishedAward]) -> sa.Select:
    """The exhibited projects that pass every filter, in the chosen order, with organisation and category."""
    return (sa.select(Application).join(Application.organisation)
            .where(*_conditions(fair, filters, awards))
            .options(contains_eager(Application.organisation), joinedload(Application.category))
            .order_by(*_ordering(filters, awards)))


@dataclass
class CatalogPage:
    """One page of the catalog and, for its projects, what the cards show beside them."""

    page: Pagination
    awards: dict[int, PublishedAward] = field(default_factory=dict)     # by application id
    funded: set[int] = field(default_factory=set)                       # application ids
    booths: dict[int, str] = field(default_factory=dict)                # application id → booth code


def catalog_page(fair: Fair, filters: CatalogFilters, *, page: int = 1, per_page: int = PER_PAGE) -> CatalogPage:
    """A page of projects with the fair's published awards, the count, the page, their funded flags and
    booths: five queries however many projects (the awards order the recommended sort)."""
    awards = published_awards(fair)
    pagination = db.paginate(select_projects(fair, filters, awards), page=min(max(page, 1), MAX_PAGE),
                             per_page=per_page, error_out=False)
    ids = [application.id for application in pagination.items]
    return CatalogPage(pagination, {id_: awards[id_] for id_ in ids if id_ in awards},
                       funded_ids(ids), booth_codes(ids))


def funded_ids(application_ids: list[int]) -> set[int]:
    """Which of these projects have a signed agreement: one query."""
    if not application_ids:
        return set()
    return set(db.session.scalars(sa.select(Agreement.application_id).distinct().where(
        Agreement.application_id.in_(application_ids), Agreement.status == AgreementStatus.signed)))


def booth_codes(application_ids: list[int]) -> dict[int, str]:
    """Each placed project's booth code: one query."""
    if not application_ids:
        return {}
    return dict(db.session.execute(sa.select(Booth.application_id, Booth.code)
                                   .where(Booth.application_id.in_(application_ids))).all())


def cities(fair: Fair) -> list[str]:
    """The cities exhibited projects serve, for the region filter."""
    return list(db.session.scalars(
        sa.select(Application.city).where(Application.fair_id == fair.id, PLACEABLE, Application.city != "")
        .distinct().order_by(Application.city)))


def exhibited_project(fair: Fair, application_id: int) -> Application | None:
    """An exhibited project of `fair` with its organisation, category and files, else None (another
    fair's id, or a project not exhibited)."""
    return db.session.scalar(
        sa.select(Application).where(Application.id == application_id, Application.fair_id == fair.id, PLACEABLE)
        .options(joinedload(Application.organisation), joinedload(Application.category),
                 selectinload(Application.attachments)))


def photos(application: Application) -> list[Attachment]:
    """The project's photos (images by their content), in upload order."""
    return [attachment for attachment in application.attachments
            if attachment.kind == AttachmentKind.photo and attachment.content_type in uploads.IMAGES]


def signed_agreements(application: Application) -> int:
    return db.session.scalar(sa.select(sa.func.count(Agreement.id)).where(
        Agreement.application_id == application.id, Agreement.status == AgreementStatus.signed))
