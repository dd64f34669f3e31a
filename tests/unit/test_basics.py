"""Plain functions: time conversion, money display, settings."""
from datetime import date, datetime, timezone

import pytest

from fair import config
from fair.templating import yuan
from fair.times import from_local, start_of_day, to_local


@pytest.mark.parametrize("fen, shown", [
    (0, "¥0"), (100, "¥1"), (12_000_000, "¥120,000"), (3_120_000_000, "¥31,200,000"), (123_456, "¥1,234.56"),
    (5, "¥0.05"), (-250, "-¥2.50"), (None, ""),
])
def test_yuan(fen, shown):
    assert yuan(fen) == shown


def test_local_time_round_trip():
    typed = datetime(2027, 3, 31, 17, 0)
    stored = from_local(typed, "Asia/Shanghai")
    assert stored == datetime(2027, 3, 31, 9, 0, tzinfo=timezone.utc)
    assert to_local(stored, "Asia/Shanghai").replace(tzinfo=None) == typed


def test_start_of_day_is_local_midnight():
    assert start_of_day(date(2027, 5, 20), "Asia/Shanghai") == datetime(2027, 5, 19, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("given, used", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://postgres@127.0.0.1:5432/test", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
])
def test_database_url_uses_psycopg_3(given, used):
    assert config.normalise_database_url(given) == used


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("FAIR_SECRET_KEY", raising=False)
    first = config.secret_key(str(tmp_path))
    assert len(first) >= 40
    assert config.secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("FAIR_SECRET_KEY", "from-the-environment")
    assert config.secret_key(str(tmp_path)) == "from-the-environment"


def test_unknown_timezone_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("FAIR_TIMEZONE", "Mars/Olympus")
    with pytest.raises(RuntimeError, match="FAIR_TIMEZONE"):
        config.default_timezone()


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("FAIR_DATABASE_URL", raising=False)
    assert config.database_url(str(tmp_path)) == f"sqlite:///{tmp_path / 'fair.sqlite'}"


def test_nav_highlights_the_page_or_its_area():
    from fair.navigation import NavItem, current_item
    overview, applications, mine = (NavItem(0, "概览", "fairs.overview", frozenset()),
                                    NavItem(20, "项目申报", "applications.index", frozenset()),
                                    NavItem(20, "我的项目", "applications.mine", frozenset()))
    items = [overview, applications, mine]
    assert current_item(items, "applications.mine") is mine
    assert current_item(items, "applications.detail") is applications
    assert current_item(items, "audit.events") is None
    assert current_item(items, None) is None
