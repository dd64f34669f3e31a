"""Booth signs: plain data in, PDF bytes out (no Flask, no database), one A4 portrait page per booth.

A sign is read from across an aisle, so the booth code is the largest thing on it, then the project's
title; the band at the top carries the zone's colour from the floor plan, so a sign matches its zone.
The QR code leads to the project's public page. A booth without a project says 待分配 and has no code.
The labels are Chinese only: the signs are printed for a Chinese-speaking hall, whatever the UI language
of the organizer who downloads them."""
import io
from dataclasses import dataclass
from typing import Iterable

from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from fair.documents.pdf import CJKFont, cjk_font, draw_text, fit, new_canvas
from fair.documents.qrcodes import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BAND_HEIGHT = 72
QR_SIZE = 212                          # points, quiet zone included: 7.5 cm, read from up to about 75 cm
QR_BOTTOM = 88
TITLE_HEIGHT = 136                     # 3 lines at 36 pt down to 6 at 18 pt: a 100-character title fits
GREY = HexColor("#555555")
UNASSIGNED = "待分配"
QR_CAPTION = "扫码查看项目详情"


@dataclass(frozen=True)
class Sign:
    """What one booth's sign shows; `title`, `organisation`, `category` and `url` are empty for a booth
    without a project."""

    code: str
    zone: str
    hall: str
    fair_name: str
    category: str = ""
    title: str = ""
    organisation: str = ""
    url: str = ""
    colour: str = "#4e79a7"            # the zone's colour on the floor plan

    @property
    def assigned(self) -> bool:
        return bool(self.title)


def render_signs(signs: Iterable[Sign], *, title: str, font_setting: str | None = None) -> bytes:
    """One PDF with a page per sign, in the order given (the caller sorts by booth code)."""
    signs = list(signs)
    if not signs:
        raise ValueError("a PDF needs at least one page: no signs given")
    font = cjk_font(font_setting)
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=title, font=font, pagesize=A4)
    for sign in signs:
        draw_sign(canvas, sign, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_sign(canvas: Canvas, sign: Sign, font: CJKFont) -> None:
    """One sign on the current page, laid out from the top; the QR code sits at the bottom."""
    band = _colour(sign.colour)
    canvas.setFillColor(band)
    canvas.rect(0, PAGE_HEIGHT - BAND_HEIGHT, PAGE_WIDTH, BAND_HEIGHT, stroke=0, fill=1)
    _block(canvas, font, sign.fair_name, PAGE_HEIGHT - BAND_HEIGHT / 2 + 8, [22, 20, 18, 16, 14], leading=1,
           colour=_ink_on(band))
    y = _block(canvas, font, sign.code, PAGE_HEIGHT - BAND_HEIGHT - 12, [120, 104, 88, 72, 60, 48], leading=1,
               bold=True)
    y = _block(canvas, font, " · ".join(part for part in (sign.hall, sign.zone) if part), y - 14, [24, 20, 16],
               colour=GREY)
    y -= 22
    canvas.setStrokeColor(band)
    canvas.setLineWidth(2)
    canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
    if not sign.assigned:
        _block(canvas, font, UNASSIGNED, (y + QR_BOTTOM) / 2 + 36, [72], leading=1, colour=GREY)
        return
    y = _block(canvas, font, sign.title, y - 14, [36, 32, 28, 24, 20, 18], max_lines=None, height=TITLE_HEIGHT,
               bold=True)
    y = _block(canvas, font, sign.organisation, y - 10, [20, 18, 16], max_lines=2, leading=1.3)
    if sign.category:
        _block(canvas, font, f"服务领域：{sign.category}", y - 10, [16], colour=GREY)
    if sign.url:
        draw_qr(canvas, sign.url, (PAGE_WIDTH - QR_SIZE) / 2, QR_BOTTOM, QR_SIZE)
        _block(canvas, font, QR_CAPTION, QR_BOTTOM, [16])


def _block(canvas: Canvas, font: CJKFont, text: str, top: float, sizes: list[float], *, leading: float = 1.25,
           max_lines: int | None = 1, height: float | None = None, **style) -> float:
    """`text` centred on the page in lines below `top`, as large as `sizes` allow; the last baseline."""
    size, lines = fit(text, font, TEXT_WIDTH, sizes, max_lines=max_lines, height=height, leading=leading)
    y = top
    for line in lines:
        y -= size * leading
        draw_text(canvas, PAGE_WIDTH / 2, y, line, font, size, align="centre", **style)
    return y


def _colour(value: str) -> Color:
    try:
        return HexColor(value)
    except ValueError:
        return HexColor(Sign.colour)


def _ink_on(background: Color) -> Color:
    """Black or white text, whichever reads better on `background` (WCAG relative luminance)."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(background.red) + 0.7152 * linear(background.green) + 0.0722 * linear(background.blue)
    return black if luminance > 0.179 else white
