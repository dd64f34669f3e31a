"""Fixtures: one schema per run (built by the migrations), every table emptied after each test.

Tests run on SQLite by default and on PostgreSQL when FAIR_TEST_DATABASE_URL is set."""
import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from fair import create_app
from fair.auth.models import Role
from fair.extensions import db, limiter
from tests.factories import PASSWORD, make_fair, make_member, make_open_fair, make_organisation, make_user


def test_config(database_url: str, instance_path: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "tests-only-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance_path,
        "WTF_CSRF_ENABLED": False,
        "FAIR_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "FAIR_JOBS_THREAD": False,         # a test runs its jobs itself (`fair jobs work --once`, or inline)
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("FAIR_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


class RequestInItsOwnContext(FlaskClient):
    """Each request gets a fresh app context, as in production, so `g` (the logged-in user) and the
    database session never leak between requests or into the test; the test's own session ends its
    transaction first, so it reads what the request wrote."""

    def open(self, *args, **kwargs):
        db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, instance_path):
    app = create_app(test_config(database_url, instance_path))
    app.test_client_class = RequestInItsOwnContext
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
    return app


def empty_tables() -> None:
    """Fresh data for the next test: faster than rebuilding the schema, and unlike a rolled-back
    outer transaction it also holds for the live server's threads and for code that commits."""
    db.session.remove()
    tables = [table.name for table in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(
                "TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(sa.text(f'DELETE FROM "{name}"'))


@pytest.fixture(autouse=True)
def _app_context(request, app):
    """Every test runs inside an app context and leaves the database empty."""
    with app.app_context():
        yield
        empty_tables()
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fair(organizer):
    return make_fair(organizer)


@pytest.fixture
def organizer():
    return make_user(email="organizer@example.cn", name="组织者", is_admin=True)


@pytest.fixture
def open_fair(organizer):
    """A fair taking applications now."""
    return make_open_fair(organizer)


@pytest.fixture
def organisation():
    return make_organisation()


@pytest.fixture
def exhibitor(app, open_fair, organisation):
    """A client logged in as an exhibitor of `organisation` in `open_fair`."""
    return log_in(app.test_client(), make_member(open_fair, Role.exhibitor, organisation=organisation))


def log_in(client, user, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def client_as(app, fair, organizer):
    """client_as(Role.judge) → a test client logged in as a new member of `fair` in that role."""

    def make(role: Role | None = None, **overrides):
        if role is Role.organizer and not overrides:
            user = organizer
        elif role is None:
            user = make_user(**overrides)
        else:
            user = make_member(fair, role, **overrides)
        return log_in(app.test_client(), user)

    return make


@contextmanager
def count_queries():
    """Count the SQL statements run inside the block: `with count_queries() as queries: ...; len(queries)`."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def queries_for(client, url: str) -> int:
    """How many SQL statements one GET of `url` runs (it must succeed)."""
    with count_queries() as statements:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return len(statements)
