"""Time: stored in UTC, shown and entered in the fair's timezone."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime on every database: SQLite keeps no offset, so we store naive UTC
    and attach UTC on the way out; a naive value going in is a bug and is refused."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def from_local(naive: datetime, tz_name: str) -> datetime:
    """A wall-clock time typed in the fair's timezone, as an aware UTC datetime."""
    return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)


def start_of_day(day: date, tz_name: str) -> datetime:
    return from_local(datetime.combine(day, time.min), tz_name)
