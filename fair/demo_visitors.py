"""The demo fair's visitors: check-in points, tickets, and scans at the gates and the outdoor activities,
all through the services (issue_tickets, redeem) as gate staff would make them.

Scans are spread over the fair's days and opening hours, busiest late morning, so the counters and the
per-hour chart have a shape; those on days still to come are as the demo imagines them. Most visitors
leave by the exit gate the same day (the rest are "inside now")."""
import random
from datetime import datetime, time, timedelta
from typing import Callable

import sqlalchemy as sa

from fair.auth.models import User
from fair.extensions import db
from fair.demo_session import kept_loaded
from fair.fairs.models import Fair
from fair.times import from_local
from fair.visitors import checkins, services
from fair.visitors.models import PointKind, Policy, Ticket, TicketSource, VisitorKind

OPENS, CLOSES = time(9), time(17)
# People, not tickets: a school group's one ticket brings its whole class through the gate.
SEED = {"visitors": 50_000, "entries": 31_000, "outdoor": 10_000}
SMALL = {"visitors": 60, "entries": 40, "outdoor": 15}
STAY_ON = 0.9                   # share of the day's visitors who have left by the exit gate
KINDS = [(VisitorKind.public, 70), (VisitorKind.volunteer, 15), (VisitorKind.group, 8), (VisitorKind.media, 3),
         (VisitorKind.guest, 4)]
ACTIVITIES = [("outdoor-first-aid", "应急救护体验", "First-aid practice"),
              ("outdoor-eco-craft", "环保手作体验", "Eco craft"),
              ("outdoor-barrier-free", "无障碍体验营", "Barrier-free experience")]
SCHOOLS = ["南京市第一中学高一", "鼓楼区实验小学五年级", "南京师范大学志愿者协会", "建邺高级中学高二"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚",
         "子涵", "欣怡", "梓萱", "浩然", "宇轩", "一诺", "雨桐", "思远"]


def build_visitors(fair: Fair, organizer: User, scale: str, progress: Callable[[str], None]) -> None:
    counts = SEED if scale == "seed" else SMALL
    rng = random.Random(2026)
    progress("check-in points")
    venue = checkins.save_area(fair, checkins.AreaDetails("展馆", "Exhibition halls"), actor=organizer)
    points = {
        "entry": checkins.save_point(fair, checkins.PointDetails(
            "gate", "东门入口", PointKind.entry, Policy.daily, "East gate", area_id=venue.id,
            offline_allowed=True, opens_at=OPENS, closes_at=CLOSES), actor=organizer),
        "exit": checkins.save_point(fair, checkins.PointDetails(
            "gate-out", "东门出口", PointKind.exit, Policy.unlimited, "East gate (out)", area_id=venue.id,
            offline_allowed=True), actor=organizer),
    }
    outdoor = [checkins.save_point(fair, checkins.PointDetails(
        slug, name, PointKind.activity, Policy.once, name_en, opens_at=OPENS, closes_at=CLOSES), actor=organizer)
        for slug, name, name_en in ACTIVITIES]

    progress(f"visitors: {counts['visitors']:,}")
    rows = _visitors(rng, counts["visitors"])
    services.issue_tickets(fair, rows, source=TicketSource.online, actor=organizer, note="demo")
    tickets = db.session.scalars(sa.select(Ticket).where(Ticket.fair_id == fair.id).order_by(Ticket.id)).all()
    codes = services.qr_texts(fair, tickets)
    days = [fair.starts_on + timedelta(days=offset) for offset in range((fair.ends_on - fair.starts_on).days + 1)]

    visitors = _people(rng, tickets, range(len(tickets)), counts["entries"])
    with kept_loaded():
        for done, index in enumerate(visitors, start=1):
            day = days[done % len(days)]
            arrived = _moment(fair, day, rng)
            checkins.redeem(fair, points["entry"], codes[index], staff=organizer, scanned_at=arrived)
            if rng.random() < STAY_ON:
                closing = from_local(datetime.combine(day, CLOSES), fair.timezone)
                left = min(arrived + timedelta(minutes=rng.randint(40, 300)), closing)
                checkins.redeem(fair, points["exit"], codes[index], staff=organizer, scanned_at=left)
            if done % 5000 == 0:
                progress(f"venue entries: {done:,} tickets")
        for done, index in enumerate(_people(rng, tickets, visitors, counts["outdoor"]), start=1):
            checkins.redeem(fair, outdoor[done % len(outdoor)], codes[index], staff=organizer,
                            scanned_at=_moment(fair, days[done % len(days)], rng))
            if done % 5000 == 0:
                progress(f"outdoor check-ins: {done:,} tickets")


def _visitors(rng: random.Random, people: int) -> list[services.VisitorDetails]:
    """Tickets for exactly `people` visitors: most alone, some school groups of 8 to 40 on one ticket (no
    group over a tenth of everyone, so a small demo is not one school's outing)."""
    rows, left = [], people
    while left:
        row = _visitor(rng, len(rows))
        if row.group_size > min(left, people // 10):
            row = services.VisitorDetails(row.name, row.phone, VisitorKind.public)
        rows.append(row)
        left -= row.group_size
    return rows


def _people(rng: random.Random, tickets: list[Ticket], among, people: int) -> list[int]:
    """Indexes of tickets, drawn from `among` in a random order, whose groups add up to exactly `people`:
    groups up to half of them, then single visitors to the exact count (so a later draw from these has
    single visitors enough for its own exact count)."""
    order = list(among)
    rng.shuffle(order)
    groups = [index for index in order if tickets[index].group_size > 1]
    singles = [index for index in order if tickets[index].group_size == 1]
    chosen, total = [], 0
    for index in groups:
        if total + tickets[index].group_size <= people // 2:
            chosen.append(index)
            total += tickets[index].group_size
    if people - total > len(singles):
        raise ValueError(f"not enough visitors for {people} people")
    chosen += singles[:people - total]
    rng.shuffle(chosen)
    return chosen


def _moment(fair: Fair, day, rng: random.Random) -> datetime:
    """A time in opening hours, busiest around 10:30 and 14:30."""
    peak = rng.choice([10.5, 14.5])
    hours = min(max(rng.gauss(peak, 1.3), 9.0), 16.9)
    local = datetime.combine(day, time(int(hours), int(hours % 1 * 60), rng.randrange(60)))
    return from_local(local, fair.timezone)


def _visitor(rng: random.Random, number: int) -> services.VisitorDetails:
    kind = rng.choices([kind for kind, _weight in KINDS], [weight for _kind, weight in KINDS])[0]
    if kind is VisitorKind.group:
        return services.VisitorDetails(_name(rng), _phone(number), kind, rng.randint(8, 40),
                                       f"{rng.choice(SCHOOLS)}{rng.randint(1, 9)}班")
    return services.VisitorDetails(_name(rng), _phone(number), kind)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(number: int) -> str:
    return f"139{number:08d}"
