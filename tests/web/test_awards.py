"""Results and awards: the bias-corrected ranking from scorecards, the tie-break cascade, overrides, ties,
freeze, publication."""
import random
import string
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from scipy.stats import kendalltau

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.messages.models import Message
from fair.refusal import Refused
from judging import awards, services
from judging.awards import ProjectResult
from judging.models import Award, AwardTier, JudgingSetup
from tests.conftest import log_in
from tests.factories import make_judge, make_judge_assignment, make_judging, make_member, make_shortlisted


def score(judge, application, criteria, points):
    """A submitted scorecard: `points` one number for every criterion, or a list in rubric order."""
    points = points if isinstance(points, list) else [points] * len(criteria)
    return make_judge_assignment(judge, application, points=dict(zip(criteria, points)), submitted=True)


def crossed(fair, table: dict[str, list], *, tiers=(("金奖", "Gold", 1), ("银奖", "Silver", 2))):
    """Projects named in `table`, each scored by the same judges (one column per judge): a fully crossed
    design, so equal rows give equal estimates. Returns (criteria, tiers, {title: application}, judges)."""
    _setup, criteria, made_tiers = make_judging(fair, tiers=list(tiers))
    projects = {title: make_shortlisted(fair, 1, title=title)[0] for title in table}
    judges = [make_judge(fair) for _ in next(iter(table.values()))]
    for title, cards in table.items():
        for judge, points in zip(judges, cards):
            score(judge, projects[title], criteria, points)
    return criteria, made_tiers, projects, judges


def tiers_by_title(fair) -> dict[str, str | None]:
    return {entry.application.title: entry.tier.name if entry.tier else None
            for entry in awards.results(fair).projects}


def lock(fair, organizer):
    services.lock_judging(fair, organizer)


def test_marks_are_weighted_totals_out_of_100(fair):
    criteria, _tiers, projects, _judges = crossed(fair, {"甲": [[10, 10, 10, 10, 10], [5, 5, 5, 5, 5]],
                                                         "乙": [[10, 0, 0, 0, 0], [0, 0, 0, 10, 0]]})
    entries = {entry.application.title: entry for entry in awards.results(fair).projects}
    assert entries["甲"].raw_mean == pytest.approx(75.0) and entries["甲"].median == pytest.approx(75.0)
    assert entries["甲"].spread == pytest.approx(50.0) and entries["甲"].marks == 2
    assert entries["乙"].raw_mean == pytest.approx((20 + 25) / 2)
    assert entries["乙"].priority == (pytest.approx(50.0),)       # impact: 0 and 10 of 10
    assert entries["甲"].rank == 1 and entries["乙"].rank == 2


def test_unsubmitted_scorecards_do_not_count(fair):
    _setup, criteria, _tiers = make_judging(fair)
    [project] = make_shortlisted(fair, 1)
    make_judge_assignment(make_judge(fair), project, points={criterion: 9 for criterion in criteria})
    [entry] = awards.results(fair).projects
    assert entry.marks == 0 and entry.estimate is None and entry.rank is None and entry.tier is None
    assert entry.uncertain


def test_bias_corrected_ranking_beats_raw_means(fair):
    """24 projects, 8 judges of very different severity and scale, 3 looks each in a connected design."""
    rng = random.Random(20270520)
    _setup, criteria, _tiers = make_judging(fair)
    projects = make_shortlisted(fair, 24)
    judges = [make_judge(fair) for _ in range(8)]
    quality = {project.id: rng.gauss(0, 12) for project in projects}
    offset = [rng.uniform(-20, 20) for _ in judges]
    slope = [rng.uniform(0.6, 1.6) for _ in judges]
    for index, project in enumerate(projects):
        for j in (index % 8, (index + 1) % 8, (index + 3) % 8):
            mark = 55 + offset[j] + slope[j] * quality[project.id] + rng.gauss(0, 3)
            score(judges[j], project, criteria,
                  [min(10, max(0, round(mark / 10 + rng.gauss(0, 0.4)))) for _ in criteria])
    entries = awards.results(fair).projects
    truth = [quality[entry.application.id] for entry in entries]
    model, _p = kendalltau(truth, [entry.estimate for entry in entries])
    raw, _p = kendalltau(truth, [entry.raw_mean for entry in entries])
    assert model > raw + 0.1, (model, raw)
    lenient = max(range(8), key=lambda j: offset[j])
    found = {row.judge.id: row for row in awards.results(fair).judges}
    assert found[judges[lenient].id].effect.offset > 0


def _entry(identifier, estimate, median=50.0, priority=(50.0,), low=None, high=None):
    return ProjectResult(SimpleNamespace(id=identifier), None, None, estimate=estimate, low=low or estimate - 1,
                         high=high or estimate + 1, raw_mean=estimate, marks=3, spread=0.0, median=median,
                         priority=priority)


def test_tie_break_cascade_is_estimate_then_median_then_priority_then_decision():
    gold, silver = SimpleNamespace(id=1, count=1), SimpleNamespace(id=2, count=4)
    entries = [_entry(1, 70.0), _entry(2, 80.0), _entry(3, 70.0, median=60.0), _entry(4, 70.0, priority=(90.0,)),
               _entry(5, 70.0)]
    ties = awards._allocate(None, entries, [gold, silver], {1: gold, 2: silver}, {})
    order = sorted(entries, key=lambda entry: (entry.cascade_key(), entry.application.id))
    assert [entry.application.id for entry in order] == [2, 3, 4, 1, 5]
    assert [entry.tier.id for entry in order] == [1, 2, 2, 2, 2]
    assert ties == []                                    # 1 and 5 are equal but both silver: no cut between them

    silver.count = 3                                     # the cut now falls between 1 and 5
    ties = awards._allocate(None, entries, [gold, silver], {1: gold, 2: silver}, {})
    assert [tie.application_ids for tie in ties] == [(1, 5)] and ties[0].tier_ids == (2, None)
    decided = awards._allocate(None, entries, [gold, silver], {1: gold, 2: silver},
                               {frozenset({1, 5}): ([5, 1], "现场答辩更充分")})
    assert decided[0].decided == "现场答辩更充分"
    assert {entry.application.id: entry.tier and entry.tier.id for entry in entries}[5] == 2
    assert {entry.application.id: entry.tier and entry.tier.id for entry in entries}[1] is None


def test_cascade_is_written_down():
    assert awards.TIE_BREAK == ("estimate", "median", "priority criteria", "organizer decision")
    assert "organizer's decision" in awards.__doc__ and "median" in awards.__doc__


def test_priority_criterion_breaks_an_equal_total(fair):
    # 乙 has 2 more impact points (×25) and 1 social + 2 sustainability fewer (20 + 30): the same total.
    criteria, _tiers, projects, _judges = crossed(fair, {"甲": [[8, 8, 8, 6, 8]] * 3, "乙": [[7, 8, 8, 8, 6]] * 3,
                                                         "丙": [[5] * 5] * 3})
    entries = awards.results(fair).projects
    assert entries[0].estimate == pytest.approx(entries[1].estimate)
    assert [entry.application.title for entry in entries] == ["乙", "甲", "丙"]
    assert tiers_by_title(fair) == {"乙": "金奖", "甲": "银奖", "丙": "银奖"} and not awards.results(fair).ties


@pytest.fixture
def tied(fair):
    """甲 and 乙 with identical scorecards from the same judges, one gold for the two of them."""
    return crossed(fair, {"甲": [8, 9, 7], "乙": [8, 9, 7], "丙": [5, 6, 4], "丁": [3, 3, 2]})


def test_a_tie_at_a_cut_off_blocks_the_freeze_until_an_organizer_decides(fair, organizer, tied):
    _criteria, _tiers, projects, _judges = tied
    current = awards.results(fair)
    [tie] = current.unresolved
    assert set(tie.application_ids) == {projects["甲"].id, projects["乙"].id}
    lock(fair, organizer)
    with pytest.raises(Refused) as refused:
        awards.freeze(fair, actor=organizer)
    assert refused.value.code == "unresolved_ties" and db.session.scalar(sa.select(sa.func.count(Award.id))) == 0

    with pytest.raises(Refused) as refused:
        awards.decide_tie(fair, [projects["乙"].id, projects["甲"].id], reason=" ", actor=organizer)
    assert refused.value.code == "reason_required"
    with pytest.raises(Refused) as refused:
        awards.decide_tie(fair, [projects["乙"].id, projects["丙"].id], reason="理由", actor=organizer)
    assert refused.value.code == "not_a_tie"
    awards.decide_tie(fair, [projects["乙"].id, projects["甲"].id], reason="乙的现场展示更好", actor=organizer)
    assert tiers_by_title(fair) == {"乙": "金奖", "甲": "银奖", "丙": "银奖", "丁": None}
    assert awards.results(fair).unresolved == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == awards.TIE_DECIDED))
    assert event.actor_id == organizer.id and event.after["reason"] == "乙的现场展示更好"

    assert awards.freeze(fair, actor=organizer) == 3
    gold = db.session.scalar(sa.select(Award).join(AwardTier).where(AwardTier.name == "金奖"))
    assert gold.application_id == projects["乙"].id and gold.reason == "乙的现场展示更好"


def test_override_needs_a_reason_and_is_audited(fair, organizer, tied):
    _criteria, made_tiers, projects, _judges = tied
    gold = made_tiers[0]
    with pytest.raises(Refused) as refused:
        awards.override(projects["丁"], gold, reason="", actor=organizer)
    assert refused.value.code == "reason_required" and refused.value.field == "reason"
    awards.override(projects["丁"], gold, reason="评审会复议：服务成效突出", actor=organizer)
    awards.override(projects["甲"], None, reason="申报材料存在问题", actor=organizer)
    # 丁 takes the one gold; 甲 gets no award; 乙 and 丙 share silver; no tie is left at a cut-off.
    assert tiers_by_title(fair) == {"丁": "金奖", "甲": None, "乙": "银奖", "丙": "银奖"}
    assert awards.results(fair).unresolved == []
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == awards.OVERRIDDEN)
                                .order_by(AuditEvent.id)).all()
    assert [(event.object_id, event.after["reason"], event.actor_id) for event in events] == [
        (str(projects["丁"].id), "评审会复议：服务成效突出", organizer.id),
        (str(projects["甲"].id), "申报材料存在问题", organizer.id)]

    awards.clear_override(projects["甲"], actor=organizer)
    assert tiers_by_title(fair) == {"丁": "金奖", "甲": "银奖", "乙": "银奖", "丙": None}
    lock(fair, organizer)
    awards.override(projects["甲"], made_tiers[1], reason="与乙并列，均授银奖", actor=organizer)
    awards.freeze(fair, actor=organizer)
    with pytest.raises(Refused) as refused:
        awards.override(projects["丙"], gold, reason="太迟了", actor=organizer)
    assert refused.value.code == "frozen"
    pinned = db.session.scalar(sa.select(Award).where(Award.application_id == projects["丁"].id))
    assert pinned.tier_id == gold.id and pinned.decided_by_id == organizer.id and pinned.reason


def test_freeze_requires_the_lock(fair, organizer, tied):
    with pytest.raises(Refused) as refused:
        awards.freeze(fair, actor=organizer)
    assert refused.value.code == "not_locked"
    assert db.session.get(JudgingSetup, fair.id).frozen_at is None


def test_freeze_writes_one_award_per_project_with_unguessable_codes(fair, organizer):
    crossed(fair, {"甲": [9, 9], "乙": [7, 7], "丙": [5, 5], "丁": [2, 2]})
    lock(fair, organizer)
    assert awards.freeze(fair, actor=organizer) == 3
    rows = db.session.scalars(sa.select(Award).order_by(Award.rank)).all()
    assert [row.rank for row in rows] == [1, 2, 3] and all(row.estimate for row in rows)
    codes = [row.certificate_code for row in rows]
    assert len(set(codes)) == 3 and all(len(code) == 32 for code in codes)
    assert all(set(code) <= set(string.ascii_letters + string.digits + "-_") for code in codes)   # 192 random bits
    setup = db.session.get(JudgingSetup, fair.id)
    assert setup.frozen_by_id == organizer.id and setup.frozen_at is not None
    with pytest.raises(Refused) as refused:
        awards.freeze(fair, actor=organizer)
    assert refused.value.code == "frozen"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "judging.results.frozen"))
    assert event.after == {"awards": 3, "by_tier": {"金奖": 1, "银奖": 2}}


def test_the_database_keeps_one_award_per_project(fair, organizer):
    _criteria, made_tiers, projects, _judges = crossed(fair, {"甲": [9, 9]})
    for code in ("a" * 32, "b" * 32):
        db.session.add(Award(fair_id=fair.id, application_id=projects["甲"].id, tier_id=made_tiers[0].id,
                             certificate_code=code))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_publish_after_freeze_tells_the_winners_and_shows_their_award(app, fair, organizer):
    _criteria, _tiers, projects, _judges = crossed(fair, {"甲": [9, 9], "乙": [7, 7], "丙": [5, 5], "丁": [2, 2]})
    winner = projects["甲"].organisation
    client = log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=winner))
    loser = log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=projects["丁"].organisation))
    with pytest.raises(Refused) as refused:
        awards.publish(fair, actor=organizer)
    assert refused.value.code == "not_frozen"
    lock(fair, organizer)
    awards.freeze(fair, actor=organizer)

    page = client.get(f"/fairs/{fair.slug}/judging/my-awards").get_data(as_text=True)
    assert "金奖" not in page and "尚未发布" in page
    award = db.session.scalar(sa.select(Award).where(Award.application_id == projects["甲"].id))
    assert client.get(f"/fairs/{fair.slug}/judging/awards/{award.id}/certificate.pdf").status_code == 404

    assert awards.publish(fair, actor=organizer) == 3
    page = client.get(f"/fairs/{fair.slug}/judging/my-awards").get_data(as_text=True)
    assert "甲" in page and "金奖" in page
    assert client.get(f"/fairs/{fair.slug}/judging/awards/{award.id}/certificate.pdf").status_code == 200
    assert loser.get(f"/fairs/{fair.slug}/judging/awards/{award.id}/certificate.pdf").status_code == 404
    assert "未获评审奖项" in loser.get(f"/fairs/{fair.slug}/judging/my-awards").get_data(as_text=True)
    messages = db.session.scalars(sa.select(Message).where(Message.kind == "judging.award")).all()
    assert len(messages) == 3 and any(m.organisation_id == winner.id and "金奖" in m.subject for m in messages)
    with pytest.raises(Refused) as refused:
        awards.publish(fair, actor=organizer)
    assert refused.value.code == "already_published"


def test_scope_per_category_gives_each_category_its_tiers(fair, organizer):
    _setup, criteria, _tiers = make_judging(fair, tiers=[("金奖", "Gold", 1)])
    setup = db.session.get(JudgingSetup, fair.id)
    setup.award_scope = awards.AwardScope.category
    db.session.commit()
    judges = [make_judge(fair) for _ in range(2)]
    titles = {}
    for category, points in ((0, (9, 8)), (1, (4, 3))):
        for offset in (0, 1):
            [project] = make_shortlisted(fair, 1, category=fair.categories[category])
            titles[project.id] = (category, offset)
            for judge in judges:
                score(judge, project, criteria, points[offset])
    won = {titles[entry.application.id] for entry in awards.results(fair).projects if entry.tier}
    assert won == {(0, 0), (1, 0)}
