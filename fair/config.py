"""Settings read from the environment, so one build runs anywhere (demo laptop, CI, production)."""
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(instance_path: str) -> str:
    """FAIR_DATABASE_URL, or a SQLite file in the instance folder; psycopg 3 for PostgreSQL."""
    url = os.environ.get("FAIR_DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'fair.sqlite'}"
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key(instance_path: str) -> str:
    """FAIR_SECRET_KEY, or a random key generated once and kept in the instance folder."""
    key = os.environ.get("FAIR_SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def default_timezone() -> str:
    name = os.environ.get("FAIR_TIMEZONE", "Asia/Shanghai")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(f"FAIR_TIMEZONE={name!r} is not a known IANA timezone") from None
    return name


def engine_options(url: str) -> dict:
    """A server's connections can drop while idle in the pool (a restart, a proxy's timeout): check each on
    checkout. A SQLite file cannot drop, and the check would cost a query on every request."""
    return {} if url.startswith("sqlite") else {"pool_pre_ping": True}


def from_environment(instance_path: str) -> dict:
    """The configuration mapping create_app applies before a test's overrides."""
    secure_cookies = _flag("FAIR_SECURE_COOKIES", True)
    url = database_url(instance_path)
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "FAIR_TIMEZONE": default_timezone(),
        # One file may have FAIR_MAX_UPLOAD_MB; a request a little more, for the form around it.
        "FAIR_MAX_UPLOAD_BYTES": int(os.environ.get("FAIR_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "MAX_CONTENT_LENGTH": int(os.environ.get("FAIR_MAX_UPLOAD_MB", "10")) * 1024 * 1024 + 64 * 1024,
        # Uploaded files: outside static/, under random names, served only through a permission check.
        "FAIR_UPLOAD_DIR": os.environ.get("FAIR_UPLOAD_DIR") or str(Path(instance_path) / "uploads"),
        # A TrueType CJK font (.ttf, or .ttc#index) for PDFs to embed; unset: a known system font is looked for.
        "FAIR_PDF_FONT": os.environ.get("FAIR_PDF_FONT", ""),
        # Cookies: HttpOnly and SameSite always; Secure unless turned off for plain-http local use.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        # Rate limits: in memory by default, shared across workers when FAIR_REDIS_URL is set.
        "RATELIMIT_STORAGE_URI": os.environ.get("FAIR_REDIS_URL", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "FAIR_LOGIN_LIMIT": os.environ.get("FAIR_LOGIN_LIMIT", "10 per minute; 60 per hour"),
        "FAIR_LOGIN_ACCOUNT_LIMIT": os.environ.get("FAIR_LOGIN_ACCOUNT_LIMIT", "5 per minute"),
        "FAIR_INVITATION_DAYS": int(os.environ.get("FAIR_INVITATION_DAYS", "14")),
        # Visitors on phones: a school's wifi puts a whole class behind one address, so these are looser.
        "FAIR_REGISTER_LIMIT": os.environ.get("FAIR_REGISTER_LIMIT", "20 per minute; 200 per hour"),
        "FAIR_VOTE_LIMIT": os.environ.get("FAIR_VOTE_LIMIT", "20 per minute; 100 per hour"),
        "FAIR_DEVICE_LIMIT": int(os.environ.get("FAIR_DEVICE_LIMIT", "600")),      # scans a minute per device
        "FAIR_FAST_REDEEM": _flag("FAIR_FAST_REDEEM", True),      # fair/visitors/fast_redeem.py in front
        "FAIR_TRUSTED_PROXIES": int(os.environ.get("FAIR_TRUSTED_PROXIES", "0")),
        # Long work (batch PDFs): a worker thread in each web process unless `fair jobs work` runs as a
        # service (FAIR_JOBS_THREAD=false then); FAIR_JOBS_INLINE runs a job inside the request that asks.
        "FAIR_JOBS_THREAD": _flag("FAIR_JOBS_THREAD", True),
        "FAIR_JOBS_INLINE": _flag("FAIR_JOBS_INLINE", False),
        # A finished job's result file is removed this many days after it finished (`fair jobs clean`).
        "FAIR_JOB_RESULTS_DAYS": int(os.environ.get("FAIR_JOB_RESULTS_DAYS", "14")),
        # E-mail for messages (`fair messages send`); without a host, messages stay in the inbox only.
        "FAIR_SMTP_HOST": os.environ.get("FAIR_SMTP_HOST", ""),
        "FAIR_SMTP_PORT": int(os.environ.get("FAIR_SMTP_PORT", "587")),
        "FAIR_SMTP_USER": os.environ.get("FAIR_SMTP_USER", ""),
        "FAIR_SMTP_PASSWORD": os.environ.get("FAIR_SMTP_PASSWORD", ""),
        "FAIR_SMTP_FROM": os.environ.get("FAIR_SMTP_FROM", ""),
        "FAIR_SMTP_TLS": os.environ.get("FAIR_SMTP_TLS", "starttls"),
        # Babel: the UI is Chinese first; English is the second language.
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "FAIR_LOCALES": ["zh_Hans", "en"],
        # OpenAPI document served at /api/openapi.json (flask-smorest).
        "API_TITLE": "Fair API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
