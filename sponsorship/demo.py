"""The demo fair's sponsorship, built through the services like the sponsors', teams' and organizer's own work.

Small demo: three sponsors (the demo sponsor's company, a foundation, a social-work agency), a negotiation
area, two meetings, one agreement signed by both sides and one the sponsor has signed and the demo
exhibitor may countersign, one caring unit.
Seed: 400 sponsors, each with a representative; every exhibited project's team has one too; 600 meeting
requests accepted and scheduled by the organizer's solver into 40 tables × 16 slots on the fair's second
and third days, most checked in; 390 projects signed by both sides for exactly ¥31,200,000, part of it paid; 30 caring units."""
import random
from datetime import datetime, time, timedelta
from typing import Callable

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from fair.applications.models import Application, Support
from fair.auth import services as auth
from fair.auth.models import Organisation, OrganisationKind, Role, User
from fair.booths.placing import PLACEABLE
from fair.demo import ORGANISATIONS
from fair.demo_seed import CITIES
from fair.demo_session import kept_loaded
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import to_local, utcnow
from sponsorship import agreements, caring_units, ledger, meetings, profiles
from sponsorship.models import Meeting, MeetingStatus, Side, SponsorProfile

DEMO_PASSWORD = "fair-demo-2026"
SEED = {"sponsors": 400, "agreements": 390, "amount_fen": 3_120_000_000, "caring_units": 30, "meetings": 600,
        "tables": 40, "slots_per_day": 8, "days": 2}
SLOTS_FROM = time(9, 30)
UNIT_FEN = 100_000                 # seed amounts are whole thousands of yuan
LEAST_UNITS = 10                   # ¥10,000
KINDS = [(OrganisationKind.enterprise, 60), (OrganisationKind.foundation, 25), (OrganisationKind.social_work, 15)]
WORDS = ["仁和", "同心", "博爱", "善行", "明德", "恒信", "华光", "新程", "远航", "惠民", "春晖", "阳光", "德馨", "立信",
         "启明", "朝阳", "安康", "和美", "益众", "嘉禾", "长青", "瑞丰", "润泽", "怡园", "锦程", "中和", "天成", "宏达"]
ENDINGS = {
    OrganisationKind.enterprise: ["科技有限公司", "实业有限公司", "集团有限公司", "电子股份有限公司", "食品有限公司",
                                  "建设集团有限公司", "医药有限公司", "物流有限公司"],
    OrganisationKind.foundation: ["慈善基金会", "公益基金会", "教育基金会"],
    OrganisationKind.social_work: ["社会工作服务中心", "社工事务所", "社会工作发展中心"],
}
BUDGETS = [(50_000, 200_000), (100_000, 500_000), (200_000, 1_000_000), (500_000, 3_000_000)]
TERMS = ("一、支持方按本协议约定向项目方提供支持，用于项目的运营、志愿者培训与服务对象的直接支出。\n"
         "二、项目方按季度向支持方报告项目进展与资金使用情况，并在项目结束后一个月内提交总结报告。\n"
         "三、双方同意在宣传中如实使用对方名称，未经同意不得用于商业用途。")


def build(fair: Fair, organizer: User, scale: str, progress: Callable[[str], None]) -> None:
    with kept_loaded():
        if scale == "seed":
            _seed(fair, organizer, progress)
        else:
            _small(fair, organizer, progress)


# --- small ------------------------------------------------------------------------------------------------

def _small(fair: Fair, organizer: User, progress: Callable[[str], None]) -> None:
    progress("sponsorship")
    password_hash = generate_password_hash(DEMO_PASSWORD)
    sponsor_user = auth.find_user("sponsor@demo.fair")
    exhibitor_user = auth.find_user("exhibitor@demo.fair")
    others = [organisation for organisation in _demo_sponsor_organisations()
              if organisation.id != sponsor_user.organisation_id]
    rng = random.Random(2026)
    sponsors = [_profile(fair, sponsor_user.organisation, rng)]
    for number, organisation in enumerate(others, 1):
        user = auth.create_user(f"sponsor{number}@demo.fair", f"支持方代表{number}", DEMO_PASSWORD,
                                organisation=organisation, password_hash=password_hash)
        auth.grant_role(fair, user, Role.sponsor, actor=organizer)
        sponsors.append(_profile(fair, organisation, rng))
    projects = _exhibited(fair)
    own = [project for project in projects if project.organisation_id == exhibitor_user.organisation_id]
    theirs = own[0] if own else projects[0]
    first = next(project for project in projects if project is not theirs)
    representatives = {theirs.organisation_id: exhibitor_user} if own else {}
    for project in (first, theirs):
        if project.organisation_id not in representatives:
            representatives[project.organisation_id] = _team_user(fair, organizer, project, password_hash)

    tables, slots = _meeting_area(fair, organizer, tables=4, days=1, per_day=6)
    held = meetings.request_meeting(fair, sponsors[0], first, side=Side.sponsor, actor=sponsor_user,
                                    message="希望了解项目的服务对象与预算安排。", slot=slots[0], table=tables[0])
    meetings.answer_meeting(held, accept=True, actor=representatives[first.organisation_id])
    meetings.request_meeting(fair, sponsors[0], theirs, side=Side.sponsor, actor=sponsor_user,
                             message="我们关注助老项目，想当面交流合作方式。")

    signed = _agreement(fair, sponsors[0], first, 12_000_000, sponsor_user, meeting=held)
    _sign_both(signed, sponsor_user, representatives[first.organisation_id])
    foundation_user = auth.find_user("sponsor1@demo.fair")
    waiting = _agreement(fair, sponsors[1], theirs, 8_000_000, foundation_user)
    agreements.sign(waiting, foundation_user, agreements.text_sha256(waiting))
    caring_units.designate_caring_unit(fair, sponsor_user.organisation, _citation(sponsor_user.organisation),
                                       organizer)


# --- seed -------------------------------------------------------------------------------------------------

def _seed(fair: Fair, organizer: User, progress: Callable[[str], None]) -> None:
    rng = random.Random(2026)
    password_hash = generate_password_hash(DEMO_PASSWORD)
    progress(f"sponsors: {SEED['sponsors']}")
    sponsors, people = _seed_sponsors(fair, organizer, rng, password_hash)
    projects = _exhibited(fair)
    progress(f"project teams: {len(projects)}")
    teams = {}
    for project in projects:
        if project.organisation_id not in teams:
            teams[project.organisation_id] = _team_user(fair, organizer, project, password_hash)

    funded = rng.sample(projects, SEED["agreements"])
    backers = {project.id: _backer(project, sponsors, rng) for project in funded}
    progress(f"meetings: {SEED['meetings']}")
    requested = _seed_meetings(fair, organizer, sponsors, projects, funded, backers, people, teams, rng)

    progress(f"agreements: {SEED['agreements']}")
    amounts = split_amount(SEED["amount_fen"], SEED["agreements"], rng)
    signed = []
    for number, (project, amount_fen) in enumerate(zip(funded, amounts), 1):
        sponsor = backers[project.id]
        agreement = _agreement(fair, sponsor, project, amount_fen, people[sponsor.id],
                               meeting=requested.get((sponsor.id, project.id)))
        _sign_both(agreement, people[sponsor.id], teams[project.organisation_id])
        signed.append(agreement)
        if number % 100 == 0:
            progress(f"agreements: {number} / {SEED['agreements']}")
    progress("payments")
    for agreement in rng.sample(signed, len(signed) * 2 // 5):
        ledger.record_payment(agreement, agreement.amount_fen // 2, to_local(utcnow(), fair.timezone).date(),
                              f"首期拨付 {agreement.number}", None)
    progress(f"caring units: {SEED['caring_units']}")
    given: dict[int, int] = {}
    for agreement in signed:
        given[agreement.sponsor_id] = given.get(agreement.sponsor_id, 0) + agreement.amount_fen
    leading = sorted(sponsors, key=lambda sponsor: (-given.get(sponsor.id, 0), sponsor.id))[:SEED["caring_units"]]
    for sponsor in leading:
        caring_units.designate_caring_unit(fair, sponsor.organisation, _citation(sponsor.organisation), organizer)


def _seed_sponsors(fair: Fair, organizer: User, rng: random.Random,
                   password_hash: str) -> tuple[list[SponsorProfile], dict[int, User]]:
    """The demo's own sponsor organisations first (the demo sponsor's among them), then generated ones."""
    existing = _demo_sponsor_organisations()
    sponsors, people, names = [], {}, {organisation.name for organisation in existing}
    for number in range(SEED["sponsors"]):
        if number < len(existing):
            organisation = existing[number]
            user = next((person for person in organisation.users if person.has_role(fair, Role.sponsor)), None)
        else:
            organisation, user = _new_sponsor_organisation(rng, names), None
        if user is None:
            user = auth.create_user(f"sponsor{number:03d}@seed.demo.fair", f"支持方代表{number:03d}", DEMO_PASSWORD,
                                    organisation=organisation, password_hash=password_hash)
            auth.grant_role(fair, user, Role.sponsor, actor=organizer)
        profile = _profile(fair, organisation, rng)
        sponsors.append(profile)
        people[profile.id] = user
    return sponsors, people


def _new_sponsor_organisation(rng: random.Random, taken: set[str]) -> Organisation:
    kind = rng.choices([kind for kind, _share in KINDS], [share for _kind, share in KINDS])[0]
    city = rng.choice(list(CITIES))
    while True:
        name = f"{city.removesuffix('市')}{rng.choice(WORDS)}{rng.choice(ENDINGS[kind])}"
        if name not in taken:
            taken.add(name)
            break
        city = rng.choice(list(CITIES))
    district = rng.choice(CITIES[city][2])
    return auth.create_organisation(name, kind, province="江苏省", city=city, district=district)


def _seed_meetings(fair, organizer, sponsors, projects, funded, backers, people, teams,
                   rng) -> dict[tuple[int, int], Meeting]:
    """Each funded pair met first; other sponsors asked to meet projects they looked at. The teams accept,
    the organizer schedules them all at once, and most meetings are checked in at their table."""
    pairs = {(backers[project.id].id, project.id) for project in funded}
    while len(pairs) < SEED["meetings"]:
        pairs.add((rng.choice(sponsors).id, rng.choice(projects).id))
    by_id = {sponsor.id: sponsor for sponsor in sponsors}
    project_by_id = {project.id: project for project in projects}
    _meeting_area(fair, organizer, tables=SEED["tables"], days=SEED["days"], per_day=SEED["slots_per_day"])
    made = {}
    for sponsor_id, project_id in sorted(pairs):
        project = project_by_id[project_id]
        meeting = meetings.request_meeting(fair, by_id[sponsor_id], project, side=Side.sponsor,
                                           actor=people[sponsor_id], message="希望当面了解项目。")
        meetings.answer_meeting(meeting, accept=True, actor=teams[project.organisation_id])
        made[(sponsor_id, project_id)] = meeting
    meetings.schedule_waiting(fair, actor=organizer)
    for meeting in made.values():
        if meeting.status is MeetingStatus.accepted and meeting.slot is not None and rng.random() < 0.9:
            during = meeting.slot.starts_at + timedelta(minutes=5)
            meetings.check_in(meeting, actor=organizer, shown_by=Side.sponsor, now=during)
    return made


# --- shared -----------------------------------------------------------------------------------------------

def split_amount(total_fen: int, parts: int, rng: random.Random) -> list[int]:
    """`parts` amounts in whole thousands of yuan, at least ¥10,000 each, that add up to `total_fen` exactly:
    a few large agreements and many modest ones, as at a real fair."""
    units = total_fen // UNIT_FEN
    if units * UNIT_FEN != total_fen or units < parts * LEAST_UNITS:
        raise ValueError("the total cannot be split into whole thousands of yuan of at least the least amount")
    weights = [rng.lognormvariate(0, 0.7) for _ in range(parts)]
    scale = (units - parts * LEAST_UNITS) / sum(weights)
    shares = [LEAST_UNITS + int(weight * scale) for weight in weights]
    for index in sorted(range(parts), key=lambda i: -weights[i])[:units - sum(shares)]:
        shares[index] += 1
    return [share * UNIT_FEN for share in shares]


def _demo_sponsor_organisations() -> list[Organisation]:
    """The enterprise, foundation and social-work agency the demo starts with (not the seed's applicants)."""
    names = [name for name, kind, _city, _district in ORGANISATIONS if kind in dict(KINDS)]
    return db.session.scalars(sa.select(Organisation).where(Organisation.name.in_(names))
                              .order_by(Organisation.id)).all()


def _exhibited(fair: Fair) -> list[Application]:
    return db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id, PLACEABLE)
                              .order_by(Application.id)).all()


def _profile(fair: Fair, organisation: Organisation, rng: random.Random) -> SponsorProfile:
    low, high = rng.choice(BUDGETS)
    focus = rng.sample([category.id for category in fair.categories], rng.randint(1, 3))
    regions = [] if rng.random() < 0.2 else sorted({organisation.city or "南京市", rng.choice(list(CITIES))})
    offered = ["funds"] + rng.sample([kind.value for kind in Support if kind is not Support.funds], rng.randint(0, 2))
    details = profiles.ProfileDetails(
        introduction=f"{organisation.name}长期关注公益事业，愿与优秀志愿服务项目结对合作。",
        focus_category_ids=focus, regions=regions, budget_min_fen=low * 100, budget_max_fen=high * 100,
        support_offered=offered, wants="服务对象明确、成效可衡量、团队稳定的项目。",
        contact_name=organisation.contact_name or "联络人",
        contact_phone=organisation.contact_phone or f"139{rng.randrange(10 ** 8):08d}")
    return profiles.save_profile(fair, organisation, details, None)


def _team_user(fair: Fair, organizer: User, project: Application, password_hash: str) -> User:
    """A representative for the project's organisation (the seed's imported applications have none)."""
    user = auth.create_user(f"team{project.organisation_id:05d}@seed.demo.fair", f"项目负责人{project.organisation_id}",
                            DEMO_PASSWORD, organisation=project.organisation, password_hash=password_hash)
    auth.grant_role(fair, user, Role.exhibitor, actor=organizer)
    return user


def _backer(project: Application, sponsors: list[SponsorProfile], rng: random.Random) -> SponsorProfile:
    """A sponsor that focuses on the project's category where there is one, as matching would suggest."""
    keen = [sponsor for sponsor in sponsors if project.category_id in (sponsor.focus_category_ids or [])]
    return rng.choice(keen or sponsors)


def _meeting_area(fair: Fair, organizer: User, *, tables: int, days: int, per_day: int):
    made_tables = meetings.add_tables(fair, "洽谈桌 ", 1, tables, actor=organizer)
    made_slots = []
    for offset in range(1, days + 1):          # from the second day: the first may be half over
        day = fair.starts_on + timedelta(days=offset)
        end = (datetime.combine(day, SLOTS_FROM) + timedelta(minutes=30 * per_day)).time()
        made_slots += meetings.add_slots(fair, meetings.SlotPlan(day, SLOTS_FROM, end, 30), actor=organizer)
    return made_tables, made_slots


def _agreement(fair: Fair, sponsor: SponsorProfile, project: Application, amount_fen: int, actor: User, *,
               meeting: Meeting | None = None):
    start = fair.ends_on + timedelta(days=1)
    details = agreements.AgreementDetails(amount_fen=amount_fen, support_kinds=("funds",), period_start=start,
                                          period_end=start + timedelta(days=364), terms=TERMS)
    return agreements.draft_agreement(fair, sponsor, project, details, actor=actor, meeting=meeting)


def _sign_both(agreement, sponsor_user: User, team_user: User) -> None:
    digest = agreements.text_sha256(agreement)
    agreements.sign(agreement, sponsor_user, digest)
    agreements.countersign(agreement, team_user, digest)


def _citation(organisation: Organisation) -> str:
    return f"{organisation.name}在本届展示交流会上热心支持志愿服务项目，特授予“爱心单位”称号。"
