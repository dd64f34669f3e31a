"""An agreement version as a PDF: plain data in, PDF bytes out (no Flask, no database), A4 portrait.

The page carries the exact canonical text (agreement_text), then each party's signature (who, when in
the fair's timezone, the SHA-256 of the text they confirmed) beside the SHA-256 of the text as printed,
so a reader sees the two agree, and a QR code to the public verification page with the agreement's random
code. Chinese only, in the embedded CJK font, like the certificates: it is a Chinese contract."""
import io
from dataclasses import dataclass

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from fair.documents.pdf import CJKFont, cjk_font, draw_text, new_canvas, wrap
from fair.documents.qrcodes import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 56                              # 2 cm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BODY_SIZE = 11
LEADING = 1.6
QR_SIZE = 96                             # points, quiet zone included: 3.4 cm
RED = HexColor("#b22222")
GREY = HexColor("#555555")
QR_CAPTION = "扫码核验协议"


@dataclass(frozen=True)
class SignatureLine:
    """One party's block: `signer` None while that party has not signed."""

    party: str                           # 甲方（支持方） / 乙方（参展单位）
    organisation: str
    signer: str | None = None
    signed_at: str | None = None         # written out in the fair's timezone
    text_sha256: str | None = None


@dataclass(frozen=True)
class AgreementDocument:
    text: str                            # agreement_text.render: its first line is the title
    text_sha256: str
    status: str                          # e.g. 已签约
    notice: str                          # empty for an agreement in force; else why it is not (draft, cancelled)
    signatures: tuple[SignatureLine, ...]
    code: str                            # the verification code
    url: str                             # the public verification page


def render_agreement(document: AgreementDocument, *, title: str, font_setting: str | None = None) -> bytes:
    font = cjk_font(font_setting)
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=title, font=font)
    _Writer(canvas, font).document(document)
    canvas.save()
    return buffer.getvalue()


class _Writer:
    """Lines down the page, starting a new page when the next block does not fit."""

    def __init__(self, canvas: Canvas, font: CJKFont):
        self.canvas, self.font = canvas, font
        self.y = PAGE_HEIGHT - MARGIN

    def document(self, document: AgreementDocument) -> None:
        heading, *body = document.text.split("\n")
        self.line(heading, 20, align="centre", bold=True, after=8)
        if document.notice:
            self.paragraph(document.notice, 11, colour=RED, align="centre")
        self.space(6)
        for line in body:
            if not line:
                self.space(BODY_SIZE * 0.6)
            elif _is_section(line):
                self.line(line, BODY_SIZE + 1, bold=True, before=2)
            else:
                self.paragraph(line, BODY_SIZE)
        self.space(14)
        self.signatures(document)
        self.verification(document)

    def signatures(self, document: AgreementDocument) -> None:
        self.need(30 + 78 * len(document.signatures))
        self.line(f"签署记录（状态：{document.status}）", BODY_SIZE + 1, bold=True)
        for signature in document.signatures:
            self.need(78)
            self.line(f"{signature.party}：{signature.organisation}", BODY_SIZE, before=4)
            if signature.signer is None:
                self.line("尚未签署", 10, colour=GREY, indent=14)
                continue
            self.line(f"签署人：{signature.signer}", 10, indent=14)
            self.line(f"签署时间：{signature.signed_at}", 10, indent=14)
            self.line(f"所签文本 SHA-256：{signature.text_sha256}", 8, colour=GREY, indent=14)

    def verification(self, document: AgreementDocument) -> None:
        self.need(QR_SIZE + 24)
        top = self.y - 8
        draw_qr(self.canvas, document.url, MARGIN, top - QR_SIZE, QR_SIZE)
        draw_text(self.canvas, MARGIN + QR_SIZE / 2, top - QR_SIZE - 12, QR_CAPTION, self.font, 9, align="centre",
                  colour=GREY)
        x = MARGIN + QR_SIZE + 16
        draw_text(self.canvas, x, top - 24, f"本文本 SHA-256：{document.text_sha256}", self.font, 8, colour=GREY)
        draw_text(self.canvas, x, top - 42, f"核验码：{document.code}", self.font, 9, colour=GREY)
        draw_text(self.canvas, x, top - 60, "扫描二维码或打开以下网址，可核对协议的状态与签署记录：", self.font, 9,
                  colour=GREY)
        for number, line in enumerate(wrap(document.url, self.font, 8, TEXT_WIDTH - QR_SIZE - 16)[:2]):
            draw_text(self.canvas, x, top - 74 - 11 * number, line, self.font, 8, colour=GREY)
        self.y = top - QR_SIZE - 20

    # --- layout ---

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.new_page()

    def new_page(self) -> None:
        self.canvas.showPage()
        self.y = PAGE_HEIGHT - MARGIN

    def space(self, height: float) -> None:
        self.y -= height

    def line(self, text: str, size: float, *, align: str = "left", indent: float = 0, before: float = 0,
             after: float = 0, **style) -> None:
        self.y -= before
        self.need(size * LEADING)
        self.y -= size * LEADING
        x = {"left": MARGIN + indent, "centre": PAGE_WIDTH / 2}[align]
        draw_text(self.canvas, x, self.y, text, self.font, size, align=align, **style)
        self.y -= after

    def paragraph(self, text: str, size: float, **style) -> None:
        for line in wrap(text, self.font, size, TEXT_WIDTH) or [""]:
            self.line(line, size, **style)


def _is_section(line: str) -> bool:
    """'一、支持内容' and the like: a Chinese ordinal, then 、."""
    return len(line) > 2 and line[1] == "、" and line[0] in "一二三四五六七八九十"
