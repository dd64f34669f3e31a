"""Plain factory functions: each builds one object through the services, overridable by keyword."""
import itertools
from datetime import date, datetime, timedelta, timezone

from fair.auth import services as auth
from fair.auth.models import Organisation, OrganisationKind, Role, User
from fair.fairs import services as fairs
from fair.fairs.models import Fair

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_organisation(**overrides) -> Organisation:
    number = next(_numbers)
    values = {"name": f"测试志愿服务队{number}", "kind": OrganisationKind.volunteer,
              "province": "江苏省", "city": "南京市", "district": "鼓楼区"}
    values.update(overrides)
    return auth.create_organisation(values.pop("name"), values.pop("kind"), **values)


def make_user(**overrides) -> User:
    number = next(_numbers)
    values = {"email": f"user{number}@example.cn", "name": f"用户{number}", "password": PASSWORD}
    values.update(overrides)
    return auth.create_user(values.pop("email"), values.pop("name"), values.pop("password"), **values)


def fair_details(**overrides) -> fairs.FairDetails:
    number = next(_numbers)
    starts = date(2027, 5, 20)
    values = {
        "slug": f"fair-{number}", "name": f"第{number}届志愿服务项目展示交流会", "city": "南京市",
        "venue": "南京国际博览中心", "starts_on": starts, "ends_on": starts + timedelta(days=2),
        "applications_open_at": datetime(2027, 1, 10, 1, 0, tzinfo=timezone.utc),
        "applications_close_at": datetime(2027, 3, 31, 9, 0, tzinfo=timezone.utc),
    }
    values.update(overrides)
    return fairs.FairDetails(**values)


def make_fair(organizer: User | None = None, **overrides) -> Fair:
    organizer = organizer or make_user(is_admin=True)
    return fairs.create_fair(fair_details(**overrides), actor=organizer)


def make_member(fair: Fair, role: Role, **overrides) -> User:
    user = make_user(**overrides)
    auth.grant_role(fair, user, role, actor=None)
    return user


def make_application(fair: Fair, organisation: Organisation | None = None, *, submit: bool = True, **overrides):
    from fair.applications import services as applications

    organisation = organisation or make_organisation()
    values = {"title": f"社区志愿服务项目{next(_numbers)}", "category": fair.categories[0],
              "summary": "为社区独居老人提供上门探访与助餐服务。", "province": "江苏省", "city": "南京市",
              "district": "鼓楼区", "funding_need_fen": 5_000_000}
    values.update(overrides)
    at = fair.applications_open_at + timedelta(days=1)
    application = applications.create_application(fair, organisation, applications.ProjectDetails(**values),
                                                  actor=None, at=at)
    if submit:
        applications.submit_application(application, actor=None, at=at)
    return application


def make_criterion(fair: Fair, name: str = "项目成效", weight: int = 50, **overrides):
    """A line of the screening rubric, added directly (test data, not an organizer's change)."""
    from fair.applications.models import ScreeningCriterion
    from fair.extensions import db

    criterion = ScreeningCriterion(fair=fair, name=name, weight=weight, **overrides)
    db.session.add(criterion)
    db.session.commit()
    return criterion


def make_review(application, reviewer: User, points_by_criterion: dict, *, submitted: bool = True):
    """A reviewer's completed (or, with submitted=False, unfinished) screening of one application."""
    from fair.applications.models import ReviewAssignment, ReviewScore
    from fair.extensions import db
    from fair.times import utcnow

    assignment = ReviewAssignment(application=application, reviewer=reviewer,
                                  submitted_at=utcnow() if submitted else None)
    assignment.scores = [ReviewScore(criterion=criterion, points=points)
                         for criterion, points in points_by_criterion.items()]
    db.session.add(assignment)
    db.session.commit()
    return assignment


def spreadsheet_row(**overrides) -> dict:
    """One project as the import's columns (the keys of fair.applications.spreadsheet.COLUMNS)."""
    number = next(_numbers)
    values = {"organisation_name": f"导入志愿服务队{number}", "credit_code": "", "organisation_kind": "志愿服务组织",
              "province": "江苏省", "city": "南京市", "district": "鼓楼区", "contact_name": "张晓", "contact_phone": "13800000000",
              "title": f"社区志愿服务项目{number}", "category": "助老", "summary": "为社区独居老人提供上门探访与助餐服务。",
              "service_targets": "独居老人", "beneficiaries": 100, "volunteers": 20, "years_running": 2,
              "past_outcomes": "", "funding_need": 50000, "support_wanted": "资金、志愿者", "booth_size": "标准展位",
              "needs_power": "否", "needs_step_free": "否", "status": "已提交", "submitted_at": ""}
    values.update(overrides)
    return values


def spreadsheet(rows: list[dict]) -> list[list]:
    """A table as spreadsheet.read_table returns one: the headings, then a row per dict."""
    from fair.applications.spreadsheet import COLUMNS

    return [[column.header for column in COLUMNS]] + [[row.get(column.key, "") for column in COLUMNS] for row in rows]


def make_applications(fair: Fair, count: int, *, actor: User | None = None, **overrides):
    """`count` applications in one import: a thousand take a second, not a minute."""
    from fair.applications import services as applications

    table = spreadsheet([spreadsheet_row(**overrides) for _ in range(count)])
    return applications.import_applications(fair, table, actor=actor)


def make_open_fair(organizer: User | None = None, *, closed: bool = False, **overrides) -> Fair:
    """A fair taking applications now (or, `closed`, whose deadline passed yesterday), for pages that use the clock."""
    from fair.fairs.models import Phase
    from fair.times import utcnow

    now = utcnow().replace(microsecond=0)
    window = (now - timedelta(days=30), now - timedelta(days=1)) if closed else (now - timedelta(days=1),
                                                                                  now + timedelta(days=30))
    organizer = organizer or make_user(is_admin=True)
    fair = make_fair(organizer, applications_open_at=window[0], applications_close_at=window[1],
                     starts_on=(now + timedelta(days=60)).date(), ends_on=(now + timedelta(days=62)).date(),
                     **overrides)
    return fairs.move_phase(fair, Phase.applications_open, actor=organizer)



def make_shortlisted(fair: Fair, count: int = 1, **overrides) -> list:
    """`count` submitted applications marked shortlisted, as a published shortlist leaves them (test data:
    the decision is set directly, not through shortlisting)."""
    from fair.applications.models import Decision
    from fair.extensions import db
    from fair.times import utcnow

    applications = [make_application(fair, **overrides) for _ in range(count)]
    for application in applications:
        application.decision, application.decided_at = Decision.shortlisted, utcnow()
    db.session.commit()
    return applications


def make_plan(fair: Fair, *, rows: int = 2, per_row: int = 5, actor: User | None = None, **booth_overrides):
    """One 60 × 40 m hall with one zone per category of the fair (the first few), each zone `rows` rows of
    `per_row` 3 × 3 m booths coded A-01, A-02 … (B-… for the next zone), with power and step-free access.
    Returns (hall, zones, booths)."""
    from fair.booths import services as booths

    hall = booths.create_hall(fair, booths.HallDetails("一号馆", 60, 40, "Hall 1"), actor=actor)
    zones, made = [], []
    for index, category in enumerate(fair.categories[:3]):
        zone = booths.create_zone(fair, booths.ZoneDetails(f"{category.name}展区", hall.id, [category.id],
                                                           ZONE_COLOURS[index]), actor=actor)
        zones.append(zone)
        letter = "ABC"[index]
        details = [booths.BoothDetails(f"{letter}-{row * per_row + slot + 1:02d}", hall.id, zone.id,
                                       1 + 3 * slot, 1 + index * 13 + row * 6, power=True,
                                       **booth_overrides)
                   for row in range(rows) for slot in range(per_row)]
        made += booths.create_booths(fair, details, actor=actor)
    return hall, zones, made


ZONE_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f"]


def make_judging(fair: Fair, *, rubric=None, tiers=None):
    """The fair's judging set up directly (test data): the default rubric and tiers unless given, judging
    opened. Returns (setup, criteria, tiers)."""
    from judging.models import AwardTier, JudgingCriterion, JudgingSetup
    from judging.queries import DEFAULT_RUBRIC, DEFAULT_TIERS
    from fair.extensions import db
    from fair.times import utcnow

    setup = JudgingSetup(fair_id=fair.id, judges_per_project=3, opened_at=utcnow())
    criteria = [JudgingCriterion(fair_id=fair.id, name=name, name_en=name_en, weight=weight, max_points=most,
                                 position=position, tie_break=position == 3)
                for position, (name, name_en, weight, most) in enumerate(rubric or DEFAULT_RUBRIC)]
    made_tiers = [AwardTier(fair_id=fair.id, name=name, name_en=name_en, position=position, count=count)
                  for position, (name, name_en, count) in enumerate(tiers or DEFAULT_TIERS)]
    db.session.add_all([setup, *criteria, *made_tiers])
    db.session.commit()
    return setup, criteria, made_tiers


def make_judge(fair: Fair, *, user: User | None = None, expertise=(), employer: Organisation | None = None, **overrides):
    """A judge of the fair (the judge role granted, the judge row added directly: test data)."""
    from judging.models import AffiliationKind, Judge, JudgeAffiliation
    from fair.extensions import db

    user = user or make_member(fair, Role.judge)
    judge = Judge(fair_id=fair.id, user_id=user.id, expertise=list(expertise), **overrides)
    if employer is not None:
        judge.affiliations = [JudgeAffiliation(organisation_id=employer.id, kind=AffiliationKind.employer)]
    db.session.add(judge)
    db.session.commit()
    return judge


def make_judge_assignment(judge, application, *, points: dict | None = None, submitted: bool = False, **overrides):
    """`judge` is to score `application`; with `points` ({criterion: points}) a scorecard too (test data)."""
    from judging.models import JudgeAssignment, Scorecard, ScoreLine
    from fair.extensions import db
    from fair.times import utcnow

    assignment = JudgeAssignment(fair_id=judge.fair_id, judge_id=judge.id, application_id=application.id, **overrides)
    db.session.add(assignment)
    if points is not None:
        assignment.scorecard = Scorecard(
            lines=[ScoreLine(criterion_id=criterion.id, points=value) for criterion, value in points.items()],
            submitted_at=utcnow() if submitted else None)
    db.session.commit()
    return assignment
