"""Errors, security headers, CSRF, the health check and the OpenAPI document."""
import sqlalchemy as sa
from openapi_spec_validator import validate

from fair import create_app
from fair.fairs.models import Fair
from fair.extensions import db
from tests.conftest import RequestInItsOwnContext, test_config
from tests.web.test_fairs import FORM


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_or_style(client_as, fair):
    from fair.auth.models import Role
    client = client_as(Role.organizer)
    for url in ("/", f"/fairs/{fair.slug}/", f"/fairs/{fair.slug}/edit", f"/fairs/{fair.slug}/people",
                f"/fairs/{fair.slug}/audit", "/fairs/new", "/account/password"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page, url


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    broken = create_app(test_config("postgresql://nobody@127.0.0.1:1/none", str(tmp_path)))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_openapi_document_is_valid(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Fair API"


def test_error_pages_in_both_languages(client):
    zh = client.get("/no/such/page")
    assert zh.status_code == 404
    assert "页面不存在" in zh.get_data(as_text=True)
    client.get("/lang/en")
    en = client.get("/no/such/page")
    assert en.status_code == 404
    assert 'lang="en"' in en.get_data(as_text=True)
    assert "页面不存在" not in en.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["code"] == "404" and response.json["message"]


def test_too_large_request_gets_413(client, app):
    response = client.post("/login", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


def test_unexpected_error_gets_the_500_page_and_rolls_back(database_url, tmp_path):
    app = create_app(test_config(database_url, str(tmp_path)))

    @app.get("/boom")
    def boom():
        db.session.add(Fair(slug="half-written"))
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "服务器出错了" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Fair).where(Fair.slug == "half-written")) is None


def test_language_switch_is_remembered_and_stays_on_site(client):
    response = client.get("/lang/en?next=/login")
    assert response.headers["Location"] == "/login"
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    assert client.get("/lang/zh_Hans?next=https://evil.example/").headers["Location"] == "/"
    assert 'lang="zh-Hans"' in client.get("/login").get_data(as_text=True)
    # an unknown language changes nothing
    client.get("/lang/xx")
    assert 'lang="zh-Hans"' in client.get("/login").get_data(as_text=True)


def test_browser_language_is_the_default(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in page
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page


class TestCsrf:
    """With CSRF on, as in production: a missing or tampered token saves nothing."""

    def _client(self, database_url, tmp_path):
        app = create_app(test_config(database_url, str(tmp_path), WTF_CSRF_ENABLED=True))
        app.test_client_class = RequestInItsOwnContext
        return app.test_client()

    def test_missing_token(self, database_url, tmp_path, organizer):
        client = self._client(database_url, tmp_path)
        response = client.post("/login", data={"email": organizer.email, "password": "x"})
        assert response.status_code == 400
        assert "表单已过期或校验失败" in response.get_data(as_text=True)

    def test_tampered_token_saves_nothing(self, database_url, tmp_path, organizer):
        import re
        client = self._client(database_url, tmp_path)
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        from tests.factories import PASSWORD
        assert client.post("/login", data={"email": organizer.email, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        response = client.post("/fairs/new", data={**FORM, "csrf_token": token[:-4] + "AAAA"})
        assert response.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count(Fair.id))) == 0
