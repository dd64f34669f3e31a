"""Security headers and cookies (fair/security.py, fair/config.py): every HTML page forbids inline script
and framing, never sniffs, keeps the referrer on the site; session cookies are HttpOnly, SameSite and Secure
unless FAIR_SECURE_COOKIES is off. Session fixation is tested in tests/web/test_auth.py."""
import pytest

from fair import create_app
from tests.conftest import test_config
from tests.factories import PASSWORD

PAGES = ["/", "/login", "/healthz"]


def directives(policy: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_the_security_headers(client, url):
    response = client.get(url)
    policy = directives(response.headers["Content-Security-Policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["frame-ancestors"] == ["'none'"] and response.headers["X-Frame-Options"] == "DENY"
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")


def test_the_session_cookie_is_httponly_samesite_and_secure_by_default(database_url, instance_path, monkeypatch,
                                                                       organizer):
    monkeypatch.delenv("FAIR_SECURE_COOKIES", raising=False)
    app = create_app(test_config(database_url, instance_path))
    response = app.test_client().post("/login", data={"email": organizer.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_secure_cookies_can_be_turned_off_for_plain_http(database_url, instance_path, monkeypatch, organizer):
    monkeypatch.setenv("FAIR_SECURE_COOKIES", "off")
    app = create_app(test_config(database_url, instance_path))
    response = app.test_client().post("/login", data={"email": organizer.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "secure" not in cookie.lower() and "httponly" in cookie.lower()
