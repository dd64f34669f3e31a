"""Tickets: the fair's signing key, registration (online, at the gate), issuing in bulk and from group lists,
revoking and re-issuing, and the export for print shops. Every change validates, writes and audits in one
transaction; check-ins are fair/visitors/checkins.py's.

One phone, one ticket per fair (revoked tickets aside): a second registration with the same phone and the
same name gets the first ticket back (people lose links); with another name it is refused, so knowing a
phone number alone never reveals whose ticket it is. Passes issued in bulk for a group carry no phone:
they are the group's, handed out by its contact."""
import base64
import csv
import io
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _

from fair.applications.spreadsheet import UnreadableFile, heading_key, read_table
from fair.audit.log import audit
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.refusal import Refused
from fair.times import utcnow
from fair.visitors import tickets
from fair.visitors.models import VISITOR_KIND_LABELS, FairKey, Ticket, TicketSource, VisitorKind

NAME_LONGEST = 60
GROUP_NAME_LONGEST = 120
LARGEST_GROUP = 500
LARGEST_BULK = 1_000
CHUNK = 5_000                                 # rows per INSERT statement in bulk issuing
MOBILE = re.compile(r"1[3-9]\d{9}")
REGISTRATION_PHASES = (Phase.preparation, Phase.live)
_SEAL_INFO = b"fair.visitors.fair-key.v1"


# --- the fair's key ------------------------------------------------------------------------------------

def _sealing_key() -> AESGCM:
    """AES-256-GCM under a key derived (HKDF-SHA256) from the app's SECRET_KEY: a database dump alone
    does not give away the power to mint tickets."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(secret))


def _seal(private: Ed25519PrivateKey, fair_id: int) -> bytes:
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    nonce = secrets.token_bytes(12)
    return nonce + _sealing_key().encrypt(nonce, raw, f"fair:{fair_id}".encode())


def fair_key(fair: Fair, *, actor=None) -> FairKey:
    """The fair's key pair, made on first use. Two first uses at once: the primary key lets one in and
    the other reads it (a savepoint keeps the caller's transaction)."""
    key = db.session.get(FairKey, fair.id)
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = FairKey(fair_id=fair.id, key_id=1, public_key=public, private_key_sealed=_seal(private, fair.id),
                  created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(key)
    except sa.exc.IntegrityError:
        return db.session.get(FairKey, fair.id, populate_existing=True)
    audit(actor, "visitors.key.created", fair, after={"key_id": key.key_id}, fair=fair)
    return key


def signing_key(fair: Fair) -> tuple[int, Ed25519PrivateKey]:
    key = fair_key(fair)
    sealed = key.private_key_sealed
    try:
        raw = _sealing_key().decrypt(sealed[:12], sealed[12:], f"fair:{fair.id}".encode())
    except InvalidTag:
        raise RuntimeError("The fair's ticket key cannot be unsealed: SECRET_KEY changed since it was made. "
                           "Restore the old FAIR_SECRET_KEY; new keys would invalidate every issued ticket.") from None
    return key.key_id, Ed25519PrivateKey.from_private_bytes(raw)


def public_keys(fair: Fair) -> dict[int, bytes]:
    """key id → raw public key, as tickets.verify takes them."""
    key = fair_key(fair)
    return {key.key_id: key.public_key}


def public_key_for(fair: Fair) -> dict:
    """What a scanning device downloads to check codes offline."""
    key = fair_key(fair)
    return {"algorithm": "Ed25519", "fair_id": fair.id, "key_id": key.key_id,
            "public_key": base64.b64encode(key.public_key).decode("ascii"), "prefix": tickets.PREFIX}


def payload_of(ticket: Ticket, key_id: int = 1) -> tickets.Payload:
    return tickets.Payload(ticket.fair_id, ticket.code, ticket.kind.value, ticket.valid_from, ticket.valid_until,
                           ticket.group_size, key_id)


def qr_text(ticket: Ticket) -> str:
    """The ticket's QR content (signed now; Ed25519 signs the same ticket to the same text every time)."""
    key_id, private = signing_key(ticket.fair)
    return tickets.sign(payload_of(ticket, key_id), private)


def qr_texts(fair: Fair, rows: list[Ticket]) -> list[str]:
    """Many tickets' QR content with the key unsealed once."""
    key_id, private = signing_key(fair)
    return [tickets.sign(payload_of(ticket, key_id), private) for ticket in rows]


# --- what a visitor gives ------------------------------------------------------------------------------

@dataclass
class VisitorDetails:
    name: str
    phone: str
    kind: VisitorKind = VisitorKind.public
    group_size: int = 1
    group_name: str = ""


def mask_phone(phone: str) -> str:
    """138****1234: what everyone but the fair's organizers sees."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else ("—" if not phone else "****")


def normalise_phone(text: str) -> str:
    """A mainland mobile number as 11 digits; spaces, dashes and a +86 / 0086 prefix are dropped."""
    digits = re.sub(r"[\s\-()（）]", "", str(text or ""))
    digits = re.sub(r"^(\+86|0086|86(?=1\d{10}$))", "", digits)
    if not MOBILE.fullmatch(digits):
        raise Refused(_("请填写 11 位手机号码，如 13812345678。"), "bad_phone", "phone")
    return digits


def _same_name(first: str, second: str) -> bool:
    return "".join(first.split()).casefold() == "".join(second.split()).casefold()


def check_details(details: VisitorDetails) -> VisitorDetails:
    """The details tidied (spaces, phone digits, one person unless a group), or Refused at the field."""
    name = " ".join(str(details.name or "").split())
    if not name:
        raise Refused(_("此项为必填项。"), "required", "name")
    if len(name) > NAME_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=NAME_LONGEST), "too_long", "name")
    phone = normalise_phone(details.phone)
    group_name = " ".join(str(details.group_name or "").split())
    if len(group_name) > GROUP_NAME_LONGEST:
        raise Refused(_("不能超过 %(n)d 个字。", n=GROUP_NAME_LONGEST), "too_long", "group_name")
    size = details.group_size or 1
    if details.kind is not VisitorKind.group and size != 1:
        raise Refused(_("只有学校或团体可以填写多人；个人请填 1。"), "not_a_group", "group_size")
    if not 1 <= size <= LARGEST_GROUP:
        raise Refused(_("人数须在 1–%(n)d 之间。", n=LARGEST_GROUP), "bad_group_size", "group_size")
    return VisitorDetails(name, phone, details.kind, size, group_name)


def registration_open(fair: Fair) -> bool:
    """Visitors register while the fair prepares and while it runs."""
    return fair.phase in REGISTRATION_PHASES


def _ticket_of_phone(fair: Fair, phone: str) -> Ticket | None:
    return db.session.scalar(sa.select(Ticket).where(Ticket.fair_id == fair.id, Ticket.phone == phone,
                                                     Ticket.revoked_at.is_(None)).limit(1))


def _snapshot(ticket: Ticket) -> dict:
    return {"code": ticket.code[:6], "name": ticket.name, "phone": mask_phone(ticket.phone), "kind": ticket.kind.value,
            "group_name": ticket.group_name, "group_size": ticket.group_size, "source": ticket.source.value,
            "valid_from": ticket.valid_from.isoformat(), "valid_until": ticket.valid_until.isoformat()}


def _new_ticket(fair: Fair, details: VisitorDetails, source: TicketSource, actor, **extra) -> Ticket:
    ticket = Ticket(fair=fair, fair_id=fair.id, code=tickets.new_code(), name=details.name, phone=details.phone,
                    kind=details.kind, group_name=details.group_name, group_size=details.group_size,
                    valid_from=fair.starts_on, valid_until=fair.ends_on, source=source,
                    issued_at=utcnow(), issued_by_id=getattr(actor, "id", None), **extra)
    db.session.add(ticket)
    return ticket


def register_visitor(fair: Fair, details: VisitorDetails, *, source: TicketSource = TicketSource.online,
                     actor=None) -> tuple[Ticket, bool]:
    """A visitor's ticket, and whether it is new: the phone's ticket when this phone and name registered
    before (nothing written), Refused ("duplicate_phone") when the phone registered under another name."""
    if not registration_open(fair):
        raise Refused(_("现在不能登记：观众登记在布展准备和展会进行期间开放。"), "registration_closed")
    details = check_details(details)
    fair_key(fair, actor=actor)
    existing = _ticket_of_phone(fair, details.phone)
    if existing is None:
        try:
            ticket = _new_ticket(fair, details, source, actor)
            audit(actor, "visitors.ticket.issued", ticket, after=_snapshot(ticket), fair=fair)
            db.session.commit()
            return ticket, True
        except sa.exc.IntegrityError:        # the same phone registered at the same moment (a unique index)
            db.session.rollback()
            existing = _ticket_of_phone(fair, details.phone)
            if existing is None:
                raise
    if _same_name(existing.name, details.name):
        db.session.commit()                 # a key made just now is kept; the ticket was there already
        return existing, False
    db.session.rollback()
    raise Refused(_("该手机号已登记过。如是您本人，请填写登记时使用的姓名以找回入场码。"), "duplicate_phone", "phone")


# --- revoke and re-issue -------------------------------------------------------------------------------

def revoke_ticket(ticket: Ticket, reason: str, *, actor) -> Ticket:
    """The ticket stops admitting (the scan's reason: revoked); the reason stays with it."""
    reason = " ".join(str(reason or "").split())
    if ticket.revoked_at is not None:
        raise Refused(_("此入场码已作废。"), "already_revoked")
    if not reason:
        raise Refused(_("请填写作废原因。"), "required", "reason")
    _revoke(ticket, reason[:500])
    audit(actor, "visitors.ticket.revoked", ticket, after={"reason": ticket.revoked_reason}, fair=ticket.fair)
    db.session.commit()
    return ticket


def _revoke(ticket: Ticket, reason: str) -> None:
    ticket.revoked_at, ticket.revoked_reason = utcnow(), reason


def reissue_ticket(ticket: Ticket, *, actor, reason: str = "") -> Ticket:
    """A new code for the same visitor (a lost or shared ticket): the old one is revoked, the new one
    remembers which it replaces."""
    if ticket.fair.phase is Phase.closed:
        raise Refused(_("展会已闭幕，不能再签发入场码。"), "fair_closed")
    if ticket.revoked_at is not None and db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(Ticket.replaces_id == ticket.id)):
        raise Refused(_("此入场码已重新签发过，请对新的入场码操作。"), "already_reissued")
    other = _ticket_of_phone(ticket.fair, ticket.phone) if ticket.phone else None
    if other is not None and other.id != ticket.id:
        raise Refused(_("该手机号已有另一张有效的入场码。"), "duplicate_phone")
    reason = " ".join(str(reason or "").split()) or _("重新签发")
    if ticket.revoked_at is None:
        _revoke(ticket, reason[:500])
    details = VisitorDetails(ticket.name, ticket.phone, ticket.kind, ticket.group_size, ticket.group_name)
    new = _new_ticket(ticket.fair, details, TicketSource.reissued, actor, replaces_id=ticket.id)
    audit(actor, "visitors.ticket.reissued", new, before={"code": ticket.code[:6]}, after=_snapshot(new),
          fair=ticket.fair)
    db.session.commit()
    return new


# --- in bulk -------------------------------------------------------------------------------------------

def issue_tickets(fair: Fair, rows: list[VisitorDetails], *, source: TicketSource, actor, note: str = "") -> list[str]:
    """Many tickets in one transaction, INSERTed in chunks, audited as one event with the counts; the
    rows must have passed check_details. Returns the new codes in the rows' order."""
    if fair.phase is Phase.closed:
        raise Refused(_("展会已闭幕，不能再签发入场码。"), "fair_closed")
    fair_key(fair, actor=actor)
    now, actor_id = utcnow(), getattr(actor, "id", None)
    codes = [tickets.new_code() for _ in rows]
    values = [{"fair_id": fair.id, "code": code, "name": row.name, "phone": row.phone, "kind": row.kind,
               "group_name": row.group_name, "group_size": row.group_size, "valid_from": fair.starts_on,
               "valid_until": fair.ends_on, "source": source, "issued_at": now, "issued_by_id": actor_id,
               "revoked_reason": ""} for code, row in zip(codes, rows)]
    for start in range(0, len(values), CHUNK):
        db.session.execute(sa.insert(Ticket), values[start:start + CHUNK])
    kinds = Counter(row.kind.value for row in rows)
    audit(actor, "visitors.tickets.issued", fair, fair=fair, after={
        "count": len(rows), "people": sum(row.group_size for row in rows), "by_kind": dict(sorted(kinds.items())),
        "source": source.value, "note": note[:120]})
    db.session.commit()
    return codes


def issue_group_passes(fair: Fair, group_name: str, count: int, kind: VisitorKind, *, actor) -> list[str]:
    """`count` passes for a group whose members have not registered one by one (a school's pupils): each
    admits one person, names the group and its number, and carries no phone."""
    group_name = " ".join(str(group_name or "").split())
    if not group_name:
        raise Refused(_("此项为必填项。"), "required", "group_name")
    if len(group_name) > NAME_LONGEST - 10:
        raise Refused(_("不能超过 %(n)d 个字。", n=NAME_LONGEST - 10), "too_long", "group_name")
    if not 1 <= (count or 0) <= LARGEST_BULK:
        raise Refused(_("张数须在 1–%(n)d 之间。", n=LARGEST_BULK), "bad_count", "count")
    rows = [VisitorDetails(f"{group_name} {number}/{count}", "", kind, 1, group_name)
            for number in range(1, count + 1)]
    return issue_tickets(fair, rows, source=TicketSource.imported, actor=actor, note=group_name)


# --- group lists ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str
    alias: str
    required: bool = False


IMPORT_COLUMNS = [ImportColumn("name", "姓名", "name", True), ImportColumn("phone", "手机号", "phone", True),
                  ImportColumn("kind", "观众类型", "kind"), ImportColumn("group_name", "团体名称", "group_name"),
                  ImportColumn("group_size", "人数", "group_size")]
_HEADINGS = {heading_key(name): column for column in IMPORT_COLUMNS for name in (column.header, column.alias)}
_HEADINGS.update({heading_key("手机"): IMPORT_COLUMNS[1], heading_key("手机号码"): IMPORT_COLUMNS[1],
                  heading_key("类型"): IMPORT_COLUMNS[2]})
KIND_WORDS = {**{str(label): kind for kind, label in VISITOR_KIND_LABELS.items()},
              **{kind.value: kind for kind in VisitorKind},
              "公众": VisitorKind.public, "观众": VisitorKind.public, "学校": VisitorKind.group,
              "团体": VisitorKind.group, "school": VisitorKind.group, "记者": VisitorKind.media}


@dataclass(frozen=True)
class RowProblem:
    row: int | None             # the row as the spreadsheet numbers it; None: the whole file
    column: str | None          # the column's heading
    message: str


@dataclass
class ImportedRow:
    row: int
    details: VisitorDetails


@dataclass
class ImportResult:
    rows: list[ImportedRow] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(row.details.group_size for row in self.rows)


class ImportRefused(Refused):
    """A group list with problems, each at its row and column; nothing was written."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(problems[0].message, "bad_import")
        self.problems = problems


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _kind(text: str, size: str) -> VisitorKind:
    if not text:
        return VisitorKind.group if size not in ("", "1") else VisitorKind.public
    kind = KIND_WORDS.get(text) or KIND_WORDS.get(text.lower())
    if kind is None:
        raise Refused(_("“%(value)s”不是可选的观众类型。可选：%(kinds)s。", value=text,
                        kinds="、".join(str(label) for label in VISITOR_KIND_LABELS.values())), "bad_kind", "kind")
    return kind


def _size(text: str) -> int:
    if text == "":
        return 1
    if not re.fullmatch(r"\d+", text):
        raise Refused(_("“%(value)s”不是整数。", value=text), "bad_group_size", "group_size")
    return int(text)


def read_group_list(table: list[list]) -> tuple[list[ImportedRow], list[RowProblem]]:
    """A table (spreadsheet.read_table) as visitors, with every problem at its row and column: a missing
    column, a bad value, a phone twice in the file."""
    header_at = next((index for index, row in enumerate(table) if any(_cell(value) for value in row)), None)
    if header_at is None:
        return [], [RowProblem(None, None, _("文件是空的：第一行应为列名，其后每行一位观众或一个团体。"))]
    positions = {}
    for index, heading in enumerate(table[header_at]):
        column = _HEADINGS.get(heading_key(heading))
        if column is not None and column.key not in positions:
            positions[column.key] = index
    missing = [column.header for column in IMPORT_COLUMNS if column.required and column.key not in positions]
    if missing:
        return [], [RowProblem(header_at + 1, None, _("缺少以下列：%(names)s。请下载导入模板，按模板的列名填写。",
                                                      names="、".join(missing)))]
    headers = {column.key: column.header for column in IMPORT_COLUMNS}
    rows, problems, phones = [], [], {}
    for index in range(header_at + 1, len(table)):
        cells = table[index]
        values = {key: _cell(cells[at]) if at < len(cells) else "" for key, at in positions.items()}
        if not any(values.values()):
            continue
        number = index + 1
        try:
            details = check_details(VisitorDetails(values.get("name", ""), values.get("phone", ""),
                                                   _kind(values.get("kind", ""), values.get("group_size", "")),
                                                   _size(values.get("group_size", "")), values.get("group_name", "")))
        except Refused as refusal:
            problems.append(RowProblem(number, headers.get(refusal.field), refusal.message))
            continue
        if details.phone in phones:
            problems.append(RowProblem(number, headers["phone"], _("与第 %(row)d 行的手机号相同。", row=phones[details.phone])))
            continue
        phones[details.phone] = number
        rows.append(ImportedRow(number, details))
    if not rows and not problems:
        problems.append(RowProblem(None, None, _("文件中没有观众：列名之后没有任何数据行。")))
    return rows, problems


def import_group_list(fair: Fair, content: bytes, *, actor, source: str = "") -> ImportResult:
    """A group list (XLSX or CSV) issued all or nothing: any bad row, or a phone that already has a ticket,
    refuses the whole file with every problem listed."""
    try:
        table = read_table(content)
    except UnreadableFile as unreadable:
        message = (_("一次最多导入 %(n)d 行，请拆分成几个文件。", n=10_000) if str(unreadable) == "too_many_rows"
                   else _("无法读取该文件。请上传 XLSX，或 UTF-8 / GBK 编码的 CSV。"))
        raise ImportRefused([RowProblem(None, None, message)]) from None
    rows, problems = read_group_list(table)
    if rows:
        taken = set(db.session.scalars(sa.select(Ticket.phone).where(
            Ticket.fair_id == fair.id, Ticket.revoked_at.is_(None),
            Ticket.phone.in_({row.details.phone for row in rows}))))
        problems += [RowProblem(row.row, "手机号", _("该手机号已有本届的入场码。")) for row in rows
                     if row.details.phone in taken]
    if problems:
        raise ImportRefused(sorted(problems, key=lambda problem: (problem.row is not None, problem.row or 0)))
    codes = issue_tickets(fair, [row.details for row in rows], source=TicketSource.imported, actor=actor,
                          note=source)
    return ImportResult(rows, codes)


# --- export --------------------------------------------------------------------------------------------

EXPORT_HEADER = ["入场码", "姓名", "手机号", "观众类型", "团体名称", "人数", "有效期起", "有效期止", "来源", "状态", "二维码内容"]


def export_tickets(fair: Fair, *, actor) -> bytes:
    """Every ticket of the fair with its QR content, as CSV (UTF-8 with a BOM, for Excel) for print shops
    and badge printers. Full phones leave the system here, so the export is audited. Plain rows, not ORM
    objects, and the kinds' labels translated once: 50,000 tickets are mostly their 50,000 signatures."""
    key_id, private = signing_key(fair)
    labels = {kind: str(label) for kind, label in VISITOR_KIND_LABELS.items()}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    count = 0
    query = (sa.select(Ticket.code, Ticket.name, Ticket.phone, Ticket.kind, Ticket.group_name, Ticket.group_size,
                       Ticket.valid_from, Ticket.valid_until, Ticket.source, Ticket.revoked_at)
             .where(Ticket.fair_id == fair.id).order_by(Ticket.id))
    for row in db.session.execute(query.execution_options(yield_per=5_000)):
        payload = tickets.Payload(fair.id, row.code, row.kind.value, row.valid_from, row.valid_until, row.group_size,
                                  key_id)
        writer.writerow([row.code, _safe(row.name), row.phone, labels[row.kind], _safe(row.group_name),
                         row.group_size, row.valid_from.isoformat(), row.valid_until.isoformat(), row.source.value,
                         "revoked" if row.revoked_at else "valid", tickets.sign(payload, private)])
        count += 1
    audit(actor, "visitors.tickets.exported", fair, after={"count": count}, fair=fair)
    db.session.commit()
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _safe(text: str) -> str:
    """Text Excel would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text


def count_by_kind(fair: Fair) -> dict[VisitorKind, tuple[int, int]]:
    """Valid tickets and the people they admit, per kind."""
    rows = db.session.execute(sa.select(Ticket.kind, sa.func.count(Ticket.id), sa.func.sum(Ticket.group_size))
                              .where(Ticket.fair_id == fair.id, Ticket.revoked_at.is_(None)).group_by(Ticket.kind))
    return {kind: (count, people or 0) for kind, count, people in rows}
