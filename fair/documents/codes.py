"""Public codes printed on documents and carried by their QR codes (certificates, agreements)."""
import secrets
import string

# Letters and digits without the look-alikes 0/O and 1/l/I, and without '-' or '_': a code reads out on
# the phone unambiguously, and never ends in a hyphen that a text tool would join to the next line.
CODE_ALPHABET = "".join(sorted(set(string.ascii_letters + string.digits) - set("0O1lI")))


def public_code(length: int = 32) -> str:
    """A random code, never derived from an id: 32 characters carry 186 bits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
