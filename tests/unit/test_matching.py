"""Sponsor–project matching: each term orders the obvious cases, the reasons say why, ties go by id, and
the vectorised batch equals the single calls and the scalar reference."""
import random

import pytest

from sponsorship.matching import (CITY, FOCUS, SCALE, Match, ProjectOffer, Reason, SponsorNeeds, match,
                                  rank_projects, rank_sponsors, recommend_all)

ELDERLY, YOUTH = 1, 2
SPONSOR = SponsorNeeds(id=1, focus_category_ids=frozenset({ELDERLY}), regions=("南京市",), provinces=("江苏省",),
                       budget_min_fen=1_000_000, budget_max_fen=20_000_000, support_offered=("funds",))


def project(id: int, **overrides) -> ProjectOffer:
    """A project that fits SPONSOR on every term unless told otherwise."""
    values = {"category_id": ELDERLY, "category_name": "助老", "province": "江苏省", "city": "南京市",
              "district": "鼓楼区", "funding_need_fen": 12_000_000, "support_wanted": ("funds",), "title": f"项目{id}"}
    values.update(overrides)
    return ProjectOffer(id=id, **values)


def ids(matches: list[Match]) -> list[int]:
    return [m.project_id for m in matches]


def codes(m: Match) -> list[str]:
    return [reason.code for reason in m.reasons]


def test_the_focus_category_comes_first():
    ranked = rank_projects(SPONSOR, [project(1, category_id=YOUTH, category_name="青少年"), project(2)])
    assert ids(ranked) == [2, 1]
    assert ranked[0].points - ranked[1].points == FOCUS
    assert Reason("focus", "助老") in ranked[0].reasons and "focus" not in codes(ranked[1])


def test_a_need_inside_the_budget_beats_one_far_above_it():
    ranked = rank_projects(SPONSOR, [project(1, funding_need_fen=2_000_000_000), project(2, funding_need_fen=30_000_000),
                                     project(3, funding_need_fen=12_000_000)])
    assert ids(ranked) == [3, 2, 1]
    assert Reason("budget", 12_000_000) in ranked[0].reasons
    assert Reason("budget_part", 30_000_000) in ranked[1].reasons


def test_an_unknown_need_is_neutral_between_inside_and_far_above():
    ranked = rank_projects(SPONSOR, [project(1, funding_need_fen=2_000_000_000), project(2, funding_need_fen=0),
                                     project(3)])
    assert ids(ranked) == [3, 2, 1]
    assert not {"budget", "budget_part"} & set(codes(ranked[1]))


def test_same_city_beats_same_province_beats_elsewhere():
    ranked = rank_projects(SPONSOR, [project(1, province="浙江省", city="杭州市"), project(2, city="苏州市"),
                                     project(3)])
    assert ids(ranked) == [3, 2, 1]
    assert Reason("region", "南京市") in ranked[0].reasons
    assert Reason("province", "江苏省") in ranked[1].reasons
    assert not {"region", "province"} & set(codes(ranked[2]))
    assert ranked[0].points - ranked[1].points == ranked[1].points - ranked[2].points == CITY // 2


def test_a_fully_funded_project_comes_after_every_project_still_in_need():
    funded = project(1, award_position=0, award_name="金奖", funded_fen=12_000_000)
    plain = project(2, category_id=YOUTH, province="浙江省", city="杭州市", support_wanted=("venue",))
    ranked = rank_projects(SPONSOR, [funded, plain])
    assert ids(ranked) == [2, 1]
    assert Reason("funded", 12_000_000) in ranked[1].reasons
    assert "budget" not in codes(ranked[1])


def test_a_partly_funded_project_is_measured_by_what_it_still_needs():
    part = project(1, funding_need_fen=30_000_000, funded_fen=15_000_000)
    ranked = rank_projects(SPONSOR, [part, project(2, funding_need_fen=30_000_000)])
    assert ids(ranked) == [1, 2]
    assert ranked[0].reasons[2:4] == (Reason("funded_part", 15_000_000), Reason("budget", 15_000_000))


@pytest.mark.parametrize("positions, order", [
    ([None, 3, 1, 0, 2], [4, 3, 5, 2, 1]),
    ([7, None, 4], [1, 3, 2]),      # every tier beats no award; far tiers keep the least credit (tie → id)
])
def test_better_award_tiers_rank_higher(positions, order):
    projects = [project(n + 1, award_position=position, award_name=f"tier{position}")
                for n, position in enumerate(positions)]
    assert ids(rank_projects(SPONSOR, projects)) == order


def test_support_kinds_offered_and_wanted():
    wants = ("funds", "volunteers", "goods")
    sponsors = [SponsorNeeds(1, support_offered=("venue",)), SponsorNeeds(2, support_offered=("funds",)),
                SponsorNeeds(3, support_offered=("volunteers", "funds", "goods")), SponsorNeeds(4)]
    ranked = rank_sponsors(project(9, support_wanted=wants), sponsors)
    assert [m.sponsor_id for m in ranked] == [3, 4, 2, 1]       # all, unknown (half), a third, none
    assert ranked[0].reasons[-1] == Reason("support", ("funds", "volunteers", "goods"))
    assert ranked[2].reasons[-1] == Reason("support", ("funds",))
    assert "support" not in codes(ranked[3])


def test_the_reasons_of_a_full_match_in_order():
    best = match(SPONSOR, project(5, award_position=1, award_name="金奖"))
    assert best.reasons == (Reason("focus", "助老"), Reason("region", "南京市"), Reason("budget", 12_000_000),
                            Reason("support", ("funds",)), Reason("award", "金奖"))
    assert best.score == 35 + 20 + 20 + 15 + 8
    assert best.points == best.score * SCALE


def test_nothing_in_common_gives_no_reasons():
    stranger = SponsorNeeds(2, focus_category_ids=frozenset({YOUTH}), regions=("广州市",), provinces=("广东省",),
                            budget_max_fen=100, support_offered=("venue",))
    nothing = match(stranger, project(1, funding_need_fen=2_000_000_000))
    assert nothing.reasons == ()
    assert nothing.score == 0


def test_ties_go_by_id_whatever_the_input_order():
    projects = [project(n) for n in (8, 3, 5, 1)]
    assert ids(rank_projects(SPONSOR, projects)) == [1, 3, 5, 8]
    assert ids(rank_projects(SPONSOR, list(reversed(projects)))) == [1, 3, 5, 8]
    twins = [SponsorNeeds(n, support_offered=("funds",)) for n in (7, 2, 4)]
    assert [m.sponsor_id for m in rank_sponsors(project(1), twins)] == [2, 4, 7]


def test_empty_inputs():
    assert rank_projects(SPONSOR, []) == []
    assert rank_sponsors(project(1), []) == []
    assert recommend_all([], [project(1)]) == {}
    assert recommend_all([SPONSOR], [], limit=30) == {SPONSOR.id: []}
    assert rank_projects(SPONSOR, [project(1)], limit=0) == []


def test_a_sponsor_without_focus_or_anything_else_still_gets_a_ranking():
    blank = SponsorNeeds(3, regions=("南京市",), budget_max_fen=5_000_000)
    ranked = rank_projects(blank, [project(1, city="苏州市"), project(2, funding_need_fen=4_000_000),
                                   project(3, funding_need_fen=4_000_000, category_id=YOUTH), project(4)])
    assert ids(ranked) == [2, 3, 4, 1]
    assert all("focus" not in codes(m) for m in ranked)
    bare = SponsorNeeds(4)
    assert ids(rank_projects(bare, [project(2), project(1, award_position=2)])) == [1, 2]


def test_limit_keeps_the_best():
    projects = [project(n, funding_need_fen=n * 10_000_000) for n in range(1, 8)]
    assert ids(rank_projects(SPONSOR, projects, limit=3)) == [1, 2, 3]
    assert len(rank_sponsors(project(1), [SponsorNeeds(n) for n in range(10)], limit=4)) == 4


def random_world(seed: int, sponsors: int = 60, projects: int = 300):
    rng = random.Random(seed)
    provinces = {f"城{n}": f"省{n % 5}" for n in range(30)}
    kinds = ["funds", "goods", "volunteers", "venue", "professional"]

    def offer(n):
        city = rng.choice([*provinces, ""])
        need = rng.choice([0, rng.randrange(100_000, 50_000_000)])
        return ProjectOffer(n, rng.randrange(8), provinces.get(city, ""), city, "", need,
                            tuple(rng.sample(kinds, rng.randrange(3))), rng.choice([None, None, 0, 1, 2, 3]),
                            rng.choice([0, 0, need, rng.randrange(0, 20_000_000)]), f"项目{n}", "领域", "奖")

    def needs(n):
        cities = rng.sample(sorted(provinces), rng.randrange(3))
        return SponsorNeeds(n, frozenset(rng.sample(range(8), rng.randrange(4))), tuple(cities),
                            tuple(sorted({provinces[c] for c in cities})), 0,
                            rng.choice([0, rng.randrange(100_000, 30_000_000)]), tuple(rng.sample(kinds, rng.randrange(3))))

    # ids out of order and not contiguous, as rows of a real fair are
    return ([needs(n) for n in rng.sample(range(1, 10 * sponsors), sponsors)],
            [offer(n) for n in rng.sample(range(1, 10 * projects), projects)])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batch_equals_the_single_calls_and_the_reference(seed):
    sponsors, projects = random_world(seed)
    batch = recommend_all(sponsors, projects, limit=30)
    assert batch == {s.id: rank_projects(s, projects, limit=30) for s in sponsors}
    for sponsor in sponsors[:10]:
        reference = sorted((match(sponsor, p) for p in projects), key=lambda m: (-m.points, m.project_id))
        assert rank_projects(sponsor, projects) == reference
        assert rank_projects(sponsor, projects, limit=30) == reference[:30]
    for offer in projects[:10]:
        by_sponsor = rank_sponsors(offer, sponsors)
        assert [m.points for m in by_sponsor] == sorted((m.points for m in by_sponsor), reverse=True)
        assert {(m.sponsor_id, m.points) for m in by_sponsor} == {(s.id, match(s, offer).points) for s in sponsors}
