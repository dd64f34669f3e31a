"""Fair: exhibition and project-fair management."""
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from fair import config as settings
from fair.extensions import api, babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE_COOKIE = "fair_lang"


def create_app(config: dict | None = None) -> Flask:
    """Build an app; `config` (tests, the demo) overrides what the environment says."""
    app = Flask(__name__, instance_path=_instance_path(config), instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not (config or {}).get("SQLALCHEMY_ENGINE_OPTIONS"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = settings.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")

    if proxies := app.config["FAIR_TRUSTED_PROXIES"]:
        # Behind nginx: take the client's address and scheme from the proxies' headers (rate limits, Secure).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    from fair import errors, security
    from fair.visitors import fast_redeem
    errors.register(app)
    security.register(app)
    fast_redeem.install(app)
    return app


def _instance_path(config: dict | None) -> str | None:
    import os
    path = (config or {}).get("INSTANCE_PATH") or os.environ.get("FAIR_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=_render_migration_type)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    api.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)

    from fair.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import abort, redirect, url_for
        from fair.auth.permissions import wants_json
        if wants_json():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _render_migration_type(kind: str, obj, _context):
    """Write our UTC column as plain sa.DateTime() in migrations, so they never import app code."""
    from fair.times import UTCDateTime
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers go on while one writer writes; SQLite leaves foreign keys off unless asked.
    synchronous=NORMAL is WAL's usual setting: a commit is not flushed to the disk on its own but with
    the next checkpoint, so a power cut (not a crash of the app) may lose the last moments' transactions
    and never corrupts the file; flushing every commit would cost more than all the rest of a scan."""
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def select_locale() -> str:
    if not has_request_context():
        return _app_config("BABEL_DEFAULT_LOCALE")
    locales = _app_config("FAIR_LOCALES")
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in locales:
        return chosen
    best = request.accept_languages.best_match(["zh", "en"])
    return "en" if best == "en" else "zh_Hans"


def select_timezone() -> str:
    fair = g.get("fair")
    return fair.timezone if fair is not None else _app_config("FAIR_TIMEZONE")


def _app_config(key: str):
    from flask import current_app
    return current_app.config[key]


def register_blueprints(app: Flask) -> None:
    from fair.applications.api import blp as applications_api
    from fair.applications.views import bp as applications_bp
    from fair.audit.views import bp as audit_bp
    from fair.booths.views import bp as booths_bp
    from fair.console.api import blp as console_api
    from fair.console.views import bp as console_bp
    from fair.auth.views import bp as auth_bp
    from fair.fairs.views import bp as fairs_bp
    from fair.home.views import bp as home_bp
    from fair.jobs.views import bp as jobs_bp
    from fair.messages.views import bp as messages_bp
    from fair.screening.views import bp as screening_bp
    from fair.shortlist.views import bp as shortlist_bp
    from fair.visitors.api import blp as checkin_api
    from fair.visitors.views import bp as visitors_bp
    from judging.api import blp as judging_api
    from judging.results_views import verify_bp as certificates_bp
    from judging.views import bp as judging_bp
    from sponsorship.api import blp as sponsorship_api
    from sponsorship.views import bp as sponsorship_bp

    for blueprint in (home_bp, auth_bp, fairs_bp, applications_bp, screening_bp, shortlist_bp, booths_bp,
                      judging_bp, certificates_bp, sponsorship_bp, visitors_bp, messages_bp, audit_bp, console_bp,
                      jobs_bp):
        app.register_blueprint(blueprint)
    api.register_blueprint(applications_api)
    api.register_blueprint(judging_api)
    api.register_blueprint(checkin_api)
    api.register_blueprint(sponsorship_api)
    api.register_blueprint(console_api)

    from fair.cli import register_commands
    register_commands(app)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale
    from flask_login import current_user

    from fair.navigation import current_item, fair_nav_for, nav_entries
    from fair.templating import FILTERS

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(FILTERS)

    @app.context_processor
    def navigation():
        fair = g.get("fair")
        locale = str(get_locale())
        items = fair_nav_for(current_user, fair) if fair is not None and current_user.is_authenticated else []
        here = current_item(items, request.endpoint if has_request_context() else None)
        entries = nav_entries(items)
        return {
            "current_fair": fair,
            "fair_nav": entries,
            "fair_nav_current": here,
            "fair_nav_group": next((entry for entry in entries if here in entry.items and len(entry.items) > 1), None),
            "locale": locale,
            "html_lang": "zh-Hans" if locale.startswith("zh") else "en",
        }
