from fair.auth.models import Role


def test_home_anonymous(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "登录" in response.get_data(as_text=True)


def test_each_role_sees_the_fair(client_as, fair):
    for role in Role:
        page = client_as(role).get(f"/fairs/{fair.slug}/")
        assert page.status_code == 200, role
