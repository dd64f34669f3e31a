"""The console's figures on known data, area by area; the organizer's dashboard (links, charts, the JSON it
polls); the public "fair in numbers" page and who sees it in which phase; and query counts that do not
grow with the data."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from fair.applications import services as applications
from fair.auth.models import Role
from fair.console import stats
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.times import from_local, utcnow
from fair.visitors import checkins
from fair.visitors import services as visitors
from fair.visitors.models import PointKind, Policy
from judging.models import Award, JudgingSetup, Vote
from tests.conftest import count_queries, queries_for
from tests.factories import (make_application, make_applications, make_criterion, make_judge, make_judge_assignment,
                             make_judging, make_member, make_plan, make_review, make_shortlisted)
from tests.visitor_factories import make_area, make_point, make_scannable_ticket, visiting_fair

SVG = "{http://www.w3.org/2000/svg}"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the fair (20–22 May 2027) on the Shanghai clock, as UTC."""
    return from_local(datetime(2027, 5, day, hour, minute), "Asia/Shanghai")


@dataclass
class Points:
    gate: object
    exit: object
    outdoor: object
    lesson: object
    salon: object


def build_applications(fair: Fair):
    """5 submitted (1 screened of the 3 not shortlisted, 1 of the 2 shortlisted), a draft, a withdrawn one,
    and 3 shortlisted of which 1 withdrawn since."""
    criterion = make_criterion(fair)
    first, second = make_member(fair, Role.reviewer), make_member(fair, Role.reviewer)
    done = make_application(fair, category=fair.categories[0], city="南京市")
    make_review(done, first, {criterion: 7})
    make_review(done, second, {criterion: 6})
    half = make_application(fair, category=fair.categories[0], city="苏州市")
    make_review(half, first, {criterion: 5})
    make_review(half, second, {}, submitted=False)
    make_application(fair, category=fair.categories[1], city="苏州市")
    make_application(fair, submit=False)
    gone = make_application(fair, category=fair.categories[1])
    make_review(gone, first, {criterion: 3})
    applications.withdraw_application(gone, actor=None)
    chosen = make_shortlisted(fair, 3, category=fair.categories[2], city="无锡市")
    make_review(chosen[0], first, {criterion: 9})
    applications.withdraw_application(chosen[2], actor=None)
    return chosen[:2]


def build_booths(fair: Fair, exhibited) -> None:
    """6 booths, 2 of them with a project."""
    _hall, _zones, booths = make_plan(fair, rows=1, per_row=2)
    for booth, application in zip(booths, exhibited):
        booth.application_id = application.id
    db.session.commit()


def build_judging(fair: Fair, exhibited):
    """2 active judges and 1 removed; 3 scorecards due (one pair skipped), 2 submitted; 2 awards, unpublished."""
    setup, criteria, tiers = make_judging(fair)
    points = {criterion: 8 for criterion in criteria}
    one, two = make_judge(fair), make_judge(fair)
    make_judge(fair, active=False)
    make_judge_assignment(one, exhibited[0], points=points, submitted=True)
    make_judge_assignment(one, exhibited[1], points=points, submitted=False)
    make_judge_assignment(two, exhibited[0], points=points, submitted=True)
    make_judge_assignment(two, exhibited[1], skipped_at=utcnow(), skip_reason="团队不在")
    db.session.add_all([Award(fair_id=fair.id, application_id=exhibited[0].id, tier_id=tiers[1].id,
                              certificate_code="cert-one"),
                        Award(fair_id=fair.id, application_id=exhibited[1].id, tier_id=tiers[0].id,
                              certificate_code="cert-two")])
    db.session.commit()
    return setup


def build_points(fair: Fair) -> Points:
    venue = make_area(fair, "展馆")
    return Points(make_point(fair, "gate", kind=PointKind.entry, policy=Policy.daily, area_id=venue.id),
                  make_point(fair, "gate-out", kind=PointKind.exit, policy=Policy.unlimited, area_id=venue.id),
                  make_point(fair, "outdoor", kind=PointKind.activity, policy=Policy.once),
                  make_point(fair, "class-1", kind=PointKind.class_, policy=Policy.once),
                  make_point(fair, "salon-1", kind=PointKind.salon, policy=Policy.once))


def build_visitors(fair: Fair, points: Points, exhibited):
    """Tickets for 8 people (a single, a group of 5, two voters; a revoked one not counted); 7 entries (4 at
    10:00 and 2 at 11:00 on the 20th, 1 at 14:00 on the 21st), 6 inside now, 6 at the outdoor activity, 3 at
    the class and the salon; refused scans and an exit counted nowhere; 2 people's choice votes."""
    person, single = make_scannable_ticket(fair, name="张小明")
    _group, group = make_scannable_ticket(fair, name="鼓楼实验小学", group_size=5)
    revoked, _code = make_scannable_ticket(fair)
    visitors.revoke_ticket(revoked, "重复登记", actor=None)
    scans = [(points.gate, single, at(20, 10, 15), None), (points.gate, group, at(20, 10, 40), 3),
             (points.gate, group, at(20, 11, 5), 2), (points.gate, single, at(20, 12), None),
             (points.exit, single, at(20, 15), None), (points.gate, single, at(21, 14, 30), None),
             (points.gate, "nonsense", at(21, 14, 31), None), (points.outdoor, single, at(20, 13), None),
             (points.outdoor, group, at(20, 13, 30), None), (points.lesson, single, at(21, 9), None),
             (points.salon, group, at(21, 10), 2)]
    reasons = [checkins.redeem(fair, point, code, scanned_at=moment, people=people).reason
               for point, code, moment, people in scans]
    assert reasons == ["ok", "ok", "ok", "already_redeemed", "ok", "ok", "invalid", "ok", "ok", "ok", "ok"]
    for application in exhibited:
        voter, _code = make_scannable_ticket(fair)
        db.session.add(Vote(fair_id=fair.id, ticket_id=voter.id, category_id=application.category_id,
                            application_id=application.id))
    db.session.commit()
    return person


@pytest.fixture
def known(fair):
    """The fair with the data above in every area (still in its draft phase)."""
    exhibited = build_applications(fair)
    build_booths(fair, exhibited)
    setup = build_judging(fair, exhibited)
    points = build_points(fair)
    person = build_visitors(fair, points, exhibited)
    return SimpleNamespace(fair=fair, exhibited=exhibited, setup=setup, points=points, person=person)


def publish_results(known) -> None:
    setup = db.session.get(JudgingSetup, known.fair.id)
    setup.frozen_at = setup.published_at = utcnow()
    db.session.commit()


KNOWN = {"applications": 5, "screened": 2, "shortlisted": 3, "exhibiting": 2, "booths": 6, "booths_assigned": 2,
         "judges": 2, "scores": 2, "awards_by_tier": {}, "people_choice_votes": 2, "sponsors": 0, "meetings": 0,
         "agreements_signed": 0, "projects_funded": 0, "amount_signed_fen": 0, "caring_units": 0,
         "visitors_registered": 8, "venue_entries": 7, "experience_checkins": 6, "class_checkins": 3}


# --- the figures ---------------------------------------------------------------------------------------------

def test_every_figure_on_known_data(known):
    found = stats.figures(known.fair)
    assert stats.api_figures(found) == KNOWN
    assert list(stats.api_figures(found)) == list(stats.FIGURES)
    assert (found["inside_now"], found["scorecards_due"]) == (6, 3)


def test_awards_count_only_once_published_every_tier_best_first(known):
    assert stats.figures(known.fair)["awards_by_tier"] == {}
    publish_results(known)
    found = stats.figures(known.fair)
    assert list(found["awards_by_tier"].items()) == [("特别荣誉奖", 1), ("金奖", 1), ("银奖", 0), ("铜奖", 0)]
    assert found["award_names_en"]["金奖"] == "Gold"


def test_an_empty_fair_is_all_zeros(fair):
    found = stats.figures(fair)
    assert stats.api_figures(found) == dict.fromkeys(stats.FIGURES, 0) | {"awards_by_tier": {}}


def test_another_fairs_data_does_not_count(known, organizer):
    from tests.factories import make_fair
    other = make_fair(organizer)
    assert stats.api_figures(stats.figures(other)) == dict.fromkeys(stats.FIGURES, 0) | {"awards_by_tier": {}}
    make_application(other)
    assert stats.figures(known.fair)["applications"] == 5


def test_breakdown_per_category_and_city(known):
    breakdown = stats.breakdown(known.fair)
    categories = known.fair.categories
    assert {key: value for key, value in breakdown.by_category.items() if value != (0, 0)} == {
        categories[0].id: (2, 0), categories[1].id: (1, 0), categories[2].id: (2, 3)}
    assert {key: value for key, value in breakdown.by_city.items() if value != (0, 0)} == {
        "南京市": (1, 0), "苏州市": (2, 0), "无锡市": (2, 3)}


def test_entries_per_local_day_and_hour(known):
    per_day = stats.entries_by_hour(known.fair)
    assert list(per_day) == [datetime(2027, 5, 20).date(), datetime(2027, 5, 21).date()]
    assert {hour: count for hour, count in enumerate(per_day[datetime(2027, 5, 20).date()]) if count} == {10: 4, 11: 2}
    assert {hour: count for hour, count in enumerate(per_day[datetime(2027, 5, 21).date()]) if count} == {14: 1}


def test_entries_per_hour_follow_the_fairs_timezone_with_its_daylight_saving(organizer):
    from tests.factories import make_fair
    fair = make_fair(organizer, timezone="Europe/Berlin", starts_on=datetime(2027, 10, 30).date(),
                     ends_on=datetime(2027, 11, 1).date())
    gate = make_point(fair, "gate", kind=PointKind.entry, policy=Policy.daily)
    for day in (30, 31):                   # clocks go back an hour in the night between them
        _ticket, code = make_scannable_ticket(fair)
        moment = from_local(datetime(2027, 10, day, 9, 45), "Europe/Berlin")
        assert checkins.redeem(fair, gate, code, scanned_at=moment).ok
    per_day = stats.entries_by_hour(fair)
    assert [counts.index(1) for counts in per_day.values()] == [9, 9]


def test_a_scan_a_microsecond_before_the_hour_counts_in_the_hour_before(organizer):
    """The SQL groups by UTC quarter hours (each database its own way): a scan on either side of a quarter's
    edge lands in its own quarter, so in its own local hour at an hour's edge."""
    from tests.factories import make_fair
    fair = make_fair(organizer, timezone="Asia/Shanghai", starts_on=datetime(2027, 5, 20).date(),
                     ends_on=datetime(2027, 5, 21).date())
    gate = make_point(fair, "gate", kind=PointKind.entry, policy=Policy.unlimited)
    edge = from_local(datetime(2027, 5, 20, 11, 0), "Asia/Shanghai")
    for moment in (edge - timedelta(microseconds=1), edge, edge + timedelta(minutes=15) - timedelta(microseconds=1)):
        _ticket, code = make_scannable_ticket(fair)
        assert checkins.redeem(fair, gate, code, scanned_at=moment).ok
    [counts] = stats.entries_by_hour(fair).values()
    assert {hour: count for hour, count in enumerate(counts) if count} == {10: 1, 11: 2}


def test_a_source_giving_an_undocumented_figure_is_an_error(fair, monkeypatch):
    monkeypatch.setattr(stats, "STAT_SOURCES", [*stats.STAT_SOURCES, lambda fair: {"visitors": 3}])
    with pytest.raises(KeyError, match="visitors"):
        stats.figures(fair)


def test_judging_registers_its_figures_once():
    from judging.stats import judging_figures
    assert stats.STAT_SOURCES.count(judging_figures) == 1
    assert stats.stat_source(judging_figures) is judging_figures and stats.STAT_SOURCES.count(judging_figures) == 1


# --- the dashboard -----------------------------------------------------------------------------------------

def dashboard_url(fair, suffix: str = "") -> str:
    return f"/fairs/{fair.slug}/console{suffix}"


def figure_text(page: str, name: str) -> str:
    """The text of the element carrying data-figure=`name` (the first one)."""
    start = page.index(f'data-figure="{name}">') + len(f'data-figure="{name}">')
    return page[start:page.index("<", start)]


def test_the_dashboard_shows_each_figure_with_a_link_to_the_list_behind_it(client_as, known):
    publish_results(known)
    page = client_as(Role.organizer).get(dashboard_url(known.fair)).get_data(as_text=True)
    slug = known.fair.slug
    for name, value in KNOWN.items():
        if name != "awards_by_tier":
            expected = f"¥{value:,}" if name.endswith("_fen") else f"{value:,}"
            assert figure_text(page, name) == expected, name
    assert figure_text(page, "inside_now") == "6" and figure_text(page, "scorecards_due") == "3"
    assert figure_text(page, "awards_total") == "2"
    for href in (f"/fairs/{slug}/applications?status=submitted", f"/fairs/{slug}/screening",
                 f"/fairs/{slug}/applications?decision=shortlisted",
                 f"/fairs/{slug}/applications?decision=shortlisted&amp;status=submitted",
                 f"/fairs/{slug}/booths/allocation", f"/fairs/{slug}/judging/progress",
                 f"/fairs/{slug}/judging/results", f"/fairs/{slug}/visitors/tickets",
                 f"/fairs/{slug}/visitors/counters", f"/fairs/{slug}/numbers"):
        assert f'href="{href}"' in page, href
    assert "特别荣誉奖" in page and 'data-progress="scores"' in page
    assert '<script src="/static/js/dashboard.js"' in page
    assert "<script>" not in page and " style=" not in page


def test_the_lists_behind_the_pipeline_hold_as_many_as_the_figures_say(client_as, known):
    organizer = client_as(Role.organizer)
    slug = known.fair.slug
    for query, total in (("status=submitted", 5), ("decision=shortlisted", 3),
                         ("decision=shortlisted&status=submitted", 2)):
        body = organizer.get(f"/api/v1/fairs/{slug}/applications?{query}").json
        assert body["total"] == total, query


def test_the_dashboards_charts_are_drawn_from_the_data(client_as, known):
    body = client_as(Role.organizer).get(dashboard_url(known.fair, "/data.json")).json
    categories = ET.fromstring(body["charts"]["categories"])
    bars = [rect for rect in categories.iter(SVG + "rect") if rect.get("class") == "chart-bar"]
    assert len(bars) == 2 * len(known.fair.categories)
    links = {a.get("href") for a in categories.iter(SVG + "a")}
    assert f"/fairs/{known.fair.slug}/applications?category={known.fair.categories[0].id}&status=submitted" in links
    cities = ET.fromstring(body["charts"]["cities"])
    assert [t.text for t in cities.iter(SVG + "text") if t.get("class") == "chart-label"] == ["无锡市", "苏州市", "南京市"]
    hours = ET.fromstring(body["charts"]["hours"])
    assert [len(line.get("points").split()) for line in hours.iter(SVG + "polyline")] == [5, 5]   # 10:00–14:00
    assert [t.text for t in hours.iter(SVG + "text") if t.get("class") == "chart-legend-label"] == ["5月20日", "5月21日"]


def test_the_json_the_dashboard_polls(client_as, known):
    response = client_as(Role.organizer).get(dashboard_url(known.fair, "/data.json"))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert {name: body["figures"][name] for name in KNOWN} == KNOWN
    assert body["figures"]["inside_now"] == 6 and body["figures"]["scorecards_due"] == 3
    assert body["display"]["amount_signed_fen"] == "¥0" and body["display"]["venue_entries"] == "7"
    assert body["awards"] == []
    publish_results(known)
    body = client_as(Role.organizer).get(dashboard_url(known.fair, "/data.json")).json
    assert body["awards"] == [["特别荣誉奖", 1], ["金奖", 1], ["银奖", 0], ["铜奖", 0]]
    assert body["display"]["awards_total"] == "2"


def test_the_dashboard_speaks_english_with_english_tier_names(client_as, known):
    publish_results(known)
    organizer = client_as(Role.organizer)
    organizer.set_cookie("fair_lang", "en")
    body = organizer.get(dashboard_url(known.fair, "/data.json")).json
    assert body["awards"][:2] == [["Special honour", 1], ["Gold", 1]]
    hours = ET.fromstring(body["charts"]["hours"])
    assert [t.text for t in hours.iter(SVG + "text") if t.get("class") == "chart-legend-label"] == ["May 20", "May 21"]
    assert organizer.get(dashboard_url(known.fair)).status_code == 200


def test_an_empty_fairs_dashboard_says_there_is_nothing_yet(client_as, fair):
    page = client_as(Role.organizer).get(dashboard_url(fair)).get_data(as_text=True)
    assert figure_text(page, "applications") == "0" and "还没有申报。" in page and "还没有入场记录。" in page
    assert "评审结果公布后显示。" in page


@pytest.mark.parametrize("role", [Role.reviewer, Role.judge, Role.sponsor, Role.exhibitor, Role.gate_staff])
def test_the_dashboard_is_for_organizers(client_as, fair, role):
    member = client_as(role)
    assert member.get(dashboard_url(fair)).status_code == 403
    assert member.get(dashboard_url(fair, "/data.json")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, fair):
    response = client.get(dashboard_url(fair))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(dashboard_url(fair, "/data.json"), headers={"Accept": "application/json"}).status_code == 401


def test_the_dashboard_is_first_in_the_organizers_bar(client_as, fair):
    page = client_as(Role.organizer).get(f"/fairs/{fair.slug}/").get_data(as_text=True)
    bar = page[page.index('class="nav fair-subnav-links"'):]
    assert bar.index(dashboard_url(fair)) < bar.index(f'/fairs/{fair.slug}/"')
    assert dashboard_url(fair) not in client_as(Role.exhibitor).get(f"/fairs/{fair.slug}/").get_data(as_text=True)


def grow(known) -> None:
    """Much more of everything: applications, shortlisted projects with scorecards and awards, tickets and
    scans on every day and hour, votes."""
    fair = known.fair
    make_applications(fair, 40, city="常州市")
    more = make_shortlisted(fair, 4, category=fair.categories[3], city="扬州市")
    judge = make_judge(fair)
    tiers = stats_tiers(fair)
    for number, application in enumerate(more):
        make_judge_assignment(judge, application, points={}, submitted=True)
        db.session.add(Award(fair_id=fair.id, application_id=application.id, tier_id=tiers[number % len(tiers)],
                             certificate_code=f"cert-more-{number}"))
    for hour in range(9, 17):
        for day in (20, 21, 22):
            _ticket, code = make_scannable_ticket(fair, group_size=2)
            assert checkins.redeem(fair, known.points.gate, code, scanned_at=at(day, hour, 20)).ok
            assert checkins.redeem(fair, known.points.outdoor, code, scanned_at=at(day, hour, 30)).ok
    voter, _code = make_scannable_ticket(fair)
    db.session.add(Vote(fair_id=fair.id, ticket_id=voter.id, category_id=more[0].category_id,
                        application_id=more[0].id))
    db.session.commit()


def stats_tiers(fair) -> list[int]:
    from judging.models import AwardTier
    return db.session.scalars(sa.select(AwardTier.id).where(AwardTier.fair_id == fair.id)
                              .order_by(AwardTier.position)).all()


def test_the_pages_cost_the_same_queries_however_much_data(client, client_as, known):
    publish_results(known)
    visiting_fair(known.fair, Phase.live)
    organizer = client_as(Role.organizer)
    urls = [dashboard_url(known.fair), dashboard_url(known.fair, "/data.json")]
    public = [f"/fairs/{known.fair.slug}/numbers", f"/fairs/{known.fair.slug}/numbers/data.json",
              f"/api/v1/fairs/{known.fair.slug}/stats"]
    before = [queries_for(organizer, url) for url in urls] + [queries_for(client, url) for url in public]
    grow(known)
    after = [queries_for(organizer, url) for url in urls] + [queries_for(client, url) for url in public]
    assert after == before
    assert stats.figures(known.fair)["venue_entries"] == 7 + 2 * 24


def test_the_figures_take_a_fixed_handful_of_queries(known):
    publish_results(known)
    db.session.refresh(known.fair)
    with count_queries() as statements:
        stats.figures(known.fair)
    # pipeline, booths, tickets + inside now, check-ins by kind; judging's counts, its state, tiers, awards;
    # sponsorship's counts and the ledger's signed totals, payments and caring units
    assert len(statements) == 12


# --- fair in numbers ----------------------------------------------------------------------------------------

def numbers_url(fair, suffix: str = "") -> str:
    return f"/fairs/{fair.slug}/numbers{suffix}"


@pytest.mark.parametrize("phase", [Phase.live, Phase.closed])
def test_the_numbers_are_public_once_the_fair_is_live(client, known, phase):
    visiting_fair(known.fair, phase)
    response = client.get(numbers_url(known.fair))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert known.fair.name in page and figure_text(page, "venue_entries") == "7"
    assert figure_text(page, "applications") == "5" and figure_text(page, "amount_signed_fen") == "¥0"
    assert "仅组织方可见" not in page
    body = client.get(numbers_url(known.fair, "/data.json")).json
    assert {name: body["figures"][name] for name in KNOWN} == KNOWN
    assert set(body["charts"]) == {"categories", "hours"}


@pytest.mark.parametrize("phase", [Phase.draft, Phase.applications_open, Phase.screening, Phase.preparation])
def test_before_the_fair_opens_the_numbers_are_for_its_organizers(client, client_as, known, phase):
    visiting_fair(known.fair, phase)
    assert client.get(numbers_url(known.fair)).status_code == 404
    assert client.get(numbers_url(known.fair, "/data.json")).status_code == 404
    for role in (Role.exhibitor, Role.judge, Role.sponsor):
        assert client_as(role).get(numbers_url(known.fair)).status_code == 404
    page = client_as(Role.organizer).get(numbers_url(known.fair)).get_data(as_text=True)
    assert "仅组织方可见" in page and figure_text(page, "venue_entries") == "7"


def test_an_unknown_fair_has_no_numbers(client):
    assert client.get("/fairs/no-such-fair/numbers").status_code == 404


def test_the_numbers_page_holds_no_personal_data(client, known):
    visiting_fair(known.fair, Phase.live)
    page = client.get(numbers_url(known.fair)).get_data(as_text=True)
    body = client.get(numbers_url(known.fair, "/data.json")).get_data(as_text=True)
    for personal in (known.person.name, known.person.phone, "鼓楼实验小学", known.exhibited[0].title,
                     known.exhibited[0].organisation.name):
        assert personal not in page and personal not in body, personal
    categories = ET.fromstring(client.get(numbers_url(known.fair, "/data.json")).json["charts"]["categories"])
    assert not list(categories.iter(SVG + "a"))         # visitors get no links into the organizer's lists
    assert "<script>" not in page and " style=" not in page
