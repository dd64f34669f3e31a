"""The pure ticket module: codes sign and verify, anything altered, truncated or signed by another key is
"invalid", the text stays in the QR alphanumeric mode and fits a version 6 code that zxing-cpp reads."""
import io
from datetime import date

import pytest
import segno
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from fair.documents.qrcodes import qr_code
from fair.visitors import tickets
from fair.visitors.tickets import InvalidTicket, Payload

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEYS = {1: KEY.public_key()}


def payload(**overrides) -> Payload:
    values = {"fair_id": 7, "code": "ABCDEFGHIJKLMNOP", "kind": "group", "valid_from": date(2027, 5, 20),
              "valid_until": date(2027, 5, 22), "people": 45}
    values.update(overrides)
    return Payload(**values)


def test_a_signed_code_verifies_to_its_payload():
    text = tickets.sign(payload(), KEY)
    assert text.startswith("FT1:") and len(text) == tickets.TEXT_LENGTH == 144
    assert tickets.verify(text, KEYS) == payload()
    assert tickets.parse(text) == payload()


def test_raw_key_bytes_work_as_well_as_key_objects():
    raw_public = KEY.public_key().public_bytes_raw()
    text = tickets.sign(payload(), KEY.private_bytes_raw())
    assert tickets.verify(text, {1: raw_public}) == payload()


@pytest.mark.parametrize("kind", tickets.KINDS)
def test_every_kind_round_trips(kind):
    assert tickets.verify(tickets.sign(payload(kind=kind, people=1), KEY), KEYS).kind == kind


def test_signing_is_deterministic_so_a_ticket_always_shows_the_same_code():
    assert tickets.sign(payload(), KEY) == tickets.sign(payload(), KEY)


def test_new_codes_are_random_and_fit_the_payload():
    codes = {tickets.new_code() for _ in range(1000)}
    assert len(codes) == 1000
    code = codes.pop()
    assert len(code) == 16 and tickets.code_bytes(code) and tickets.parse(tickets.sign(payload(code=code), KEY)).code == code


@pytest.mark.parametrize("position", [4, 10, 40, 60, 100, 143])
def test_a_changed_character_is_invalid(position):
    text = tickets.sign(payload(), KEY)
    changed = text[:position] + ("B" if text[position] != "B" else "C") + text[position + 1:]
    with pytest.raises(InvalidTicket) as refused:
        tickets.verify(changed, KEYS)
    assert refused.value.reason == "invalid"


def test_a_payload_field_changed_and_re_encoded_is_invalid():
    """Someone who decodes the Base32, raises `people` and encodes it again still lacks the signature."""
    import base64
    text = tickets.sign(payload(), KEY)
    body = text[4:]
    raw = bytearray(base64.b32decode(body + "=" * (-len(body) % 8)))
    raw[17] ^= 0x01                                   # the low byte of `people`
    forged = "FT1:" + base64.b32encode(bytes(raw)).decode().rstrip("=")
    assert tickets.parse(forged).people != 45
    with pytest.raises(InvalidTicket, match="bad signature"):
        tickets.verify(forged, KEYS)


def test_another_key_or_an_unknown_key_id_is_invalid():
    text = tickets.sign(payload(), KEY)
    with pytest.raises(InvalidTicket, match="bad signature"):
        tickets.verify(text, {1: Ed25519PrivateKey.generate().public_key()})
    with pytest.raises(InvalidTicket, match="unknown key"):
        tickets.verify(text, {2: KEY.public_key()})


def test_the_issuer_recognises_exactly_the_codes_it_verifies():
    """issued_by (signing again and comparing) admits a code iff verify does, for the key's own codes."""
    text = tickets.sign(payload(), KEY)
    assert tickets.issued_by(text, 1, KEY) == payload() == tickets.issued_by(text.lower() + "\r\n", 1, KEY)
    other = Ed25519PrivateKey.generate()
    assert tickets.issued_by(text, 1, other) is None                     # not this key's code
    assert tickets.issued_by(text, 2, KEY) is None                       # another key id
    assert tickets.issued_by(tickets.sign(payload(key_id=2), KEY), 1, KEY) is None
    for position in (5, 40, 60, 100, 143):                               # payload and signature characters
        changed = text[:position] + ("B" if text[position] == "A" else "A") + text[position + 1:]
        assert tickets.issued_by(changed, 1, KEY) is None
        with pytest.raises(InvalidTicket):
            tickets.verify(changed, KEYS)
    for unreadable in ("", "hello", text[:-1], None):
        assert tickets.issued_by(unreadable, 1, KEY) is None


@pytest.mark.parametrize("text", ["", "FT1:", "hello", "https://example.cn/fairs/x", "FT2:" + "A" * 140,
                                  "FT1:" + "A" * 139, "FT1:" + "A" * 141, "FT1:" + "1" * 140, "FT1:" + "A" * 138 + "==",
                                  "FT1:" + "8" * 140, "FT1:" + "A" * 139 + "_", "FT1:" + "A" * 139 + "-",
                                  None, 12345])
def test_unreadable_text_is_invalid(text):
    with pytest.raises(InvalidTicket) as refused:
        tickets.parse(text)
    assert refused.value.reason == "invalid"


def test_a_truncated_code_is_invalid():
    text = tickets.sign(payload(), KEY)
    for length in (len(text) - 1, len(text) - 8, 80, 10):
        with pytest.raises(InvalidTicket):
            tickets.verify(text[:length], KEYS)


def test_lower_case_and_a_scanner_s_line_ending_are_tolerated():
    text = tickets.sign(payload(), KEY)
    assert tickets.verify(text.lower() + "\r\n", KEYS) == payload()
    assert tickets.verify(" " + text[:70] + "\n" + text[70:], KEYS) == payload()


def test_fields_out_of_range_are_refused_when_signing():
    with pytest.raises(ValueError):
        payload(kind="vip").to_bytes()
    with pytest.raises(ValueError):
        payload(valid_from=date(2027, 5, 23)).to_bytes()
    with pytest.raises(ValueError):
        payload(valid_from=date(2019, 12, 31)).to_bytes()
    with pytest.raises(ValueError):
        tickets.code_bytes("not-a-code")


def test_validity_is_a_range_of_days():
    assert payload().valid_on(date(2027, 5, 20)) and payload().valid_on(date(2027, 5, 22))
    assert not payload().valid_on(date(2027, 5, 23)) and not payload().valid_on(date(2027, 5, 19))


def test_the_code_is_a_version_6_qr_in_alphanumeric_mode_at_level_m():
    code = qr_code(tickets.sign(payload(), KEY))
    assert code.mode == "alphanumeric" and code.version <= 6 and code.error in ("M", "Q", "H")


def test_zxing_reads_the_qr_back_to_a_code_that_verifies():
    text = tickets.sign(payload(fair_id=123456, people=1, kind="media"), KEY)
    buffer = io.BytesIO()
    qr_code(text).save(buffer, kind="png", scale=4, border=4)
    buffer.seek(0)
    with Image.open(buffer) as image:
        found = [result.text for result in zxingcpp.read_barcodes(image)]
    assert found == [text]
    assert tickets.verify(found[0], KEYS).fair_id == 123456


def test_the_text_uses_only_qr_alphanumeric_characters():
    alphanumeric = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(tickets.sign(payload(), KEY)) <= alphanumeric
    assert segno.make_qr(tickets.sign(payload(), KEY)).mode == "alphanumeric"


@pytest.mark.parametrize("length", [0, 1, 4, 5, 10, 23, 87])
def test_base32_is_rfc_4648_without_padding(length):
    import base64
    import secrets

    raw = secrets.token_bytes(length)
    assert tickets._b32(raw) == base64.b32encode(raw).decode().rstrip("=")


def test_digits_outside_the_alphabet_and_stray_low_bits_are_invalid():
    text = tickets.sign(payload(), KEY)
    for bad in ("0", "1", "8", "9"):                  # int(…, 32) would read these: Base32 does not have them
        with pytest.raises(InvalidTicket):
            tickets.parse(text[:-5] + bad + text[-4:])
    last = tickets._ALPHABET.index(text[-1])
    assert last & 0b1111 == 0                         # 87 bytes in 140 characters: 4 unused bits, all zero
    with pytest.raises(InvalidTicket, match="canonical"):
        tickets.parse(text[:-1] + tickets._ALPHABET[last | 1])
