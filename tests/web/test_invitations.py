import re
from datetime import timedelta

import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth import services
from fair.auth.models import Invitation, Membership, Organisation, Role, User
from fair.extensions import db
from fair.times import utcnow
from tests.conftest import log_in, queries_for
from tests.factories import make_member, make_organisation, make_user


def _invite(client, fair, **data):
    form = {"email": "new.judge@example.cn", "name": "周评委", "role": "judge", "organisation_id": 0}
    form.update(data)
    response = client.post(f"/fairs/{fair.slug}/people/invite", data=form)
    assert response.status_code == 200, response.get_data(as_text=True)
    link = re.search(r'id="invitation-link" readonly value="([^"]+)"', response.get_data(as_text=True)).group(1)
    return link.replace("http://localhost", "")


def _users() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_invited_person_joins_with_a_new_account(client_as, client, fair):
    organisation = make_organisation(name="江苏省润泽慈善基金会")
    link = _invite(client_as(Role.organizer), fair, role="sponsor", organisation_id=organisation.id,
                   email="Sponsor@Example.cn")
    page = client.get(link)
    assert page.status_code == 200
    assert "支持方" in page.get_data(as_text=True)
    joined = client.post(link, data={"name": "赵立新", "password": "a good password", "confirm": "a good password"})
    assert joined.status_code == 302
    user = services.find_user("sponsor@example.cn")
    assert user.roles_in(fair) == {Role.sponsor}
    assert user.organisation == organisation
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == user.id)).all()
    assert {"auth.user.created", "auth.invitation.accepted", "auth.membership.created"} <= set(actions)
    # logged in straight away
    assert client.get(f"/fairs/{fair.slug}/").status_code == 200


def test_a_link_works_once(client_as, fair):
    link = _invite(client_as(Role.organizer), fair)
    first, second = client_as(None).application.test_client(), client_as(None).application.test_client()
    assert first.post(link, data={"name": "周", "password": "a good password", "confirm": "a good password"}
                      ).status_code == 302
    users = _users()
    again = second.post(link, data={"name": "冒用", "password": "another password", "confirm": "another password"})
    assert again.status_code == 410
    assert "此邀请链接已被使用过" in again.get_data(as_text=True)
    assert _users() == users


def test_expired_link_makes_no_account(client, fair, organizer):
    _invitation, token = services.invite(fair, "late@example.cn", Role.judge, actor=organizer,
                                         now=utcnow() - timedelta(days=15), valid_days=14)
    users = _users()
    page = client.post(f"/invite/{token}", data={"name": "迟到", "password": "a good password",
                                                  "confirm": "a good password"})
    assert page.status_code == 410
    assert "已过期" in page.get_data(as_text=True)
    assert _users() == users


def test_unknown_and_revoked_links(client_as, client, fair, organizer):
    assert client.get("/invite/not-a-real-token").status_code == 404
    invitation, token = services.invite(fair, "x@example.cn", Role.judge, actor=organizer)
    organizer_client = client_as(Role.organizer)
    assert organizer_client.post(f"/fairs/{fair.slug}/invitations/{invitation.id}/revoke").status_code == 302
    page = client.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "撤销" in page.get_data(as_text=True)


def test_existing_account_accepts_after_logging_in(client_as, client, fair, organizer):
    judge = make_user(email="judge@example.cn")
    _invitation, token = services.invite(fair, "judge@example.cn", Role.judge, actor=organizer)
    page = client.get(f"/invite/{token}")
    assert "该邮箱已有账号" in page.get_data(as_text=True)
    # a sign-up attempt for a taken e-mail is refused next to the form, nothing is used up
    refused = client.post(f"/invite/{token}", data={"name": "x", "password": "a good password",
                                                     "confirm": "a good password"})
    assert refused.status_code == 400
    assert db.session.scalar(sa.select(Invitation.used_at)) is None
    log_in(client, judge)
    assert client.post(f"/invite/{token}").status_code == 302
    assert judge.roles_in(fair) == {Role.judge}


def test_only_organizers_invite(client_as, fair):
    response = client_as(Role.judge).post(f"/fairs/{fair.slug}/people/invite",
                                          data={"email": "x@example.cn", "role": "organizer", "organisation_id": 0})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_bad_invitation_form_comes_back(client_as, fair):
    response = client_as(Role.organizer).post(f"/fairs/{fair.slug}/people/invite",
                                              data={"email": "not-an-email", "role": "judge", "organisation_id": 0})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请输入有效的邮箱地址。" in page and 'value="not-an-email"' in page


def test_the_last_organizer_cannot_be_removed(client_as, fair, organizer):
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == organizer.id))
    response = client_as(Role.organizer).post(f"/fairs/{fair.slug}/members/{membership.id}/remove",
                                              follow_redirects=True)
    assert "每届展会至少需要一位组织方。" in response.get_data(as_text=True)
    assert organizer.roles_in(fair) == {Role.organizer}


def test_people_page_queries_do_not_grow_with_members(client_as, fair):
    organizer_client = client_as(Role.organizer)

    def queries() -> int:
        return queries_for(organizer_client, f"/fairs/{fair.slug}/people")

    few = queries()
    for number in range(25):
        make_member(fair, Role.judge, organisation=make_organisation())
        services.invite(fair, f"pending{number}@example.cn", Role.reviewer, actor=make_user())
    assert queries() == few


def test_inviting_a_person_of_a_new_organisation(client_as, client, fair):
    link = _invite(client_as(Role.organizer), fair, role="sponsor", email="rep@zijin.cn",
                   new_organisation="紫金山科技发展有限公司", new_organisation_kind="enterprise")
    client.post(link, data={"name": "钱总", "password": "a good password", "confirm": "a good password"})
    user = services.find_user("rep@zijin.cn")
    assert user.organisation.name == "紫金山科技发展有限公司"
    assert user.organisation.kind.value == "enterprise"


def test_existing_and_new_organisation_together_is_refused(client_as, fair):
    organisation = make_organisation()
    response = client_as(Role.organizer).post(f"/fairs/{fair.slug}/people/invite", data={
        "email": "a@example.cn", "role": "sponsor", "organisation_id": organisation.id,
        "new_organisation": "另一家单位", "new_organisation_kind": "enterprise"})
    assert response.status_code == 400
    assert "请选择已有单位或新建单位，二者选一。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1
