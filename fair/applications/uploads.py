"""What an uploaded file really is, told from its bytes and never its name: a program renamed
.pdf must not reach a reviewer's computer. Plain functions, no Flask."""
import io
import warnings
from dataclasses import dataclass

from PIL import Image

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
IMAGES = {JPEG: "JPEG", PNG: "PNG"}        # content type → Pillow's format name
MAX_PIXELS = 60_000_000                    # a 10 MB photo is far below; a decompression bomb is far above

_SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
# Windows PE, ELF, Mach-O (both byte orders, 32/64 bit, universal), scripts with a #! line.
_PROGRAMS = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
             b"\xca\xfe\xba\xbe", b"#!")


@dataclass(frozen=True)
class Verdict:
    """The sniffed content type, or the problem ("empty", "program", "unknown", "damaged")."""

    content_type: str | None = None
    problem: str | None = None


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, among those we accept."""
    return next((kind for signature, kind in _SIGNATURES if head.startswith(signature)), None)


def is_program(head: bytes) -> bool:
    return head.startswith(_PROGRAMS)


def image_decodes(data: bytes, content_type: str) -> bool:
    """The whole image decodes as the format its signature claims, within a sane pixel count."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[IMAGES[content_type]]) as image:
                if image.width * image.height > MAX_PIXELS:
                    return False
                image.load()
        return True
    except Exception:       # Pillow reports damage as OSError, SyntaxError, ValueError, struct.error, ...
        return False


def pdf_complete(data: bytes) -> bool:
    """A PDF ends with %%EOF in its last 1024 bytes (the rule readers apply); a cut-off upload does not."""
    return b"%%EOF" in data[-1024:]


def inspect(data: bytes) -> Verdict:
    """Accept a PDF, JPEG or PNG whose content is whole; say why anything else is refused."""
    if not data:
        return Verdict(problem="empty")
    content_type = sniff(data[:16])
    if content_type is None:
        return Verdict(problem="program" if is_program(data[:16]) else "unknown")
    whole = pdf_complete(data) if content_type == PDF else image_decodes(data, content_type)
    return Verdict(content_type=content_type) if whole else Verdict(problem="damaged")
