"""Sponsorship matching: every sponsor's recommendations at once, as a nightly list or a fair's opening would.

    python bench/matching.py [--runs N] [--sponsors N] [--projects N] [--limit N]

400 random sponsors × 3,500 random projects (the call's size; a fair exhibits 435 of them) through
`recommend_all` with the page's limit of 30: 1-3 focus categories of 10, 0-3 cities (most in the host
province), budgets from ¥10,000 to ¥2,000,000 (some unstated), 1-3 kinds of support; projects in 40 cities
of 4 provinces, needs from ¥5,000 to ¥2,000,000 (one in ten unstated), 80 with an award, 390 with signed
money (half of those fully funded). Prints the median total over the runs and per sponsor, against the
2 s target. No database is used."""
import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sponsorship.matching import ProjectOffer, SponsorNeeds, recommend_all  # noqa: E402

PROVINCES = {"江苏省": ("南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市", "连云港市", "淮安市", "盐城市",
                        "扬州市", "镇江市", "泰州市", "宿迁市"),
             "浙江省": ("杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市"),
             "安徽省": ("合肥市", "芜湖市", "蚌埠市", "淮南市", "马鞍山市", "淮北市", "铜陵市", "安庆市", "黄山市"),
             "山东省": ("济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市", "泰安市")}
PROVINCE_OF = {city: province for province, cities in PROVINCES.items() for city in cities}
HOME = "江苏省"
CATEGORIES = ["助老", "助残", "青少年", "环保", "社区治理", "应急救援", "文化", "医疗健康", "乡村振兴", "法律援助"]
KINDS = ["funds", "goods", "volunteers", "venue", "professional"]
TIERS = [("特别荣誉奖", 5), ("金奖", 15), ("银奖", 25), ("铜奖", 35)]
TARGET_S = 2.0


def city(rng: random.Random) -> str:
    province = HOME if rng.random() < 0.8 else rng.choice([p for p in PROVINCES if p != HOME])
    return rng.choice(PROVINCES[province])


def projects(rng: random.Random, count: int) -> list[ProjectOffer]:
    awarded = [position for position, (_name, number) in enumerate(TIERS) for _ in range(number)]
    awards = dict(zip(rng.sample(range(count), len(awarded)), awarded))
    funded = rng.sample(range(count), min(390, count))
    made = []
    for n in range(count):
        where = city(rng)
        need = 0 if rng.random() < 0.1 else rng.randrange(500_000, 200_000_000, 100)
        got = 0
        if n in funded[:195]:
            got = need
        elif n in funded[195:]:
            got = need // rng.randint(2, 5)
        category = rng.randrange(len(CATEGORIES))
        position = awards.get(n)
        made.append(ProjectOffer(
            id=n + 1, category_id=category, province=PROVINCE_OF[where], city=where, district="",
            funding_need_fen=need, support_wanted=tuple(rng.sample(KINDS, rng.randint(1, 3))), award_position=position,
            funded_fen=got, title=f"项目{n + 1}", category_name=CATEGORIES[category],
            award_name=TIERS[position][0] if position is not None else ""))
    return made


def sponsors(rng: random.Random, count: int) -> list[SponsorNeeds]:
    made = []
    for n in range(count):
        cities = tuple(dict.fromkeys(city(rng) for _ in range(rng.randint(0, 3))))
        budget_max = 0 if rng.random() < 0.1 else rng.randrange(1_000_000, 200_000_000, 100_000)
        made.append(SponsorNeeds(
            id=n + 1, focus_category_ids=frozenset(rng.sample(range(len(CATEGORIES)), rng.randint(1, 3))),
            regions=cities, provinces=tuple(sorted({PROVINCE_OF[c] for c in cities})),
            budget_min_fen=budget_max // 10, budget_max_fen=budget_max,
            support_offered=tuple(rng.sample(KINDS, rng.randint(1, 3)))))
    return made


def matching_rows(_workdir, _database_url, runs: int) -> list[tuple]:
    """For bench/run.py: the 400 × 3,500 batch against its 2 s target."""
    rng = random.Random(2026)
    offers, needs = projects(rng, 3500), sponsors(rng, 400)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        recommend_all(needs, offers, 30)
        times.append((time.perf_counter() - started) * 1000)
    return [("recommendations, 400 sponsors × 3,500 projects", runs, statistics.median(times), None, TARGET_S * 1000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs for the median (default %(default)s)")
    parser.add_argument("--sponsors", type=int, default=400)
    parser.add_argument("--projects", type=int, default=3500)
    parser.add_argument("--limit", type=int, default=30, help="projects kept per sponsor (default %(default)s)")
    args = parser.parse_args()
    rng = random.Random(2026)
    offers, needs = projects(rng, args.projects), sponsors(rng, args.sponsors)
    times, result = [], {}
    for _ in range(args.runs):
        started = time.perf_counter()
        result = recommend_all(needs, offers, args.limit)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    kept = sum(len(matches) for matches in result.values())
    print(f"\nrecommend_all: {args.sponsors} sponsors × {args.projects:,} projects, top {args.limit} each "
          f"({kept:,} recommendations with reasons)")
    print(f"median {median:.3f} s over {args.runs} runs (min {min(times):.3f} s, max {max(times):.3f} s); "
          f"{median / args.sponsors * 1000:.2f} ms per sponsor; target < {TARGET_S:.0f} s"
          f"{'' if median < TARGET_S else ', OVER'}")


if __name__ == "__main__":
    main()
