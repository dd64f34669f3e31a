"""Jinja filters: times in the fair's timezone, money from fen."""
from datetime import date, datetime

from flask_babel import format_date, format_datetime


def localtime(value: datetime | None, format: str = "medium") -> str:
    """A UTC datetime shown in the fair's timezone (Flask-Babel's timezone selector picks it)."""
    return format_datetime(value, format) if value else ""


def localdate(value: date | None, format: str = "medium") -> str:
    return format_date(value, format) if value else ""


def yuan(amount_fen: int | None) -> str:
    """¥ with thousands separators; whole yuan drop the fen."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{whole:,}" + (f".{fen:02d}" if fen else "")


FILTERS = {"localtime": localtime, "localdate": localdate, "yuan": yuan}
