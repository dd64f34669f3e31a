"""Assigning judges from the database: every exhibited project gets k distinct judges, never a conflicted
one, loads balanced; locked and scored pairs survive a re-run; a removed judge hands over only what they
have not scored; an impossible plan is told in numbers with nothing written; changes by hand refuse
conflicts and duplicates; one more judge; dispatch to a doubtful project; the page for organizers only,
audited, its queries bounded."""
from collections import Counter

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import placing
from fair.extensions import db
from fair.refusal import Refused
from judging import assigning, ranking
from judging.models import AssignmentSource, AwardTier, ConflictDeclaration, DeclarationKind, JudgeAssignment
from judging.queries import setup_of
from tests.conftest import count_queries, queries_for
from tests.factories import make_judge, make_judging, make_organisation, make_plan, make_shortlisted

K = 3


def pairs(fair) -> list[JudgeAssignment]:
    db.session.expire_all()
    return db.session.scalars(sa.select(JudgeAssignment).where(JudgeAssignment.fair_id == fair.id)
                              .order_by(JudgeAssignment.id)).all()


def keys(fair) -> set[tuple[int, int]]:
    return {(pair.application_id, pair.judge_id) for pair in pairs(fair) if pair.skipped_at is None}


def exhibit(fair, organizer, per_zone: int = 8, employer=None):
    """make_plan's three zones, `per_zone` shortlisted projects of each zone's category placed on its
    booths; the first project belongs to `employer` when given."""
    _hall, zones, booths = make_plan(fair, actor=organizer)
    projects = []
    for index, zone in enumerate(zones):
        category = fair.categories[index]
        made = make_shortlisted(fair, per_zone, category=category)
        zone_booths = [booth for booth in booths if booth.zone_id == zone.id]
        for application, booth in zip(made, zone_booths):
            placing.assign(booth, application, actor=organizer, version=None)
        projects += made
    if employer is not None:
        projects[0].organisation_id = employer.id
        db.session.commit()
    return zones, projects


@pytest.fixture
def judged(fair, organizer):
    """24 placed projects, six judges (the first employed by the first project's organisation), judging set up."""
    _setup, criteria, _tiers = make_judging(fair)
    employer = make_organisation()
    zones, projects = exhibit(fair, organizer, employer=employer)
    judges = [make_judge(fair, employer=employer if index == 0 else None,
                         expertise=[fair.categories[index % 3]]) for index in range(6)]
    return projects, judges, criteria


def test_a_run_gives_every_project_k_distinct_judges_without_conflicts_and_balanced_loads(fair, organizer, judged):
    projects, judges, _criteria = judged
    result = assigning.run_assignment(fair, actor=organizer)
    made = pairs(fair)
    per_project = Counter(pair.application_id for pair in made)
    assert per_project == {project.id: K for project in projects}
    assert len({(pair.application_id, pair.judge_id) for pair in made}) == len(made)
    assert (projects[0].id, judges[0].id) not in keys(fair)              # the employer's project
    assert not keys(fair) & assigning.conflicts_of(fair)
    loads = Counter(pair.judge_id for pair in made)
    assert max(loads.values()) - min(loads.values()) <= 1 and sum(loads.values()) == 24 * K
    assert {pair.source for pair in made} == {AssignmentSource.solver}
    assert (result.added, result.dropped, result.loads) == (72, 0, (12, 12))
    for judge in judges:                                                  # a walk numbered 1 … n
        assert sorted(pair.walk_order for pair in made if pair.judge_id == judge.id) == list(range(1, 13))
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "judging.assignment.run")).all()
    assert event.after["added"] == 72 and event.after["conflicts_excluded"] == 1
    assert event.after["connected"] is True
    assert assigning.board(fair).connected


def test_locked_and_scored_pairs_survive_a_rerun(fair, organizer, judged):
    projects, judges, criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    first, second = pairs(fair)[:2]
    assigning.lock_pair(first, actor=organizer)
    make_scorecard(second, criteria)
    make_judge(fair)                                                      # a seventh judge joins: loads move
    assigning.run_assignment(fair, actor=organizer)
    now = {(pair.application_id, pair.judge_id): pair for pair in pairs(fair)}
    assert (first.application_id, first.judge_id) in now and now[first.application_id, first.judge_id].locked
    assert (second.application_id, second.judge_id) in now
    loads = Counter(pair.judge_id for pair in now.values())
    assert len(loads) == 7 and max(loads.values()) - min(loads.values()) <= 1
    assert Counter(pair.application_id for pair in now.values()) == {project.id: K for project in projects}


def make_scorecard(pair, criteria, points: int = 6, submitted: bool = True):
    from judging.models import Scorecard, ScoreLine
    from fair.times import utcnow

    pair = db.session.get(JudgeAssignment, pair.id)
    pair.scorecard = Scorecard(lines=[ScoreLine(criterion_id=criterion.id, points=points) for criterion in criteria],
                               submitted_at=utcnow() if submitted else None)
    db.session.commit()
    return pair


def test_a_removed_judge_hands_over_only_unscored_pairs(fair, organizer, judged):
    projects, judges, criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    leaving = judges[1]
    theirs = [pair for pair in pairs(fair) if pair.judge_id == leaving.id]
    scored = make_scorecard(theirs[0], criteria)
    leaving.active = False
    db.session.commit()
    assigning.run_assignment(fair, actor=organizer)
    left = [pair for pair in pairs(fair) if pair.judge_id == leaving.id]
    assert [pair.id for pair in left] == [scored.id]
    assert Counter(pair.application_id for pair in pairs(fair)) == {project.id: K for project in projects}
    loads = Counter(pair.judge_id for pair in pairs(fair) if pair.judge_id != leaving.id)
    assert max(loads.values()) - min(loads.values()) <= 1


def test_an_impossible_plan_is_told_in_numbers_and_writes_nothing(fair, organizer, judged):
    projects, judges, _criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    before = keys(fair)
    for judge in judges[2:]:
        judge.active = False                           # two judges left, one of them conflicted: k=3 impossible
    db.session.commit()
    with pytest.raises(assigning.AssignmentInfeasible) as refused:
        assigning.run_assignment(fair, actor=organizer)
    assert refused.value.code == "infeasible"
    assert f"“{projects[0].title}”还需 3 位评委，但只有 1 位可选（1 位有利益冲突，0 位限定在其他展区）。" \
        in refused.value.reasons
    assert any("另有 4 个项目同样缺少评委。" == reason for reason in refused.value.reasons)
    assert keys(fair) == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "judging.assignment.run")) == 1


def test_judges_limited_to_a_zone_stay_there(fair, organizer, judged):
    projects, judges, _criteria = judged
    zone_id = placing_zone(projects[-1])
    judges[5].zone_ids = [zone_id]
    db.session.commit()
    assigning.run_assignment(fair, actor=organizer)
    board = assigning.board(fair)
    assert {board.booths[pair.application_id].zone_id for pair in pairs(fair) if pair.judge_id == judges[5].id} \
        == {zone_id}


def placing_zone(application) -> int:
    from judging.queries import booths_by_application

    return booths_by_application(application.fair)[application.id].zone_id


def test_reassign_by_hand_refuses_a_conflict_and_a_duplicate_and_locks_the_pair(fair, organizer, judged):
    projects, judges, criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    on_first = [pair for pair in pairs(fair) if pair.application_id == projects[0].id]
    with pytest.raises(Refused) as refused:
        assigning.reassign(on_first[0], judges[0], actor=organizer)     # employed by the project's organisation
    assert refused.value.code == "conflict"
    with pytest.raises(Refused) as refused:
        assigning.reassign(on_first[0], db.session.get(type(judges[0]), on_first[1].judge_id), actor=organizer)
    assert refused.value.code == "duplicate"
    free = next(judge for judge in judges[1:] if judge.id not in {pair.judge_id for pair in on_first})
    was = on_first[0].judge_id
    moved = assigning.reassign(on_first[0], free, actor=organizer)
    assert (moved.judge_id, moved.source, moved.locked) == (free.id, AssignmentSource.manual, True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "judging.assignment.reassigned"))
    assert event.before["judge_id"] == was and event.after["judge_id"] == free.id
    scored = make_scorecard(on_first[1], criteria)
    with pytest.raises(Refused) as refused:
        assigning.reassign(scored, judges[3], actor=organizer)
    assert refused.value.code == "scored"


def test_a_declared_conflict_counts_too(fair, organizer, judged):
    projects, judges, _criteria = judged
    db.session.add(ConflictDeclaration(judge_id=judges[2].id, application_id=projects[5].id,
                                       kind=DeclarationKind.declared, reason="曾担任该项目顾问"))
    db.session.commit()
    assigning.run_assignment(fair, actor=organizer)
    assert (projects[5].id, judges[2].id) not in keys(fair)


def test_one_more_judge_goes_to_the_least_loaded_eligible_judge(fair, organizer, judged):
    projects, judges, _criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    target = projects[0]
    on_it = {pair.judge_id for pair in pairs(fair) if pair.application_id == target.id}
    extra = assigning.request_extra_judge(target, actor=organizer)
    assert extra.source == AssignmentSource.extra
    assert extra.judge_id not in on_it | {judges[0].id}
    assert Counter(pair.application_id for pair in pairs(fair))[target.id] == K + 1
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(extra.id))) \
        == "judging.assignment.extra_requested"
    assigning.run_assignment(fair, actor=organizer)                       # a re-run leaves the extra look alone
    assert Counter(pair.application_id for pair in pairs(fair))[target.id] == K + 1
    assigning.request_extra_judge(target, actor=organizer)
    with pytest.raises(Refused) as refused:                               # five on it, one conflicted: none left
        assigning.request_extra_judge(target, actor=organizer)
    assert refused.value.code == "no_judge_left"


def test_a_skipped_project_is_offered_to_another_judge(fair, organizer, judged):
    from fair.times import utcnow

    projects, judges, _criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    skipped = pairs(fair)[0]
    skipped.skipped_at, skipped.skip_reason = utcnow(), "团队不在展位"
    db.session.commit()
    [offered] = assigning.reoffer_skipped(fair, actor=organizer)
    assert offered.application_id == skipped.application_id and offered.judge_id != skipped.judge_id
    assert assigning.reoffer_skipped(fair, actor=organizer) == []         # it has its k judges again
    assigning.run_assignment(fair, actor=organizer)                       # the skip stays on record, not re-given
    mine = [pair for pair in pairs(fair) if pair.application_id == skipped.application_id]
    assert len(mine) == K + 1 and sum(pair.skipped_at is not None for pair in mine) == 1


def test_dispatch_waits_for_the_first_looks_then_sends_a_free_judge_to_a_doubtful_project(fair, organizer, judged):
    projects, judges, criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    with pytest.raises(Refused) as refused:
        assigning.next_for(judges[1], actor=organizer)
    assert refused.value.code == "first_looks_open"
    for number, pair in enumerate(pairs(fair)):                          # quality 1 … 8, judges disagree by ±1
        quality = 1 + projects.index(next(p for p in projects if p.id == pair.application_id)) % 8
        make_scorecard(pair, criteria, points=quality + number % 3 - 1)
    db.session.execute(sa.update(AwardTier).values(count=2))            # cut-offs 2, 4, 6, 8 of 24
    db.session.commit()
    pair = assigning.next_for(judges[1], actor=organizer)
    assert pair.source == AssignmentSource.dispatch and pair.judge_id == judges[1].id
    assert (pair.application_id, judges[1].id) not in assigning.conflicts_of(fair)
    ranked = ranking.rank(assigning.marks_of(fair), [project.id for project in projects])
    doubts = ranking.doubt(ranked, assigning.cutoffs_of(fair, setup_of(fair)))
    open_to_them = [project.id for project in projects if (project.id, judges[1].id) not in keys(fair) - {
        (pair.application_id, pair.judge_id)}]
    assert doubts[pair.application_id] > 0.1
    assert doubts[pair.application_id] * 2 >= max(doubts[project] for project in open_to_them)  # walk ≤ 60 m
    with pytest.raises(Refused) as refused:                               # busy until they score it
        assigning.next_for(judges[1], actor=organizer)
    assert refused.value.code == "judge_busy"
    round_two = assigning.dispatch_round(fair, actor=organizer, per_judge=1)
    assert len(round_two) == 5 and judges[1].id not in {p.judge_id for p in round_two}
    assert len({p.application_id for p in round_two} | {pair.application_id}) == 6   # never two at once
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "judging.assignment.dispatched")) == 6


def test_weighted_total_is_on_a_hundred(fair, judged):
    _projects, _judges, criteria = judged
    assert assigning.weighted_total({criterion.id: criterion.max_points for criterion in criteria}, criteria) == 100
    assert assigning.weighted_total({}, criteria) == 0
    assert assigning.weighted_total({criteria[3].id: 5}, criteria) == pytest.approx(12.5)   # weight 25, half


# --- the page --------------------------------------------------------------------------------------------

def url(fair, name: str = "assignment") -> str:
    return f"/fairs/{fair.slug}/judging/{name}"


def test_the_page_runs_the_assignment_and_shows_the_result(fair, client_as, judged):
    organizer = client_as(Role.organizer)
    page = organizer.get(url(fair)).get_data(as_text=True)
    assert "运行自动分配" in page
    response = organizer.post(url(fair), data={"action": "run"})
    assert response.status_code == 302
    page = organizer.get(url(fair)).get_data(as_text=True)
    assert "已为 24 个项目分配评委" in page and "12 – 12" in page and "0 / 12" in page


def test_an_impossible_run_comes_back_with_the_numbers(fair, client_as, judged):
    _projects, judges, _criteria = judged
    for judge in judges[2:]:
        judge.active = False
    db.session.commit()
    response = client_as(Role.organizer).post(url(fair), data={"action": "run"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "没有能满足全部硬性条件的评委分配方案" in page and "1 位有利益冲突" in page
    assert keys(fair) == set()


def test_the_judge_page_locks_and_reassigns_and_refuses_a_conflict_next_to_the_field(fair, organizer, client_as,
                                                                                     judged):
    projects, judges, _criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    client = client_as(Role.organizer)
    pair = next(p for p in pairs(fair) if p.application_id == projects[0].id)
    page_url = f"{url(fair)}/judges/{pair.judge_id}"
    assert client.post(page_url, data={"action": "lock", "assignment_id": pair.id}).status_code == 302
    assert db.session.get(JudgeAssignment, pair.id).locked
    response = client.post(page_url, data={"action": "reassign", "assignment_id": pair.id, "judge_id": judges[0].id})
    assert response.status_code == 409
    assert "存在利益冲突" in response.get_data(as_text=True)
    assert db.session.get(JudgeAssignment, pair.id).judge_id == pair.judge_id


def test_one_more_judge_by_booth_code_from_the_page(fair, client_as, organizer, judged):
    projects, _judges, _criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    client = client_as(Role.organizer)
    response = client.post(url(fair), data={"action": "extra", "booth": "a-01"})
    assert response.status_code == 302
    assert Counter(pair.application_id for pair in pairs(fair))[projects[0].id] == K + 1
    response = client.post(url(fair), data={"action": "extra", "booth": "Z-99"})
    assert response.status_code == 409 and "没有编号为 Z-99 的展位" in response.get_data(as_text=True)


def test_only_organizers_see_the_assignment(fair, client_as, judged):
    assert client_as(Role.judge).get(url(fair)).status_code == 403
    assert client_as(Role.judge).post(url(fair), data={"action": "run"}).status_code == 403
    assert keys(fair) == set()


def test_the_page_runs_a_bounded_number_of_queries(fair, organizer, client_as):
    make_judging(fair)
    exhibit(fair, organizer, per_zone=3)
    for _ in range(3):
        make_judge(fair)
    assigning.run_assignment(fair, actor=organizer)
    client = client_as(Role.organizer)
    judge_id = pairs(fair)[0].judge_id
    small = (queries_for(client, url(fair)), queries_for(client, f"{url(fair)}/judges/{judge_id}"))
    exhibit_more(fair, organizer)
    for _ in range(4):
        make_judge(fair)
    assigning.run_assignment(fair, actor=organizer)
    large = (queries_for(client, url(fair)), queries_for(client, f"{url(fair)}/judges/{judge_id}"))
    assert small == large


def exhibit_more(fair, organizer):
    """Six more projects on the free booths of the plan."""
    from fair.booths.models import Booth

    free = db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id, Booth.application_id.is_(None))
                              .order_by(Booth.code)).all()
    for booth in free[:6]:
        [application] = make_shortlisted(fair, 1, category=booth.zone.categories[0])
        placing.assign(booth, application, actor=organizer, version=None)


def test_run_queries_do_not_grow_with_the_fair(fair, organizer):
    make_judging(fair)
    exhibit(fair, organizer, per_zone=3)
    for _ in range(3):
        make_judge(fair)
    with count_queries() as small:
        assigning.run_assignment(fair, actor=organizer)
    exhibit_more(fair, organizer)
    make_judge(fair)
    with count_queries() as large:
        assigning.run_assignment(fair, actor=organizer)
    assert reads(small) == reads(large)


def reads(statements: list[str]) -> int:
    """The statements that are not writes (how many rows a run writes grows with the fair, by design)."""
    return sum(not s.lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE")) for s in statements)


def test_dispatch_from_the_page_says_when_the_first_looks_are_not_done(fair, organizer, client_as, judged):
    assigning.run_assignment(fair, actor=organizer)
    response = client_as(Role.organizer).post(url(fair), data={"action": "dispatch", "per_judge": "2"})
    assert response.status_code == 409
    assert "首轮评审尚未完成（已完成 0 / 72）" in response.get_data(as_text=True)
    response = client_as(Role.organizer).post(url(fair), data={"action": "dispatch", "per_judge": "99"})
    assert response.status_code == 400 and "请填写 1–10 之间的整数。" in response.get_data(as_text=True)


def test_nothing_changes_once_judging_is_locked(fair, organizer, judged):
    from fair.times import utcnow

    projects, _judges, _criteria = judged
    assigning.run_assignment(fair, actor=organizer)
    setup_of(fair).locked_at = utcnow()
    db.session.commit()
    for change in (lambda: assigning.run_assignment(fair, actor=organizer),
                   lambda: assigning.request_extra_judge(projects[1], actor=organizer),
                   lambda: assigning.lock_pair(pairs(fair)[0], actor=organizer)):
        with pytest.raises(Refused) as refused:
            change()
        assert refused.value.code == "judging_locked"
