import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user

WRONG = "邮箱或密码不正确。"


def test_log_in_goes_to_next_page(client, fair, organizer):
    response = client.post(f"/login?next=/fairs/{fair.slug}/", data={"email": "ORGANIZER@example.cn ",
                                                                     "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fairs/{fair.slug}/"
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.actor_id == organizer.id)
                             .order_by(AuditEvent.id.desc())) == "auth.user.logged_in"


def test_next_pointing_elsewhere_is_ignored(client, organizer):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", query_string={"next": target},
                               data={"email": organizer.email, "password": PASSWORD})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_unknown_user_and_wrong_password_get_the_same_answer(client, organizer):
    unknown = client.post("/login", data={"email": "nobody@example.cn", "password": PASSWORD})
    wrong = client.post("/login", data={"email": organizer.email, "password": "not the password"})
    assert unknown.status_code == wrong.status_code == 401
    for response in (unknown, wrong):
        page = response.get_data(as_text=True)
        assert WRONG in page
        assert 'id="password-error"' in page
    # the typed e-mail comes back in the form
    assert 'value="nobody@example.cn"' in unknown.get_data(as_text=True)


def test_failed_log_ins_are_rate_limited(client, organizer):
    statuses = [client.post("/login", data={"email": organizer.email, "password": "wrong"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # even the right password is held back until the window passes
    blocked = client.post("/login", data={"email": organizer.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "操作太频繁" in blocked.get_data(as_text=True)


def test_log_in_starts_a_fresh_session(client, organizer):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, organizer)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(organizer.id)


def test_session_cookie_is_secure_httponly_samesite(client, organizer):
    response = client.post("/login", data={"email": organizer.email, "password": PASSWORD})
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_log_out_needs_post(client, organizer):
    log_in(client, organizer)
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/account/password").status_code == 302


def test_password_change(client, organizer):
    log_in(client, organizer)
    refused = client.post("/account/password", data={"current_password": "wrong", "new_password": "new secret 1",
                                                      "confirm": "new secret 1"})
    assert refused.status_code == 400
    assert "当前密码不正确。" in refused.get_data(as_text=True)
    short = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "short",
                                                   "confirm": "short"})
    assert "密码至少需要 8 个字符。" in short.get_data(as_text=True)
    changed = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "new secret 1",
                                                     "confirm": "new secret 1"})
    assert changed.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": organizer.email, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": organizer.email, "password": "new secret 1"}).status_code == 302


def test_anonymous_is_sent_to_log_in_with_next(client, fair):
    response = client.get(f"/fairs/{fair.slug}/edit")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/fairs/{fair.slug}/edit"


def test_denied_page_says_why(client_as, fair):
    response = client_as(Role.judge).get(f"/fairs/{fair.slug}/edit")
    assert response.status_code == 403
    assert "此页面仅限以下角色访问：组织方。" in response.get_data(as_text=True)


def test_outsider_is_told_they_are_not_a_member(client_as, fair):
    response = client_as(None).get(f"/fairs/{fair.slug}/")
    assert response.status_code == 403
    assert f"您不是“{fair.name}”的成员。" in response.get_data(as_text=True)


def test_inactive_account_cannot_log_in(client):
    user = make_user()
    user.is_active_account = False
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
