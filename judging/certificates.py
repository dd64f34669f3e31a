"""Award certificates: plain data in, PDF bytes out (no Flask, no database), one A4 landscape page each.

The text is Chinese in an embedded CJK font, so it prints the same anywhere and can be searched and
copied. The QR code carries the public verification URL with the certificate's random code, so anyone
holding the paper can check it is genuine; the code is also printed, for reading out on the phone.
Like the booth signs, the labels are Chinese only: the certificates are for a Chinese-speaking fair."""
from dataclasses import dataclass
from functools import partial
from typing import Iterable

from reportlab.pdfgen.canvas import Canvas

from fair.documents import certificates as page
from fair.documents.pdf import CJKFont

TEXT_WIDTH = page.PAGE_WIDTH - 2 * 90


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
    return page.render(certificates, draw_certificate, title=title, font_setting=font_setting)


def draw_certificate(canvas: Canvas, certificate: Certificate, font: CJKFont) -> None:
    """One certificate on the current page, worded as Chinese award certificates are: to the organisation,
    its project, the fair, the tier; the QR code with the code bottom left, the issuer and date bottom right."""
    block = partial(page.block, canvas, font, width=TEXT_WIDTH)
    y = block(page.HEADING, page.PAGE_HEIGHT - 72, [44], bold=True, colour=page.RED)
    y = block(f"{certificate.organisation}：", y - 30, [24, 20, 18, 16], max_lines=2)
    y = block("贵单位申报的项目", y - 8, [16], colour=page.GREY)
    y = block(f"《{certificate.title}》", y - 6, [28, 24, 20, 18], max_lines=2, bold=True)
    y = block(f"在{certificate.fair_name}中荣获", y - 8, [18, 16, 14], max_lines=2, colour=page.GREY)
    y = block(certificate.tier, y - 6, [52, 44, 36, 28], bold=True, colour=page.RED)
    block("特发此证，以资鼓励。", y - 10, [16])
    page.foot(canvas, font, url=certificate.url, code=certificate.code, fair_name=certificate.fair_name,
              date=certificate.date)
