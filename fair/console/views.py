"""The organizer's dashboard and the public "fair in numbers" page, each with the small JSON endpoint that
static/js/dashboard.js polls to keep the page live. Thin: the figures come from stats.py, the drawings
from charts.py; these views only format them and link each to the list behind it."""
from datetime import date

import sqlalchemy as sa
from babel import dates
from flask import Blueprint, abort, current_app, g, jsonify, render_template, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.console import charts, stats
from fair.extensions import db
from fair.fairs.models import Fair
from fair.navigation import add_fair_nav
from fair.templating import yuan
from fair.times import utcnow

bp = Blueprint("console", __name__, url_prefix="/fairs/<slug>")

# First in the fair's bar for organizers: before 概览 (order 0), which every member sees.
add_fair_nav(-5, _l("总览"), "console.dashboard", Role.organizer)

DASHBOARD_POLL_MS = 10_000
NUMBERS_POLL_MS = 30_000
TOP_CITIES = 12
# The list behind each figure: (endpoint, query arguments). Only endpoints the app has are linked, so an
# area still being built leaves its figures unlinked.
LINKS = {
    "applications": ("applications.index", {"status": "submitted"}),
    "screened": ("screening.overview", {}),
    "shortlisted": ("applications.index", {"decision": "shortlisted"}),
    "exhibiting": ("applications.index", {"decision": "shortlisted", "status": "submitted"}),
    "booths": ("booths.plan", {}),
    "booths_assigned": ("booths.allocation", {}),
    "judges": ("judging.judges", {}),
    "scores": ("judging.progress", {}),
    "awards_total": ("judging.results", {}),
    "people_choice_votes": ("judging.votes", {}),
    "sponsors": ("sponsorship.sponsors", {}),
    "meetings": ("sponsorship.meeting_grid", {}),
    "agreements_signed": ("sponsorship.ledger", {}),
    "projects_funded": ("sponsorship.ledger", {}),
    "amount_signed_fen": ("sponsorship.ledger", {}),
    "caring_units": ("sponsorship.caring_units", {}),
    "visitors_registered": ("visitors.tickets", {}),
    "venue_entries": ("visitors.counters", {}),
    "inside_now": ("visitors.counters", {}),
    "experience_checkins": ("visitors.counters", {}),
    "class_checkins": ("visitors.counters", {}),
}


# What each figure is called on the pages.
LABELS = {
    "applications": _l("申报项目"), "screened": _l("完成初审"), "shortlisted": _l("入围项目"), "exhibiting": _l("参展项目"),
    "booths": _l("展位"), "booths_assigned": _l("已分配展位"), "judges": _l("评委人数"), "scores": _l("已提交评分"),
    "scorecards_due": _l("应交评分"), "awards_total": _l("获奖项目"), "people_choice_votes": _l("观众投票数"),
    "sponsors": _l("参与支持方"), "meetings": _l("对接洽谈"), "agreements_signed": _l("签约协议"),
    "projects_funded": _l("获支持项目"), "amount_signed_fen": _l("签约金额"), "caring_units": _l("爱心单位"),
    "visitors_registered": _l("登记观众"), "venue_entries": _l("入场人次"), "inside_now": _l("当前在场"),
    "experience_checkins": _l("户外体验人次"), "class_checkins": _l("课堂与沙龙人次"),
}


def _link(fair: Fair, endpoint: str, **args) -> str | None:
    return url_for(endpoint, slug=fair.slug, **args) if endpoint in current_app.view_functions else None


def figure_links(fair: Fair) -> dict[str, str]:
    links = {name: _link(fair, endpoint, **args) for name, (endpoint, args) in LINKS.items()}
    return {name: url for name, url in links.items() if url}


def display(found: dict) -> dict[str, str]:
    """Each number as the page writes it (thousands separated, money as ¥), and the awards' total."""
    shown = {name: yuan(value) if name.endswith("_fen") else charts.number(value)
             for name, value in found.items() if isinstance(value, int)}
    return shown | {"awards_total": charts.number(sum(found["awards_by_tier"].values()))}


def awards(found: dict, locale: str) -> list[tuple[str, int]]:
    """(tier, awards) best tier first, the tier in English where the page is and it has an English name."""
    english = found["award_names_en"] if locale.startswith("en") else {}
    return [(english.get(name) or name, count) for name, count in found["awards_by_tier"].items()]


# --- charts ---------------------------------------------------------------------------------------------

def category_chart(fair: Fair, breakdown: stats.Breakdown, locale: str, *, links: bool) -> str:
    bars = [charts.Bar(category.display_name(locale), breakdown.by_category.get(category.id, (0, 0)),
                       _link(fair, "applications.index", category=category.id, status="submitted") if links else None)
            for category in fair.categories]
    return charts.bar_chart(bars, [_("申报"), _("入围")], title=_("各服务领域的申报与入围"),
                            empty=_("还没有申报。"))


def city_chart(fair: Fair, breakdown: stats.Breakdown, *, links: bool) -> str:
    """The cities with most applications, the rest summed in one row."""
    ranked = sorted(breakdown.by_city.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    ranked = [(city, counts) for city, counts in ranked if counts != (0, 0)]
    shown, rest = (ranked, []) if len(ranked) <= TOP_CITIES + 1 else (ranked[:TOP_CITIES], ranked[TOP_CITIES:])
    bars = [charts.Bar(city or _("未填写"), counts,
                       _link(fair, "applications.index", city=city, status="submitted") if links and city else None)
            for city, counts in shown]
    if rest:
        bars.append(charts.Bar(_("其他 %(count)d 个地区", count=len(rest)),
                               (sum(c[0] for _city, c in rest), sum(c[1] for _city, c in rest))))
    return charts.bar_chart(bars, [_("申报"), _("入围")], title=_("各地区的申报与入围"), empty=_("还没有申报。"))


def hours_chart(per_day: dict[date, list[int]]) -> str:
    """A line per day over the hours that had entries on any day."""
    busy = [hour for counts in per_day.values() for hour, count in enumerate(counts) if count]
    hours = range(min(busy), max(busy) + 1) if busy else range(0)
    lines = [charts.Line(dates.format_skeleton("MMMd", day, locale=get_locale()), tuple(counts[hour] for hour in hours))
             for day, counts in per_day.items()]
    return charts.line_chart(lines if busy else [], [f"{hour:02d}:00" for hour in hours],
                             title=_("各时段入场人数（按天）"), empty=_("还没有入场记录。"))


# --- the dashboard ----------------------------------------------------------------------------------------

def dashboard_data(fair: Fair) -> dict:
    """Everything the dashboard shows, as the JSON that keeps it live: a fixed number of queries."""
    locale = str(get_locale())
    found = stats.figures(fair)
    breakdown = stats.breakdown(fair)
    return {
        "as_of": utcnow().isoformat(),
        "figures": stats.api_figures(found) | {name: found[name] for name in ("inside_now", "scorecards_due")},
        "display": display(found),
        "awards": awards(found, locale),
        "charts": {"categories": category_chart(fair, breakdown, locale, links=True),
                   "cities": city_chart(fair, breakdown, links=True),
                   "hours": hours_chart(stats.entries_by_hour(fair))},
    }


@bp.get("/console")
@fair_role_required(Role.organizer)
def dashboard(fair: Fair):
    return render_template("console/dashboard.html", fair=fair, data=dashboard_data(fair), links=figure_links(fair),
                           labels=LABELS, public=stats.is_public(fair), poll_ms=DASHBOARD_POLL_MS)


@bp.get("/console/data.json")
@fair_role_required(Role.organizer)
def dashboard_json(fair: Fair):
    return _no_store(jsonify(dashboard_data(fair)))


# --- fair in numbers (public once live) -------------------------------------------------------------------

def _visible_fair(slug: str) -> Fair:
    """The fair if the visitor may see its figures, else 404 (as before the fair opens, to anyone)."""
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
    if fair is None or not stats.visible_to(fair, current_user):
        abort(404)
    g.fair = fair
    return fair


def numbers_data(fair: Fair) -> dict:
    """What the public page shows: figures and two charts, nothing about any one person."""
    locale = str(get_locale())
    found = stats.figures(fair)
    return {
        "as_of": utcnow().isoformat(),
        "figures": stats.api_figures(found),
        "display": display(stats.api_figures(found)),
        "awards": awards(found, locale),
        "charts": {"categories": category_chart(fair, stats.breakdown(fair), locale, links=False),
                   "hours": hours_chart(stats.entries_by_hour(fair))},
    }


@bp.get("/numbers")
def numbers(slug: str):
    fair = _visible_fair(slug)
    return render_template("console/numbers.html", fair=fair, data=numbers_data(fair), labels=LABELS,
                           public=stats.is_public(fair), poll_ms=NUMBERS_POLL_MS)


@bp.get("/numbers/data.json")
def numbers_json(slug: str):
    return _no_store(jsonify(numbers_data(_visible_fair(slug))))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
from fair.console import report_views  # noqa: E402,F401  the summary report's route on bp
