"""Security headers on every response. The CSP allows no inline script or style."""
from flask import Flask

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        add_headers(response.headers, app.config["SESSION_COOKIE_SECURE"])
        return response


def add_headers(headers, secure: bool) -> None:
    """The headers every answer carries (also the check-in fast path's, which does not pass through Flask)."""
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    if secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
