"""Screening: the rubric and its freeze, assigning reviewers, the reviewer's queue and scoring, the
organizer's progress, reminders, disagreement and duplicates."""
import re
from collections import Counter

import pytest
import sqlalchemy as sa

from fair.applications.models import Application, ApplicationStatus, DuplicateCandidate, ReviewAssignment
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs import services as fairs
from fair.fairs.models import Phase
from fair.messages.models import Message
from fair.refusal import Refused
from fair.screening import services
from tests.conftest import RequestInItsOwnContext, log_in, queries_for, test_config
from tests.factories import make_application, make_member, make_organisation


def to_phase(fair, phase: Phase, organizer):
    """Walk the fair one phase at a time, as an organizer must."""
    while fair.phase != phase:
        step = fair.phase.neighbours()[-1] if fair.phase.position < phase.position else fair.phase.neighbours()[0]
        fairs.move_phase(fair, step, actor=organizer)
    return fair


@pytest.fixture
def screening(fair, organizer):
    """The fair in its screening phase with the default rubric."""
    to_phase(fair, Phase.screening, organizer)
    services.set_rubric(fair, [services.CriterionDetails(*line) for line in services.DEFAULT_RUBRIC], actor=organizer)
    return fair


def url(fair, path: str = "") -> str:
    return f"/fairs/{fair.slug}/screening{path}"


def assignments_of(fair) -> list[ReviewAssignment]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ReviewAssignment).join(Application).where(Application.fair_id == fair.id)
                                   .order_by(ReviewAssignment.id)))


def assign_one(application, reviewer) -> ReviewAssignment:
    """A single assignment, as the engine would make it (test data, not an organizer's action)."""
    assignment = ReviewAssignment(application=application, reviewer=reviewer)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def full_points(fair, value: int = 7) -> dict[int, int]:
    return {criterion.id: value for criterion in services.rubric(fair)}


def actions(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


# The rubric and settings

def test_the_default_rubric_is_offered_and_saved(client_as, fair):
    client = client_as(Role.organizer)
    page = client.get(url(fair, "/settings")).get_data(as_text=True)
    assert "社会需求与对象精准度" in page and "尚未保存评分标准" in page
    form = {"criteria-0-name": "社会需求", "criteria-0-name_en": "Need", "criteria-0-weight": "40",
            "criteria-1-name": "创新性", "criteria-1-weight": "60", "criteria-2-name": "  "}
    assert client.post(url(fair, "/settings/rubric"), data=form).status_code == 302
    criteria = services.rubric(fair)
    assert [(c.name, c.name_en, c.weight) for c in criteria] == [("社会需求", "Need", 40), ("创新性", "", 60)]
    assert actions("screening.rubric.updated") == 1


@pytest.mark.parametrize("lines,code", [
    ([], "no_criteria"),
    ([("需求", "", 30), ("需求", "", 20)], "duplicate_criterion"),
    ([("需求", "", 0)], "bad_weight"),
    ([("需求", "", 101)], "bad_weight"),
    ([("", "", 10)], "required"),
])
def test_rubric_rules(fair, organizer, lines, code):
    with pytest.raises(Refused) as refused:
        services.set_rubric(fair, [services.CriterionDetails(*line) for line in lines], actor=organizer)
    assert refused.value.code == code


def test_the_rubric_freezes_at_the_first_score(client_as, screening, organizer):
    reviewer = make_member(screening, Role.reviewer)
    assignment = assign_one(make_application(screening), reviewer)
    services.set_rubric(screening, [services.CriterionDetails("需求", "Need", 50), services.CriterionDetails(
        "成效", "Impact", 50)], actor=organizer)               # still editable: nothing scored yet
    first = services.rubric(screening)[0]
    services.save_review(assignment, points={first.id: 6}, actor=reviewer)
    with pytest.raises(Refused) as refused:
        services.set_rubric(screening, [services.CriterionDetails("需求", "", 10)], actor=organizer)
    assert refused.value.code == "rubric_frozen"
    client = client_as(Role.organizer)
    page = client.get(url(screening, "/settings")).get_data(as_text=True)
    assert "评分标准已锁定" in page and 'name="criteria-0-name"' not in page
    response = client.post(url(screening, "/settings/rubric"), data={"criteria-0-name": "别的", "criteria-0-weight": "5"})
    assert response.status_code == 400 and "评分标准已锁定" in response.get_data(as_text=True)
    assert [c.name for c in services.rubric(screening)] == ["需求", "成效"]


def test_settings(client_as, fair):
    client = client_as(Role.organizer)
    assert client.post(url(fair, "/settings/options"),
                       data={"reviewers_per_application": "3", "blind_screening": "y"}).status_code == 302
    db.session.refresh(fair)
    assert fair.reviewers_per_application == 3 and fair.blind_screening
    refused = client.post(url(fair, "/settings/options"), data={"reviewers_per_application": "0"})
    assert refused.status_code == 400
    assert 'value="社会需求与对象精准度"' in refused.get_data(as_text=True)       # the other form as it was
    db.session.refresh(fair)
    assert fair.reviewers_per_application == 3
    assert actions("screening.settings.updated") == 1
    twice = client.post(url(fair, "/settings/rubric"), data={"criteria-0-name": "需求", "criteria-0-weight": "1",
                                                             "criteria-1-name": "需求", "criteria-1-weight": "1"})
    page = twice.get_data(as_text=True)
    assert twice.status_code == 400 and "评分项名称不能重复" in page
    assert re.search(r'id="reviewers_per_application"[^>]*value="3"', page) and 'value="需求"' in page


def test_only_organizers_manage_screening(client_as, fair):
    reviewer = client_as(Role.reviewer)
    assert reviewer.get("/fairs/no-such-fair/screening/queue").status_code == 404
    for path in ("", "/settings", "/results", "/duplicates"):
        assert reviewer.get(url(fair, path)).status_code == 403
    assert reviewer.post(url(fair, "/assign")).status_code == 403


# Assignment

def test_assignment_respects_conflicts_and_balances_loads(client_as, screening):
    own_organisation = make_organisation()
    insider = make_member(screening, Role.reviewer, organisation=own_organisation)
    others = [make_member(screening, Role.reviewer) for _ in range(2)]
    own = [make_application(screening, own_organisation) for _ in range(3)]
    rest = [make_application(screening) for _ in range(9)]
    response = client_as(Role.organizer).post(url(screening, "/assign"), follow_redirects=True)
    assert "分配完成：新增 24 条" in response.get_data(as_text=True)
    assignments = assignments_of(screening)
    assert Counter(a.application_id for a in assignments) == {a.id: 2 for a in own + rest}
    assert not {a.application_id for a in assignments if a.reviewer_id == insider.id} & {a.id for a in own}
    loads = Counter(a.reviewer_id for a in assignments)
    assert set(loads) == {insider.id, *(o.id for o in others)}
    assert max(loads.values()) - min(loads.values()) <= 1
    assert actions("screening.assignments.made") == 1


def test_a_shared_credit_code_is_a_conflict_too():
    """Organisation rows are unique by code, but a reviewer's record may be a second row of the same body."""
    from types import SimpleNamespace as Row
    body = Row(credit_code="91320100MA1X2Y3Z4T")
    application = Row(id=1, organisation_id=10, organisation=body)
    same_code = Row(id=7, organisation_id=11, organisation=Row(credit_code="91320100MA1X2Y3Z4T"))
    same_row = Row(id=8, organisation_id=10, organisation=Row(credit_code=None))
    unrelated = Row(id=9, organisation_id=12, organisation=Row(credit_code=None))
    independent = Row(id=6, organisation_id=None, organisation=None)
    assert services._conflicts([application], [same_code, same_row, unrelated, independent]) == {(1, 7), (1, 8)}


def test_running_again_keeps_begun_reviews_and_moves_little(screening, organizer):
    for _ in range(2):
        make_member(screening, Role.reviewer)
    applications = [make_application(screening) for _ in range(6)]
    services.assign_reviewers(screening, actor=organizer)
    first = assignments_of(screening)
    begun = first[0]
    services.save_review(begun, points={services.rubric(screening)[0].id: 5}, actor=begun.reviewer)
    assert services.assign_reviewers(screening, actor=organizer).added == 0          # nothing new: nothing moves
    assert [a.id for a in assignments_of(screening)] == [a.id for a in first]

    newcomer = make_member(screening, Role.reviewer)
    applications.append(make_application(screening))
    summary = services.assign_reviewers(screening, actor=organizer)
    after = assignments_of(screening)
    assert begun.id in {a.id for a in after}
    loads = Counter(a.reviewer_id for a in after)
    assert sorted(loads.values()) == [4, 5, 5] and newcomer.id in loads
    assert summary.kept == 1 and summary.added == summary.removed + 2
    assert Counter(a.application_id for a in after) == {a.id: 2 for a in applications}


def test_an_impossible_assignment_says_why_in_numbers(client_as, screening, organizer):
    make_member(screening, Role.reviewer)
    make_application(screening, title="银龄食堂")
    with pytest.raises(Refused) as refused:
        services.assign_reviewers(screening, actor=organizer)
    assert refused.value.code == "infeasible"
    assert "1 个项目" in refused.value.message and "共 1 位专家，每个项目需要 2 位" in refused.value.message
    assert "“银龄食堂”还需 2 位，可选 1 位（0 位有利益冲突）" in refused.value.message
    assert assignments_of(screening) == []
    page = client_as(Role.organizer).post(url(screening, "/assign"), follow_redirects=True).get_data(as_text=True)
    assert "无法完成分配" in page


def test_nothing_to_assign(screening, organizer):
    with pytest.raises(Refused) as refused:
        services.assign_reviewers(screening, actor=organizer)
    assert refused.value.code == "no_reviewers"
    make_member(screening, Role.reviewer)
    with pytest.raises(Refused) as refused:
        services.assign_reviewers(screening, actor=organizer)
    assert refused.value.code == "no_applications"


# The reviewer's queue and review

@pytest.fixture
def reviewer(screening):
    return make_member(screening, Role.reviewer, email="reviewer@example.cn")


@pytest.fixture
def reviewer_client(app, reviewer):
    return log_in(app.test_client(), reviewer)


def test_the_queue_shows_own_assignments_and_progress(reviewer_client, screening, reviewer):
    colleague = make_member(screening, Role.reviewer)
    mine = [assign_one(make_application(screening, title=f"我的项目{n}"), reviewer) for n in range(3)]
    assign_one(make_application(screening, title="别人的项目"), colleague)
    services.save_review(mine[0], points=full_points(screening), submit=True, actor=reviewer)
    services.save_review(mine[1], points={services.rubric(screening)[0].id: 3}, actor=reviewer)
    page = reviewer_client.get(url(screening, "/queue")).get_data(as_text=True)
    assert "已完成 1 / 3" in page and "已评 1 / 4 项" in page and "未开始" in page
    assert "我的项目2" in page and "别人的项目" not in page
    assert re.search(rf'href="[^"]*/reviews/{mine[1].id}"[^>]*>\s*继续评审', page)


def test_a_reviewer_sees_and_scores_only_their_own_assignments(reviewer_client, screening, reviewer, client_as):
    colleague = make_member(screening, Role.reviewer)
    theirs = assign_one(make_application(screening), colleague)
    mine = assign_one(make_application(screening), reviewer)
    assert reviewer_client.get(url(screening, f"/reviews/{mine.id}")).status_code == 200
    assert reviewer_client.get(url(screening, f"/reviews/{theirs.id}")).status_code == 403
    assert reviewer_client.get(url(screening, "/reviews/999999")).status_code == 403
    response = reviewer_client.post(url(screening, f"/reviews/{theirs.id}/autosave"), json={"points": {}},
                                    headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.json["code"] == "403"
    assert reviewer_client.post(url(screening, f"/reviews/{theirs.id}"), data={"action": "submit"}).status_code == 403
    assert client_as(Role.organizer).get(url(screening, "/queue")).status_code == 403
    from tests.factories import make_fair
    other_fair = make_fair(slug="other-fair")
    make_member(other_fair, Role.reviewer, email="x@example.cn")
    assert reviewer_client.get(f"/fairs/other-fair/screening/reviews/{mine.id}").status_code == 403


def test_scores_are_saved_as_json_as_the_reviewer_goes(reviewer_client, screening, reviewer):
    assignment = assign_one(make_application(screening), reviewer)
    first, second, *_rest = services.rubric(screening)
    save = url(screening, f"/reviews/{assignment.id}/autosave")
    response = reviewer_client.post(save, json={"points": {str(first.id): 7}})
    assert response.status_code == 200
    assert response.json == {"saved": True, "scored": 1, "total": 21.0, "submitted": False}
    response = reviewer_client.post(save, json={"points": {str(first.id): 8, str(second.id): 10}, "comment": " 很好 "})
    assert response.json["scored"] == 2
    out_of_range = reviewer_client.post(save, json={"points": {str(first.id): 11}})
    assert out_of_range.status_code == 409 and out_of_range.json["code"] == "out_of_range"
    assert reviewer_client.post(save, json={"points": {"x": 1}}).status_code == 400
    assert reviewer_client.post(save, data="not json").status_code == 400
    unknown = reviewer_client.post(save, json={"points": {"999999": 1}})
    assert unknown.json["code"] == "bad_criterion"
    db.session.rollback()
    saved = db.session.get(ReviewAssignment, assignment.id)
    assert {s.criterion_id: s.points for s in saved.scores} == {first.id: 8, second.id: 10}
    assert saved.comment == "很好" and saved.submitted_at is None
    assert actions("screening.review.saved") == 2
    reviewer_client.post(save, json={"points": {str(first.id): 8}})          # no change: no event
    assert actions("screening.review.saved") == 2


def test_the_form_works_without_script(reviewer_client, screening, reviewer):
    assignment = assign_one(make_application(screening), reviewer)
    criteria = services.rubric(screening)
    page = url(screening, f"/reviews/{assignment.id}")
    half = {f"c{criteria[0].id}": "4", f"c{criteria[1].id}": "9", "comment": "需补充数据", "action": "submit"}
    incomplete = reviewer_client.post(page, data=half)
    assert incomplete.status_code == 409 and "还有 2 项未评分" in incomplete.get_data(as_text=True)
    db.session.rollback()
    kept = db.session.get(ReviewAssignment, assignment.id)
    assert len(kept.scores) == 2 and kept.comment == "需补充数据" and kept.submitted_at is None   # nothing lost
    rest = {f"c{c.id}": "6" for c in criteria[2:]}
    done = reviewer_client.post(page, data={**rest, "comment": "需补充数据", "action": "submit"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/queue")
    db.session.rollback()
    submitted = db.session.get(ReviewAssignment, assignment.id)
    assert submitted.submitted_at is not None
    assert {s.criterion_id: s.points for s in submitted.scores} == {
        criteria[0].id: 4, criteria[1].id: 9, criteria[2].id: 6, criteria[3].id: 6}
    assert actions("screening.review.submitted") == 1
    # Still editable while the fair screens: a change after submission is saved.
    assert reviewer_client.post(page, data={f"c{criteria[0].id}": "5", "action": "save"}).status_code == 302
    db.session.rollback()
    edited = db.session.get(ReviewAssignment, assignment.id)
    assert {s.criterion_id: s.points for s in edited.scores}[criteria[0].id] == 5


def test_submitting_moves_on_to_the_next_open_review(reviewer_client, screening, reviewer):
    first = assign_one(make_application(screening), reviewer)
    second = assign_one(make_application(screening), reviewer)
    data = {f"c{cid}": "5" for cid in full_points(screening)} | {"action": "submit"}
    response = reviewer_client.post(url(screening, f"/reviews/{first.id}"), data=data)
    assert response.headers["Location"].endswith(f"/reviews/{second.id}")


def test_others_scores_are_hidden_until_ones_own_is_submitted(reviewer_client, screening, reviewer):
    application = make_application(screening)
    colleague = make_member(screening, Role.reviewer)
    theirs = assign_one(application, colleague)
    mine = assign_one(application, reviewer)
    services.save_review(theirs, points=full_points(screening, 3), comment="执行团队经验不足", submit=True,
                         actor=colleague)
    page = reviewer_client.get(url(screening, f"/reviews/{mine.id}")).get_data(as_text=True)
    assert "执行团队经验不足" not in page and "提交自己的评审后，才能看到其他专家的评分" in page
    services.save_review(mine, points=full_points(screening, 9), submit=True, actor=reviewer)
    page = reviewer_client.get(url(screening, f"/reviews/{mine.id}")).get_data(as_text=True)
    assert "执行团队经验不足" in page and "专家 1" in page and "30.0" in page and colleague.name not in page


def test_scoring_happens_only_while_the_fair_screens(reviewer_client, screening, reviewer, organizer):
    assignment = assign_one(make_application(screening), reviewer)
    to_phase(screening, Phase.applications_open, organizer)
    with pytest.raises(Refused) as early:
        services.save_review(assignment, points=full_points(screening), actor=reviewer)
    assert early.value.code == "screening_not_started"
    to_phase(screening, Phase.preparation, organizer)
    with pytest.raises(Refused) as late:
        services.save_review(assignment, points=full_points(screening), actor=reviewer)
    assert late.value.code == "screening_over"
    page = reviewer_client.get(url(screening, f"/reviews/{assignment.id}")).get_data(as_text=True)
    assert "初审已结束" in page and 'value="submit"' not in page and "review.js" in page


def test_blind_screening_hides_the_applicant(reviewer_client, screening, reviewer, organizer):
    organisation = make_organisation(name="鼓楼区夕阳红志愿服务队", contact_name="周晓梅")
    assignment = assign_one(make_application(screening, organisation), reviewer)
    page = reviewer_client.get(url(screening, f"/reviews/{assignment.id}")).get_data(as_text=True)
    assert "夕阳红" in page and "周晓梅" in page
    services.update_settings(screening, reviewers_per_application=2, blind_screening=True, actor=organizer)
    for path in (f"/reviews/{assignment.id}", "/queue"):
        page = reviewer_client.get(url(screening, path)).get_data(as_text=True)
        assert "夕阳红" not in page and "周晓梅" not in page


# The organizer's progress, reminders and results

def test_progress_and_reminders(client_as, screening, organizer):
    busy, finished = (make_member(screening, Role.reviewer, name=name) for name in ("张专家", "李专家"))
    make_member(screening, Role.reviewer, name="王专家")
    for _ in range(3):
        assign_one(make_application(screening), busy)
    done = assign_one(make_application(screening), finished)
    services.save_review(done, points=full_points(screening), submit=True, actor=finished)
    client = client_as(Role.organizer)
    page = client.get(url(screening)).get_data(as_text=True)
    assert re.search(r"张专家.*?<td class=\"text-end\">3</td>\s*<td class=\"text-end\">0</td>", page, re.S)
    assert re.search(r"李专家.*?<td class=\"text-end\">1</td>\s*<td class=\"text-end\">1</td>", page, re.S)
    assert "王专家" in page and "1 / 4" in page
    response = client.post(url(screening, "/reminders"), follow_redirects=True)
    assert "已向 1 位专家发送提醒" in response.get_data(as_text=True)
    messages = db.session.scalars(sa.select(Message)).all()
    assert [(m.user_id, m.kind) for m in messages] == [(busy.id, "screening.reminder")]
    assert "3 个项目" in messages[0].subject
    assert actions("screening.reminders.sent") == 1


def test_reminders_with_nothing_open(screening, organizer):
    make_member(screening, Role.reviewer)
    with pytest.raises(Refused) as refused:
        services.send_reminders(screening, actor=organizer)
    assert refused.value.code == "nothing_open"


def test_disagreement_comes_first_and_is_marked(client_as, screening):
    one, two = make_member(screening, Role.reviewer), make_member(screening, Role.reviewer)
    agreed = make_application(screening, title="意见一致的项目")
    split = make_application(screening, title="意见分歧的项目")
    single = make_application(screening, title="只有一份评审的项目")
    for application, first, second in ((agreed, 8, 7), (split, 9, 2)):
        for person, value in ((one, first), (two, second)):
            services.save_review(assign_one(application, person), points=full_points(screening, value), submit=True,
                                 actor=person)
    services.save_review(assign_one(single, one), points=full_points(screening, 5), submit=True, actor=one)
    client = client_as(Role.organizer)
    page = client.get(url(screening, "/results")).get_data(as_text=True)
    assert page.index("意见分歧的项目") < page.index("意见一致的项目") < page.index("只有一份评审的项目")
    row = re.search(r'<tr class="table-warning">.*?</tr>', page, re.S).group(0)
    assert "意见分歧的项目" in row and "55.0" in row and "70.0" in row
    assert page.count('class="table-warning"') == 1
    by_mean = client.get(url(screening, "/results"), query_string={"order": "mean", "threshold": "5"})
    by_mean = by_mean.get_data(as_text=True)
    assert by_mean.index("意见一致的项目") < by_mean.index("意见分歧的项目")
    assert by_mean.count('class="table-warning"') == 2


# Duplicates

SUMMARY = "为鼓楼区独居与高龄老人提供每日午餐配送、陪餐与健康随访，志愿者结对上门，每周不少于三次。"


def test_duplicates_are_found_and_settled(client_as, screening, organizer):
    organisation = make_organisation()
    original = make_application(screening, organisation, title="银龄食堂", summary=SUMMARY)
    again = make_application(screening, organisation, title="“银龄食堂”社区助餐", summary=SUMMARY + "")
    partner = make_application(screening, title="银龄食堂（合作）", summary=SUMMARY.replace("三次", "两次"))
    make_application(screening, title="古城河道守护", summary="组织青少年志愿者定期巡河、清理垃圾并开展水质监测。")
    client = client_as(Role.organizer)
    response = client.post(url(screening, "/duplicates/scan"), follow_redirects=True)
    assert "发现 3 对疑似重复，其中 3 对是新的" in response.get_data(as_text=True)
    page = client.get(url(screening, "/duplicates")).get_data(as_text=True)
    assert page.count('class="card mb-4 duplicate-pair"') == 3 and "古城河道守护" not in page

    pairs = {(c.application_id, c.other_id): c for c in db.session.scalars(sa.select(DuplicateCandidate))}
    not_really = pairs[(original.id, partner.id)]
    assert client.post(url(screening, f"/duplicates/{not_really.id}"), data={"withdraw": ""}).status_code == 302
    repeated = pairs[(original.id, again.id)]
    no_reason = client.post(url(screening, f"/duplicates/{repeated.id}"), data={"withdraw": str(again.id)},
                            follow_redirects=True)
    assert "请填写撤回原因" in no_reason.get_data(as_text=True)
    client.post(url(screening, f"/duplicates/{repeated.id}"), data={"withdraw": str(again.id), "reason": "与“银龄食堂”重复"})
    db.session.rollback()
    assert db.session.get(Application, again.id).status == ApplicationStatus.withdrawn
    assert {c.resolution for c in db.session.scalars(sa.select(DuplicateCandidate))} == {"not_duplicate", "rejected"}
    told = db.session.scalars(sa.select(Message).where(Message.organisation_id == organisation.id)).one()
    assert "与“银龄食堂”重复" in told.body and told.kind == "screening.duplicate_withdrawn"
    assert actions("screening.application.withdrawn") == 1 and actions("screening.duplicate.resolved") == 2
    assert "没有待处理的疑似重复申报" in client.get(url(screening, "/duplicates")).get_data(as_text=True)
    # A second scan leaves settled pairs settled and finds nothing new.
    assert services.scan_duplicates(screening, actor=organizer).new == 0


def test_a_withdrawn_duplicate_leaves_the_reviewers_queues(screening, organizer, reviewer):
    make_application(screening, title="银龄食堂", summary=SUMMARY)
    second = make_application(screening, title="银龄食堂", summary=SUMMARY)
    open_review = assign_one(second, reviewer).id
    services.scan_duplicates(screening, actor=organizer)
    candidate = db.session.scalars(sa.select(DuplicateCandidate)).one()
    with pytest.raises(Refused) as refused:
        services.resolve_duplicate(candidate, withdraw=make_application(screening), reason="x", actor=organizer)
    assert refused.value.code == "not_in_pair"
    services.resolve_duplicate(candidate, withdraw=second, reason="重复提交", actor=organizer)
    assert db.session.get(ReviewAssignment, open_review) is None
    with pytest.raises(Refused) as again:
        services.resolve_duplicate(candidate, actor=organizer)
    assert again.value.code == "already_resolved"


# Bounded queries

def test_pages_issue_a_bounded_number_of_queries(app, client_as, screening, organizer, reviewer):
    colleague = make_member(screening, Role.reviewer)
    organizer_client = client_as(Role.organizer)
    reviewer_client = log_in(app.test_client(), reviewer)

    def add(count: int) -> None:
        for _ in range(count):
            application = make_application(screening)
            for person in (reviewer, colleague):
                assignment = assign_one(application, person)
                services.save_review(assignment, points=full_points(screening, 6), submit=True, actor=person)

    def counts() -> list[int]:
        first = db.session.scalar(sa.select(ReviewAssignment.id).where(ReviewAssignment.reviewer_id == reviewer.id)
                                  .order_by(ReviewAssignment.id))
        return [queries_for(reviewer_client, url(screening, "/queue")),
                queries_for(reviewer_client, url(screening, f"/reviews/{first}")),
                queries_for(organizer_client, url(screening)),
                queries_for(organizer_client, url(screening, "/results"))]

    add(5)                       # 10 assignments
    few = counts()
    add(95)                      # 200 assignments
    assert counts() == few


def test_the_json_save_needs_the_csrf_token(database_url, tmp_path, screening, reviewer):
    from fair import create_app
    app = create_app(test_config(database_url, str(tmp_path), WTF_CSRF_ENABLED=True))
    app.test_client_class = RequestInItsOwnContext
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    from tests.factories import PASSWORD
    client.post("/login", data={"email": reviewer.email, "password": PASSWORD, "csrf_token": token})
    assignment = assign_one(make_application(screening), reviewer)
    criterion = services.rubric(screening)[0]
    save = url(screening, f"/reviews/{assignment.id}/autosave")
    refused = client.post(save, json={"points": {str(criterion.id): 4}}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.json["code"] == "csrf"
    page = client.get(url(screening, f"/reviews/{assignment.id}")).get_data(as_text=True)
    header = re.search(r'data-csrf="([^"]+)"', page).group(1)
    with_token = client.post(save, json={"points": {str(criterion.id): 4}}, headers={"X-CSRFToken": header})
    assert with_token.status_code == 200
