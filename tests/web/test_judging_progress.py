"""The organizer's judging progress: done of assigned per judge and per zone, skipped projects with their
reasons offered to another judge, projects short of scores with one more judge a click away; for
organizers only, its queries bounded."""
from collections import Counter

import pytest
import sqlalchemy as sa

from fair.auth.models import Role
from fair.extensions import db
from fair.times import utcnow
from judging import assigning
from judging.models import AssignmentSource, JudgeAssignment
from tests.conftest import queries_for
from tests.factories import make_judge, make_judging
from tests.web.test_judge_assignment import exhibit, exhibit_more, make_scorecard, pairs


def url(fair) -> str:
    return f"/fairs/{fair.slug}/judging/progress"


@pytest.fixture
def judging_under_way(fair, organizer):
    """24 projects in three zones, six judges assigned by the solver; the first judge has submitted
    three scorecards, and skipped one project because its team was absent."""
    _setup, criteria, _tiers = make_judging(fair)
    zones, projects = exhibit(fair, organizer)
    judges = [make_judge(fair) for _ in range(6)]
    assigning.run_assignment(fair, actor=organizer)
    first = [pair for pair in pairs(fair) if pair.judge_id == judges[0].id]
    for pair in first[:3]:
        make_scorecard(pair, criteria)
    first[3].skipped_at, first[3].skip_reason = utcnow(), "团队不在展位"
    db.session.commit()
    return zones, projects, judges, first


def test_progress_per_judge_and_per_zone(fair, client_as, judging_under_way):
    zones, _projects, judges, first = judging_under_way
    page = client_as(Role.organizer).get(url(fair)).get_data(as_text=True)
    assert "全部评审：3 / 71 已完成" in page                         # 72 pairs, one skipped
    assert ">3 / 11</td>" in page                                       # the first judge: 12 less the skipped one
    assert page.count(">0 / 12</td>") == 5
    board = assigning.board(fair)
    progress = {name: (done, total) for name, done, total in board.zone_progress()}
    assert sum(total for _done, total in progress.values()) == 71
    assert sum(done for done, _total in progress.values()) == 3
    for name, (done, total) in progress.items():
        assert f"{done} / {total}" in page and name in page


def test_a_skipped_project_is_shown_with_its_reason_and_offered_to_another_judge(fair, client_as, judging_under_way):
    _zones, projects, judges, first = judging_under_way
    client = client_as(Role.organizer)
    page = client.get(url(fair)).get_data(as_text=True)
    assert "团队不在展位" in page and "转给其他评委" in page
    skipped = first[3]
    response = client.post(f"/fairs/{fair.slug}/judging/assignment",
                           data={"action": "reoffer", "back": "progress", "assignment_id": skipped.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(url(fair))
    offered = [pair for pair in pairs(fair) if pair.application_id == skipped.application_id
               and pair.skipped_at is None]
    assert len(offered) == 3 and judges[0].id not in {pair.judge_id for pair in offered}
    assert AssignmentSource.manual in {pair.source for pair in offered}
    page = client.get(url(fair)).get_data(as_text=True)
    assert "已有其他评委" in page
    response = client.post(f"/fairs/{fair.slug}/judging/assignment",          # again: nothing left to do
                           data={"action": "reoffer", "back": "progress", "assignment_id": skipped.id})
    assert response.status_code == 409 and "该项目已有足够的评委" in response.get_data(as_text=True)


def test_projects_short_of_scores_get_one_more_judge_from_the_page(fair, client_as, judging_under_way):
    _zones, projects, _judges, _first = judging_under_way
    client = client_as(Role.organizer)
    page = client.get(url(fair)).get_data(as_text=True)
    assert "评分不足 3 份的项目" in page and projects[0].title in page
    response = client.post(f"/fairs/{fair.slug}/judging/assignment",
                           data={"action": "extra", "back": "progress", "application_id": projects[0].id})
    assert response.status_code == 302
    sources = Counter(pair.source for pair in pairs(fair) if pair.application_id == projects[0].id)
    assert sources[AssignmentSource.extra] == 1


def test_only_organizers_see_progress(fair, client_as, judging_under_way):
    assert client_as(Role.judge).get(url(fair)).status_code == 403
    assert client_as(Role.exhibitor).get(url(fair)).status_code == 403


def test_progress_runs_a_bounded_number_of_queries(fair, organizer, client_as):
    make_judging(fair)
    exhibit(fair, organizer, per_zone=3)
    for _ in range(3):
        make_judge(fair)
    assigning.run_assignment(fair, actor=organizer)
    client = client_as(Role.organizer)
    small = queries_for(client, url(fair))
    exhibit_more(fair, organizer)
    for _ in range(4):
        make_judge(fair)
    assigning.run_assignment(fair, actor=organizer)
    first = db.session.scalar(sa.select(JudgeAssignment).order_by(JudgeAssignment.id))
    first.skipped_at, first.skip_reason = utcnow(), "团队不在展位"
    db.session.commit()
    assert queries_for(client, url(fair)) == small
