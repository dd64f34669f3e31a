"""The summary report's content (the organizers' 简报 after the fair), gathered as plain data for
report_pdf.py to draw: four sections, each made of parts that the areas register.

A part is a function (fair, locale) -> list of blocks (figures, charts, tables, notes; report_pdf.py) that
reads the database in a fixed small number of queries, whatever the size of the fair, and writes its words
through gettext (the report is gathered inside `force_locale`). The core areas' parts are here; judging adds
the awards to "exhibition" (judging/report.py) and sponsorship fills "resources" (sponsorship/report.py), so
`fair` never imports them. A section no part says anything in says there is nothing yet."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel import dates
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from fair.applications.models import Application
from fair.booths.models import Booth, Hall, Zone
from fair.console import stats
from fair.console.charts import number
from fair.console.report_pdf import (BarChart, Block, Figure, Figures, Note, Report, Section, Series, Table)
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import utcnow
from fair.visitors.models import Checkin, CheckinPoint, PointKind

# The sections in their order, each with its title.
SECTIONS = {
    "call": _l("项目征集"),
    "exhibition": _l("展示与评审"),
    "resources": _l("资源对接成果"),
    "attendance": _l("观众参与"),
}
CHINESE_NUMERALS = "一二三四五六七八九十"
TOP_CITIES = 12

ReportPart = Callable[[Fair, str], list[Block]]


@dataclass(frozen=True)
class RegisteredPart:
    section: str
    order: int
    part: ReportPart


REPORT_PARTS: list[RegisteredPart] = []


def report_part(section: str, order: int):
    """Register a part of `section` (parts of a section run by `order`), once however often its module is
    imported; a decorator."""
    if section not in SECTIONS:
        raise KeyError(f"no report section {section!r}: one of {sorted(SECTIONS)}")

    def register(part: ReportPart) -> ReportPart:
        if all(registered.part is not part for registered in REPORT_PARTS):
            REPORT_PARTS.append(RegisteredPart(section, order, part))
        return part

    return register


def gather(fair: Fair, locale: str, *, now: datetime | None = None) -> Report:
    """The whole report of `fair` in `locale` (zh_Hans or en), written at `now` (UTC)."""
    with force_locale(locale):
        sections = []
        for position, (key, title) in enumerate(SECTIONS.items(), 1):
            parts = sorted((registered for registered in REPORT_PARTS if registered.section == key),
                           key=lambda registered: registered.order)
            blocks = [block for registered in parts for block in registered.part(fair, locale)]
            sections.append(Section(_numbered(position, str(title), locale), tuple(blocks or [Note(_("暂无数据。"))])))
        return Report(
            title=_("总结简报"), fair_name=fair.name,
            dates=_spaced(dates.format_interval(fair.starts_on, fair.ends_on, "yMMMd", locale=locale)),
            venue=" · ".join(part for part in (fair.city, fair.venue) if part),
            generated=_("生成于 %(time)s（%(zone)s）", time=_local_time(now or utcnow(), fair.timezone, locale),
                        zone=fair.timezone),
            page_label=_("第 %(page)s 页，共 %(pages)s 页"), sections=tuple(sections),
            lang="en" if locale.startswith("en") else "zh-CN")


def _numbered(position: int, title: str, locale: str) -> str:
    if locale.startswith("zh") and position <= len(CHINESE_NUMERALS):
        return f"{CHINESE_NUMERALS[position - 1]}、{title}"
    return f"{position}. {title}"


def _spaced(text: str) -> str:
    """CLDR's thin and narrow no-break spaces as plain ones: not every CJK font has a glyph for them."""
    return text.replace("\u2009", " ").replace("\u202f", " ")


def _local_time(moment: datetime, zone_name: str, locale: str) -> str:
    local = moment.astimezone(ZoneInfo(zone_name))
    return f"{dates.format_date(local.date(), 'long', locale=locale)} {local:%H:%M}"


def day_label(day: date, locale: str) -> str:
    """A day of the fair as a chart or table writes it (5月20日 / May 20)."""
    return dates.format_skeleton("MMMd", day, locale=locale)


# What the report calls the figures it takes from fair/console/stats.py: the dashboard's words (the same
# msgids, so one translation serves both), kept here so that this module, which the areas' parts import,
# does not import the console's views (report_views adds the report's route to their blueprint).
FIGURE_LABELS = {
    "applications": _l("申报项目"), "screened": _l("完成初审"), "shortlisted": _l("入围项目"),
    "exhibiting": _l("参展项目"), "booths_assigned": _l("已分配展位"), "judges": _l("评委人数"),
    "scores": _l("已提交评分"), "awards_total": _l("获奖项目"), "visitors_registered": _l("登记观众"),
    "venue_entries": _l("入场人次"), "experience_checkins": _l("户外体验人次"), "class_checkins": _l("课堂与沙龙人次"),
}


def label(name: str) -> str:
    """What the report calls figure `name`, in its language."""
    return str(FIGURE_LABELS[name])


# --- 1. the call --------------------------------------------------------------------------------------------

@report_part("call", order=10)
def call_part(fair: Fair, locale: str) -> list[Block]:
    """Applications, organisations, regions and categories; how many were chosen; per category and per city.
    Four queries, the fair's categories one of them."""
    found = stats.application_figures(fair)
    if not found["applications"] and not found["shortlisted"]:
        return [Note(_("还没有收到申报。"))]
    breakdown = stats.breakdown(fair)
    organisations = db.session.scalar(sa.select(sa.func.count(sa.distinct(Application.organisation_id)))
                                      .where(Application.fair_id == fair.id, stats.SUBMITTED))
    regions = sum(1 for city, (submitted, _shortlisted) in breakdown.by_city.items() if city and submitted)
    categories = sum(1 for submitted, _shortlisted in breakdown.by_category.values() if submitted)
    figures = Figures((
        Figure(label("applications"), number(found["applications"])),
        Figure(_("申报组织"), number(organisations)),
        Figure(_("覆盖地区"), number(regions)),
        Figure(_("涉及服务领域"), number(categories)),
        Figure(label("screened"), number(found["screened"])),
        Figure(label("shortlisted"), number(found["shortlisted"])),
        Figure(label("exhibiting"), number(found["exhibiting"])),
    ))
    return [figures, _category_chart(fair, breakdown, locale), _city_chart(breakdown)]


def _pairs_chart(title: str, rows: list[tuple[str, tuple[int, int]]]) -> BarChart:
    """A bar for the applications and one for the shortlisted of each row."""
    return BarChart(title, tuple(name for name, _counts in rows),
                    (Series(_("申报"), tuple(counts[0] for _name, counts in rows)),
                     Series(_("入围"), tuple(counts[1] for _name, counts in rows))))


def _category_chart(fair: Fair, breakdown: stats.Breakdown, locale: str) -> BarChart:
    return _pairs_chart(_("各服务领域的申报与入围"),
                        [(category.display_name(locale), breakdown.by_category.get(category.id, (0, 0)))
                         for category in fair.categories])


def _city_chart(breakdown: stats.Breakdown) -> BarChart:
    """The cities with most applications, the rest summed in one row."""
    ranked = sorted(((city, counts) for city, counts in breakdown.by_city.items() if counts != (0, 0)),
                    key=lambda item: (-item[1][0], -item[1][1], item[0]))
    rows = [(city or _("未填写"), counts) for city, counts in ranked[:TOP_CITIES]]
    rest = ranked[TOP_CITIES:]
    if len(rest) == 1:
        rows.append((rest[0][0] or _("未填写"), rest[0][1]))
    elif rest:
        rows.append((_("其他 %(count)d 个地区", count=len(rest)),
                     (sum(counts[0] for _city, counts in rest), sum(counts[1] for _city, counts in rest))))
    return _pairs_chart(_("各地区的申报与入围"), rows)


# --- 2. the exhibition (the floor plan; judging adds the awards) ---------------------------------------------

@report_part("exhibition", order=10)
def floor_part(fair: Fair, locale: str) -> list[Block]:
    """Halls and zones with their booths and the booths used: one query."""
    rows = db.session.execute(
        sa.select(Hall.id.label("hall_id"), Hall.name.label("hall"), Hall.name_en.label("hall_en"),
                  Zone.id.label("zone_id"), Zone.name.label("zone"), Zone.name_en.label("zone_en"),
                  sa.func.count(Booth.id).label("booths"), sa.func.count(Booth.application_id).label("used"))
        .select_from(Hall).outerjoin(Zone, Zone.hall_id == Hall.id).outerjoin(Booth, Booth.zone_id == Zone.id)
        .where(Hall.fair_id == fair.id)
        .group_by(Hall.id, Hall.name, Hall.name_en, Hall.position, Zone.id, Zone.name, Zone.name_en, Zone.position)
        .order_by(Hall.position, Hall.id, Zone.position, Zone.id)).all()
    if not rows:
        return [Note(_("还没有展位图。"))]
    english = locale.startswith("en")

    def name(chinese: str | None, in_english: str | None) -> str:
        return (in_english if english and in_english else chinese) or "—"

    figures = Figures((
        Figure(_("展馆数"), number(len({row.hall_id for row in rows}))),
        Figure(_("展区数"), number(len({row.zone_id for row in rows if row.zone_id is not None}))),
        Figure(_("展位数"), number(sum(row.booths for row in rows))),
        Figure(label("booths_assigned"), number(sum(row.used for row in rows))),
    ), title=_("展馆与展区"))
    table = Table("", (_("展馆"), _("展区"), _("展位数"), _("已布展")),
                  tuple((name(row.hall, row.hall_en), name(row.zone, row.zone_en), number(row.booths),
                         number(row.used)) for row in rows),
                  widths=(0.3, 0.42, 0.14, 0.14), numeric=(2, 3))
    return [figures, table]


# --- 4. attendance -----------------------------------------------------------------------------------------

ATTENDANCE_KINDS = {PointKind.entry: "venue_entries", PointKind.activity: "experience_checkins",
                    PointKind.class_: "class_checkins", PointKind.salon: "class_checkins"}


def _per_day(fair: Fair) -> dict[date, dict[str, int]]:
    """People admitted per local day and figure (venue entries, experience, classes and salons): one query,
    summed per point and day before the few points are joined."""
    per_point = (sa.select(Checkin.point_id, Checkin.day, sa.func.sum(Checkin.people).label("people"))
                 .where(Checkin.fair_id == fair.id, Checkin.reason == "ok")
                 .group_by(Checkin.point_id, Checkin.day).subquery())
    found: dict[date, dict[str, int]] = {}
    for day, kind, people in db.session.execute(
            sa.select(per_point.c.day, CheckinPoint.kind, sa.func.sum(per_point.c.people))
            .join(CheckinPoint, CheckinPoint.id == per_point.c.point_id)
            .group_by(per_point.c.day, CheckinPoint.kind)):
        if kind in ATTENDANCE_KINDS:
            counts = found.setdefault(day, dict.fromkeys(ATTENDANCE_KINDS.values(), 0))
            counts[ATTENDANCE_KINDS[kind]] += int(people or 0)
    return dict(sorted(found.items()))


def _sessions(fair: Fair) -> dict[PointKind, int]:
    """The experience activities, classes and salons the fair held (their check-in points): one query."""
    return dict(db.session.execute(
        sa.select(CheckinPoint.kind, sa.func.count(CheckinPoint.id))
        .where(CheckinPoint.fair_id == fair.id, CheckinPoint.kind.in_([PointKind.activity, PointKind.class_,
                                                                       PointKind.salon]))
        .group_by(CheckinPoint.kind)).all())


@report_part("attendance", order=10)
def attendance_part(fair: Fair, locale: str) -> list[Block]:
    """Visitors, entries, experience activities, classes and salons, in all and per day, and each day's
    entries by the hour: five queries."""
    found = stats.visitor_figures(fair)
    per_day = _per_day(fair)
    if not found["visitors_registered"] and not per_day:
        return [Note(_("还没有观众登记或入场记录。"))]
    sessions = _sessions(fair)
    names = ("venue_entries", "experience_checkins", "class_checkins")
    blocks: list[Block] = [Figures((
        Figure(label("visitors_registered"), number(found["visitors_registered"])),
        *(Figure(label(name), number(found[name])) for name in names),
        Figure(_("户外体验活动（项）"), number(sessions.get(PointKind.activity, 0))),
        Figure(_("志愿课堂（场）"), number(sessions.get(PointKind.class_, 0))),
        Figure(_("志愿沙龙（场）"), number(sessions.get(PointKind.salon, 0))),
    ))]
    if not per_day:
        return blocks + [Note(_("还没有入场记录。"))]
    days = [day_label(day, locale) for day in per_day]
    blocks.append(Table(_("每日人次"), (_("日期"), *(label(name) for name in names)),
                        tuple((text, *(number(counts[name]) for name in names))
                              for text, counts in zip(days, per_day.values())),
                        widths=(0.25, 0.25, 0.25, 0.25), numeric=(1, 2, 3)))
    blocks.append(BarChart(_("各日入场与活动人次"), tuple(days),
                           tuple(Series(label(name), tuple(counts[name] for counts in per_day.values()))
                                 for name in names), horizontal=False))
    blocks += _hours_charts(fair, locale)
    return blocks


def _hours_charts(fair: Fair, locale: str) -> list[BarChart]:
    """A chart per day of the people entering in each hour, over the hours any day had entries."""
    by_hour = stats.entries_by_hour(fair, days=max((fair.ends_on - fair.starts_on).days + 1, 1))
    busy = [hour for counts in by_hour.values() for hour, count in enumerate(counts) if count]
    if not busy:
        return []
    hours = range(min(busy), max(busy) + 1)
    scale = max(max(counts) for counts in by_hour.values())          # one scale, so the days compare
    return [BarChart(_("%(day)s 各时段入场人数", day=day_label(day, locale)), tuple(f"{hour:02d}:00" for hour in hours),
                     (Series(label("venue_entries"), tuple(counts[hour] for hour in hours)),), horizontal=False,
                     scale=scale)
            for day, counts in by_hour.items()]
