"""Signed ticket codes: what a QR code on a ticket says, checkable by a scanning device without the server.

Pure: bytes and dates in, text out (no Flask, no database). The text is

    "FT1:" + Base32(payload + Ed25519 signature), upper case, no padding

payload (23 bytes, big-endian): version (1), key id (1), fair id (4), ticket code (10 random bytes), kind
(1), people (2), valid from and valid until (2 each, days since 2020-01-01). With the 64-byte signature that
is 87 bytes, 140 Base32 characters and 144 with the prefix: a version 7 QR code at error level M.

Why Base32 and not Base45 (8 characters shorter): its alphabet (A–Z, 2–7) is all in the QR alphanumeric
mode, has no space, % or / that a handheld scanner typing like a keyboard, a URL or a spreadsheet could
mangle, and reads the same in lower case (a scanner with caps lock on). The prefix tells our codes from
any other QR code a gate may see. `people` (a group's size) rides along so an offline device knows how
many a group leader's ticket admits."""
import base64
import binascii
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "FT1:"
VERSION = 1
EPOCH = date(2020, 1, 1)
KINDS = ("public", "volunteer", "group", "media", "guest")     # the byte is the index: append, never reorder
CODE_BYTES = 10                                                 # 80 random bits: unguessable
SIGNATURE_BYTES = 64
_LAYOUT = struct.Struct(">BBI10sBHHH")
PAYLOAD_BYTES = _LAYOUT.size
RAW_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES
TEXT_LENGTH = len(PREFIX) + -(-RAW_BYTES * 8 // 5)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_AS_DIGITS = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")
_BASE32 = re.compile("[A-Z2-7]+")


class InvalidTicket(ValueError):
    """A code that is not one of ours, is damaged, or whose signature does not hold; `reason` is the
    check-in reason code ("invalid")."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Payload:
    """What a ticket's QR code asserts. `code` is the ticket's id (Ticket.code): 16 Base32 characters."""

    fair_id: int
    code: str
    kind: str
    valid_from: date
    valid_until: date
    people: int = 1
    key_id: int = 1
    version: int = VERSION

    def to_bytes(self) -> bytes:
        if self.kind not in KINDS:
            raise ValueError(f"unknown visitor kind {self.kind!r}")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return _LAYOUT.pack(self.version, self.key_id, self.fair_id, code_bytes(self.code), KINDS.index(self.kind),
                            self.people, _days(self.valid_from), _days(self.valid_until))

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


def new_code() -> str:
    """A fresh random ticket id, as Ticket.code stores it and the ticket page's URL shows it."""
    return _b32(secrets.token_bytes(CODE_BYTES))


def code_bytes(code: str) -> bytes:
    """Ticket.code back to its 10 bytes (ValueError when it is not one)."""
    try:
        raw = base64.b32decode(code.upper() + "=" * (-len(code) % 8))
    except (binascii.Error, ValueError):
        raise ValueError(f"not a ticket code: {code!r}") from None
    if len(raw) != CODE_BYTES:
        raise ValueError(f"not a ticket code: {code!r}")
    return raw


def sign(payload: Payload, private_key: Ed25519PrivateKey | bytes) -> str:
    """The QR code's text for `payload`. Ed25519 is deterministic: the same ticket signs to the same text."""
    key = private_key if isinstance(private_key, Ed25519PrivateKey) else \
        Ed25519PrivateKey.from_private_bytes(private_key)
    data = payload.to_bytes()
    return PREFIX + _b32(data + key.sign(data))


def parse(text: str) -> Payload:
    """The fields of a code WITHOUT checking its signature (to learn its fair and key before verify, or
    to report a wrong fair); raises InvalidTicket("invalid") when it cannot be read."""
    return _split(text)[0]


def verify(text: str, public_keys_by_id: dict[int, Ed25519PublicKey | bytes]) -> Payload:
    """The payload of a genuine code signed by one of the keys (the fair's, by key id); anything else,
    unreadable, truncated, tampered with or signed by an unknown key, raises InvalidTicket("invalid").
    Validity dates and the fair are the caller's to check: they have their own reasons."""
    payload, data, signature = _split(text)
    key = public_keys_by_id.get(payload.key_id)
    if key is None:
        raise InvalidTicket("invalid", "unknown key")
    if not isinstance(key, Ed25519PublicKey):
        key = Ed25519PublicKey.from_public_bytes(key)
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise InvalidTicket("invalid", "bad signature") from None
    return payload


def issued_by(text: str, key_id: int, private_key: Ed25519PrivateKey) -> Payload | None:
    """The payload of `text` when it is exactly the code that this key (id and private key) issues for it,
    else None, with no reason: verify() gives the reasons. Ed25519 signatures are deterministic (RFC 8032),
    so the issuer can check a code by signing its payload again and comparing, at a third of the cost of
    verifying; only the holder of the private key can do it, and a signature it did not make itself is
    not recognised (the server's busiest path uses this; devices verify)."""
    try:
        payload, data, signature = _split(text)
    except InvalidTicket:
        return None
    if payload.key_id != key_id or not hmac.compare_digest(private_key.sign(data), signature):
        return None
    return payload


def _split(text: str) -> tuple[Payload, bytes, bytes]:
    body = "".join(str(text).split()).upper()              # scanners add a newline; some lower-case it all
    if not body.startswith(PREFIX):
        raise InvalidTicket("invalid", "not a ticket code")
    body = body[len(PREFIX):]
    if len(body) != TEXT_LENGTH - len(PREFIX):
        raise InvalidTicket("invalid", "wrong length")
    if not _BASE32.fullmatch(body):
        raise InvalidTicket("invalid", "not Base32")
    number = int(body.translate(_AS_DIGITS), 32)            # Base32 as int() reads it: in C, not base64's Python
    spare = len(body) * 5 - RAW_BYTES * 8
    if number & ((1 << spare) - 1):                         # unused low bits set: one ticket, one text
        raise InvalidTicket("invalid", "not canonical Base32")
    raw = (number >> spare).to_bytes(RAW_BYTES, "big")
    data, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    version, key_id, fair_id, code, kind, people, valid_from, valid_until = _LAYOUT.unpack(data)
    if version != VERSION or kind >= len(KINDS) or people < 1 or valid_until < valid_from:
        raise InvalidTicket("invalid", "unknown version or field out of range")
    payload = Payload(fair_id, _b32(code), KINDS[kind], EPOCH + timedelta(days=valid_from),
                      EPOCH + timedelta(days=valid_until), people, key_id, version)
    return payload, data, signature


def _b32(raw: bytes) -> str:
    """RFC 4648 Base32 without padding (base64.b32encode, pure Python, costs several times more)."""
    chars = -(-len(raw) * 8 // 5)
    number = int.from_bytes(raw, "big") << (chars * 5 - len(raw) * 8)
    return "".join([_ALPHABET[(number >> shift) & 31] for shift in range(chars * 5 - 5, -5, -5)])


def _days(day: date) -> int:
    days = (day - EPOCH).days
    if not 0 <= days <= 0xFFFF:
        raise ValueError(f"{day} is outside the dates a ticket can carry")
    return days
