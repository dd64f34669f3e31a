"""Jinja filters: times in the fair's timezone, money from fen."""
from datetime import date, datetime

from zoneinfo import ZoneInfo

from babel import dates
from flask_babel import format_date, format_datetime, get_locale

from fair.money import yuan


def localtime(value: datetime | None, format: str = "medium", tz: str | None = None) -> str:
    """A UTC datetime shown in the timezone `tz`, or by default in the fair of the request
    (Flask-Babel's timezone selector picks it)."""
    if not value:
        return ""
    if tz is None:
        return format_datetime(value, format)
    return dates.format_datetime(value, format, tzinfo=ZoneInfo(tz), locale=get_locale())


def localdate(value: date | None, format: str = "medium") -> str:
    return format_date(value, format) if value else ""


FILTERS = {"localtime": localtime, "localdate": localdate, "yuan": yuan}
