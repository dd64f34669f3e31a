"""The demo fair, built through the service functions like any organizer's data."""
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Callable

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from fair.applications import services as applications
from fair.applications.models import Application, ApplicationStatus, QuotaDimension, ReviewAssignment
from fair.auth import services as auth
from fair.auth.models import OrganisationKind, Role, User
from fair.demo_plan import build_plan
from fair.demo_seed import seed_table
from fair.demo_session import kept_loaded
from fair.demo_visitors import build_visitors
from fair.extensions import db
from fair.fairs import services as fairs
from fair.fairs.models import Fair, Phase
from fair.screening import services as screening
from fair.shortlist import services as shortlist
from fair.times import from_local, to_local, utcnow

# Demo accounts only: printed by `fair demo`, never used by a real deployment.
DEMO_PASSWORD = "fair-demo-2026"
DEMO_SLUG = "js-2026"
SMALL_SHORTLIST = 4             # of the demo's six submitted projects
SEED_APPLICATIONS = 3_500
SEED_SHORTLIST = 435
SEED_REVIEWERS = 39             # with the demo reviewer 40, each screening about 175 applications
SEED_CATEGORY_MINIMUM = 20
TIMEZONE = "Asia/Shanghai"

ORGANISATIONS = [
    ("江苏省志愿服务联合会", OrganisationKind.government, "南京市", "玄武区"),
    ("南京市鼓楼区夕阳红助老志愿服务队", OrganisationKind.volunteer, "南京市", "鼓楼区"),
    ("苏州市青少年绿色行动志愿者协会", OrganisationKind.volunteer, "苏州市", "姑苏区"),
    ("无锡市蓝天应急救援志愿服务中心", OrganisationKind.volunteer, "无锡市", "梁溪区"),
    ("徐州市彭城助残志愿者协会", OrganisationKind.volunteer, "徐州市", "云龙区"),
    ("紫金山科技发展有限公司", OrganisationKind.enterprise, "南京市", "玄武区"),
    ("江苏省润泽慈善基金会", OrganisationKind.foundation, "南京市", "建邺区"),
    ("常州市同心社会工作服务中心", OrganisationKind.social_work, "常州市", "天宁区"),
]
PROVINCE = "江苏省"

# (e-mail, name, organisation index or None, roles, platform administrator)
PEOPLE = [
    ("organizer@demo.fair", "王静", 0, [Role.organizer], True),
    ("reviewer@demo.fair", "李明远", None, [Role.reviewer], False),
    ("judge@demo.fair", "陈慧敏", None, [Role.judge], False),
    ("sponsor@demo.fair", "赵立新", 5, [Role.sponsor], False),
    ("exhibitor@demo.fair", "刘晓燕", 1, [Role.exhibitor], False),
    ("gate@demo.fair", "孙浩", 0, [Role.gate_staff], False),
]

# (organisation index, category, title, summary, funding need in yuan, submitted)
PROJECTS = [
    (1, "助老", "“银龄食堂”社区助餐志愿服务", "为鼓楼区独居与高龄老人提供每日午餐配送、陪餐与健康随访，志愿者结对上门。", 120_000, True),
    (1, "助老", "老年人智能手机课堂", "在社区活动室开设手机使用、防诈骗与线上挂号课程，累计服务老人三千余人次。", 45_000, True),
    (2, "环保", "古城河道守护行动", "组织青少年志愿者定期巡河、清理垃圾并开展水质监测与科普宣传。", 80_000, True),
    (2, "青少年", "外来务工子女“四点半课堂”", "放学后为外来务工人员子女提供作业辅导、阅读与兴趣活动。", 150_000, True),
    (3, "应急救援", "社区应急救护培训进万家", "由持证救援志愿者在社区、学校开展心肺复苏与AED使用培训。", 200_000, True),
    (4, "助残", "视障人士“陪你看电影”", "志愿者为视障朋友现场讲述电影画面，每月两场无障碍观影活动。", 60_000, True),
    (4, "助残", "残障青年就业辅导营", "联合爱心企业为残障青年提供职业技能培训、模拟面试与岗位对接。", 300_000, False),
]


# Stages of the demo that live outside `fair` (judging, sponsorship) add themselves here when create_app
# registers their blueprints, so that `fair` never imports them: each is called with (fair, organizer,
# scale, progress) once the fair is live.
LIVE_STEPS: list[Callable[[Fair, User, str, Callable[[str], None]], None]] = []


@dataclass
class DemoResult:
    fair: Fair
    created: bool
    logins: list[tuple[str, str]] = field(default_factory=list)


def _logins() -> list[tuple[str, str]]:
    return [(email, " + ".join(f"{r.value}" for r in roles) + (" (admin)" if admin else ""))
            for email, _n, _o, roles, admin in PEOPLE]


def build_demo(scale: str = "small", *, progress: Callable[[str], None] = lambda _m: None,
               now: datetime | None = None, screened: bool = True) -> DemoResult:
    """Build the demo fair unless it is there; a second run changes nothing. With `screened` false it
    stops at the start of screening, for benchmarks that screen and shortlist themselves."""
    existing = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
    if existing is not None:
        return DemoResult(existing, False, _logins())
    now = now or utcnow()
    today = to_local(now, TIMEZONE).date()

    progress("organisations")
    organisations = [auth.create_organisation(name, kind, province=PROVINCE, city=city, district=district)
                     for name, kind, city, district in ORGANISATIONS]
    progress("people")
    users: list[tuple[User, list[Role]]] = []
    for email, name, org_index, roles, admin in PEOPLE:
        organisation = organisations[org_index] if org_index is not None else None
        users.append((auth.create_user(email, name, DEMO_PASSWORD, organisation=organisation, is_admin=admin),
                      roles))
    organizer = users[0][0]

    progress("fair")
    fair = fairs.create_fair(fairs.FairDetails(
        slug=DEMO_SLUG,
        name=f"{today.year}年江苏省志愿服务项目展示交流会",
        city="南京市",
        venue="南京国际博览中心",
        starts_on=today,
        ends_on=today + timedelta(days=2),
        applications_open_at=from_local(datetime.combine(today - timedelta(days=120), time(9)), TIMEZONE),
        applications_close_at=from_local(datetime.combine(today - timedelta(days=60), time(17)), TIMEZONE),
        timezone=TIMEZONE,
    ), actor=organizer)
    for user, roles in users:
        for role in roles:
            auth.grant_role(fair, user, role, actor=organizer)
    progress("projects")
    exhibitor = users[4][0]
    categories = {category.name: category for category in fair.categories}
    for org_index, category, title, summary, need_yuan, submitted in PROJECTS:
        during_window = fair.applications_open_at + timedelta(days=10 + len(title))
        project = applications.create_application(
            fair, organisations[org_index],
            applications.ProjectDetails(title, categories[category], summary, province=PROVINCE,
                                        city=organisations[org_index].city,
                                        district=organisations[org_index].district,
                                        funding_need_fen=need_yuan * 100),
            actor=exhibitor if org_index == 1 else None, at=during_window)
        if submitted:
            applications.submit_application(project, actor=exhibitor if org_index == 1 else None,
                                            at=during_window + timedelta(hours=3))
    if scale == "seed":
        _seed_applications(fair, organizer, progress)

    # The fair walks through its phases as an organizer's would: screening, shortlisting, then live.
    _move_to(fair, Phase.screening, organizer)
    if not screened:
        return DemoResult(fair, True, _logins())
    reviewers = [user for user, roles in users if Role.reviewer in roles]
    if scale == "seed":
        reviewers += _seed_reviewers(fair, organizer, progress)
    _screen(fair, organizer, reviewers, per_application=2 if scale == "seed" else 1, progress=progress)
    _shortlist(fair, organizer, size=SEED_SHORTLIST if scale == "seed" else SMALL_SHORTLIST, progress=progress)
    build_plan(fair, organizer, progress)
    _move_to(fair, Phase.live, organizer)
    build_visitors(fair, organizer, scale, progress)
    for step in LIVE_STEPS:
        step(fair, organizer, scale, progress)
    return DemoResult(fair, True, _logins())


def _move_to(fair: Fair, phase: Phase, organizer: User) -> None:
    while fair.phase.position < phase.position:
        fairs.move_phase(fair, fair.phase.neighbours()[-1], actor=organizer)


def _seed_reviewers(fair: Fair, organizer: User, progress: Callable[[str], None]) -> list[User]:
    progress(f"seed reviewers: {SEED_REVIEWERS}")
    people, password_hash = [], generate_password_hash(DEMO_PASSWORD)
    for number in range(1, SEED_REVIEWERS + 1):
        user = auth.create_user(f"reviewer{number:02d}@seed.demo.fair", f"评审专家{number:02d}", DEMO_PASSWORD,
                                password_hash=password_hash)
        auth.grant_role(fair, user, Role.reviewer, actor=organizer)
        people.append(user)
    return people


def _screen(fair: Fair, organizer: User, reviewers: list[User], *, per_application: int,
            progress: Callable[[str], None]) -> None:
    """Assign reviewers and let each score with a severity of their own, as real panels do."""
    screening.update_settings(fair, reviewers_per_application=per_application, blind_screening=False,
                              actor=organizer)
    screening.set_rubric(fair, [screening.CriterionDetails(*row) for row in screening.DEFAULT_RUBRIC],
                         actor=organizer)
    screening.assign_reviewers(fair, actor=organizer)
    assignments = db.session.scalars(
        sa.select(ReviewAssignment).join(Application).where(Application.fair_id == fair.id)
        .order_by(ReviewAssignment.id)).all()
    criteria = screening.rubric(fair)
    rng = random.Random(2026)
    severity = {user.id: rng.uniform(-1.5, 1.5) for user in reviewers}
    quality: dict[int, float] = {}
    with kept_loaded():
        for number, assignment in enumerate(assignments, 1):
            merit = quality.setdefault(assignment.application_id, rng.gauss(6.2, 1.4))
            points = {criterion.id: max(0, min(10, round(merit + severity[assignment.reviewer_id] + rng.gauss(0, 0.7))))
                      for criterion in criteria}
            screening.save_review(assignment, points=points, submit=True, actor=assignment.reviewer)
            if number % 500 == 0 or number == len(assignments):
                progress(f"reviews: {number:,} / {len(assignments):,}")


def _shortlist(fair: Fair, organizer: User, *, size: int, progress: Callable[[str], None]) -> None:
    progress(f"shortlist: {size}")
    quotas = []
    if size >= SEED_SHORTLIST:
        quotas = [shortlist.QuotaSetting(QuotaDimension.category, str(category.id), minimum=SEED_CATEGORY_MINIMUM)
                  for category in fair.categories if category.name != "其他"]
    shortlist.save_settings(fair, size=size, quotas=quotas, actor=organizer)
    shortlist.propose(fair, actor=organizer)
    shortlist.publish(fair, actor=organizer)


def _seed_applications(fair: Fair, organizer: User, progress: Callable[[str], None]) -> None:
    """The seed scale: 3,500 applications received (the demo's own among them) from about 3,000 organisations,
    through the bulk import like a real one."""
    progress("seed applications: preparing the rows")
    received = db.session.scalar(sa.select(sa.func.count(Application.id)).where(
        Application.fair_id == fair.id, Application.status == ApplicationStatus.submitted))
    table = seed_table([category.name for category in fair.categories], fair.applications_open_at,
                       fair.applications_close_at, fair.timezone, submitted=SEED_APPLICATIONS - received)
    applications.import_applications(
        fair, table, actor=organizer, source="fair demo --scale seed",
        progress=lambda done, total: progress(f"seed applications: {done:,} / {total:,}"))
