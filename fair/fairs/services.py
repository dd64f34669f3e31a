"""Creating, editing and moving fair editions through their phases."""
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import format_date, gettext as _

from fair.applications.models import Application
from fair.audit.log import audit, snapshot
from fair.auth.models import Membership, Role, User
from fair.extensions import db
from fair.fairs.models import DEFAULT_CATEGORIES, Category, Fair, Phase
from fair.refusal import Refused
from fair.times import start_of_day

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
AUDITED_FIELDS = ["slug", "name", "city", "venue", "starts_on", "ends_on",
                  "applications_open_at", "applications_close_at", "timezone"]


@dataclass
class FairDetails:
    """What an organizer states about an edition; times are aware (UTC) datetimes."""

    slug: str
    name: str
    city: str
    venue: str
    starts_on: date
    ends_on: date
    applications_open_at: datetime
    applications_close_at: datetime
    timezone: str = "Asia/Shanghai"
    categories: list[tuple[str, str]] = field(default_factory=lambda: list(DEFAULT_CATEGORIES))


def check_details(details: FairDetails, fair: Fair | None = None) -> None:
    """Refuse details no fair can have, naming the field the message belongs to."""
    if not SLUG_PATTERN.match(details.slug):
        raise Refused(_("网址标识须为 3–40 位小写字母、数字或连字符。"), "bad_slug", "slug")
    taken = db.session.scalar(sa.select(Fair.id).where(Fair.slug == details.slug))
    if taken is not None and (fair is None or taken != fair.id):
        raise Refused(_("该网址标识已被其他展会使用。"), "slug_taken", "slug")
    try:
        ZoneInfo(details.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(_("未知的时区。"), "bad_timezone", "timezone") from None
    if details.ends_on < details.starts_on:
        raise Refused(_("闭幕日期不能早于开幕日期。"), "dates_out_of_order", "ends_on")
    if details.applications_close_at <= details.applications_open_at:
        raise Refused(_("申报截止时间必须晚于申报开始时间。"), "window_out_of_order", "applications_close_at")
    if details.applications_close_at > start_of_day(details.starts_on, details.timezone):
        raise Refused(_("申报须在展会开幕（%(day)s）之前截止。", day=format_date(details.starts_on)),
                      "window_after_fair", "applications_close_at")
    names = [name for name, _en in details.categories]
    if not names:
        raise Refused(_("至少需要一个服务领域。"), "no_categories", "categories")
    if len(set(names)) != len(names):
        raise Refused(_("服务领域名称不能重复。"), "duplicate_category", "categories")


def _refuse_removing_used_categories(fair: Fair, details: FairDetails) -> None:
    """A service area projects have applied under stays (it can be renamed only by adding its new name
    and moving the projects, which is not this form's work)."""
    kept = {name for name, _en in details.categories}
    removed = [category for category in fair.categories if category.name not in kept]
    if not removed:
        return
    used = db.session.scalar(sa.select(Category.name).join(Application, Application.category_id == Category.id)
                             .where(Category.id.in_([category.id for category in removed])).limit(1))
    if used is not None:
        raise Refused(_("服务领域“%(name)s”已有项目申报，不能删除。", name=used), "category_in_use", "categories")


def _apply(fair: Fair, details: FairDetails) -> None:
    for name, value in asdict(details).items():
        if name != "categories":
            setattr(fair, name, value)
    existing = {category.name: category for category in fair.categories}
    fair.categories = []
    for position, (name, name_en) in enumerate(details.categories):
        category = existing.get(name) or Category(name=name)
        category.name_en, category.position = name_en, position
        fair.categories.append(category)


def _audited_state(fair: Fair) -> dict:
    state = snapshot(fair, AUDITED_FIELDS)
    state["categories"] = [category.name for category in fair.categories]
    return state


def create_fair(details: FairDetails, *, actor: User) -> Fair:
    """A new edition in draft; its creator becomes its first organizer."""
    check_details(details)
    fair = Fair(phase=Phase.draft)
    _apply(fair, details)
    db.session.add(fair)
    db.session.add(Membership(user=actor, fair=fair, role=Role.organizer))
    audit(actor, "fairs.fair.created", fair, after=_audited_state(fair))
    db.session.commit()
    return fair


def update_fair(fair: Fair, details: FairDetails, *, actor: User) -> Fair:
    check_details(details, fair)
    _refuse_removing_used_categories(fair, details)
    before = _audited_state(fair)
    _apply(fair, details)
    audit(actor, "fairs.fair.updated", fair, before=before, after=_audited_state(fair))
    db.session.commit()
    return fair


def move_phase(fair: Fair, to: Phase, *, actor: User) -> Fair:
    """Step the fair one phase forward or back; jumps are refused so no phase's work is skipped."""
    if to not in fair.phase.neighbours():
        raise Refused(_("只能进入相邻的阶段（当前：%(phase)s）。", phase=fair.phase.label), "not_adjacent")
    before = {"phase": fair.phase.value}
    fair.phase = to
    audit(actor, "fairs.fair.phase_changed", fair, before=before, after={"phase": to.value})
    db.session.commit()
    return fair
