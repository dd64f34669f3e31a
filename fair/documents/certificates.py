"""The honour-certificate page that award certificates (judging) and caring-unit certificates (sponsorship)
share: A4 landscape in a gold double frame, centred lines that shrink to fit, and at the foot the QR code
to the public verification page with the printed code, and the issuer with the date.

The labels are Chinese only: certificates are for a Chinese-speaking fair."""
import io
from typing import Callable, Iterable, TypeVar

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from fair.documents.pdf import CJKFont, cjk_font, draw_text, fit, new_canvas
from fair.documents.qrcodes import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
FRAME = 28                             # the outer border's distance from the paper's edge
QR_SIZE = 104                          # points, quiet zone included: 3.7 cm, read by a phone at arm's length
RED = HexColor("#b22222")
GOLD = HexColor("#b8860b")
GREY = HexColor("#555555")
HEADING = "荣誉证书"
QR_CAPTION = "扫码验证证书真伪"
Item = TypeVar("Item")


def render(items: Iterable[Item], draw: Callable[[Canvas, Item, CJKFont], None], *, title: str,
           font_setting: str | None = None) -> bytes:
    """One PDF with a page per item, in the order given, each drawn by `draw`."""
    items = list(items)
    if not items:
        raise ValueError("a PDF needs at least one page: no certificates given")
    font = cjk_font(font_setting)
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=title, font=font, pagesize=landscape(A4))
    for item in items:
        frame(canvas)
        draw(canvas, item, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def frame(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(4)
    canvas.rect(FRAME, FRAME, PAGE_WIDTH - 2 * FRAME, PAGE_HEIGHT - 2 * FRAME)
    canvas.setLineWidth(1)
    canvas.rect(FRAME + 8, FRAME + 8, PAGE_WIDTH - 2 * FRAME - 16, PAGE_HEIGHT - 2 * FRAME - 16)
    canvas.restoreState()


def block(canvas: Canvas, font: CJKFont, text: str, top: float, sizes: list[float], *, width: float,
          leading: float = 1.25, max_lines: int = 1, **style) -> float:
    """`text` centred in lines below `top`, as large as `sizes` allow within `width`; returns the last baseline."""
    size, lines = fit(text, font, width, sizes, max_lines=max_lines, leading=leading)
    y = top
    for line in lines:
        y -= size * leading
        draw_text(canvas, PAGE_WIDTH / 2, y, line, font, size, align="centre", **style)
    return y


def foot(canvas: Canvas, font: CJKFont, *, url: str, code: str, fair_name: str, date: str) -> None:
    """The QR code with its caption and the code bottom left; the organizing committee and date bottom right."""
    bottom = FRAME + 22
    draw_qr(canvas, url, FRAME + 24, bottom + 14, QR_SIZE)
    draw_text(canvas, FRAME + 24 + QR_SIZE / 2, bottom, QR_CAPTION, font, 9, align="centre", colour=GREY)
    draw_text(canvas, FRAME + 40 + QR_SIZE, bottom + 14, f"证书编号：{code}", font, 9, colour=GREY)
    draw_text(canvas, PAGE_WIDTH - FRAME - 40, bottom + 60, f"{fair_name}组委会", font, 16, align="right")
    draw_text(canvas, PAGE_WIDTH - FRAME - 40, bottom + 34, date, font, 16, align="right")
