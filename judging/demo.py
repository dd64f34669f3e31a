"""The demo fair's judging, built through the services like an organizer's and the judges' own work.

Small demo: three judges (the demo judge among them), two per project, every scorecard but the demo
judge's in; judging stays open so the demo judge has projects to score on the tablet.
Seed: 60 judges, three per project, every project scored by judges with a severity, a scale and a
scatter of their own (the bias the ranking corrects), judging locked, the results frozen with 80 awards
and published."""
import random
import uuid
from typing import Callable

import numpy as np
from werkzeug.security import generate_password_hash

from fair.auth import services as auth
from fair.auth.models import User
from fair.extensions import db
from fair.fairs.models import Fair
from judging import assigning, awards, scoring, services
from judging.models import JudgeAssignment, Judge

SEED_JUDGES = 60
JUDGE_PASSWORD = "fair-demo-2026"
TITLES = ["南京大学社会学院教授", "江苏省志愿服务联合会理事", "东南大学公共卫生学院副教授", "资深社会工作督导",
          "省慈善总会项目官员", "南京师范大学教育科学学院讲师", "社区治理研究中心研究员", "公益基金会项目总监"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["静", "敏", "伟", "芳", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "华", "平", "刚", "桂英"]


def build(fair: Fair, organizer: User, scale: str, progress: Callable[[str], None]) -> None:
    progress("judging")
    services.set_rubric(fair, services.default_rubric(), organizer)
    services.set_tiers(fair, services.default_tiers(), "fair", organizer)
    demo_judge = auth.find_user("judge@demo.fair")
    judges = [_judge(fair, organizer, demo_judge, 0)]
    count = SEED_JUDGES if scale == "seed" else 3
    password_hash = generate_password_hash(JUDGE_PASSWORD)
    judges += [_judge(fair, organizer, _new_user(number, password_hash), number) for number in range(1, count)]
    services.set_judges_per_project(fair, 3 if scale == "seed" else 2, organizer)
    services.open_judging(fair, organizer)
    assigning.run_assignment(fair, actor=organizer)
    progress("scores")
    _score(fair, judges, skip=None if scale == "seed" else judges[0])
    if scale == "seed":
        services.lock_judging(fair, organizer)
        awards.freeze(fair, actor=organizer)
        awards.publish(fair, actor=organizer)


def _new_user(number: int, password_hash: str) -> User:
    name = SURNAMES[number % len(SURNAMES)] + GIVEN[(number * 7) % len(GIVEN)]
    return auth.create_user(f"judge{number:02d}@demo.fair", name, JUDGE_PASSWORD, password_hash=password_hash)


def _judge(fair: Fair, organizer: User, user: User, number: int) -> Judge:
    expertise = [fair.categories[number % len(fair.categories)].id]
    return services.add_judge(fair, user.email, actor=organizer, title=TITLES[number % len(TITLES)],
                              expertise=expertise).judge


def _score(fair: Fair, judges: list[Judge], *, skip: Judge | None) -> None:
    """Each judge scores every project they were given: points = a project's quality seen through the
    judge's severity (offset), scale use (slope) and scatter, per criterion, clamped to the rubric."""
    rng = random.Random(2026)
    noise = np.random.default_rng(2026)
    criteria = scoring.rubric(fair)
    quality: dict[int, float] = {}
    for judge in judges:
        if judge is skip:
            continue
        offset, slope, scatter = rng.gauss(0, 0.9), rng.lognormvariate(0, 0.3), rng.choice([0.5, 0.7, 1.6])
        pairs = db.session.query(JudgeAssignment).filter_by(judge_id=judge.id).order_by(JudgeAssignment.walk_order)
        for pair in pairs.all():
            level = quality.setdefault(pair.application_id, float(noise.normal(0, 1)))
            points = {criterion.id: int(np.clip(round(6 + 1.3 * (slope * level + offset) + noise.normal(0, scatter)),
                                                0, criterion.max_points))
                      for criterion in criteria}
            card = scoring.state_of(pair)
            scoring.save_scores(pair, points, "", actor=judge.user, client_op=str(uuid.UUID(int=rng.getrandbits(128))),
                                base_version=card.version, submit=True)
