"""The `fair` console script: demo, create-organizer."""
import sqlalchemy as sa

from fair.applications.models import Application, Decision
from fair.auth.models import User
from fair.booths.models import Booth
from fair.demo import DEMO_PASSWORD, DEMO_SLUG, PEOPLE
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.visitors.models import Checkin, CheckinPoint, PointKind, Ticket
from judging.models import Judge, JudgeAssignment


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_demo_builds_a_live_fair_with_every_role(app, client):
    result = _run(app, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "organizer@demo.fair" in result.output and DEMO_PASSWORD in result.output
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
    assert fair.phase == Phase.live
    assert len(fair.categories) == 10
    shortlisted = db.session.scalars(sa.select(Application).where(
        Application.fair_id == fair.id, Application.decision == Decision.shortlisted)).all()
    placed = db.session.scalars(sa.select(Booth.application_id).where(Booth.application_id.is_not(None))).all()
    assert len(shortlisted) == 4 and sorted(placed) == sorted(application.id for application in shortlisted)
    assert fair.setup_notes
    judge = db.session.scalar(sa.select(User).where(User.email == "judge@demo.fair"))
    pairs = db.session.scalars(sa.select(JudgeAssignment).join(Judge)).all()
    assert len(pairs) == 2 * len(shortlisted)                           # two judges per project
    waiting = [pair for pair in pairs if pair.scorecard is None]
    assert waiting and {pair.judge.user_id for pair in waiting} == {judge.id}   # the demo judge has work left
    admitted = db.session.scalar(sa.select(sa.func.count(Checkin.id)).where(Checkin.reason == "ok"))
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 60 and admitted >= 40 + 15
    gate = db.session.scalar(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id, CheckinPoint.slug == "gate"))
    assert gate.kind == PointKind.entry                  # the main entrance newcomers and load tests scan at
    for email, _name, _org, roles, _admin in PEOPLE:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.roles_in(fair) == set(roles)
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        assert client.get(f"/fairs/{DEMO_SLUG}/").status_code == 200
        client.post("/logout")
    again = _run(app, "demo", "--no-serve")
    assert again.exit_code == 0 and "already present" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Fair.id))) == 1


def test_create_organizer(app):
    result = _run(app, "create-organizer", "--email", "Boss@Example.cn", "--name", "主任",
                  "--password", "long enough pw")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.cn"))
    assert user.is_admin and user.check_password("long enough pw")
    twice = _run(app, "create-organizer", "--email", "boss@example.cn", "--name", "主任", "--password", "long enough pw")
    assert twice.exit_code != 0 and "email_taken" in twice.output


def test_weak_password_is_refused(app):
    result = _run(app, "create-organizer", "--email", "a@example.cn", "--name", "甲", "--password", "short")
    assert result.exit_code != 0 and "weak_password" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
