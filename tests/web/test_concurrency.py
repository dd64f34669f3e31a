"""One outcome under concurrency, on SQLite and on PostgreSQL (FAIR_TEST_DATABASE_URL): organizers freezing
and publishing one fair's results, a judge's devices saving one scorecard, organizers moving one booth's
project, each in its own thread, app context and database session, released together as gunicorn's workers
would be. The guards are the database's: the version counters on JudgingSetup, Scorecard and Booth, and the
unique keys on Award (application), Scorecard (assignment), ScoreEvent (client op) and Booth (application)."""
import os
import threading
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from fair.applications.models import Application
from fair.audit.models import AuditEvent
from fair.auth.models import Role, User
from fair.booths import placing
from fair.booths.models import Booth
from fair.extensions import db
from fair.fairs.models import Fair
from fair.messages.models import Message
from fair.refusal import Refused
from judging import awards, scoring
from judging.models import Award, JudgeAssignment, JudgingSetup, Scorecard, ScoreEvent, ScoreLine
from tests.factories import make_judge, make_judge_assignment, make_judging, make_member, make_plan, make_shortlisted
from tests.web.test_awards import crossed, lock
from tests.web.test_checkin_concurrency import at_once

THREADS = 6
ON_POSTGRESQL = os.environ.get("FAIR_TEST_DATABASE_URL", "").startswith("postgresql")


def outcome(job):
    """The job's result as a person would be told it: ("ok", what it returned) or (the refusal's code, it)."""
    def run():
        try:
            return "ok", job()
        except Refused as refusal:
            return refusal.code, refusal
    return run


def codes(results) -> Counter:
    return Counter(code for code, _detail in results)


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def audited(action: str) -> int:
    return count(AuditEvent, AuditEvent.action == action)


# --- freezing and publishing the awards ------------------------------------------------------------------

@pytest.fixture
def frozen_ready(fair, organizer):
    """Four projects scored by two judges (one gold, two silver to give), judging locked; THREADS organizers."""
    crossed(fair, {"甲": [9, 9], "乙": [7, 7], "丙": [5, 5], "丁": [2, 2]})
    lock(fair, organizer)
    return [organizer.id] + [make_member(fair, Role.organizer).id for _ in range(THREADS - 1)]


def freezer(fair_id: int, organizer_id: int):
    return outcome(lambda: awards.freeze(db.session.get(Fair, fair_id), actor=user(organizer_id)))


def publisher(fair_id: int, organizer_id: int):
    return outcome(lambda: awards.publish(db.session.get(Fair, fair_id), actor=user(organizer_id)))


def test_organizers_freezing_at_once_write_the_awards_once(app, fair, frozen_ready):
    results = at_once(app, [freezer(fair.id, organizer_id) for organizer_id in frozen_ready])
    assert codes(results)["ok"] == 1 and set(codes(results)) <= {"ok", "concurrent", "frozen"}
    assert [detail for code, detail in results if code == "ok"] == [3]
    rows = db.session.scalars(sa.select(Award).where(Award.fair_id == fair.id)).all()
    assert len(rows) == len({row.application_id for row in rows}) == 3
    setup = db.session.get(JudgingSetup, fair.id)
    assert setup.frozen_by_id == frozen_ready[[code for code, _detail in results].index("ok")]
    assert audited("judging.results.frozen") == 1
    refusals = [detail for code, detail in results if code != "ok"]
    assert all(refusal.message for refusal in refusals)


def test_organizers_publishing_at_once_tell_each_winner_once(app, fair, organizer, frozen_ready):
    awards.freeze(fair, actor=organizer)
    results = at_once(app, [publisher(fair.id, organizer_id) for organizer_id in frozen_ready])
    assert codes(results)["ok"] == 1 and set(codes(results)) <= {"ok", "concurrent", "already_published"}
    assert [detail for code, detail in results if code == "ok"] == [3]
    winners = {award.application.organisation_id for award in awards.awards_of(fair)}
    messages = db.session.scalars(sa.select(Message).where(Message.fair_id == fair.id,
                                                           Message.kind == "judging.award")).all()
    assert sorted(message.organisation_id for message in messages) == sorted(winners) and len(winners) == 3
    assert audited("judging.results.published") == 1
    assert db.session.get(JudgingSetup, fair.id).published_at is not None


def test_a_freeze_and_a_publication_at_once_publish_only_frozen_results(app, fair, frozen_ready):
    first, second = frozen_ready[:2]
    results = at_once(app, [freezer(fair.id, first), publisher(fair.id, second)])
    assert results[0] == ("ok", 3)
    published = results[1][0] == "ok"
    assert results[1][0] in ("ok", "not_frozen")
    assert count(Award, Award.fair_id == fair.id) == 3
    assert count(Message, Message.kind == "judging.award") == (3 if published else 0)
    assert (db.session.get(JudgingSetup, fair.id).published_at is not None) == published


# --- one scorecard from several devices ---------------------------------------------------------------

@pytest.fixture
def card(fair):
    """A judge's assignment with the rubric's criteria: (assignment id, criterion ids, the judge's user id)."""
    criteria = make_judging(fair)[1]
    judge = make_judge(fair)
    assignment = make_judge_assignment(judge, make_shortlisted(fair)[0])
    return assignment.id, [criterion.id for criterion in criteria], judge.user_id


def device(assignment_id: int, user_id: int, points: dict[int, int], *, base: int, client_op: str | None = None):
    """A tablet's save, as the page sends it: its own operation id and the version it last showed."""
    def save():
        assignment = db.session.get(JudgeAssignment, assignment_id)
        return scoring.save_scores(assignment, points, actor=user(user_id), client_op=client_op or str(uuid.uuid4()),
                                   base_version=base)
    return outcome(save)


def stored(assignment_id: int) -> dict[int, int]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(ScoreLine.criterion_id, ScoreLine.points).join(Scorecard)
                                   .where(Scorecard.assignment_id == assignment_id)).all())


def check_one_save_won(results, sent: list[dict], assignment_id: int, version: int) -> None:
    """One device's values are stored; every other is told of the conflict with the stored values (its own it
    still has), none silently overwritten."""
    assert codes(results) == {"ok": 1, "conflict": len(results) - 1}
    winner = [code for code, _detail in results].index("ok")
    assert results[winner][1].changed and results[winner][1].state.version == version
    assert stored(assignment_id) == sent[winner]
    for (code, refusal), mine in zip(results, sent):
        if code == "conflict":
            assert refusal.current.points == sent[winner] != mine and refusal.current.version == version
    assert count(ScoreEvent) == version


def test_devices_saving_one_scorecard_on_the_same_version_keep_one_and_tell_the_others(app, card):
    assignment_id, criteria, user_id = card
    first = scoring.save_scores(db.session.get(JudgeAssignment, assignment_id), {criteria[0]: 5},
                                actor=user(user_id), client_op=str(uuid.uuid4()), base_version=0)
    sent = [{criteria[0]: value} for value in range(THREADS)]
    sent = [points for points in sent if points != {criteria[0]: 5}][:THREADS - 1] + [{criteria[1]: 8}]
    results = at_once(app, [device(assignment_id, user_id, points, base=first.state.version) for points in sent])
    expected = [{criteria[0]: 5, **points} for points in sent]
    check_one_save_won(results, expected, assignment_id, version=2)


def test_devices_saving_a_new_scorecard_at_once_make_one_scorecard(app, card):
    assignment_id, criteria, user_id = card
    sent = [{criteria[0]: value, criteria[1]: value} for value in range(THREADS)]
    results = at_once(app, [device(assignment_id, user_id, points, base=0) for points in sent])
    check_one_save_won(results, sent, assignment_id, version=1)
    assert count(Scorecard, Scorecard.assignment_id == assignment_id) == 1


def test_one_operation_replayed_from_several_devices_at_once_is_counted_once(app, card):
    assignment_id, criteria, user_id = card
    same = str(uuid.uuid4())
    results = at_once(app, [device(assignment_id, user_id, {criteria[0]: 7}, base=0, client_op=same)] * THREADS)
    assert codes(results) == {"ok": THREADS}
    assert [saved.changed for _code, saved in results].count(True) == 1   # the others: replayed, or found it stored
    assert all(saved.state.points == {criteria[0]: 7} and saved.state.version == 1 for _code, saved in results)
    assert count(ScoreEvent, ScoreEvent.client_op == same) == count(ScoreEvent) == 1
    assert audited("judging.score.saved") == 1 and stored(assignment_id) == {criteria[0]: 7}


# --- one booth, several organizers ----------------------------------------------------------------------

@pytest.fixture
def placed(fair, organizer):
    """A plan (zone A: A-01 … A-10), four projects of zone A's category, P on A-01 and Q on A-02; THREADS
    organizers. A-01's version is moved past the others' (lock, unlock) so that no booth's version equals the
    one the pages showed for A-01 (see test_a_move_from_a_page_showing_the_projects_old_booth_is_refused)."""
    make_plan(fair, actor=organizer)
    projects = make_shortlisted(fair, 4, category=fair.categories[0])
    booths = booths_by_code(fair)
    placing.assign(booths["A-01"], projects[0], actor=organizer, version=None)
    placing.assign(booths["A-02"], projects[1], actor=organizer, version=None)
    for change in (placing.lock, placing.unlock, placing.lock, placing.unlock):
        change(booths["A-01"], actor=organizer, version=None)
    organizers = [organizer.id] + [make_member(fair, Role.organizer).id for _ in range(THREADS - 1)]
    return [project.id for project in projects], organizers


def booths_by_code(fair) -> dict[str, Booth]:
    db.session.rollback()
    return {booth.code: booth for booth in db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id))}


def versions(fair) -> dict[str, int]:
    return {code: booth.version for code, booth in booths_by_code(fair).items()}


def check_plan(fair, project_ids: list[int]) -> dict[int, str]:
    """Each project on at most one booth (and each booth holds one project, by its column): project → code."""
    where = {}
    for code, booth in booths_by_code(fair).items():
        if booth.application_id is not None:
            assert booth.application_id not in where, (booth.application_id, code, where)
            where[booth.application_id] = code
    assert set(where) <= set(project_ids)
    return where


def booth_job(fair_id: int, organizer_id: int, act):
    """act(booth by code, application by id, organizer) in the thread's own session, as the page's request."""
    def job():
        booths = {booth.code: booth for booth in db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair_id))}
        return act(booths, lambda application_id: db.session.get(Application, application_id), user(organizer_id))
    return outcome(job)


def test_organizers_moving_one_project_at_once_move_it_once(app, fair, placed):
    (p, _q, _r, _s), organizers = placed
    shown = versions(fair)
    targets = [f"A-{n:02d}" for n in range(3, 3 + THREADS)]

    def mover(target):
        return lambda booths, project, actor: placing.move(project(p), booths[target], actor=actor,
                                                           versions=(shown["A-01"], shown[target])).code

    results = at_once(app, [booth_job(fair.id, organizer_id, mover(target))
                            for organizer_id, target in zip(organizers, targets)])
    assert codes(results) == {"ok": 1, "conflict": THREADS - 1}
    [(_ok, moved_to)] = [result for result in results if result[0] == "ok"]
    assert check_plan(fair, placed[0])[p] == moved_to
    assert audited("booth.moved") == 2                      # the two booths of the one move


def test_organizers_assigning_projects_to_one_free_booth_at_once_place_one(app, fair, placed):
    (_p, _q, r, s), organizers = placed
    shown = versions(fair)
    third = make_shortlisted(fair, THREADS - 2, category=fair.categories[0])
    candidates = [r, s] + [project.id for project in third]

    def assigner(application_id):
        return lambda booths, project, actor: placing.assign(booths["A-05"], project(application_id), actor=actor,
                                                             version=shown["A-05"]).application_id

    results = at_once(app, [booth_job(fair.id, organizer_id, assigner(application_id))
                            for organizer_id, application_id in zip(organizers, candidates)])
    assert codes(results) == {"ok": 1, "conflict": THREADS - 1}
    [(_ok, winner)] = [result for result in results if result[0] == "ok"]
    where = check_plan(fair, placed[0] + [project.id for project in third])
    assert where[winner] == "A-05" and sum(code == "A-05" for code in where.values()) == 1
    assert audited("booth.assigned") == 3                   # P, Q (the fixture) and the one winner


def test_organizers_assigning_one_project_to_different_booths_at_once_place_it_once(app, fair, placed):
    (_p, _q, r, _s), organizers = placed
    shown = versions(fair)
    targets = [f"A-{n:02d}" for n in range(3, 3 + THREADS)]

    def assigner(target):
        return lambda booths, project, actor: placing.assign(booths[target], project(r), actor=actor,
                                                             version=shown[target]).code

    results = at_once(app, [booth_job(fair.id, organizer_id, assigner(target))
                            for organizer_id, target in zip(organizers, targets)])
    assert codes(results)["ok"] == 1 and set(codes(results)) <= {"ok", "conflict", "already_placed"}
    [(_ok, placed_on)] = [result for result in results if result[0] == "ok"]
    assert check_plan(fair, placed[0])[r] == placed_on


def test_a_move_and_a_swap_of_one_project_at_once_leave_one_of_them(app, fair, placed):
    (p, q, _r, _s), organizers = placed
    shown = versions(fair)

    def move(booths, project, actor):
        placing.move(project(p), booths["A-07"], actor=actor, versions=(shown["A-01"], shown["A-07"]))

    def swap(booths, _project, actor):
        placing.swap(booths["A-01"], booths["A-02"], actor=actor, versions=(shown["A-01"], shown["A-02"]))

    results = at_once(app, [booth_job(fair.id, organizers[0], move), booth_job(fair.id, organizers[1], swap)])
    assert sorted(codes(results).elements()) == ["conflict", "ok"]
    where = check_plan(fair, placed[0])
    if results[0][0] == "ok":
        assert (where[p], where[q]) == ("A-07", "A-02")
    else:
        assert (where[p], where[q]) == ("A-02", "A-01")


def pause_after_first_flush(barrier: threading.Barrier):
    """Hold this thread's first write until the other thread has made its own (or a second has passed: on
    SQLite the other waits for the database's one writer), so two swaps interleave the same way every run."""
    session, waited = db.session(), []

    def pause(_session, _context):
        if not waited:
            waited.append(True)
            try:
                barrier.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass
    sa.event.listen(session, "after_flush", pause)


def test_two_organizers_swapping_one_pair_from_both_booths_at_once_get_one_swap(app, fair, placed):
    (p, q, _r, _s), organizers = placed
    shown = versions(fair)
    barrier = threading.Barrier(2)

    def swap(first, second):
        def act(booths, _project, actor):
            pause_after_first_flush(barrier)
            placing.swap(booths[first], booths[second], actor=actor, versions=(shown[first], shown[second]))
        return act

    results = at_once(app, [booth_job(fair.id, organizers[0], swap("A-01", "A-02")),
                            booth_job(fair.id, organizers[1], swap("A-02", "A-01"))])
    assert sorted(codes(results).elements()) == ["conflict", "ok"]
    where = check_plan(fair, placed[0])
    assert (where[p], where[q]) == ("A-02", "A-01") and audited("booth.swapped") == 2


def test_a_move_from_a_page_showing_the_projects_old_booth_is_refused(fair, organizer):
    make_plan(fair, actor=organizer)
    [p] = make_shortlisted(fair, 1, category=fair.categories[0])
    booths = booths_by_code(fair)
    placing.assign(booths["A-01"], p, actor=organizer, version=None)
    shown = versions(fair)                                 # A-01 at 2 (it holds P), A-02 and A-03 at 1
    booths = booths_by_code(fair)                          # the first organizer moves P to A-02 (now at 2)
    placing.move(p, booths["A-02"], actor=organizer, versions=(shown["A-01"], shown["A-02"]))
    booths = booths_by_code(fair)                          # the second, on A-03's page still showing P on A-01
    with pytest.raises(Refused) as refused:
        placing.move(db.session.get(Application, p.id), booths["A-03"], actor=make_member(fair, Role.organizer),
                     versions=(shown["A-01"], shown["A-03"]), from_booth_id=booths["A-01"].id)
    assert refused.value.code == "conflict"
    assert check_plan(fair, [p.id]) == {p.id: "A-02"}
