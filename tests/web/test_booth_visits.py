"""A ticket holder at a booth: the phone remembers its ticket (signed cookie), records a visit once,
bookmarks, leaves contact details only with consent and can take them back; the project team sees counts
and only what visitors chose to share, for its own projects only."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Phase
from fair.visitors import booth_visits, services
from fair.visitors.models import BoothVisit
from tests.conftest import count_queries, log_in, queries_for
from tests.factories import make_member, make_organisation, make_plan, make_shortlisted
from tests.visitor_factories import make_point, make_scannable_ticket

ON_FAIR_DAY = datetime(2027, 5, 20, 2, 0, tzinfo=timezone.utc)        # 10:00 in Shanghai, the first day


@pytest.fixture
def booth_fair(fair, organizer):
    """A fair in preparation (plan public, registration open) with two shortlisted projects of two
    organisations on booths A-01 and A-02, both in the first category, and one of another category."""
    fair.phase = Phase.preparation
    db.session.commit()
    _hall, _zones, booths = make_plan(fair, actor=organizer)
    ours, theirs = make_organisation(name="鼓楼助老服务队"), make_organisation(name="玄武志愿者协会")
    elderly = make_shortlisted(fair, title="银龄助餐", category=fair.categories[0], organisation=ours)[0]
    rival = make_shortlisted(fair, title="长者陪伴热线", category=fair.categories[0], organisation=theirs)[0]
    green = make_shortlisted(fair, title="河道清洁行动", category=fair.categories[3], organisation=ours)[0]
    for booth, application in zip(booths, (elderly, rival, green)):
        booth.application_id = application.id
    db.session.commit()
    return fair, elderly, rival, green, ours


def project_url(fair, application, suffix: str = "") -> str:
    return f"/fairs/{fair.slug}/projects/{application.id}{suffix}"


def holding(client, ticket):
    """The client (a phone) uses `ticket`, as the link from the ticket page does it."""
    response = client.get(f"/fairs/{ticket.fair.slug}/tickets/{ticket.code}/use-here")
    assert response.status_code == 302
    return client


def admitted(fair, ticket):
    """Admitted at the fair's entry gate (through the check-in service)."""
    from fair.visitors import checkins
    from fair.visitors.models import CheckinPoint, PointKind

    point = db.session.scalar(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id,
                                                            CheckinPoint.kind == PointKind.entry))
    point = point or make_point(fair, "east-gate")
    result = checkins.redeem(fair, point, services.qr_text(ticket), scanned_at=ON_FAIR_DAY)
    assert result.ok, result.reason
    return ticket


def visits(**where) -> list[BoothVisit]:
    return db.session.scalars(sa.select(BoothVisit).filter_by(**where).order_by(BoothVisit.id)).all()


def events(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


# --- which ticket this phone uses ---------------------------------------------------------------------

def test_without_a_ticket_the_panel_offers_to_use_one(client, booth_fair):
    fair, elderly, *_ = booth_fair
    page = client.get(project_url(fair, elderly)).get_data(as_text=True)
    assert 'id="visit-panel"' in page
    assert "在本机使用我的入场码" in page
    assert f'href="/fairs/{fair.slug}/register-visit"' in page
    assert project_url(fair, elderly, '/visit"') not in page


def test_use_here_remembers_the_ticket_in_a_signed_httponly_cookie(client, booth_fair):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair, name="张晓")
    response = client.get(f"/fairs/{fair.slug}/tickets/{ticket.code.lower()}/use-here")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/fairs/{fair.slug}/tickets/{ticket.code}")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("fair_ticket="))
    assert "HttpOnly" in cookie and f"Path=/fairs/{fair.slug}/" in cookie and "Max-Age=" in cookie
    assert ticket.code not in cookie                     # the cookie names the row, the code stays secret
    page = client.get(project_url(fair, elderly)).get_data(as_text=True)
    assert "本机使用 张晓 的入场码" in page and project_url(fair, elderly, '/visit"') in page and "☆ 收藏" in page


def test_use_here_goes_back_to_a_safe_next_only(client, booth_fair):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    here = project_url(fair, elderly)
    assert client.get(f"/fairs/{fair.slug}/tickets/{ticket.code}/use-here?next={here}").headers["Location"] == here
    elsewhere = client.get(f"/fairs/{fair.slug}/tickets/{ticket.code}/use-here?next=https://evil.example/")
    assert "evil" not in elsewhere.headers["Location"]
    assert client.get(f"/fairs/{fair.slug}/tickets/AAAAAAAAAAAAAAAA/use-here").status_code == 404


@pytest.mark.parametrize("typed", ["code", "lower", "url", "qr"])
def test_the_panel_form_takes_the_code_its_page_address_or_the_qr_text(client, booth_fair, typed):
    fair, elderly, *_ = booth_fair
    ticket, qr = make_scannable_ticket(fair)
    text = {"code": ticket.code, "lower": f"  {ticket.code.lower()} ", "qr": qr,
            "url": f"https://fair.example.cn/fairs/{fair.slug}/tickets/{ticket.code}?x=1"}[typed]
    response = client.post(f"/fairs/{fair.slug}/my-visit/ticket",
                           data={"code": text, "next": project_url(fair, elderly)})
    assert response.status_code == 302 and response.headers["Location"] == project_url(fair, elderly)
    assert project_url(fair, elderly, '/visit"') in client.get(project_url(fair, elderly)).get_data(as_text=True)


@pytest.mark.parametrize("text, message", [
    ("", "此项为必填项"),
    ("AAAAAAAAAAAAAAAA", "未找到此入场码"),
    ("FT1:NOTAREALCODE", "无法识别此二维码内容"),
])
def test_a_wrong_code_is_told_next_to_the_field_and_kept(client, booth_fair, text, message):
    fair, *_ = booth_fair
    response = client.post(f"/fairs/{fair.slug}/my-visit/ticket", data={"code": text})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="code-error"' in page
    assert f'value="{text}"' in page
    assert "fair_ticket=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_ticket_of_another_fair_or_revoked_is_refused(client, booth_fair, organizer):
    from tests.factories import make_fair

    fair, *_ = booth_fair
    other, _qr = make_scannable_ticket(make_fair(organizer))
    response = client.post(f"/fairs/{fair.slug}/my-visit/ticket", data={"code": other.code})
    assert response.status_code == 400 and "未找到此入场码" in response.get_data(as_text=True)
    revoked, _qr = make_scannable_ticket(fair)
    services.revoke_ticket(revoked, "遗失", actor=organizer)
    response = client.post(f"/fairs/{fair.slug}/my-visit/ticket", data={"code": revoked.code})
    assert response.status_code == 400 and "已作废" in response.get_data(as_text=True)


def test_a_forged_cookie_or_a_revoked_ticket_counts_for_nothing(client, booth_fair, organizer):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    good = client.get_cookie("fair_ticket", path=f"/fairs/{fair.slug}/").value
    head, _dot, tail = good.rpartition(".")
    client.set_cookie("fair_ticket", head + "." + tail[::-1], path=f"/fairs/{fair.slug}/")
    assert "在本机使用我的入场码" in client.get(project_url(fair, elderly)).get_data(as_text=True)
    client.set_cookie("fair_ticket", good, path=f"/fairs/{fair.slug}/")
    services.revoke_ticket(ticket, "遗失", actor=organizer)
    assert "在本机使用我的入场码" in client.get(project_url(fair, elderly)).get_data(as_text=True)
    assert client.post(project_url(fair, elderly, "/visit")).status_code == 302
    assert visits() == []


def test_forget_drops_the_ticket(client, booth_fair):
    fair, elderly, *_ = booth_fair
    holding(client, make_scannable_ticket(fair)[0])
    response = client.post(f"/fairs/{fair.slug}/my-visit/forget")
    assert response.status_code == 302
    assert "在本机使用我的入场码" in client.get(project_url(fair, elderly)).get_data(as_text=True)


# --- at a booth ---------------------------------------------------------------------------------------

def test_without_a_ticket_a_booth_action_asks_for_one(client, booth_fair):
    fair, elderly, *_ = booth_fair
    response = client.post(project_url(fair, elderly, "/visit"))
    assert response.status_code == 302 and "/my-visit?next=" in response.headers["Location"]
    assert visits() == []


def test_recording_a_visit_twice_records_it_once(client, booth_fair):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    for _ in range(2):
        response = client.post(project_url(fair, elderly, "/visit"))
        assert response.status_code == 302 and response.headers["Location"].endswith("#visit-panel")
    [visit] = visits(ticket_id=ticket.id)
    assert visit.application_id == elderly.id and not visit.bookmarked and visit.shared_phone == ""
    assert events("visitors.visit.recorded") == 1
    assert "已到访" in client.get(project_url(fair, elderly)).get_data(as_text=True)


def test_two_taps_at_once_make_one_visit(booth_fair):
    """The unique key settles it: the second INSERT finds the first row."""
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    db.session.add(BoothVisit(ticket_id=ticket.id, application_id=elderly.id))
    db.session.commit()
    original = booth_visits.visit_of
    calls = []

    def not_yet(ticket_, application):          # the other tap's row is not visible at the first look
        calls.append(1)
        return None if len(calls) == 1 else original(ticket_, application)

    booth_visits.visit_of = not_yet
    try:
        visit = booth_visits.record_visit(ticket, elderly)
    finally:
        booth_visits.visit_of = original
    assert visit is not None and len(visits()) == 1


def test_bookmark_sets_the_state_asked_for(client, booth_fair):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    url = project_url(fair, elderly, "/bookmark")
    client.post(url, data={"bookmarked": "1"})
    client.post(url, data={"bookmarked": "1"})            # a second tap of the same button
    assert [visit.bookmarked for visit in visits()] == [True]
    assert "已收藏（取消）" in client.get(project_url(fair, elderly)).get_data(as_text=True)
    client.post(url, data={"bookmarked": "0"})
    assert [visit.bookmarked for visit in visits()] == [False]
    assert events("visitors.visit.bookmarked") == 1 and events("visitors.visit.unbookmarked") == 1
    assert client.post(url, data={"bookmarked": "maybe"}).status_code == 400


def test_contact_needs_consent_and_a_valid_phone_and_loses_nothing(client, booth_fair):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair, name="张晓")
    holding(client, ticket)
    url = project_url(fair, elderly, "/contact")
    form = client.get(url).get_data(as_text=True)
    assert 'value="张晓"' in form and "鼓楼助老服务队" in form          # filled from the ticket; whose team
    response = client.post(url, data={"name": "张晓", "phone": "13912345678", "note": "想做志愿者"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请勾选同意后再提交" in page and 'id="consent-error"' in page and "想做志愿者" in page
    response = client.post(url, data={"name": "张晓", "phone": "123", "note": "", "consent": "y"})
    assert response.status_code == 400 and 'id="phone-error"' in response.get_data(as_text=True)
    assert visits() == []
    response = client.post(url, data={"name": " 张 晓 ", "phone": "139-1234-5678", "note": "想做志愿者", "consent": "y"})
    assert response.status_code == 302
    [visit] = visits()
    assert (visit.shared_name, visit.shared_phone, visit.shared_note) == ("张 晓", "13912345678", "想做志愿者")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "visitors.contact.shared"))
    assert event.after["phone"] == "139****5678"          # the audit keeps that it was shared, not the number
    assert "已留联系方式（修改或撤回）" in client.get(project_url(fair, elderly)).get_data(as_text=True)


def test_a_visitor_can_withdraw_the_contact(client, booth_fair):
    fair, elderly, *_ = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    client.post(project_url(fair, elderly, "/contact"), data={"name": "李", "phone": "13912345678", "consent": "y"})
    client.post(project_url(fair, elderly, "/bookmark"), data={"bookmarked": "1"})
    assert client.post(project_url(fair, elderly, "/contact/withdraw")).status_code == 302
    [visit] = visits()
    assert (visit.shared_name, visit.shared_phone, visit.shared_note, visit.bookmarked) == ("", "", "", True)
    assert events("visitors.contact.withdrawn") == 1


def test_a_project_not_public_has_no_booth_actions(client, booth_fair):
    from tests.factories import make_application

    fair, *_ = booth_fair
    hidden = make_application(fair)                      # submitted, not shortlisted
    holding(client, make_scannable_ticket(fair)[0])
    assert client.post(project_url(fair, hidden, "/visit")).status_code == 404
    assert client.get(project_url(fair, hidden, "/contact")).status_code == 404


def test_my_visit_lists_the_bookmarked_and_visited_projects(client, booth_fair):
    fair, elderly, rival, green, _ours = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    client.post(project_url(fair, elderly, "/visit"))
    client.post(project_url(fair, green, "/bookmark"), data={"bookmarked": "1"})
    page = client.get(f"/fairs/{fair.slug}/my-visit").get_data(as_text=True)
    assert page.index("河道清洁行动") < page.index("银龄助餐")          # bookmarks first
    assert "长者陪伴热线" not in page
    assert services.mask_phone(ticket.phone) in page and ticket.phone not in page


# --- the project team ---------------------------------------------------------------------------------

@pytest.fixture
def team(app, booth_fair):
    """An exhibitor of the organisation of 银龄助餐 and 河道清洁行动, logged in."""
    fair, *_rest, ours = booth_fair
    return log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=ours))


def test_the_team_sees_counts_and_only_what_visitors_shared_for_its_own_projects(app, booth_fair, team):
    fair, elderly, rival, _green, _ours = booth_fair
    sharing, _qr = make_scannable_ticket(fair, name="王芳", phone="13700000001")
    silent, _qr = make_scannable_ticket(fair, name="赵磊", phone="13700000002")
    elsewhere, _qr = make_scannable_ticket(fair, name="钱多", phone="13700000003")
    booth_visits.share_contact(sharing, elderly, booth_visits.ContactDetails("王女士", "13811112222", "合作", True))
    booth_visits.set_bookmark(silent, elderly, True)
    booth_visits.share_contact(elsewhere, rival, booth_visits.ContactDetails("钱先生", "13833334444", "", True))
    response = team.get(f"/fairs/{fair.slug}/booths/contacts")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "银龄助餐" in page and "河道清洁行动" in page and "长者陪伴热线" not in page
    assert "王女士" in page and "13811112222" in page and "合作" in page
    for hidden in ("王芳", "13700000001", "赵磊", "13700000002", "钱先生", "13833334444"):
        assert hidden not in page
    csv = team.get(f"/fairs/{fair.slug}/booths/contacts.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data().decode("utf-8-sig")
    assert "王女士" in text and "13811112222" in text and "钱先生" not in text and "赵磊" not in text
    assert events("visitors.contacts.exported") == 1


def test_the_team_page_counts_visits_and_bookmarks(booth_fair):
    fair, elderly, *_rest, ours = booth_fair
    for bookmarked in (True, True, False):
        ticket, _qr = make_scannable_ticket(fair)
        booth_visits.set_bookmark(ticket, elderly, bookmarked)
    [entry] = [row for row in booth_visits.team_view(fair, [elderly])]
    assert (entry.visits, entry.bookmarks, entry.contacts) == (3, 2, [])


@pytest.mark.parametrize("role", [Role.judge, Role.organizer, Role.gate_staff])
def test_the_team_page_is_for_exhibitors(client_as, booth_fair, role):
    fair, *_ = booth_fair
    assert client_as(role).get(f"/fairs/{fair.slug}/booths/contacts").status_code == 403
    assert client_as(role).get(f"/fairs/{fair.slug}/booths/contacts.csv").status_code == 403


def test_the_team_page_asks_anonymous_visitors_to_log_in(client, booth_fair):
    fair, *_ = booth_fair
    assert client.get(f"/fairs/{fair.slug}/booths/contacts").status_code == 302


# --- bounded ------------------------------------------------------------------------------------------

def test_pages_cost_the_same_few_queries_however_many_visits(app, client, booth_fair, team):
    fair, elderly, rival, green, _ours = booth_fair
    ticket, _qr = make_scannable_ticket(fair)
    holding(client, ticket)
    client.post(project_url(fair, elderly, "/visit"))
    small = (queries_for(client, project_url(fair, elderly)), queries_for(client, f"/fairs/{fair.slug}/my-visit"),
             queries_for(team, f"/fairs/{fair.slug}/booths/contacts"))
    for index in range(12):
        other, _qr = make_scannable_ticket(fair)
        booth_visits.share_contact(other, elderly if index % 2 else green,
                                   booth_visits.ContactDetails(f"访客{index}", f"1360000{index:04d}", "", True))
    for application in (rival, green):
        client.post(project_url(fair, application, "/bookmark"), data={"bookmarked": "1"})
    large = (queries_for(client, project_url(fair, elderly)), queries_for(client, f"/fairs/{fair.slug}/my-visit"),
             queries_for(team, f"/fairs/{fair.slug}/booths/contacts"))
    assert large == small
    assert max(large) <= 15
    with count_queries() as statements:
        assert client.post(project_url(fair, elderly, "/visit")).status_code == 302
    assert len(statements) <= 8
