"""Messages: who may read which, read marks, and the e-mail outbox against a real local SMTP server."""
import email
import socket
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.messages.models import Message
from fair.messages.services import send_message
from tests.conftest import log_in
from tests.factories import make_member, make_organisation, make_user

# The test SMTP server takes a log-in in the clear: it is on the loopback, and TLS would need a certificate.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def _send(fair, subject, **recipient):
    message = send_message(fair, kind="test", subject=subject, body=f"{subject}的正文\n第二行", **recipient)
    db.session.commit()
    return message


@pytest.fixture
def people(fair):
    """Two exhibiting organisations, a reviewer, and one message to each of them."""
    ours, theirs = make_organisation(name="夕阳红助老服务队"), make_organisation(name="绿色行动协会")
    people = {
        "exhibitor": make_member(fair, Role.exhibitor, organisation=ours),
        "colleague": make_member(fair, Role.exhibitor, organisation=ours),
        "other": make_member(fair, Role.exhibitor, organisation=theirs),
        "reviewer": make_member(fair, Role.reviewer, organisation=ours),   # same organisation, not exhibiting
    }
    people["ours"] = _send(fair, "给我们单位", organisation=ours)
    people["theirs"] = _send(fair, "给别的单位", organisation=theirs)
    people["personal"] = _send(fair, "给初审专家本人", user=people["reviewer"])
    return people


def _client(app, user):
    return log_in(app.test_client(), user)


def test_each_reader_sees_only_their_messages(app, fair, people):
    inbox = f"/fairs/{fair.slug}/inbox"
    exhibitor = _client(app, people["exhibitor"]).get(inbox).get_data(as_text=True)
    assert "给我们单位" in exhibitor and "给别的单位" not in exhibitor and "给初审专家本人" not in exhibitor
    reviewer = _client(app, people["reviewer"]).get(inbox).get_data(as_text=True)
    assert "给初审专家本人" in reviewer and "给我们单位" not in reviewer


def test_a_message_of_someone_else_is_not_found(app, fair, people):
    other = _client(app, people["other"])
    for message in ("ours", "personal"):
        assert other.get(f"/fairs/{fair.slug}/inbox/{people[message].id}").status_code == 404
    assert other.get(f"/fairs/{fair.slug}/inbox/{people['theirs'].id}").status_code == 200
    assert _client(app, people["reviewer"]).get(f"/fairs/{fair.slug}/inbox/{people['ours'].id}").status_code == 404
    stranger = _client(app, make_user())
    assert stranger.get(f"/fairs/{fair.slug}/inbox").status_code == 403
    assert stranger.get(f"/fairs/{fair.slug}/inbox/{people['ours'].id}").status_code == 403


def test_a_message_of_another_fair_is_not_found_here(app, fair, people):
    from tests.factories import make_fair
    other_fair = make_fair()
    elsewhere = _send(other_fair, "另一届的消息", organisation=people["exhibitor"].organisation)
    client = _client(app, people["exhibitor"])
    assert client.get(f"/fairs/{fair.slug}/inbox/{elsewhere.id}").status_code == 404


def test_opening_marks_read_for_the_organisation_and_the_bar_counts_unread(app, fair, people):
    _send(fair, "第二条", organisation=people["exhibitor"].organisation)
    client = _client(app, people["exhibitor"])
    overview = client.get(f"/fairs/{fair.slug}/").get_data(as_text=True)
    assert '消息 <span class="badge rounded-pill text-bg-danger nav-count">2<span class="visually-hidden">条未读' in overview
    page = client.get(f"/fairs/{fair.slug}/inbox/{people['ours'].id}").get_data(as_text=True)
    assert "给我们单位的正文\n第二行" in page
    assert "1<span class=\"visually-hidden\">条未读" in page
    assert db.session.get(Message, people["ours"].id).read_at is not None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "messages.message.read"))
    assert event.actor_id == people["exhibitor"].id
    # A colleague of the same organisation finds it read too; opening it again records nothing more.
    colleague = _client(app, people["colleague"]).get(f"/fairs/{fair.slug}/inbox/{people['ours'].id}")
    assert "1<span class=\"visually-hidden\">条未读" in colleague.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "messages.message.read")) == 1


def test_a_message_has_one_recipient(fair):
    with pytest.raises(ValueError):
        send_message(fair, kind="test", subject="?", body="?")
    with pytest.raises(ValueError):
        send_message(fair, organisation=make_organisation(), user=make_user(), kind="test", subject="?", body="?")


# --- the outbox ------------------------------------------------------------------------------------

class Mailbox:
    """An aiosmtpd handler that keeps what it is given, and turns away one address."""

    def __init__(self, refused: str = ""):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def _accept_fair_mailer(server, session, envelope, mechanism, auth_data):
    accepted = isinstance(auth_data, LoginPassword) and auth_data == (b"fair", b"mail secret")
    return AuthResult(success=accepted, handled=False)     # not handled: the server answers 535 itself


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on a loopback port that wants a log-in; the app configured to use it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port(), authenticator=_accept_fair_mailer,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    for key, value in {"FAIR_SMTP_HOST": "127.0.0.1", "FAIR_SMTP_PORT": controller.port, "FAIR_SMTP_TLS": "off",
                       "FAIR_SMTP_USER": "fair", "FAIR_SMTP_PASSWORD": "mail secret",
                       "FAIR_SMTP_FROM": "noreply@fair.example.cn"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield mailbox
    controller.stop()


def _send_outbox(app, *args):
    result = app.test_cli_runner().invoke(args=["messages", "send", *args])
    db.session.rollback()       # read what the command's own session wrote
    return result


def test_without_smtp_the_outbox_sends_nothing_and_says_so(app, fair, people):
    result = _send_outbox(app)
    assert result.exit_code == 0, result.output
    assert "FAIR_SMTP_HOST is not set" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.emailed_at.is_not(None))) == 0


def test_the_outbox_emails_each_message_once(app, fair, people, smtp):
    nobody = make_organisation(name="没有账号的单位")
    _send(fair, "无人可收", organisation=nobody)
    result = _send_outbox(app)
    assert result.exit_code == 0, result.output
    assert "Sent 3 message(s)" in result.output and "1 message(s) have no recipient" in result.output

    by_subject = {mail["Subject"]: (recipients, mail) for recipients, mail in smtp.received}
    recipients, mail = by_subject["给我们单位"]
    # Every active user of the organisation, whatever their role here.
    assert sorted(recipients) == sorted([people["exhibitor"].email, people["colleague"].email,
                                         people["reviewer"].email])
    assert mail["From"].addresses[0].addr_spec == "noreply@fair.example.cn"
    assert mail["From"].addresses[0].display_name == fair.name
    assert mail.get_content().replace("\r\n", "\n") == "给我们单位的正文\n第二行\n"
    assert by_subject["给初审专家本人"][0] == [people["reviewer"].email]

    sent = db.session.scalars(sa.select(Message).where(Message.emailed_at.is_not(None))).all()
    assert {message.subject for message in sent} == {"给我们单位", "给别的单位", "给初审专家本人"}
    again = _send_outbox(app)
    assert again.exit_code == 0 and "Sent 0 message(s)" in again.output
    assert len(smtp.received) == 3


def test_a_refused_message_stays_in_the_outbox(app, fair, people, smtp):
    smtp.refused = people["reviewer"].email
    result = _send_outbox(app, "--limit", "3")
    assert result.exit_code == 1
    assert f"message {people['personal'].id} refused by the server" in result.output
    unsent = db.session.scalars(sa.select(Message.subject).where(Message.emailed_at.is_(None))).all()
    assert unsent == ["给初审专家本人"]


def test_a_wrong_smtp_password_stops_the_outbox(app, fair, people, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "FAIR_SMTP_PASSWORD", "wrong")
    result = _send_outbox(app)
    assert result.exit_code == 1 and "SMTP 127.0.0.1" in result.output
    assert smtp.received == []
