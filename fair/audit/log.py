"""The helper every service function calls before it commits."""
import enum
from datetime import date, datetime
from typing import Any, Iterable

from fair.audit.models import AuditEvent
from fair.extensions import db
from fair.fairs.models import Fair


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `obj` as JSON-safe values, for an event's before and after."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def audit(actor, action: str, obj: Any, *, before: dict | None = None, after: dict | None = None,
          fair=None) -> AuditEvent:
    """Add an event for `obj` to the session (flushing first if the object, actor or fair is new, so
    it has its id); the caller's commit makes the change and its record land together. With nothing
    new there is no flush, so a bulk change that flushed its rows writes all its events in one go."""
    if fair is None:
        fair = obj if isinstance(obj, Fair) else getattr(obj, "fair", None)
    if any(thing is not None and getattr(thing, "id", None) is None for thing in (obj, actor, fair)):
        db.session.flush()
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        fair_id=getattr(fair, "id", None),
        action=action,
        object_type=obj.__tablename__,
        object_id=str(obj.id) if getattr(obj, "id", None) is not None else None,
        object_label=str(obj)[:200],
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
