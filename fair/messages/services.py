"""Messages to organisations and people: written inside the caller's transaction, read in the inbox."""
import sqlalchemy as sa
from flask_babel import gettext as _

from fair.audit.log import audit
from fair.auth.models import Organisation, Role, User
from fair.extensions import db
from fair.fairs.models import Fair
from fair.messages.models import Message
from fair.refusal import Refused
from fair.times import utcnow

SUBJECT_LENGTH = 200


def send_message(fair: Fair, *, organisation: Organisation | None = None, user: User | None = None, kind: str,
                 subject: str, body: str) -> Message:
    """Add a message for the inbox (and the outbox) without committing: it lands with the change that
    caused it, in the caller's one transaction."""
    if (organisation is None) == (user is None):
        raise ValueError("a message goes to one organisation or to one user")
    message = Message(fair=fair, organisation=organisation, user=user, kind=kind,
                      subject=subject[:SUBJECT_LENGTH], body=body)
    db.session.add(message)
    return message


def readable_by(user: User, fair: Fair):
    """The messages `user` may read in `fair`: their own, and their organisation's when they exhibit."""
    mine = Message.user_id == user.id
    if user.organisation_id is not None and Role.exhibitor in user.roles_in(fair):
        mine = sa.or_(mine, Message.organisation_id == user.organisation_id)
    return sa.and_(Message.fair_id == fair.id, mine)


def find_message(fair: Fair, user: User, message_id: int) -> Message:
    """The message if `user` may read it; otherwise the same refusal as for one that does not exist."""
    message = db.session.scalar(sa.select(Message).where(Message.id == message_id, readable_by(user, fair)))
    if message is None:
        raise Refused(_("没有这条消息。"), "not_found")
    return message


def unread_count(user: User, fair: Fair) -> int:
    return db.session.scalar(sa.select(sa.func.count(Message.id))
                             .where(readable_by(user, fair), Message.read_at.is_(None)))


def mark_read(message: Message, *, actor: User) -> Message:
    """The first opening marks it read (for the whole organisation), recorded with who opened it."""
    if message.read_at is None:
        message.read_at = utcnow()
        audit(actor, "messages.message.read", message, after={"read_at": message.read_at.isoformat()})
        db.session.commit()
    return message
