"""People's choice: one vote per admitted ticket per category, changeable until voting closes, the unique
key holding under a race; results hidden until the close, even from organizers; bursts from one address or
device flagged; the organizer's page bounded and for organizers only."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.refusal import Refused
from judging import voting
from judging.models import JudgingSetup, Vote
from tests.conftest import count_queries, queries_for
from tests.visitor_factories import make_scannable_ticket
from tests.web.test_booth_visits import admitted, booth_fair, holding, project_url  # noqa: F401  fixtures


@pytest.fixture
def voting_fair(booth_fair, organizer):
    voting.open_voting(booth_fair[0], organizer)
    return booth_fair


def votes() -> list[Vote]:
    return db.session.scalars(sa.select(Vote).order_by(Vote.id)).all()


def events(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


# --- the rules, through the service -------------------------------------------------------------------

def test_a_vote_needs_a_ticket_admitted_at_an_entry_gate(voting_fair):
    fair, elderly, *_ = voting_fair
    ticket, _qr = make_scannable_ticket(fair)
    with pytest.raises(Refused) as refused:
        voting.cast_vote(ticket, elderly)
    assert refused.value.code == "not_checked_in" and votes() == []
    admitted(fair, ticket)
    vote, outcome = voting.cast_vote(ticket, elderly, address="10.0.0.1", device="phone-1")
    assert outcome == "cast"
    assert (vote.category_id, vote.address, vote.device) == (elderly.category_id, "10.0.0.1", "phone-1")


def test_a_refused_scan_or_another_kind_of_point_does_not_count_as_admitted(voting_fair):
    from fair.visitors import checkins
    from fair.visitors.models import PointKind
    from tests.visitor_factories import make_point

    fair, elderly, *_ = voting_fair
    ticket, qr = make_scannable_ticket(fair)
    salon = make_point(fair, "salon", kind=PointKind.salon)
    assert checkins.redeem(fair, salon, qr, scanned_at=datetime(2027, 5, 20, 2, tzinfo=timezone.utc)).ok
    gate = make_point(fair, "gate")
    assert not checkins.redeem(fair, gate, qr, scanned_at=datetime(2026, 1, 1, tzinfo=timezone.utc)).ok
    assert not voting.checked_in(ticket)


@pytest.mark.parametrize("state, code", [("not_open", "voting_not_open"), ("closed", "voting_closed")])
def test_a_vote_needs_voting_open(booth_fair, organizer, state, code):
    fair, elderly, *_ = booth_fair
    ticket = admitted(fair, make_scannable_ticket(fair)[0])
    if state == "closed":
        voting.open_voting(fair, organizer)
        voting.close_voting(fair, organizer)
    with pytest.raises(Refused) as refused:
        voting.cast_vote(ticket, elderly)
    assert refused.value.code == code and votes() == []


def test_one_vote_per_category_which_can_move_until_the_close(voting_fair):
    fair, elderly, rival, green, _ours = voting_fair
    ticket = admitted(fair, make_scannable_ticket(fair)[0])
    assert voting.cast_vote(ticket, elderly)[1] == "cast"
    assert voting.cast_vote(ticket, elderly)[1] == "unchanged"
    assert voting.cast_vote(ticket, rival, device="phone-2")[1] == "changed"        # same category: moves
    assert voting.cast_vote(ticket, green)[1] == "cast"                            # another category
    assert sorted((vote.category_id, vote.application_id) for vote in votes()) == sorted(
        [(rival.category_id, rival.id), (green.category_id, green.id)])
    assert events("judging.vote.cast") == 2 and events("judging.vote.changed") == 1
    changed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "judging.vote.changed"))
    assert changed.before == {"application": elderly.id} and changed.after["application"] == rival.id


def test_two_first_votes_at_once_give_one_row_and_a_clear_refusal(voting_fair, monkeypatch):
    """The other request's INSERT landed between this one's look and its own INSERT: the unique key wins."""
    fair, elderly, rival, *_ = voting_fair
    ticket = admitted(fair, make_scannable_ticket(fair)[0])
    voting.cast_vote(ticket, elderly)
    monkeypatch.setattr(voting, "vote_of", lambda *_args: None)
    with pytest.raises(Refused) as refused:
        voting.cast_vote(ticket, rival)
    assert refused.value.code == "conflict" and "刚刚已在该领域投过票" in refused.value.message
    assert [(vote.application_id) for vote in votes()] == [elderly.id]


def test_two_phones_voting_with_one_ticket_at_the_same_instant_land_one_vote(app, voting_fair, monkeypatch):
    """Real threads, each in its own app context and session, both past the look for an earlier vote
    before either writes: the database keeps one (SQLite and PostgreSQL alike)."""
    import threading

    from fair.applications.models import Application
    from fair.visitors.models import Ticket

    fair, elderly, rival, *_ = voting_fair
    ticket = admitted(fair, make_scannable_ticket(fair)[0])
    both_looked = threading.Barrier(2)
    looked_up = voting.vote_of

    def look_then_wait(*args):
        found = looked_up(*args)
        both_looked.wait(timeout=30)
        return found

    monkeypatch.setattr(voting, "vote_of", look_then_wait)
    outcomes, errors = [], []

    def phone(application_id):
        try:
            with app.app_context():
                try:
                    outcomes.append(voting.cast_vote(db.session.get(Ticket, ticket.id),
                                                     db.session.get(Application, application_id))[1])
                except Refused as refused:
                    outcomes.append(refused.code)
                db.session.remove()
        except Exception as error:            # noqa: BLE001  reported below
            errors.append(error)

    threads = [threading.Thread(target=phone, args=(application.id,)) for application in (elderly, rival)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == ["cast", "conflict"]
    assert len(votes()) == 1 and events("judging.vote.cast") == 1


def test_a_revoked_ticket_cannot_vote(voting_fair, organizer):
    from fair.visitors import services

    fair, elderly, *_ = voting_fair
    ticket = admitted(fair, make_scannable_ticket(fair)[0])
    services.revoke_ticket(ticket, "遗失", actor=organizer)
    with pytest.raises(Refused) as refused:
        voting.cast_vote(ticket, elderly)
    assert refused.value.code == "revoked"


# --- on the phone -------------------------------------------------------------------------------------

def test_the_panel_and_the_vote_on_the_phone(client, voting_fair):
    fair, elderly, rival, *_ = voting_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    page = client.get(project_url(fair, elderly)).get_data(as_text=True)
    assert "观众选择奖投票" in page and "入场检票后即可投票" in page
    assert f"/judging/vote/{elderly.id}" not in page
    response = client.post(f"/fairs/{fair.slug}/judging/vote/{elderly.id}")
    assert "HttpOnly" in next(value for value in response.headers.getlist("Set-Cookie")
                              if value.startswith("fair_device="))          # the phone's random id, kept
    assert "请先在展会入口检票入场" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert votes() == []
    admitted(fair, ticket)
    assert f"/judging/vote/{elderly.id}" in client.get(project_url(fair, elderly)).get_data(as_text=True)
    response = client.post(f"/fairs/{fair.slug}/judging/vote/{elderly.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("#visit-panel")
    [vote] = votes()
    assert vote.device and vote.device == client.get_cookie("fair_device").value and vote.address == "127.0.0.1"
    page = client.get(project_url(fair, elderly)).get_data(as_text=True)
    assert "您已在“助老”领域为本项目投票" in page
    page = client.get(project_url(fair, rival)).get_data(as_text=True)
    assert "已投给《银龄助餐》" in page and "改投本项目（助老）" in page
    client.post(f"/fairs/{fair.slug}/judging/vote/{rival.id}")
    assert [(vote.application_id, vote.device) for vote in votes()] == [(rival.id, vote.device)]   # same phone


def test_voting_without_a_ticket_asks_for_one(client, voting_fair):
    fair, elderly, *_ = voting_fair
    response = client.post(f"/fairs/{fair.slug}/judging/vote/{elderly.id}")
    assert response.status_code == 302 and "/my-visit?next=" in response.headers["Location"]


def test_after_the_close_the_panel_says_so(client, voting_fair, organizer):
    fair, elderly, *_ = voting_fair
    holding(client, admitted(fair, make_scannable_ticket(fair)[0]))
    voting.close_voting(fair, organizer)
    page = client.get(project_url(fair, elderly)).get_data(as_text=True)
    assert "观众选择奖投票已结束" in page and f"/judging/vote/{elderly.id}" not in page


# --- the organizer ------------------------------------------------------------------------------------

def votes_url(fair) -> str:
    return f"/fairs/{fair.slug}/judging/votes"


def test_opening_and_closing_are_audited_version_checked_and_final(client_as, booth_fair):
    fair, *_ = booth_fair
    organizer = client_as(Role.organizer)
    page = organizer.get(votes_url(fair)).get_data(as_text=True)
    assert "开始观众投票" in page
    assert "观众投票已开始" in organizer.post(votes_url(fair) + "/open", data={"version": "0"},
                                          follow_redirects=True).get_data(as_text=True)
    setup = db.session.get(JudgingSetup, fair.id)
    assert setup.voting_opened_at is not None and setup.voting_closed_at is None
    stale = organizer.post(votes_url(fair) + "/close", data={"version": str(setup.version - 1)}, follow_redirects=True)
    assert "刚被他人修改" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(JudgingSetup, fair.id).voting_closed_at is None
    organizer.post(votes_url(fair) + "/close", data={"version": str(setup.version)})
    db.session.expire_all()
    assert db.session.get(JudgingSetup, fair.id).voting_closed_at is not None
    version = str(db.session.get(JudgingSetup, fair.id).version)
    again = organizer.post(votes_url(fair) + "/open", data={"version": version}, follow_redirects=True)
    assert "不能重新开始" in again.get_data(as_text=True)
    assert events("judging.voting.opened") == 1 and events("judging.voting.closed") == 1


def test_results_are_hidden_until_the_close_even_from_organizers(client_as, voting_fair, organizer):
    fair, elderly, rival, green, _ours = voting_fair
    for application, count in ((elderly, 3), (rival, 1), (green, 2)):
        for _ in range(count):
            voting.cast_vote(admitted(fair, make_scannable_ticket(fair)[0]), application, device="")
    with pytest.raises(Refused) as refused:
        voting.results(fair)
    assert refused.value.code == "not_closed"
    page = client_as(Role.organizer).get(votes_url(fair)).get_data(as_text=True)
    assert "进行中" in page and ">6<" in page
    for title in ("银龄助餐", "长者陪伴热线", "河道清洁行动"):
        assert title not in page
    voting.close_voting(fair, organizer)
    results = {result.category.id: result for result in voting.results(fair)}
    first = results[elderly.category_id]
    assert [(tally.application.id, tally.votes) for tally in first.tallies] == [(elderly.id, 3), (rival.id, 1)]
    assert [tally.application.id for tally in first.winners] == [elderly.id]
    assert [tally.application.id for tally in results[green.category_id].winners] == [green.id]
    page = client_as(Role.organizer).get(votes_url(fair)).get_data(as_text=True)
    assert "已结束" in page and "银龄助餐" in page and "河道清洁行动" in page and "评委评审的奖项分开" in page


def test_a_tie_gives_joint_winners(voting_fair, organizer):
    fair, elderly, rival, *_ = voting_fair
    for application in (elderly, rival):
        voting.cast_vote(admitted(fair, make_scannable_ticket(fair)[0]), application)
    voting.close_voting(fair, organizer)
    [result] = [result for result in voting.results(fair) if result.category.id == elderly.category_id]
    assert {tally.application.id for tally in result.winners} == {elderly.id, rival.id}


def test_many_tickets_from_one_device_are_flagged_without_the_projects_while_open(client_as, voting_fair, organizer):
    fair, elderly, rival, green, _ours = voting_fair
    for _ in range(voting.BURST_TICKETS):
        voting.cast_vote(admitted(fair, make_scannable_ticket(fair)[0]), elderly, address="10.0.0.9",
                         device="one-phone")
    honest = admitted(fair, make_scannable_ticket(fair)[0])
    for application in (elderly, green):                  # one visitor in two categories is one ticket
        voting.cast_vote(honest, application, address="10.0.0.9", device="own-phone")
    found = voting.bursts(fair)
    assert {(burst.kind, burst.source, burst.tickets) for burst in found} == {
        ("address", "10.0.0.9", voting.BURST_TICKETS + 1), ("device", "one-phone", voting.BURST_TICKETS)}
    page = client_as(Role.organizer).get(votes_url(fair)).get_data(as_text=True)
    assert "one-phone" in page and "同一设备" in page and "结束后显示" in page and "银龄助餐" not in page
    voting.close_voting(fair, organizer)
    assert "银龄助餐" in client_as(Role.organizer).get(votes_url(fair)).get_data(as_text=True)


def test_fewer_tickets_are_not_a_burst(voting_fair):
    fair, elderly, *_ = voting_fair
    for _ in range(voting.BURST_TICKETS - 1):
        voting.cast_vote(admitted(fair, make_scannable_ticket(fair)[0]), elderly, address="10.0.0.9", device="p")
    assert voting.bursts(fair) == []


T0 = datetime(2027, 5, 20, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("minutes, tickets, expected", [
    ([0, 1, 2], [1, 2, 3], [range(0, 3)]),                                   # three tickets within the window
    ([0, 1, 2], [1, 1, 2], []),                                              # two tickets, however many votes
    ([0, 5, 11, 30], [1, 2, 3, 4], []),                                      # never three within ten minutes
    ([0, 5, 9, 30, 31, 32], [1, 2, 3, 4, 5, 6], [range(0, 3), range(3, 6)]),  # two bursts apart
    ([0, 5, 10, 15, 20], [1, 2, 3, 4, 5], [range(0, 5)]),                    # windows that overlap join up
    ([0, 20, 21, 22, 50], [9, 1, 2, 3, 8], [range(1, 4)]),                   # the burst only, not its neighbours
])
def test_burst_windows(minutes, tickets, expected):
    votes_ = [(T0 + timedelta(minutes=minute), ticket) for minute, ticket in zip(minutes, tickets)]
    assert voting._runs(votes_, 3, timedelta(minutes=10)) == expected


@pytest.mark.parametrize("role", [Role.exhibitor, Role.judge, Role.gate_staff])
def test_the_votes_page_is_for_organizers(client_as, booth_fair, role):
    fair, *_ = booth_fair
    assert client_as(role).get(votes_url(fair)).status_code == 403
    assert client_as(role).post(votes_url(fair) + "/open", data={"version": "0"}).status_code == 403
    assert db.session.get(JudgingSetup, fair.id) is None


def test_the_votes_page_and_a_vote_cost_the_same_few_queries_however_many_votes(client, client_as, voting_fair,
                                                                                 organizer):
    fair, elderly, rival, green, _ours = voting_fair
    organizer_client = client_as(Role.organizer)
    voting.cast_vote(admitted(fair, make_scannable_ticket(fair)[0]), elderly, device="a")
    few = queries_for(organizer_client, votes_url(fair))
    for index in range(24):
        voting.cast_vote(admitted(fair, make_scannable_ticket(fair)[0]), (elderly, rival, green)[index % 3],
                         address="10.1.1.1", device="shared")
    assert queries_for(organizer_client, votes_url(fair)) == few + 2         # the burst's source and its votes
    voting.close_voting(fair, organizer)
    assert queries_for(organizer_client, votes_url(fair)) == few + 2 + 3    # the results: counts, projects, categories
    ticket = admitted(fair, make_scannable_ticket(fair)[0])
    holding(client, ticket)
    with count_queries() as statements:
        client.post(f"/fairs/{fair.slug}/judging/vote/{elderly.id}")
    assert len(statements) <= 10
