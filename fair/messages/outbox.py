"""E-mailing the messages not sent yet, through the SMTP server the deployment names (if any)."""
import smtplib
import ssl
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fair.auth.models import User
from fair.extensions import db
from fair.messages.models import Message
from fair.times import utcnow

TLS_MODES = ("starttls", "ssl", "off")
BATCH = 200


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    tls: str

    @classmethod
    def from_config(cls, config) -> "SmtpSettings | None":
        """None when FAIR_SMTP_HOST is not set: messages then live in the inbox only."""
        if not config.get("FAIR_SMTP_HOST"):
            return None
        tls = config["FAIR_SMTP_TLS"]
        if tls not in TLS_MODES:
            raise ValueError(f"FAIR_SMTP_TLS={tls!r}: use one of {', '.join(TLS_MODES)}")
        sender = config["FAIR_SMTP_FROM"] or config["FAIR_SMTP_USER"]
        if not sender:
            raise ValueError("FAIR_SMTP_FROM is needed (the From address) when FAIR_SMTP_USER is not an address")
        return cls(config["FAIR_SMTP_HOST"], config["FAIR_SMTP_PORT"], config["FAIR_SMTP_USER"],
                   config["FAIR_SMTP_PASSWORD"], sender, tls)


@dataclass
class OutboxResult:
    sent: int = 0
    without_address: list[int] = field(default_factory=list)      # message ids nobody can receive
    failed: dict[int, str] = field(default_factory=dict)            # message id: the server's answer


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.tls == "ssl":
        server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=30, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=30)
    try:
        if settings.tls == "starttls":
            server.starttls(context=context)
        if settings.user:
            server.login(settings.user, settings.password)
    except BaseException:
        server.close()
        raise
    return server


def _organisation_addresses(messages: list[Message]) -> dict[int, list[str]]:
    """The active users' e-mail addresses of every organisation these messages go to, in one query."""
    ids = {message.organisation_id for message in messages if message.organisation_id is not None}
    addresses: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = db.session.execute(sa.select(User.organisation_id, User.email)
                                  .where(User.organisation_id.in_(ids), User.is_active_account.is_(True))
                                  .order_by(User.id))
        for organisation_id, email in rows:
            addresses[organisation_id].append(email)
    return addresses


def compose(message: Message, recipients: list[str], sender: str) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = formataddr((message.fair.name, sender))
    email["To"] = ", ".join(recipients)
    email["Message-ID"] = make_msgid(f"fair-message-{message.id}")
    email.set_content(message.body)
    return email


def _pending(after_id: int, limit: int):
    return db.session.scalars(
        sa.select(Message).options(joinedload(Message.user), joinedload(Message.fair))
        .where(Message.emailed_at.is_(None), Message.id > after_id).order_by(Message.id).limit(limit)).all()


def _prepared(batch: list[Message], sender: str) -> list[tuple[int, EmailMessage | None]]:
    """Each message of the batch as an e-mail (None: nobody to send it to), built before any commit
    expires the rows."""
    addresses = _organisation_addresses(batch)
    prepared = []
    for message in batch:
        recipients = [message.user.email] if message.user else addresses.get(message.organisation_id, [])
        prepared.append((message.id, compose(message, recipients, sender) if recipients else None))
    return prepared


def send_outbox(settings: SmtpSettings, *, limit: int | None = None) -> OutboxResult:
    """E-mail every unsent message (oldest first), marking each as sent as soon as the server takes it,
    so a broken connection never makes anyone get one twice. A refused message is skipped and stays unsent."""
    result = OutboxResult()
    last_id, remaining = 0, limit
    server = _connect(settings)
    try:
        while remaining is None or remaining > 0:
            batch = _pending(last_id, BATCH if remaining is None else min(BATCH, remaining))
            if not batch:
                break
            last_id = batch[-1].id
            if remaining is not None:
                remaining -= len(batch)
            for message_id, email in _prepared(batch, settings.sender):
                if email is None:
                    result.without_address.append(message_id)
                    continue
                try:
                    server.send_message(email)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                    result.failed[message_id] = str(error)
                    continue
                db.session.execute(sa.update(Message).where(Message.id == message_id).values(emailed_at=utcnow()))
                db.session.commit()
                result.sent += 1
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()
    return result
