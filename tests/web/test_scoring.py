"""Tablet scoring: the rules of a save (range, rubric, whose, the lock), replays counted once, version
conflicts, skipping, the organizer's change after the lock, the append-only history; and the judge's pages."""
import uuid

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths.models import Booth
from fair.extensions import db
from fair.refusal import Refused
from fair.times import utcnow
from judging import scoring
from judging.models import JudgeAssignment, Scorecard, ScoreEvent, ScoreLine
from judging.queries import setup_of
from tests.conftest import log_in
from tests.factories import (make_fair, make_judge, make_judge_assignment, make_judging, make_plan, make_shortlisted)


def op() -> str:
    return str(uuid.uuid4())


def events() -> list[ScoreEvent]:
    db.session.rollback()
    return db.session.scalars(sa.select(ScoreEvent).order_by(ScoreEvent.id)).all()


def lines(assignment) -> dict[int, int]:
    db.session.rollback()
    return {line.criterion_id: line.points for line in db.session.scalars(
        sa.select(ScoreLine).join(Scorecard).where(Scorecard.assignment_id == assignment.id))}


@pytest.fixture
def criteria(fair):
    return make_judging(fair)[1]


@pytest.fixture
def judge(fair):
    return make_judge(fair)


@pytest.fixture
def assignment(fair, criteria, judge):
    return make_judge_assignment(judge, make_shortlisted(fair)[0])


def save(assignment, points, comment=None, *, base=0, client_op=None, submit=False, actor=None):
    return scoring.save_scores(assignment, {c.id: v for c, v in points.items()}, comment,
                               actor=actor or assignment.judge.user, client_op=client_op or op(),
                               base_version=base, submit=submit)


def lock(fair):
    setup = setup_of(fair)
    setup.locked_at = utcnow()
    db.session.commit()


def test_a_save_writes_the_points_an_event_and_an_audit_entry(assignment, criteria):
    saved = save(assignment, {criteria[0]: 7, criteria[1]: 10}, "有亮点")
    assert saved.changed and not saved.replayed and saved.state.version == 1
    assert lines(assignment) == {criteria[0].id: 7, criteria[1].id: 10}
    [event] = events()
    assert event.action == "saved" and event.actor_id == assignment.judge.user_id
    assert event.before == {"points": {}, "comment": "", "submitted": False}
    assert event.after == {"points": {str(criteria[0].id): 7, str(criteria[1].id): 10}, "comment": "有亮点",
                           "submitted": False}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "judging.score.saved")) == 1
    again = save(assignment, {criteria[0]: 8}, base=1)      # one tap more: the comment stays
    assert again.state.version == 2 and again.state.points[criteria[1].id] == 10 and again.state.comment == "有亮点"


def test_a_replayed_operation_is_counted_once(assignment, criteria):
    same = op()
    first = save(assignment, {criteria[0]: 6}, client_op=same)
    replay = save(assignment, {criteria[0]: 6}, client_op=same)
    assert replay.replayed and not replay.changed and replay.state == first.state
    assert len(events()) == 1 and lines(assignment) == {criteria[0].id: 6}
    save(assignment, {criteria[0]: 9}, base=1)
    late = save(assignment, {criteria[0]: 6}, client_op=same)   # an old replay never undoes a newer score
    assert late.replayed and lines(assignment) == {criteria[0].id: 9} and len(events()) == 2


def test_a_replay_racing_its_original_is_counted_once(assignment, criteria, monkeypatch):
    """The unique client_op is the real guard: the original commits between the replay's check and its write."""
    save(assignment, {criteria[0]: 5})
    same, real_replay = op(), scoring._replay
    calls = []

    def original_lands_first(card_assignment, client_op):
        calls.append(client_op)
        if len(calls) == 1:
            with db.engine.begin() as connection:
                connection.execute(sa.insert(ScoreEvent).values(
                    scorecard_id=assignment.scorecard.id, action="saved", client_op=client_op, reason="",
                    created_at=utcnow()))
            return None
        return real_replay(card_assignment, client_op)

    monkeypatch.setattr(scoring, "_replay", original_lands_first)
    result = save(assignment, {criteria[0]: 8}, base=1, client_op=same)
    assert result.replayed and lines(assignment) == {criteria[0].id: 5}
    assert [event.client_op for event in events()].count(same) == 1


@pytest.mark.parametrize("points, code", [(11, "out_of_range"), (-1, "out_of_range"), ("7", "out_of_range"),
                                          (True, "out_of_range")])
def test_points_out_of_range_are_refused(assignment, criteria, points, code):
    with pytest.raises(Refused) as refused:
        save(assignment, {criteria[2]: points})
    assert refused.value.code == code and refused.value.field == f"c{criteria[2].id}"
    assert events() == [] and db.session.scalar(sa.select(sa.func.count(Scorecard.id))) == 0


def test_a_criterion_not_in_this_fairs_rubric_is_refused(assignment, organizer):
    other = make_fair(organizer)
    foreign = make_judging(other)[1][0]
    for criterion_id in (foreign.id, 999_999):
        with pytest.raises(Refused) as refused:
            scoring.save_scores(assignment, {criterion_id: 5}, None, actor=assignment.judge.user, client_op=op(),
                                base_version=0)
        assert refused.value.code == "unknown_criterion"
    assert events() == []


def test_another_judges_assignment_is_refused(fair, assignment, criteria):
    other = make_judge(fair)
    with pytest.raises(Refused) as refused:
        save(assignment, {criteria[0]: 5}, actor=other.user)
    assert refused.value.code == "not_yours" and events() == []


def test_after_the_lock_a_judge_cannot_save_but_a_replay_is_still_a_no_op(fair, assignment, criteria):
    before_lock = op()
    save(assignment, {criteria[0]: 4}, client_op=before_lock)
    lock(fair)
    with pytest.raises(Refused) as refused:
        save(assignment, {criteria[0]: 9}, base=1)
    assert refused.value.code == "locked"
    assert save(assignment, {criteria[0]: 4}, client_op=before_lock).replayed
    assert lines(assignment) == {criteria[0].id: 4} and len(events()) == 1


def test_before_judging_opens_nothing_is_saved(fair, assignment, criteria):
    setup_of(fair).opened_at = None
    db.session.commit()
    with pytest.raises(Refused) as refused:
        save(assignment, {criteria[0]: 4})
    assert refused.value.code == "not_open"


def test_a_stale_version_with_other_values_conflicts_with_the_stored_ones(assignment, criteria):
    save(assignment, {criteria[0]: 4})                            # device A
    save(assignment, {criteria[0]: 6}, base=1)                    # device A again: version 2
    with pytest.raises(scoring.Conflict) as conflict:             # device B still on version 1
        save(assignment, {criteria[0]: 8}, base=1)
    assert conflict.value.code == "conflict"
    assert conflict.value.current.points == {criteria[0].id: 6} and conflict.value.current.version == 2
    same = save(assignment, {criteria[0]: 6}, base=1)             # B asks for what is stored: a no-op
    assert not same.changed and same.state.version == 2
    assert lines(assignment) == {criteria[0].id: 6} and len(events()) == 2


def test_submit_needs_every_criterion_and_the_card_stays_editable(assignment, criteria):
    with pytest.raises(Refused) as refused:
        save(assignment, {criteria[0]: 5}, submit=True)
    assert refused.value.code == "incomplete" and events() == []
    saved = save(assignment, {criterion: 7 for criterion in criteria}, "好", submit=True)
    assert saved.state.submitted and events()[-1].action == "submitted"
    edited = save(assignment, {criteria[0]: 3}, base=saved.state.version)     # a mis-tap fixed before the lock
    assert edited.state.submitted and edited.state.points[criteria[0].id] == 3 and events()[-1].action == "saved"


def test_events_are_append_only_and_chain(assignment, criteria):
    version = 0
    for points in (2, 5, 9):
        version = save(assignment, {criteria[0]: points}, base=version).state.version
    chain = events()
    assert [event.after["points"][str(criteria[0].id)] for event in chain] == [2, 5, 9]
    assert all(earlier.after == later.before for earlier, later in zip(chain, chain[1:]))
    assert len({event.client_op for event in chain}) == 3


def test_skip_needs_a_reason_and_blocks_scoring(fair, assignment, criteria):
    with pytest.raises(Refused) as refused:
        scoring.skip(assignment, "  ", actor=assignment.judge.user)
    assert refused.value.code == "reason_required" and refused.value.field == "reason"
    scoring.skip(assignment, "团队不在展位", actor=assignment.judge.user)
    db.session.rollback()
    stored = db.session.get(JudgeAssignment, assignment.id)
    assert stored.skipped_at is not None and stored.skip_reason == "团队不在展位"
    assert db.session.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "judging.assignment.skipped")) \
        == {"skip_reason": "团队不在展位"}
    with pytest.raises(Refused) as refused:
        save(stored, {criteria[0]: 5})
    assert refused.value.code == "skipped"
    assert scoring.progress(scoring.walk(stored.judge)) == (0, 0)


def test_a_submitted_project_cannot_be_skipped(assignment, criteria):
    save(assignment, {criterion: 5 for criterion in criteria}, submit=True)
    with pytest.raises(Refused) as refused:
        scoring.skip(assignment, "利益冲突", actor=assignment.judge.user)
    assert refused.value.code == "already_scored"


def test_after_the_lock_only_an_organizer_changes_a_score_with_a_reason(fair, organizer, assignment, criteria):
    save(assignment, {criterion: 5 for criterion in criteria}, submit=True)
    with pytest.raises(Refused) as refused:
        scoring.organizer_change(assignment, {criteria[0].id: 8}, "复核", actor=organizer, base_version=1)
    assert refused.value.code == "not_locked"
    lock(fair)
    with pytest.raises(Refused) as refused:
        scoring.organizer_change(assignment, {criteria[0].id: 8}, " ", actor=organizer, base_version=1)
    assert refused.value.code == "reason_required"
    with pytest.raises(Refused) as refused:
        scoring.organizer_change(assignment, {criteria[0].id: 8}, "复核", actor=assignment.judge.user, base_version=1)
    assert refused.value.code == "not_organizer"
    changed = scoring.organizer_change(assignment, {criteria[0].id: 8}, "评委报告误触，现场复核", actor=organizer,
                                       base_version=1)
    assert changed.state.points[criteria[0].id] == 8 and changed.state.submitted
    event = events()[-1]
    assert (event.action, event.actor_id, event.reason) == ("organizer_changed", organizer.id, "评委报告误触，现场复核")
    assert event.before["points"][str(criteria[0].id)] == 5 and event.after["points"][str(criteria[0].id)] == 8
    setup_of(fair).frozen_at = utcnow()
    db.session.commit()
    with pytest.raises(Refused) as refused:
        scoring.organizer_change(assignment, {criteria[0].id: 9}, "再改", actor=organizer, base_version=2)
    assert refused.value.code == "frozen"


# The judge's pages

@pytest.fixture
def walk(fair, criteria, judge):
    """Three projects on booths A-01, A-02, A-03 (walk_order 1, 0, 0): the walk is A-02, A-03, A-01."""
    from fair.booths import placing
    _hall, _zones, booths = make_plan(fair, rows=1, per_row=3)
    projects = make_shortlisted(fair, 3, category=fair.categories[0])
    for booth, project in zip(booths, projects):
        placing.assign(booth, project, actor=None, version=None)
    return [make_judge_assignment(judge, project, walk_order=order) for project, order in zip(projects, (1, 0, 0))]


@pytest.fixture
def judge_client(app, judge):
    return log_in(app.test_client(), judge.user)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_list_is_in_walking_order_with_progress(fair, walk, judge_client, criteria):
    save(walk[2], {criterion: 5 for criterion in criteria}, submit=True)
    html = page(judge_client, f"/fairs/{fair.slug}/judging/my")
    booths = [html.index(f'"walk-booth">{code}') for code in ("A-02", "A-03", "A-01")]
    assert booths == sorted(booths)
    assert "已完成 1 / 3" in html and "我的评审" in html and "bootstrap" not in html
    assert f'/judging/score/{walk[1].id}"' in html


def test_the_score_page_has_a_button_per_point_and_the_next_project(fair, walk, judge_client, criteria):
    html = page(judge_client, f"/fairs/{fair.slug}/judging/score/{walk[1].id}")
    for criterion in criteria:
        assert all(f'id="c{criterion.id}-{points}"' in html for points in range(criterion.max_points + 1))
    assert 'data-version="0"' in html and f"/api/v1/judging/assignments/{walk[1].id}/scores" in html
    assert f'rel="next" href="/fairs/{fair.slug}/judging/score/{walk[2].id}"' in html


def test_another_judges_project_is_refused(fair, walk, app):
    other = make_judge(fair)
    client = log_in(app.test_client(), other.user)
    assert "不在您的评审名单中" in page(client, f"/fairs/{fair.slug}/judging/score/{walk[0].id}", 403)


def test_the_form_without_script_saves_submits_and_counts_a_double_post_once(fair, walk, judge_client, criteria):
    url = f"/fairs/{fair.slug}/judging/score/{walk[1].id}"
    form = {f"c{criterion.id}": "6" for criterion in criteria} | {
        "comment": "讲解清楚", "client_op": op(), "base_version": "0", "action": "submit"}
    response = judge_client.post(url, data=form)
    assert response.status_code == 302 and response.location.endswith(f"/judging/score/{walk[2].id}")
    assert judge_client.post(url, data=form).status_code == 302          # the same post again: a replay
    assert len(events()) == 1 and set(lines(walk[1]).values()) == {6}
    stale = form | {"client_op": op(), f"c{criteria[0].id}": "2", "action": "save"}
    html = judge_client.post(url, data=stale)
    assert html.status_code == 409 and "另一台设备上修改过" in html.get_data(as_text=True)
    assert 'name="base_version" type="hidden" value="1"' in html.get_data(as_text=True)   # posting again keeps mine


def test_a_form_with_a_score_out_of_range_shows_the_error_and_saves_nothing(fair, walk, judge_client, criteria):
    url = f"/fairs/{fair.slug}/judging/score/{walk[1].id}"
    response = judge_client.post(url, data={f"c{criteria[0].id}": "12", "client_op": op(), "base_version": "0",
                                            "action": "save"})
    assert response.status_code == 400 and events() == []


def test_the_booth_code_opens_the_judges_project(fair, walk, judge_client):
    response = judge_client.get(f"/fairs/{fair.slug}/judging/booth/a-03")
    assert response.status_code == 302 and response.location.endswith(f"/judging/score/{walk[2].id}")
    assert judge_client.get(f"/fairs/{fair.slug}/judging/booth", query_string={"code": " a-01 "}).location \
        .endswith("/judging/booth/A-01")
    assert "B-01 目前没有项目" in page(judge_client, f"/fairs/{fair.slug}/judging/booth/B-01", 404)
    from fair.booths import placing
    elsewhere = db.session.scalar(sa.select(Booth).where(Booth.code == "B-01"))
    placing.assign(elsewhere, make_shortlisted(fair, category=fair.categories[1])[0], actor=None, version=None)
    assert "不在您的评审名单中" in page(judge_client, f"/fairs/{fair.slug}/judging/booth/B-01", 404)
    assert "没有展位号为 Z-99 的展位" in page(judge_client, f"/fairs/{fair.slug}/judging/booth/Z-99", 404)


def test_skipping_from_the_page_moves_on(fair, walk, judge_client):
    response = judge_client.post(f"/fairs/{fair.slug}/judging/score/{walk[1].id}/skip",
                                 data={"why": "absent", "detail": "10:30 来过一次"})
    assert response.status_code == 302 and response.location.endswith(f"/judging/score/{walk[2].id}")
    db.session.rollback()
    assert db.session.get(JudgeAssignment, walk[1].id).skip_reason == "团队不在展位：10:30 来过一次"
    assert "已跳过" in page(judge_client, f"/fairs/{fair.slug}/judging/my")


def test_the_organizer_changes_a_score_after_the_lock_on_the_page(fair, walk, client_as, criteria):
    save(walk[0], {criterion: 5 for criterion in criteria}, submit=True)
    lock(fair)
    organizer = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/judging/scorecards/{walk[0].id}/change"
    assert "修改原因" in page(organizer, url)
    form = {f"c{criterion.id}": "5" for criterion in criteria} | {f"c{criteria[0].id}": "9", "base_version": "1"}
    assert organizer.post(url, data=form | {"reason": ""}).status_code == 400
    assert organizer.post(url, data=form | {"reason": "纸质评分表核对"}).status_code == 302
    assert events()[-1].reason == "纸质评分表核对" and lines(walk[0])[criteria[0].id] == 9
    assert "纸质评分表核对" in page(organizer, url)

