"""Award certificates: plain data in, PDF bytes out (no Flask, no database), one A4 landscape page each.

The text is Chinese in an embedded CJK font, so it prints the same anywhere and can be searched and
copied. The QR code carries the public verification URL with the certificate's random code, so anyone
holding the paper can check it is genuine; the code is also printed, for reading out on the phone.
Like the booth signs, the labels are Chinese only: the certificates are for a Chinese-speaking fair."""
import io
from dataclasses import dataclass
from typing import Iterable

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from fair.documents.pdf import CJKFont, cjk_font, draw_text, fit, new_canvas
from fair.documents.qrcodes import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
FRAME = 28                             # the outer border's distance from the paper's edge
TEXT_WIDTH = PAGE_WIDTH - 2 * 90
QR_SIZE = 104                          # points, quiet zone included: 3.7 cm, read by a phone at arm's length
RED = HexColor("#b22222")
GOLD = HexColor("#b8860b")
GREY = HexColor("#555555")
HEADING = "荣誉证书"
QR_CAPTION = "扫码验证证书真伪"


@dataclass(frozen=True)
class Certificate:
    """What one certificate says; `date` is already written out (e.g. 2027年5月22日)."""

    fair_name: str
    title: str
    organisation: str
    tier: str
    date: str
    code: str
    url: str                           # the public verification page for `code`


def render_certificates(certificates: Iterable[Certificate], *, title: str, font_setting: str | None = None) -> bytes:
    """One PDF with a page per certificate, in the order given (the caller sorts by tier and rank)."""
    certificates = list(certificates)
    if not certificates:
        raise ValueError("a PDF needs at least one page: no certificates given")
    font = cjk_font(font_setting)
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=title, font=font, pagesize=landscape(A4))
    for certificate in certificates:
        draw_certificate(canvas, certificate, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_certificate(canvas: Canvas, certificate: Certificate, font: CJKFont) -> None:
    """One certificate on the current page, worded as Chinese award certificates are: to the organisation,
    its project, the fair, the tier; the QR code with the code bottom left, the issuer and date bottom right."""
    _frame(canvas)
    y = _block(canvas, font, HEADING, PAGE_HEIGHT - 72, [44], bold=True, colour=RED)
    y = _block(canvas, font, f"{certificate.organisation}：", y - 30, [24, 20, 18, 16], max_lines=2)
    y = _block(canvas, font, "贵单位申报的项目", y - 8, [16], colour=GREY)
    y = _block(canvas, font, f"《{certificate.title}》", y - 6, [28, 24, 20, 18], max_lines=2, bold=True)
    y = _block(canvas, font, f"在{certificate.fair_name}中荣获", y - 8, [18, 16, 14], max_lines=2, colour=GREY)
    y = _block(canvas, font, certificate.tier, y - 6, [52, 44, 36, 28], bold=True, colour=RED)
    _block(canvas, font, "特发此证，以资鼓励。", y - 10, [16])
    bottom = FRAME + 22
    draw_qr(canvas, certificate.url, FRAME + 24, bottom + 14, QR_SIZE)
    draw_text(canvas, FRAME + 24 + QR_SIZE / 2, bottom, QR_CAPTION, font, 9, align="centre", colour=GREY)
    draw_text(canvas, FRAME + 40 + QR_SIZE, bottom + 14, f"证书编号：{certificate.code}", font, 9, colour=GREY)
    draw_text(canvas, PAGE_WIDTH - FRAME - 40, bottom + 60, f"{certificate.fair_name}组委会", font, 16, align="right")
    draw_text(canvas, PAGE_WIDTH - FRAME - 40, bottom + 34, certificate.date, font, 16, align="right")


def _frame(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(4)
    canvas.rect(FRAME, FRAME, PAGE_WIDTH - 2 * FRAME, PAGE_HEIGHT - 2 * FRAME)
    canvas.setLineWidth(1)
    canvas.rect(FRAME + 8, FRAME + 8, PAGE_WIDTH - 2 * FRAME - 16, PAGE_HEIGHT - 2 * FRAME - 16)
    canvas.restoreState()


def _block(canvas: Canvas, font: CJKFont, text: str, top: float, sizes: list[float], *, max_lines: int = 1,
           **style) -> float:
    """`text` centred in lines below `top`, as large as `sizes` allow; returns the last baseline."""
    size, lines = fit(text, font, TEXT_WIDTH, sizes, max_lines=max_lines, leading=1.25)
    y = top
    for line in lines:
        y -= size * 1.25
        draw_text(canvas, PAGE_WIDTH / 2, y, line, font, size, align="centre", **style)
    return y
