"""Plain functions: time conversion, money display, settings."""
from datetime import date, datetime, timezone

import pytest

from fair import config, money
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


@pytest.mark.parametrize("typed, fen", [("120000", 12_000_000), ("1,234.5", 123_450), ("￥3,000", 300_000),
                                        ("¥ 0.29", 29), ("１２３．４", 12_340), ("3 500.50 元", 350_050),
                                        ("-5", -500), ("1.500", 150), ("", None), (None, None), ("  ", None)])
def test_yuan_are_read_exactly_in_fen(typed, fen):
    assert money.parse_yuan(typed) == fen


@pytest.mark.parametrize("typed, reason", [("1.005", "too_precise"), ("abc", "not_a_number"),
                                           ("1e5", "not_a_number"), ("NaN", "not_a_number"),
                                           ("Infinity", "not_a_number"), ("1.2.3", "not_a_number"),
                                           ("٣", "not_a_number"), ("一万", "not_a_number")])
def test_what_is_not_an_amount_says_why(typed, reason):
    with pytest.raises(money.NotAnAmount) as refused:
        money.parse_yuan(typed)
    assert refused.value.reason == reason


def test_fen_are_written_back_as_typed_yuan():
    assert [money.yuan_text(fen) for fen in (None, 0, 12_000_000, 1_250, 5, -150)] == \
        ["", "0", "120000", "12.50", "0.05", "-1.50"]
    assert all(money.parse_yuan(money.yuan_text(fen)) == fen for fen in (0, 1, 99, 12_345_678, -7))
