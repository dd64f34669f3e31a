"""A reviewer scores an application with the keyboard on a tablet: each score saved as typed, kept on reload,
and a save the network dropped shown and retried."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from fair.applications.models import ReviewAssignment
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs import services as fairs
from fair.fairs.models import Phase
from fair.screening import services as screening
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_application, make_fair, make_member, make_user

TABLET = {"width": 768, "height": 1024}


def saved_review(assignment_id: int) -> ReviewAssignment:
    db.session.rollback()           # a fresh snapshot: the live server wrote in its own transactions
    return db.session.scalar(sa.select(ReviewAssignment).where(ReviewAssignment.id == assignment_id))


@pytest.fixture
def assignment():
    """A fair in screening with the default rubric, two reviewers and one application: the first reviewer's
    assignment as (assignment id, reviewer, criterion ids, fair slug)."""
    organizer = make_user(is_admin=True)
    fair = make_fair(organizer)
    for phase in (Phase.applications_open, Phase.screening):
        fairs.move_phase(fair, phase, actor=organizer)
    criteria = screening.set_rubric(
        fair, [screening.CriterionDetails(*line) for line in screening.DEFAULT_RUBRIC], actor=organizer)
    reviewer = make_member(fair, Role.reviewer, email="reviewer@example.cn")
    make_member(fair, Role.reviewer)
    make_application(fair, title="银龄食堂社区助餐")
    screening.assign_reviewers(fair, actor=organizer)
    assignment_id = db.session.scalar(sa.select(ReviewAssignment.id).where(ReviewAssignment.reviewer_id == reviewer.id))
    return assignment_id, reviewer, [criterion.id for criterion in criteria], fair.slug


def test_a_reviewer_scores_with_the_keyboard(new_context, problems, assignment):
    assignment_id, reviewer, criteria, slug = assignment
    page = new_context(viewport=TABLET).new_page()
    log_in(page, reviewer.email, PASSWORD)
    page.goto(f"/fairs/{slug}/screening/queue")
    expect(page.locator(".queue-count")).to_have_text("已完成 0 / 1")
    page.get_by_role("link", name="继续评审").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("银龄食堂社区助餐")
    submit = page.get_by_role("button", name="提交评审")
    expect(submit).to_be_disabled()                         # until every criterion is scored

    for key in ("7", "1", "0", "5"):                        # 7; 1 then 0 is ten; 5
        page.keyboard.press(key)
    page.keyboard.press("ArrowUp")                          # back to the third criterion: 5 → 6
    page.keyboard.press("ArrowRight")
    page.keyboard.press("j")                                # on to the fourth
    page.keyboard.press("8")
    expect(page.locator("[data-scored]")).to_have_text("4")
    expect(page.locator("#save-state")).to_have_text("已自动保存")
    expected = {criteria[0]: 7, criteria[1]: 10, criteria[2]: 6, criteria[3]: 8}
    review = saved_review(assignment_id)
    assert {score.criterion_id: score.points for score in review.scores} == expected
    assert review.submitted_at is None

    page.reload()
    for criterion_id, points in expected.items():
        expect(page.locator(f"#c{criterion_id}-{points}")).to_be_checked()
    expect(page.locator("[data-total]")).to_have_text("76.0")
    expect(submit).to_be_enabled()

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/screening/queue$"))
    expect(page.get_by_role("alert")).to_contain_text("评审已提交")
    expect(page.locator(".queue-count")).to_have_text("已完成 1 / 1")
    assert saved_review(assignment_id).submitted_at is not None
    assert [message for message in problems.messages if "/favicon.ico" not in message] == []


def test_a_failed_save_is_shown_and_retried(new_context, problems, assignment):
    """The network drops every save until the test has seen the failure shown, then lets them through: the
    retry must then save the score typed while offline (no race with the retry's back-off)."""
    assignment_id, reviewer, criteria, slug = assignment
    page = new_context(viewport=TABLET).new_page()
    offline = [True]
    dropped = []

    def drop_while_offline(route):
        if offline:
            dropped.append(route.request.post_data_json)
            route.abort()            # as when the venue's Wi-Fi drops
        else:
            route.continue_()

    page.route("**/autosave", drop_while_offline)
    log_in(page, reviewer.email, PASSWORD)
    page.goto(f"/fairs/{slug}/screening/reviews/{assignment_id}")
    page.keyboard.press("4")
    expect(page.locator("#save-state")).to_contain_text("保存失败")
    offline.clear()
    expect(page.locator("#save-state")).to_have_text("已自动保存", timeout=20_000)
    assert dropped and dropped[0] == {"points": {str(criteria[0]): 4}, "comment": None}
    assert {score.criterion_id: score.points for score in saved_review(assignment_id).scores} == {criteria[0]: 4}
    assert [message for message in problems.messages
            if "/favicon.ico" not in message and "ERR_FAILED" not in message] == []
